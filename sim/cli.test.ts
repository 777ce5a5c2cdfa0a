// The one-shot CLI surface (version, help, chats, history, send, watch, status) and the `imsg sim`
// driver commands, through the real executable.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuMsOf } from '../bench/lib/proc';
import { RpcSession, runSim, simBinPath, simEnv, tempDb, type TempDb } from '../test/support/sim-session';

let fx: TempDb;
let dm: { rowid: number; guid: string; chatId: number };

beforeAll(() => {
  fx = tempDb();
  const file = join(fx.dir, 'notes.txt');
  writeFileSync(file, 'hello');
  dm = fx.db.inject({ from: '+15555550123', text: 'hi there', date: '2026-02-01T09:00:00.000Z' });
  fx.db.inject({ from: '+15555550123', text: 'with file', attachments: [{ path: file }], date: '2026-02-01T09:01:00.000Z' });
  fx.db.inject({ from: 'a@example.com', text: 'group', group: { id: 30, name: 'Team' }, date: '2026-02-01T09:02:00.000Z' });
});
afterAll(() => fx.cleanup());

describe('version and help', () => {
  it('prints the bare version for --version / -V anywhere, IMSG_VERSION overriding', async () => {
    expect(await runSim(['--version'])).toMatchObject({ code: 0, stdout: '0.9.0\n' });
    expect(await runSim(['rpc', '-V'])).toMatchObject({ code: 0, stdout: '0.9.0\n' });
    expect(await runSim(['--version'], { env: { IMSG_VERSION: '0.4.0' } })).toMatchObject({ stdout: '0.4.0\n' });
    expect(await runSim(['--version'], { env: { IMSG_SIM_VERSION: '0.4.1', IMSG_VERSION: '0.4.0' } })).toMatchObject({ stdout: '0.4.1\n' });
  });

  it('prints the root help (two spaces, name, TAB, summary) and the exact rpc help', async () => {
    const root = await runSim([]);
    expect(root.code).toBe(0);
    expect(root.stdout.split('\n').slice(0, 7)).toEqual(['imsg 0.9.0', 'Send and read iMessage / SMS from the terminal', '', 'Usage:', '  imsg <command> [options]', '', 'Commands:']);
    expect(root.stdout).toContain('\n  rpc\tRun JSON-RPC over stdin/stdout\n');
    expect(root.stdout.endsWith("\nRun 'imsg <command> --help' for details.\n")).toBe(true);
    const rpcHelp = await runSim(['rpc', '--help']);
    expect(rpcHelp).toMatchObject({ code: 0, stdout: [
      'imsg rpc', 'Run JSON-RPC over stdin/stdout', '', 'Usage:', '  imsg rpc [options]', '', 'Options:',
      '  --db <value>\tPath to chat.db (defaults to ~/Library/Messages/chat.db)',
      '  --log-level <value>\tSet log level (trace|verbose|debug|info|warning|error|critical)',
      '  -v, --verbose\tEnable verbose logging', '  --json\tEmit machine-readable JSON output', '', 'Examples:', '  imsg rpc',
      '  imsg rpc --db ~/Library/Messages/chat.db', '',
    ].join('\n') });
    expect(await runSim(['bogus', '--help'])).toMatchObject({ code: 0, stdout: root.stdout });
    expect(await runSim(['bogus'])).toMatchObject({ code: 1, stdout: "Unknown subcommand 'bogus' for command 'imsg'\n" });
  });

  it('starts lean: little CPU from spawn to the first RPC answer', async () => {
    // Wall times are printed, not bounded (a busy test machine says nothing about them; the
    // benchmark's cold start measures the goal); the CPU the simulator spent is bounded.
    let started = performance.now();
    expect((await runSim(['--version'])).code).toBe(0);
    const versionMs = performance.now() - started;
    started = performance.now();
    const s = new RpcSession(['--db', fx.dbPath]);
    await s.request('chats.list', { limit: 1 });
    const firstAnswerMs = performance.now() - started;
    const cpuMs = cpuMsOf(s.child.pid!); // Linux /proc; undefined elsewhere
    await s.close();
    console.log(`imsg --version: ${versionMs.toFixed(0)} ms; spawn → first chats.list answer: ${firstAnswerMs.toFixed(0)} ms, ${cpuMs?.toFixed(0) ?? '?'} ms CPU`);
    if (cpuMs !== undefined) expect(cpuMs).toBeLessThan(1000);
  });
});

describe('chats and history', () => {
  it('chats: text and JSON lines, raw limit semantics, option errors', async () => {
    const text = await runSim(['chats', '--db', fx.dbPath, '--limit', '2']);
    expect(text.stdout).toBe(`[30] Team (${text.stdout.match(/\((chat\d+)\)/)?.[1]}) last=2026-02-01T09:02:00.000Z\n[${dm.chatId}] +15555550123 (+15555550123) last=2026-02-01T09:01:00.000Z\n`);
    const json = (await runSim(['chats', '--db', fx.dbPath, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json[0]).toMatchObject({ id: 30, name: 'Team', display_name: 'Team', is_group: true, participants: ['a@example.com'], guid: expect.stringContaining(';+;') });
    expect(json[1]).toMatchObject({ id: dm.chatId, identifier: '+15555550123', is_group: false, last_addressed_handle: '+15550000000' });
    const old = JSON.parse((await runSim(['chats', '--db', fx.dbPath, '--json', '--limit', '1'], { env: { IMSG_SIM_VERSION: '0.5.0' } })).stdout);
    expect(Object.keys(old)).toEqual(['id', 'name', 'identifier', 'service', 'last_message_at']);
    expect((await runSim(['chats', '--db', fx.dbPath, '--limit', '0'])).stdout).toBe('');
    expect((await runSim(['chats', '--db', fx.dbPath, '--limit', '-1'])).stdout.trim().split('\n')).toHaveLength(2);
    expect(await runSim(['chats', '--db', fx.dbPath, '--limit', 'many'])).toMatchObject({ code: 1, stdout: 'Invalid value for option: --limit\n' });
    expect(await runSim(['chats', '--db', fx.dbPath, '--frobnicate'])).toMatchObject({ code: 1, stdout: 'Unknown option: --frobnicate\n' });
  });

  it('history: text lines, attachment lines, JSON always with attachments, required chat id', async () => {
    const text = await runSim(['history', '--db', fx.dbPath, '--chat-id', String(dm.chatId)]);
    expect(text.stdout).toBe([
      '2026-02-01T09:01:00.000Z [recv] +15555550123: \ufffcwith file', '  (1 attachment)',
      '2026-02-01T09:00:00.000Z [recv] +15555550123: hi there', '',
    ].join('\n'));
    const withAttachments = await runSim(['history', '--db', fx.dbPath, '--chat-id', String(dm.chatId), '--attachments', '--limit', '1']);
    expect(withAttachments.stdout).toMatch(/^2026-02-01T09:01:00.000Z \[recv\] \+15555550123: \ufffcwith file\n  attachment: name=notes\.txt mime=text\/plain missing=false path=\/.*\/notes\.txt\n$/);
    const json = (await runSim(['history', '--db', fx.dbPath, '--chat-id', String(dm.chatId), '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json[0].attachments).toHaveLength(1);
    expect(json[0].attachments[0].original_path).toMatch(/^\//);
    expect(await runSim(['history', '--db', fx.dbPath])).toMatchObject({ code: 1, stdout: 'Missing required option: --chat-id\n' });
    expect(await runSim(['history', '--db', fx.dbPath, '--chat-id', '1', '--start', 'yesterday'])).toMatchObject({ code: 1, stdout: 'Invalid ISO8601 date: yesterday\n' });
  });
});

describe('send and watch', () => {
  it('send prints `sent` / {"status":"sent"} and the CLI error texts', async () => {
    expect(await runSim(['send', '--db', fx.dbPath, '--to', '+15555550123', '--text', 'cli hello'])).toMatchObject({ code: 0, stdout: 'sent\n' });
    expect(await runSim(['send', '--db', fx.dbPath, '--chat-id', '30', '--text', 'cli group', '--json'])).toMatchObject({ code: 0, stdout: '{"status":"sent"}\n' });
    expect(fx.db.sent().map((r) => [r.text, r.chat_id])).toEqual([['cli hello', dm.chatId], ['cli group', 30]]);
    const err = async (...args: string[]) => (await runSim(['send', '--db', fx.dbPath, ...args])).stdout;
    expect(await err('--to', '+1', '--chat-id', '30', '--text', 'x')).toBe('Invalid value for option: --to\n');
    expect(await err('--text', 'x')).toBe('Missing required option: --to\n');
    expect(await err('--to', '+15555550123')).toBe('Missing required option: --text or file\n');
    expect(await err('--to', '+15555550123', '--text', 'x', '--service', 'fax')).toBe('Invalid service: fax\n');
    expect(await err('--chat-id', '99', '--text', 'x')).toBe('Invalid chat target: Unknown chat id 99\n');
    expect(await err('--to', '+15555550123', '--file', '/nope.png')).toBe('AppleScript failed: Attachment not found at /nope.png\n');
  });

  it('watch streams JSON lines until killed; compound debounce values are rejected', async () => {
    // A fixed cursor, so the test does not depend on how fast the child starts.
    const since = String(fx.db.maxRowid());
    const child = spawn(simBinPath, ['watch', '--db', fx.dbPath, '--json', '--debounce', '0ms', '--since-rowid', since], { env: simEnv() });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const row = fx.db.inject({ from: '+15555550123', text: 'watched' });
    const deadline = Date.now() + 5000;
    while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill();
    expect(JSON.parse(out.split('\n')[0] as string)).toMatchObject({ id: row.rowid, text: 'watched', attachments: [] });
    expect(await runSim(['watch', '--db', fx.dbPath, '--debounce', '2s500ms'])).toMatchObject({ code: 1, stdout: 'Invalid value for option: --debounce\n' });
  });

  it('status --json reports the Linux capabilities and rpc methods', async () => {
    const status = JSON.parse((await runSim(['status', '--db', fx.dbPath, '--json'])).stdout);
    expect(status).toMatchObject({ basic_features: true, advanced_features: false, version: '0.9.0' });
    expect(status.rpc_methods).toEqual(expect.arrayContaining(['chats.list', 'messages.history', 'watch.subscribe', 'watch.unsubscribe', 'send', 'send.rich']));
    expect((await runSim(['status', '--db', fx.dbPath], { env: { IMSG_SIM_VERSION: '0.4.0' } })).stdout).toBe("Unknown subcommand 'status' for command 'imsg'\n");
  });
});

describe('imsg sim driver', () => {
  it('init is idempotent and records your address', async () => {
    const dbPath = join(fx.dir, 'second', 'chat.db');
    const first = await runSim(['sim', 'init', '--db', dbPath, '--me', 'me@example.com']);
    expect(JSON.parse(first.stdout)).toEqual({ db: dbPath, home: join(fx.dir, 'second'), me: 'me@example.com', max_rowid: 0 });
    await runSim(['sim', 'inject', '--db', dbPath, '--from', '+1555', '--text', 'kept']);
    expect(JSON.parse((await runSim(['sim', 'init', '--db', dbPath])).stdout)).toMatchObject({ me: 'me@example.com', max_rowid: 1 });
    // IMSG_SIM_HOME overrides where `~` in attachment paths points (default: derived from the db path).
    expect(JSON.parse((await runSim(['sim', 'init', '--db', dbPath], { env: { IMSG_SIM_HOME: fx.dir } })).stdout).home).toBe(fx.dir);
    const macLike = join(fx.dir, 'u', 'Library', 'Messages', 'chat.db');
    expect(JSON.parse((await runSim(['sim', 'init', '--db', macLike])).stdout).home).toBe(join(fx.dir, 'u'));
  });

  it('inject --count writes N rows in one go; tapbacks, missing attachments and from-me rows', async () => {
    const many = await runSim(['sim', 'inject', '--db', fx.dbPath, '--from', 'bulk@example.com', '--text', 'bulk', '--count', '3']);
    const rows = many.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(3);
    expect(rows[2].rowid - rows[0].rowid).toBe(2);
    const history = await runSim(['history', '--db', fx.dbPath, '--chat-id', String(rows[0].chat_id), '--json']);
    expect(history.stdout.trim().split('\n').map((l) => JSON.parse(l).text)).toEqual(['bulk #3', 'bulk #2', 'bulk #1']);
    const tap = JSON.parse((await runSim(['sim', 'inject', '--db', fx.dbPath, '--from', '+15555550123', '--tapback', 'laugh', '--target', dm.guid])).stdout);
    expect(tap.chat_id).toBe(dm.chatId);
    const missing = JSON.parse((await runSim(['sim', 'inject', '--db', fx.dbPath, '--from', '+15555550123', '--missing-attachment', 'gone.mov'])).stdout);
    const mine = JSON.parse((await runSim(['sim', 'inject', '--db', fx.dbPath, '--from', '+15555550123', '--from-me', '--text', 'typed on my phone'])).stdout);
    const json = (await runSim(['history', '--db', fx.dbPath, '--chat-id', String(dm.chatId), '--json', '--limit', '3'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json.map((m) => m.id)).toEqual([mine.rowid, missing.rowid, expect.any(Number)]);
    expect(json[0]).toMatchObject({ is_from_me: true, text: 'typed on my phone' });
    expect(json[1].attachments).toEqual([expect.objectContaining({ transfer_name: 'gone.mov', mime_type: 'video/quicktime', missing: true })]);
    const dmHistory = (await runSim(['history', '--db', fx.dbPath, '--chat-id', String(dm.chatId), '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(dmHistory.find((m) => m.id === dm.rowid).reactions).toMatchObject([{ type: 'laugh', emoji: '😂', sender: '+15555550123' }]);
    const sent = (await runSim(['sim', 'sent', '--db', fx.dbPath, '--since-rowid', String(mine.rowid - 1)])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(sent).toEqual([expect.objectContaining({ rowid: mine.rowid, to: '+15555550123', text: 'typed on my phone' })]);
  });

  it('reports driver mistakes on stderr with exit 1', async () => {
    const cases: Array<[string[], string]> = [
      [['--text', 'x'], 'Missing required option: --from'],
      [['--from', '+1', '--attachment', '/no/such/file.jpg'], 'attachment /no/such/file.jpg does not exist'],
      [['--from', '+1', '--tapback', 'like', '--target', 'NOPE'], 'tapback target NOPE not found'],
      [['--from', '+1', '--tapback', 'wink', '--target', 'NOPE'], 'Invalid value for option: --tapback'],
      [['--from', '+1', '--group', String(dm.chatId)], 'is a 1:1 chat, not a group'],
      [['--from', '+1', '--count', '0'], 'Invalid value for option: --count'],
    ];
    for (const [args, message] of cases) {
      const res = await runSim(['sim', 'inject', '--db', fx.dbPath, ...args]);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toContain(message);
    }
    const noDb = await runSim(['sim', 'inject', '--db', join(fx.dir, 'absent.db'), '--from', '+1']);
    expect(noDb.stderr).toContain('imsg sim init --db');
  });
});
