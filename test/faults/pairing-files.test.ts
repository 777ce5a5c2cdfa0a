// The pairing and allow-store files under concurrent writers: 20 `clawdbot pairing approve`
// processes at once, while the running gateway writes new requests for unknown senders, must lose
// nothing (every approval and every request survives), leave valid JSON with mode 0600 and no
// temp or lock files. A corrupt file is kept aside and reported, never silently replaced.
//
// The CLI goes through a running gateway's control API when it finds one; to make the CLI
// processes write the files themselves (the cross-process lock is what is under test), they get
// their own state dir whose `credentials` folder is a symlink to the gateway's.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, waitFor, type CliResult } from '../gateway/harness';
import { sleep, startRig, type Rig } from './gateway-kit';
import { inject } from '../support/sim-inject';

interface PairingFile {
  version: number;
  requests: { id: string; code: string }[];
}

let rig: Rig;
let credentials: string;
let cliEnv: NodeJS.ProcessEnv;

const pairingPath = () => join(credentials, 'imessage-pairing.json');
const allowPath = () => join(credentials, 'imessage-allowFrom.json');
const readPending = (): PairingFile => (existsSync(pairingPath()) ? (JSON.parse(readFileSync(pairingPath(), 'utf8')) as PairingFile) : { version: 1, requests: [] });
const readAllowed = (): string[] => (JSON.parse(readFileSync(allowPath(), 'utf8')) as { allowFrom: string[] }).allowFrom;
const sender = (n: number) => `+1555330${String(n).padStart(4, '0')}`;

beforeAll(async () => {
  // pairing for strangers; approved senders get the instant model's answer.
  rig = await startRig({ imessage: { dmPolicy: 'pairing', allowFrom: [] } });
  credentials = join(rig.ws.stateDir, 'credentials');
  mkdirSync(credentials, { recursive: true, mode: 0o700 });
  const cliState = join(rig.ws.dir, 'cli-state');
  mkdirSync(cliState, { mode: 0o700 });
  symlinkSync(credentials, join(cliState, 'credentials'));
  cliEnv = { ...rig.ws.env, CLAWDBOT_STATE_DIR: cliState, CLAWDBOT_CONFIG_PATH: rig.ws.configPath };
}, 30_000);
afterAll(async () => {
  await rig?.close();
});

describe('pairing files under concurrent writers', () => {
  it('20 concurrent CLI approvals while the gateway writes new requests: nothing lost, valid JSON, 0600', async () => {
    const { ws } = rig;
    const base = ws.sim.maxRowid();
    for (let n = 0; n < 3; n++) await inject(ws.sim, { from: sender(n), text: 'hello?' });
    await waitFor('3 pending requests', () => existsSync(pairingPath()) && readPending().requests.length === 3);
    const codes = readPending().requests.map((r) => r.code);

    // 20 approvals at once: each of the 3 codes by 6–7 processes (exactly one may win per code)…
    const approvals: Promise<CliResult>[] = Array.from({ length: 20 }, (_, i) => runCli(['pairing', 'approve', 'imessage', codes[i % 3]!, '--json'], cliEnv, 30_000));
    // …while 6 more strangers write in, so the gateway creates requests as slots free up.
    await sleep(150);
    for (let n = 3; n < 9; n++) await inject(ws.sim, { from: sender(n), text: 'me too' });
    const results = await Promise.all(approvals);

    // Exactly one approval per code does it; the others are told it was already approved (exit 0).
    const winners = results.filter((r) => r.code === 0 && !JSON.parse(r.stdout).alreadyApproved);
    expect(winners).toHaveLength(3);
    for (const other of results.filter((r) => !winners.includes(r))) {
      expect(other.code, other.stderr).toBe(0);
      expect(JSON.parse(other.stdout)).toMatchObject({ alreadyApproved: true });
    }
    expect(readAllowed().sort()).toEqual([sender(0), sender(1), sender(2)]);

    // Every stranger that wrote in is accounted for: a request now pending (and exactly one pairing
    // reply), or a `pairing cap reached` decision. A request overwritten by a racing write would
    // show up as a pairing reply whose code is neither pending nor approved.
    await waitFor('the gateway to handle the 6 new strangers', async () => {
      await sleep(200); // the control API allows 6 requests per second per connection
      const entries = (await rig.client.request('accessLog.tail', { limit: 100 })).entries;
      return new Set(entries.filter((e) => /^\+1555330000[3-8]$/.test(e.sender)).map((e) => e.sender)).size === 6;
    });
    const pending = readPending().requests;
    expect(pending.length).toBeLessThanOrEqual(3);
    const entries = (await rig.client.request('accessLog.tail', { limit: 100 })).entries;
    for (let n = 3; n < 9; n++) {
      const mine = entries.filter((e) => e.sender === sender(n));
      const isPending = pending.some((r) => r.id === sender(n));
      expect(isPending || mine.some((e) => e.reason === 'pairing cap reached'), `${sender(n)}: ${JSON.stringify(mine)}`).toBe(true);
    }
    const replies = ws.sent(base);
    const repliedCodes = replies.map((row) => /\b([A-Z2-9]{8})\b/.exec(row.text)?.[1]).filter(Boolean);
    const knownCodes = new Set([...codes, ...pending.map((r) => r.code)]);
    for (const code of repliedCodes) expect(knownCodes.has(code!), `pairing reply with code ${code} that was lost`).toBe(true);
    expect(repliedCodes).toHaveLength(3 + pending.length);

    // The files: valid JSON, 0600, folder 0700, nothing half-written or locked left behind.
    for (const file of [pairingPath(), allowPath()]) {
      expect(() => JSON.parse(readFileSync(file, 'utf8'))).not.toThrow();
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
    expect(statSync(credentials).mode & 0o777).toBe(0o700);
    expect(readdirSync(credentials).filter((name) => name.endsWith('.tmp') || name.endsWith('.lock'))).toEqual([]);

    // The approvals apply to the very next message (no reload).
    const row = await inject(ws.sim, { from: sender(1), text: 'approved now #1#' });
    await waitFor('the approved sender to get an answer', () => ws.sent(row.rowid).some((r) => r.text.includes('#1#')));
  }, 60_000);

  it('a corrupt pairing file is moved aside and reported; the next stranger gets a fresh request', async () => {
    const { ws } = rig;
    const garbage = '{"version":1,"requests":[{"id":"+1555… oops, cut off by a crash';
    writeFileSync(pairingPath(), garbage, { mode: 0o600 });
    const row = await inject(ws.sim, { from: sender(20), text: 'hello?' });
    await waitFor('the corrupt file to be moved aside', () => readdirSync(credentials).some((name) => name.startsWith('imessage-pairing.json.corrupt-')));
    const aside = readdirSync(credentials).find((name) => name.startsWith('imessage-pairing.json.corrupt-'))!;
    expect(readFileSync(join(credentials, aside), 'utf8')).toBe(garbage);
    // Reported: in the access log (with where the file went) and in the gateway log.
    await waitFor('the access-log entry', async () => {
      await sleep(200);
      return (await rig.client.request('accessLog.tail', { limit: 20 })).entries.some((e) => e.sender === sender(20) && /pairing store error: .*not valid JSON.*moved to/.test(e.reason));
    });
    expect(rig.gateway.stderr()).toMatch(/pairing store file was unreadable and has been moved aside/);
    expect(ws.sent(row.rowid)).toEqual([]); // no reply with a code that was never stored

    const again = await inject(ws.sim, { from: sender(21), text: 'hello?' });
    await waitFor('a fresh request', () => readPending().requests.some((r) => r.id === sender(21)));
    await waitFor('its pairing reply', () => ws.sent(again.rowid).length === 1);
  }, 30_000);

  it('a corrupt allow store: approved senders keep working on the last good list; the CLI moves it aside and says so', async () => {
    const { ws } = rig;
    const before = readAllowed();
    expect(before).toContain(sender(0));
    writeFileSync(allowPath(), 'not json at all', { mode: 0o600 });
    const row = await inject(ws.sim, { from: sender(0), text: 'still approved? #2#' });
    await waitFor('the approved sender to be answered', () => ws.sent(row.rowid).some((r) => r.text.includes('#2#')));
    const health = await rig.account();
    expect(health.warnings.join('\n')).toMatch(/imessage-allowFrom\.json/);

    const pendingCode = readPending().requests[0]!.code;
    const result = await runCli(['pairing', 'approve', 'imessage', pendingCode], cliEnv);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/imessage-allowFrom\.json is not valid JSON/);
    expect(result.stderr).toMatch(/imessage-allowFrom\.json\.corrupt-/);
    const aside = readdirSync(credentials).find((name) => name.startsWith('imessage-allowFrom.json.corrupt-'));
    expect(aside && readFileSync(join(credentials, aside), 'utf8')).toBe('not json at all');
  }, 30_000);
});
