import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogHub, type LogHub } from '../util/logger';
import { ImsgRpcClient, ImsgRpcError, type ImsgExitInfo, type ImsgNotification, type ImsgRpcClientOptions } from './rpc-client';
import { join } from 'node:path';
import { SimDb } from '../../sim/lib';
import { simImsg, tempDir, writeFakeImsg } from '../../test/support/imsg-fixtures';

let dir: string;
let fake: string;
const clients: ImsgRpcClient[] = [];
let hub: LogHub;

beforeAll(() => {
  dir = tempDir('rpc-client-');
  fake = writeFakeImsg(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop({ graceMs: 100 })));
});

function make(options: Partial<ImsgRpcClientOptions> = {}, env: Record<string, string> = {}) {
  hub = createLogHub({ level: 'debug' });
  const notifications: ImsgNotification[] = [];
  const exits: ImsgExitInfo[] = [];
  const client = new ImsgRpcClient({
    cliPath: fake,
    env: { ...process.env, ...env },
    logger: hub.logger('imsg'),
    onNotification: (n) => notifications.push(n),
    onExit: (info) => exits.push(info),
    ...options,
  });
  clients.push(client);
  return { client, notifications, exits };
}

const logText = () => hub.tail(1000).map((r) => `${r.level} ${r.msg}`).join('\n');

describe('ImsgRpcClient (scripted fake imsg)', () => {
  it('sends requests with incrementing ids and resolves their answers', async () => {
    const { client } = make();
    await client.start();
    expect(client.pid).toBeGreaterThan(0);
    const [a, b] = await Promise.all([client.request('ping', { n: 1 }), client.request('ping', { n: 2 })]);
    expect(a).toEqual({ pong: { n: 1 } });
    expect(b).toEqual({ pong: { n: 2 } });
  });

  it('turns JSON-RPC errors into ImsgRpcError with code and data', async () => {
    const { client } = make();
    await client.start();
    const error = await client.request('fail').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImsgRpcError);
    expect(error).toMatchObject({ kind: 'rpc', code: -32602, data: 'chat_id is required', message: 'Invalid params: code=-32602 chat_id is required' });
  });

  it('delivers notifications that arrive before the answer, in order', async () => {
    const { client, notifications } = make();
    await client.start();
    await expect(client.request('burst', { count: 5 })).resolves.toEqual({ sent: 5 });
    expect(notifications.map((n) => (n.params as { message: { id: number } }).message.id)).toEqual([1, 2, 3, 4, 5]);
    expect(notifications[0]!.method).toBe('message');
  });

  it('handles a burst of thousands of notifications quickly', async () => {
    const { client, notifications } = make();
    await client.start();
    const started = Date.now();
    await client.request('burst', { count: 5000 });
    expect(notifications).toHaveLength(5000);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out a request with `imsg rpc timeout (<method>)` and keeps working', async () => {
    const { client } = make({ requestTimeoutMs: 150 });
    await client.start();
    const error = await client.request('hang').catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', message: 'imsg rpc timeout (hang)' });
    expect(client.pendingCount).toBe(0);
    await expect(client.request('ping', {}, { timeoutMs: 2000 })).resolves.toEqual({ pong: {} });
  });

  it('rejects pending requests when the child exits, with the exit code', async () => {
    const { client, exits } = make();
    await client.start();
    const hanging = client.request('hang').catch((e: unknown) => e);
    await client.request('die', { code: 3 }).catch(() => undefined);
    expect(await hanging).toMatchObject({ kind: 'exited', message: 'imsg rpc exited (code 3)' });
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatchObject({ code: 3, expected: false, answered: false });
    await expect(client.request('ping')).rejects.toMatchObject({ kind: 'exited' });
  });

  it('reports a signal exit', async () => {
    const { client } = make();
    await client.start();
    const pending = client.request('hang').catch((e: unknown) => e);
    process.kill(client.pid!, 'SIGKILL');
    expect(await pending).toMatchObject({ message: 'imsg rpc exited (signal SIGKILL)' });
  });

  it('logs and skips garbage, keeps permission text for the caller', async () => {
    const { client } = make();
    await client.start();
    await client.request('say', { raw: 'hello, not json\n{"broken": \n[1,2]\n\n   \nauthorization denied (code: 23)\n' });
    await expect(client.request('ping', { after: 'garbage' })).resolves.toEqual({ pong: { after: 'garbage' } });
    expect(client.permissionText).toBe('authorization denied (code: 23)');
    expect(logText()).toContain('imsg rpc: failed to parse stdout line: hello, not json');
    expect(logText()).toContain('imsg rpc: failed to parse stdout line: {"broken":');
  });

  it('skips an oversized line (> max) without dying', async () => {
    const { client } = make({ maxLineBytes: 1024 * 1024 });
    await client.start();
    await expect(client.request('big', { bytes: 3 * 1024 * 1024 })).resolves.toEqual({ ok: true });
    expect(logText()).toMatch(/skipped an oversized stdout line \(3145739 bytes\)/);
    await expect(client.request('ping')).resolves.toEqual({ pong: {} });
  });

  it('skips the default 10 MB cap too', async () => {
    const { client } = make();
    await client.start();
    await expect(client.request('big', { bytes: 11 * 1024 * 1024 })).resolves.toEqual({ ok: true });
    expect(logText()).toMatch(/skipped an oversized stdout line/);
  });

  it('reads a line that is not UTF-8 with replacement characters and delivers it (a stray byte must not cost the message)', async () => {
    const { client, notifications } = make();
    await client.start();
    const bad = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","method":"message","params":{"text":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}\n')]);
    await expect(client.request('sayHex', { hex: bad.toString('hex') })).resolves.toEqual({ ok: true });
    expect(notifications).toEqual([{ method: 'message', params: { text: '\ufffd(\ufffd' } }]);
    expect(logText()).toMatch(/a stdout line was not valid UTF-8; read it with replacement characters/);
  });

  it('call(): checks the answer against the method table; entries that do not fit are left out, a wrong shape fails', async () => {
    const good = make({}, { FAKE_CHATS_RESULT: JSON.stringify({ chats: [{ id: 3, name: 'Family', is_group: 'yes' }, { id: 'x' }, { name: 'no id' }] }) }).client;
    await good.start();
    expect(await good.call('chats.list', { limit: 5 })).toEqual({ chats: [{ id: 3, name: 'Family', is_group: undefined, identifier: undefined, guid: undefined, service: undefined, last_message_at: undefined, participants: undefined, contact_name: undefined }] });
    const bad = make({}, { FAKE_CHATS_RESULT: JSON.stringify({ chats: 'none' }) }).client;
    await bad.start();
    await expect(bad.call('chats.list', { limit: 1 })).rejects.toMatchObject({ kind: 'bad-result', method: 'chats.list', message: expect.stringMatching(/^imsg answered chats\.list with an unexpected result \(chats: .*\): \{"chats":"none"\}$/) });
  });

  it('logs stderr lines and keeps them for classification', async () => {
    const { client, exits } = make({}, { FAKE_STDERR: 'Permission denied (publickey).' });
    await client.start();
    await client.request('die', { code: 255 }).catch(() => undefined);
    await client.waitForExit();
    expect(logText()).toContain('imsg rpc: Permission denied (publickey).');
    expect(exits[0]!.stderrText).toEqual(['Permission denied (publickey).']);
  });

  it('records pre-0.8.2 startup failure text (stdout, exit 1)', async () => {
    const { client } = make({}, { FAKE_STARTUP_TEXT: 'permissionDenied(path: "/x/chat.db", underlying: authorization denied (code: 23))' });
    await client.start();
    const error = await client.request('ping').catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'exited' });
    const info = await client.waitForExit();
    expect(info.code).toBe(1);
    expect(info.permissionText).toMatch(/^permissionDenied/);
  });

  it('fails start() clearly when the binary does not exist', async () => {
    const { client, exits } = make({ cliPath: `${dir}/missing-imsg` });
    await expect(client.start()).rejects.toThrow(/imsg rpc failed to start .*missing-imsg.*ENOENT/);
    expect(exits[0]!.spawnError?.code).toBe('ENOENT');
    await expect(client.request('ping')).rejects.toMatchObject({ kind: 'exited' });
  });

  describe('stop()', () => {
    it('closes stdin and the child exits on its own', async () => {
      const { client } = make();
      await client.start();
      const pending = client.request('hang').catch((e: unknown) => e);
      const info = await client.stop();
      expect(info).toMatchObject({ code: 0, signal: null, expected: true });
      expect(await pending).toMatchObject({ message: 'imsg rpc stopped' });
    });

    it('sends SIGTERM when stdin EOF is ignored', async () => {
      const { client } = make({}, { FAKE_IGNORE_EOF: '1' });
      await client.start();
      await client.request('ping');
      const started = Date.now();
      const info = await client.stop({ graceMs: 200 });
      expect(info?.signal).toBe('SIGTERM');
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    });

    it('sends SIGKILL as a last resort', async () => {
      const { client } = make({}, { FAKE_IGNORE_EOF: '1', FAKE_IGNORE_TERM: '1' });
      await client.start();
      await client.request('ping'); // its SIGTERM handler is installed by now
      const info = await client.stop({ graceMs: 150 });
      expect(info?.signal).toBe('SIGKILL');
      expect(logText()).toMatch(/SIGKILL/);
    });
  });
});

describe('ImsgRpcClient against the imsg simulator', () => {
  let db: string;
  let sim: SimDb;
  beforeAll(() => {
    db = join(dir, 'chat.db');
    sim = SimDb.create(db);
    sim.inject({ from: '+15555550123', text: 'first' });
  });
  afterAll(() => sim.close());

  const simClient = (env: Record<string, string> = {}, options: Partial<ImsgRpcClientOptions> = {}) =>
    make({ cliPath: simImsg, dbPath: db, ...options }, { IMSG_SIM_POLL_MS: '50', IMSG_SIM_DEBOUNCE_MS: '0', ...env });

  it('spawns `imsg rpc --db <path>` and gets real answers', async () => {
    const { client } = simClient();
    await client.start();
    const result = await client.call('chats.list', { limit: 5 });
    expect(result.chats.map((c) => c.identifier)).toEqual(['+15555550123']);
    await expect(client.request('no.such.method')).rejects.toMatchObject({ kind: 'rpc', code: -32601, data: 'no.such.method' });
  });

  it('delivers watch notifications', async () => {
    const { client, notifications } = simClient();
    await client.start();
    const { subscription } = await client.call('watch.subscribe', {});
    const row = sim.inject({ from: '+15555550123', text: 'watch me' });
    const started = Date.now();
    while (notifications.length === 0 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(notifications[0]).toMatchObject({ method: 'message', params: { subscription, message: { id: row.rowid, text: 'watch me' } } });
  });

  it('times out against a stalled imsg', async () => {
    const { client } = simClient({ IMSG_SIM_STALL_AFTER: '1' }, { requestTimeoutMs: 300 });
    await client.start();
    // The first answer waits for the simulator to start (slow on a busy machine): not the subject.
    await client.request('chats.list', { limit: 1 }, { timeoutMs: 10_000 });
    await expect(client.request('chats.list', { limit: 1 })).rejects.toMatchObject({ kind: 'timeout', message: 'imsg rpc timeout (chats.list)' });
  });

  it('rejects pending requests when imsg crashes', async () => {
    const { client, exits } = simClient({ IMSG_SIM_STALL_AFTER: '1', IMSG_SIM_CRASH_ON_SIGNAL: 'SIGUSR2' });
    await client.start();
    await client.request('chats.list', { limit: 1 });
    const pending = client.request('chats.list', { limit: 1 }).catch((e: unknown) => e);
    process.kill(client.pid!, 'SIGUSR2');
    expect(await pending).toMatchObject({ kind: 'exited', message: expect.stringMatching(/^imsg rpc exited \((signal SIGKILL|code 137)\)$/) });
    expect(exits[0]).toMatchObject({ expected: false, answered: true });
  });

  it('survives garbage mode (noise, split lines, invalid UTF-8) and answers every request', async () => {
    const { client } = simClient({ IMSG_SIM_GARBAGE: '1' });
    await client.start();
    for (let i = 0; i < 8; i++) await expect(client.request('chats.list', { limit: 1 })).resolves.toMatchObject({ chats: [expect.any(Object)] });
    expect(logText()).toMatch(/failed to parse stdout line/);
    expect(logText()).toMatch(/not valid UTF-8/);
    expect(client.permissionText).toBeUndefined();
  });
});
