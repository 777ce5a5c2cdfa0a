// Pairing end to end (spec imessage-channel.md §3): unknown DM senders under dmPolicy=pairing, with
// approvals, denials and revocations made by ANOTHER process (the CLI's role) while the channel runs.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { PAIRING_TTL_MS } from '../../main/pairing/store';
import { sleep, startHarness, type Harness } from './harness';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

let clock = Date.now();

async function start(): Promise<Harness> {
  clock = Date.now(); // the CLI process in these tests uses the real clock
  h = await startHarness({ imessage: { dmPolicy: 'pairing' }, pairing: { now: () => clock } });
  await h.channel.start();
  return h;
}

/** What the CLI does, in its own process: `pairing-worker <op> <value>` on the same credentials dir. */
async function otherProcess(h: Harness, op: 'approve' | 'deny' | 'revoke', value: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/support/pairing-worker.ts', '--dir', join(h.stateDir, 'credentials'), op, value], { cwd: repoRoot });
  const out = JSON.parse(stdout.trim()) as { ok: boolean; results: unknown[] };
  expect(out.ok).toBe(true);
  return out.results[0];
}

const STRANGER = '+15557770001';

function pairingCode(text: string): string {
  const match = /^Pairing code: ([A-Z2-9]{8})$/m.exec(text);
  if (!match) throw new Error(`no pairing code in ${JSON.stringify(text)}`);
  return match[1]!;
}

/** Injects and waits for the message's access-log entry. */
async function deliver(h: Harness, from: string, text: string): Promise<{ rowid: number; chatId: number; reason: string }> {
  const { rowid, chatId } = h.inject({ from, text });
  await h.waitFor(`decision on row ${rowid}`, () => h.channel.accessLog.tail(20).some((e) => e.messageId === rowid));
  return { rowid, chatId, reason: h.channel.accessLog.tail(20).find((e) => e.messageId === rowid)!.reason };
}

describe('pairing', () => {
  it('an unknown sender gets exactly one pairing reply in their chat; repeats get nothing', async () => {
    const h = await start();
    const first = await deliver(h, STRANGER, 'hi, who is this?');
    expect(first.reason).toBe('pairing requested');
    await h.waitFor('pairing reply', () => h.sent().length === 1);
    const [reply] = h.sent();
    expect(reply).toMatchObject({ chat_id: first.chatId, to: STRANGER });
    const code = pairingCode(reply!.text);
    expect(reply!.text).toBe(
      ['Clawdbot: access not configured.', '', `Your iMessage sender id: ${STRANGER}`, '', `Pairing code: ${code}`, '', 'Ask the bot owner to approve with:', `clawdbot pairing approve imessage ${code}`].join('\n'),
    );
    expect(await h.pairing.list()).toEqual([expect.objectContaining({ id: STRANGER, code, meta: { sender: STRANGER, chatId: String(first.chatId), accountId: 'default' } })]);

    for (const text of ['hello?', 'anyone?']) expect((await deliver(h, STRANGER, text)).reason).toBe('pairing pending');
    await sleep(200);
    expect(h.sent()).toHaveLength(1);
    expect(h.model.requests).toEqual([]); // the message itself is never processed
    expect(h.logs()).toMatch(new RegExp(`pairing requested by \\${STRANGER} \\(code ${code}\\)`));
  });

  it('with 3 requests pending, a 4th unknown sender gets nothing (logged as pairing cap reached)', async () => {
    const h = await start();
    for (const n of [1, 2, 3]) expect((await deliver(h, `+1555777100${n}`, 'hi')).reason).toBe('pairing requested');
    await h.waitFor('three pairing replies', () => h.sent().length === 3);
    expect((await deliver(h, '+15557771004', 'me too')).reason).toBe('pairing cap reached');
    await sleep(200);
    expect(h.sent().map((r) => r.to)).toEqual(['+15557771001', '+15557771002', '+15557771003']);
    expect(h.logs()).toMatch(/pairing request from \+15557771004 ignored: 3 requests are already pending/);
    expect(await h.pairing.list()).toHaveLength(3);
  });

  it('after the TTL the request expires and the next message gets a new code', async () => {
    const h = await start();
    await deliver(h, STRANGER, 'hi');
    await h.waitFor('first reply', () => h.sent().length === 1);
    const firstCode = pairingCode(h.sent()[0]!.text);
    clock += PAIRING_TTL_MS - 1000;
    expect((await deliver(h, STRANGER, 'still waiting')).reason).toBe('pairing pending');
    clock += 2000;
    expect((await deliver(h, STRANGER, 'hello again')).reason).toBe('pairing requested');
    await h.waitFor('second reply', () => h.sent().length === 2);
    const secondCode = pairingCode(h.sent()[1]!.text);
    expect(secondCode).not.toBe(firstCode);
  });

  it('approved by another process while running: the very next message is answered, no restart', async () => {
    const h = await start();
    const pid = h.channel.health()[0]!.pid;
    await deliver(h, STRANGER, 'let me in');
    await h.waitFor('pairing reply', () => h.sent().length === 1);
    const approved = await otherProcess(h, 'approve', pairingCode(h.sent()[0]!.text).toLowerCase());
    expect(approved).toMatchObject({ id: STRANGER });
    const next = await deliver(h, STRANGER, 'am I in?');
    expect(next.reason).toBe('replied');
    await h.waitFor('agent reply', () => h.sent().length === 2);
    expect(h.sent()[1]).toMatchObject({ chat_id: next.chatId, text: expect.stringMatching(/am I in\?$/) });
    expect(h.model.requests).toHaveLength(1);
    expect(h.channel.health()[0]).toMatchObject({ pid, restarts: 0 });
  });

  it('denied by another process: not answered; writing again starts a new request', async () => {
    const h = await start();
    await deliver(h, STRANGER, 'let me in');
    await h.waitFor('pairing reply', () => h.sent().length === 1);
    const code = pairingCode(h.sent()[0]!.text);
    expect(await otherProcess(h, 'deny', code)).toMatchObject({ id: STRANGER, code });
    expect((await deliver(h, STRANGER, 'please?')).reason).toBe('pairing requested');
    await h.waitFor('new pairing reply', () => h.sent().length === 2);
    expect(pairingCode(h.sent()[1]!.text)).not.toBe(code);
    expect(h.model.requests).toEqual([]);
  });

  it('revoked by another process: the next message is no longer answered by the agent', async () => {
    const h = await start();
    await deliver(h, STRANGER, 'let me in');
    await h.waitFor('pairing reply', () => h.sent().length === 1);
    await otherProcess(h, 'approve', pairingCode(h.sent()[0]!.text));
    expect((await deliver(h, STRANGER, 'thanks')).reason).toBe('replied');
    await h.waitFor('agent reply', () => h.sent().length === 2);
    expect(await otherProcess(h, 'revoke', STRANGER)).toBe(true);
    const after = await deliver(h, STRANGER, 'still there?');
    expect(after.reason).toBe('pairing requested'); // a stranger again
    await h.waitFor('pairing reply', () => h.sent().length === 3);
    expect(h.sent()[2]!.text).toMatch(/^Clawdbot: access not configured\./);
    expect(h.model.requests).toHaveLength(1);
  });
});
