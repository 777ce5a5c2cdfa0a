// The simulator's setup modes: the macOS states the gateway's setup checks must recognise —
// Automation denied (-1743), the Automation prompt still up (a send waits for the person's click),
// and Messages not signed in (no account, no chats) — through the real executable.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimDb } from './lib';
import { RpcSession, runSim, tempDb, type TempDb } from '../test/support/sim-session';

let fx: TempDb;
const sessions: RpcSession[] = [];
const session = (env: Record<string, string>, dbPath = fx.dbPath) => {
  const s = new RpcSession(['--db', dbPath], env);
  sessions.push(s);
  return s;
};

beforeEach(() => {
  fx = tempDb();
  fx.db.inject({ from: '+15555550123', text: 'seed' });
});
afterEach(() => {
  while (sessions.length > 0) sessions.pop()?.kill();
  fx.cleanup();
});

const DENIED = 'AppleScript failed: Not authorized to send Apple events to Messages. (-1743)';

describe('IMSG_SIM_AUTOMATION=denied', () => {
  it('fails every send with imsg’s exact -1743 text (RPC and CLI), after validation, writing nothing', async () => {
    const s = session({ IMSG_SIM_AUTOMATION: 'denied' });
    const before = fx.db.maxRowid();
    expect((await s.request('send', { to: '+15555550123', text: 'hi' })).error).toEqual({ code: -32603, message: 'Internal error', data: DENIED });
    expect((await s.request('send', { to: '+15555550123' })).error?.data).toBe('text or file is required');
    // Reading is not affected.
    expect((await s.request('chats.list', { limit: 1 })).result.chats).toHaveLength(1);
    const cli = await runSim(['send', '--db', fx.dbPath, '--to', '+15555550123', '--text', 'x'], { env: { IMSG_SIM_AUTOMATION: 'denied' } });
    expect(cli).toMatchObject({ code: 1, stdout: `${DENIED}\n` });
    expect(fx.db.maxRowid()).toBe(before);
  });
});

describe('IMSG_SIM_AUTOMATION=pending (the macOS prompt is up)', () => {
  it('a send waits until the answer file appears (an OK), then goes out; later sends go out at once', async () => {
    const answer = join(fx.dir, 'automation-answer');
    const s = session({ IMSG_SIM_AUTOMATION: 'pending', IMSG_SIM_AUTOMATION_ANSWER: answer });
    let settled = false;
    const first = s.request('send', { to: '+15555550123', text: 'first' }, 10_000).then((line) => {
      settled = true;
      return line;
    });
    // The request is queued in imsg and not answered while the prompt is up: a later request waits behind it.
    const chats = s.request('chats.list', { limit: 1 }, 10_000);
    // Nothing to wait for here: that no answer comes can only be seen over a window of time.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    expect(s.received).toEqual([]);
    expect(fx.db.sent()).toEqual([]);
    writeFileSync(answer, 'OK\n');
    expect((await first).result).toMatchObject({ ok: true, id: expect.any(Number) });
    expect((await chats).result.chats).toHaveLength(1);
    expect(fx.db.sent().map((row) => row.text)).toEqual(['first']);
    expect((await s.request('send', { to: '+15555550123', text: 'second' })).result).toMatchObject({ ok: true });
  });

  it('"Don’t Allow" in the answer file refuses the waiting send with -1743', async () => {
    const answer = join(fx.dir, 'automation-answer');
    const s = session({ IMSG_SIM_AUTOMATION: 'pending', IMSG_SIM_AUTOMATION_ANSWER: answer });
    const waiting = s.request('send', { to: '+15555550123', text: 'hi' }, 10_000);
    writeFileSync(answer, "Don't Allow\n");
    expect((await waiting).error?.data).toBe(DENIED);
  });

  it('unanswered, the send gives up after IMSG_SIM_AUTOMATION_TIMEOUT_MS like AppleScript (-1712)', async () => {
    const s = session({ IMSG_SIM_AUTOMATION: 'pending', IMSG_SIM_AUTOMATION_TIMEOUT_MS: '200' });
    expect((await s.request('send', { to: '+15555550123', text: 'hi' })).error).toEqual({
      code: -32603,
      message: 'Internal error',
      data: 'AppleScript failed: Messages got an error: AppleEvent timed out. (-1712)',
    });
    expect(fx.db.sent()).toEqual([]);
  });

  it('rejects an unknown mode with an actionable message', async () => {
    const res = await runSim(['rpc', '--db', fx.dbPath], { env: { IMSG_SIM_AUTOMATION: 'maybe' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('IMSG_SIM_AUTOMATION must be one of granted, denied, pending');
  });
});

describe('Messages not signed in (`sim init --signed-out`)', () => {
  it('a db with no account and no chats: chats.list is empty and a send fails in Messages', async () => {
    const dbPath = join(fx.dir, 'signed-out', 'chat.db');
    const init = await runSim(['sim', 'init', '--db', dbPath, '--signed-out']);
    expect(JSON.parse(init.stdout)).toMatchObject({ db: dbPath, me: null, signed_in: false, max_rowid: 0 });
    const s = session({}, dbPath);
    expect((await s.request('chats.list', { limit: 20 })).result).toEqual({ chats: [] });
    expect((await s.request('send', { to: '+15555550123', text: 'hi' })).error?.data).toBe(
      'AppleScript failed: Messages got an error: Can’t get service 1 whose service type = iMessage. Invalid index. (-1719)',
    );
    const db = SimDb.open(dbPath);
    try {
      expect(db.signedIn).toBe(false);
      expect(db.sent()).toEqual([]);
    } finally {
      db.close();
    }
    const both = await runSim(['sim', 'init', '--db', dbPath, '--signed-out', '--me', '+15550000000']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('give either `me` or `signedOut`');
  });
});
