// Every fault and version mode of the simulator, exercised through the real executable.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RpcSession, runSim, tempDb, type TempDb } from '../test/support/sim-session';

let fx: TempDb;
const sessions: RpcSession[] = [];
const session = (env: Record<string, string>, dbPath = fx.dbPath) => {
  const s = new RpcSession(['--db', dbPath], env);
  sessions.push(s);
  return s;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  fx = tempDb();
  fx.db.inject({ from: '+15555550123', text: 'seed' });
});
afterEach(() => {
  while (sessions.length > 0) sessions.pop()?.kill();
});
afterAll(() => fx.cleanup());

describe('old version without rpc', () => {
  it('prints root help without rpc for `rpc --help` (exit 0) and rejects `rpc` (exit 1)', async () => {
    const help = await runSim(['rpc', '--help'], { env: { IMSG_SIM_VERSION: '0.2.5' } });
    expect(help.code).toBe(0);
    expect(help.stdout.split('\n')[0]).toBe('imsg 0.2.5');
    expect(help.stdout).not.toMatch(/^\s+rpc\t/m);
    expect(help.stdout).not.toContain('Run JSON-RPC over stdin/stdout');
    const rpc = await runSim(['rpc', '--db', fx.dbPath], { env: { IMSG_VERSION: '0.2.5' } });
    expect(rpc).toMatchObject({ code: 1, stdout: "Unknown subcommand 'rpc' for command 'imsg'\n" });
    expect((await runSim(['--version'], { env: { IMSG_VERSION: '0.2.5' } })).stdout).toBe('0.2.5\n');
    // The current version passes the reliable probe: exit 0 and first line `imsg rpc`.
    const current = await runSim(['rpc', '--help']);
    expect(current.code).toBe(0);
    expect(current.stdout.split('\n')[0]).toBe('imsg rpc');
  });
});

describe('Full Disk Access denied', () => {
  it('0.4.0: one enum-dump line on stdout, exit 1 at once without reading stdin', async () => {
    const s = session({ IMSG_SIM_VERSION: '0.4.0', IMSG_SIM_FDA: 'denied' });
    expect(await s.exited).toEqual({ code: 1, signal: null });
    expect(s.noise).toEqual([`permissionDenied(path: "${fx.dbPath}", underlying: authorization denied (code: 23))`]);
  });

  it('0.7.x–0.8.1: the multi-line permission banner on stdout, exit 1', async () => {
    const s = session({ IMSG_SIM_VERSION: '0.8.1', IMSG_SIM_FDA: 'denied' });
    expect((await s.exited).code).toBe(1);
    expect(s.noise[0]).toBe('authorization denied (code: 23)');
    expect(s.noise.join('\n')).toContain(`The Messages database at ${fx.dbPath} requires Full Disk Access permission.`);
    expect(s.noise).toContain('⚠️  Permission Error: Cannot access Messages database');
  });

  it('0.8.2+: startup error server answers every request with -32603 + banner, exit 1 at EOF', async () => {
    const s = session({ IMSG_SIM_FDA: 'denied' });
    const res = await s.request('chats.list', { limit: 1 });
    expect(res.error?.code).toBe(-32603);
    expect(res.error?.message).toBe('Internal error');
    expect(res.error?.data).toMatch(/^authorization denied \(code: 23\)\n\n⚠️  Permission Error: Cannot access Messages database\n\nThe Messages database at .* requires Full Disk Access permission\.\n\nTo fix:\n1\. Open System Settings → Privacy & Security → Full Disk Access\n/);
    s.writeLine('{"jsonrpc":"2.0","method":"watch.subscribe"}');
    s.writeLine('oops');
    s.writeLine('{"jsonrpc":"2.0","id":"x","method":"send","params":{"to":"+1","text":"t"}}');
    await s.response('x');
    expect(s.received.slice(1).map((l) => [l.id, l.error?.code])).toEqual([[null, -32603], [null, -32700], ['x', -32603]]);
    expect(s.noise).toEqual([]); // nothing printed at start
    expect(await s.close()).toEqual({ code: 1, signal: null });
  });

  it('a missing chat.db is the same failure (code 14), also for CLI commands', async () => {
    const missing = join(fx.dir, 'nope', 'chat.db');
    const s = session({}, missing);
    expect((await s.request('chats.list')).error?.data).toMatch(/^unable to open database file \(code: 14\)\n\n⚠️  Permission Error/);
    const cli = await runSim(['chats', '--db', missing]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/^unable to open database file \(code: 14\)\n\n⚠️  Permission Error/);
    const old = await runSim(['history', '--chat-id', '1', '--db', fx.dbPath], { env: { IMSG_SIM_VERSION: '0.4.0', IMSG_SIM_FDA: 'denied' } });
    expect(old).toMatchObject({ code: 1, stdout: `permissionDenied(path: "${fx.dbPath}", underlying: authorization denied (code: 23))\n` });
  });
});

describe('crashes, stalls and the once-marker', () => {
  it('IMSG_SIM_CRASH_AFTER=2 dies by SIGKILL right after the 2nd notification', async () => {
    const s = session({ IMSG_SIM_CRASH_AFTER: '2' });
    const sub = (await s.request('watch.subscribe', {})).result.subscription;
    fx.db.injectMany([1, 2, 3].map((i) => ({ from: '+15555550123', text: `crash ${i}` })));
    expect(await s.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(s.messages(sub).map((m) => m.text)).toEqual(['crash 1', 'crash 2']);
  });

  it('IMSG_SIM_CRASH_ON_SIGNAL dies on that signal; with IMSG_SIM_ONCE only the first process does', async () => {
    const marker = join(fx.dir, 'crash-once.marker');
    const env = { IMSG_SIM_CRASH_ON_SIGNAL: 'SIGUSR2', IMSG_SIM_ONCE: marker };
    const first = session(env);
    await first.request('chats.list', { limit: 1 });
    first.child.kill('SIGUSR2');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(existsSync(marker)).toBe(true);
    const second = session(env);
    await second.request('chats.list', { limit: 1 });
    second.child.kill('SIGUSR2');
    await sleep(150);
    expect((await second.request('chats.list', { limit: 1 })).result.chats).toHaveLength(1);
    expect(await second.close()).toEqual({ code: 0, signal: null });
  });

  it('IMSG_SIM_ONCE also spends CRASH_AFTER: the restarted process keeps streaming', async () => {
    const marker = join(fx.dir, 'crash-after-once.marker');
    const env = { IMSG_SIM_CRASH_AFTER: '1', IMSG_SIM_ONCE: marker };
    const first = session(env);
    const since = fx.db.maxRowid();
    await first.request('watch.subscribe', {});
    fx.db.injectMany([1, 2].map((i) => ({ from: '+15555550123', text: `once ${i}` })));
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(first.messages().map((m) => m.text)).toEqual(['once 1']);
    // Supervisor-style resume from the last delivered id.
    const second = session(env);
    const sub = (await second.request('watch.subscribe', { since_rowid: first.messages()[0].id })).result.subscription;
    expect((await second.waitForMessages(1, sub)).map((m) => m.id)).toEqual([since + 2]);
    fx.db.inject({ from: '+15555550123', text: 'after restart' });
    expect((await second.waitForMessages(2, sub))[1].text).toBe('after restart');
  });

  it('IMSG_SIM_STALL_AFTER/IMSG_SIM_STALL_MS: answers stop for a while, then resume in order', async () => {
    const s = session({ IMSG_SIM_STALL_AFTER: '1', IMSG_SIM_STALL_MS: '400' });
    await s.request('chats.list', { limit: 1 });
    const started = Date.now();
    const a = s.send('chats.list', { limit: 1 });
    const b = s.send('messages.history', { chat_id: 1 });
    await s.response(b);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(s.received.map((l) => l.id)).toEqual([1, a, b]);
  });

  it('a stall without IMSG_SIM_STALL_MS lasts forever: alive, reading, notifications flowing, EOF ignored', async () => {
    const s = session({ IMSG_SIM_STALL_AFTER: '1' });
    const sub = (await s.request('watch.subscribe', {})).result.subscription;
    const stuck = s.send('chats.list', { limit: 1 });
    fx.db.inject({ from: '+15555550123', text: 'still streaming' });
    expect((await s.waitForMessages(1, sub))[0].text).toBe('still streaming');
    s.child.stdin.end();
    await sleep(300);
    expect(s.child.exitCode).toBeNull();
    expect(s.received.some((l) => l.id === stuck)).toBe(false);
  });

  it('IMSG_SIM_SEND_DELAY_MS slows send and everything queued behind it', async () => {
    const s = session({ IMSG_SIM_SEND_DELAY_MS: '300' });
    const started = Date.now();
    const send = s.send('send', { to: '+15555550123', text: 'slow' });
    const list = s.send('chats.list', { limit: 1 });
    await s.response(list);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(s.received.map((l) => l.id)).toEqual([send, list]);
  });
});

describe('output and platform faults', () => {
  it('IMSG_SIM_GARBAGE=1 interleaves noise and split lines, real lines stay intact', async () => {
    const s = session({ IMSG_SIM_GARBAGE: '1' });
    const sub = (await s.request('watch.subscribe', {})).result.subscription;
    for (let i = 0; i < 4; i++) expect((await s.request('chats.list', { limit: 1 })).result.chats).toHaveLength(1);
    fx.db.inject({ from: '+15555550123', text: 'through the noise 🎉' });
    expect((await s.waitForMessages(1, sub))[0].text).toBe('through the noise 🎉');
    expect(s.noise.length).toBeGreaterThanOrEqual(6);
    expect(s.noise.some((l) => l.includes('\ufffd'))).toBe(true); // invalid UTF-8 noise
    expect(s.noise).toContain('{"jsonrpc":"2.0","id":');
  });

  it('IMSG_SIM_LINUX_SEND=1: every send fails with the macOS-only AppleScript error', async () => {
    const s = session({ IMSG_SIM_LINUX_SEND: '1' });
    const before = fx.db.maxRowid();
    expect((await s.request('send', { to: '+15555550123', text: 'x' })).error).toEqual({
      code: -32603, message: 'Internal error', data: 'AppleScript failed: Sending requires Messages.app automation and is only supported on macOS.',
    });
    // Validation still comes first.
    expect((await s.request('send', { to: '+15555550123' })).error?.data).toBe('text or file is required');
    const cli = await runSim(['send', '--db', fx.dbPath, '--to', '+15555550123', '--text', 'x'], { env: { IMSG_SIM_LINUX_SEND: '1' } });
    expect(cli).toMatchObject({ code: 1, stdout: 'AppleScript failed: Sending requires Messages.app automation and is only supported on macOS.\n' });
    const old = await runSim(['send', '--db', fx.dbPath, '--to', '+15555550123', '--text', 'x'], { env: { IMSG_SIM_LINUX_SEND: '1', IMSG_SIM_VERSION: '0.4.0' } });
    expect(old.stdout).toBe('appleScriptFailure("Sending requires Messages.app automation and is only supported on macOS.")\n');
    expect(fx.db.maxRowid()).toBe(before);
  });

  it('rejects malformed fault settings with an actionable message', async () => {
    const res = await runSim(['rpc', '--db', fx.dbPath], { env: { IMSG_SIM_CRASH_AFTER: 'soon' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('IMSG_SIM_CRASH_AFTER must be a non-negative integer');
  });
});
