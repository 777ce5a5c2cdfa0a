import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimDb } from '../../sim/lib';
import { NO_RPC_ERROR, parseImsgVersion, probeAndConnect, probeImsg, resolveExecutable } from './probe';
import { simImsg, tempDir, writeScript } from '../../test/support/imsg-fixtures';

let dir: string;
let db: string;

beforeAll(() => {
  expect(existsSync(simImsg), `simulator missing at ${simImsg} (run npm run build:node)`).toBe(true);
  dir = tempDir('probe-');
  db = join(dir, 'chat.db');
  const sim = SimDb.create(db);
  sim.inject({ from: '+15555550123', text: 'hello' });
  sim.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({ ...process.env, IMSG_SIM_DB: db, ...extra });

describe('probeImsg against the simulator', () => {
  it('healthy: every check passes and the version is read', async () => {
    const result = await probeImsg({ cliPath: simImsg, dbPath: db, timeoutMs: 5000, env: env() });
    expect(result).toMatchObject({ ok: true, fatal: false, imsgVersion: '0.9.0' });
    expect(result.checks.map((c) => [c.id, c.ok])).toEqual([
      ['binary', true],
      ['rpc-support', true],
      ['database', true],
      ['rpc-answers', true],
    ]);
    expect(result.error).toBeUndefined();
    expect(Date.parse(result.at)).not.toBeNaN();
  });

  it('missing binary (absolute path and bare name): fatal, with the brew install fix', async () => {
    const absolute = await probeImsg({ cliPath: join(dir, 'nope', 'imsg'), env: env() });
    expect(absolute).toMatchObject({ ok: false, fatal: true, error: `imsg not found (${join(dir, 'nope', 'imsg')})` });
    expect(absolute.fix).toContain('brew install steipete/tap/imsg');
    expect(absolute.fix).toContain('channels.imessage.cliPath');
    const bare = await probeImsg({ cliPath: 'imsg-definitely-not-installed', env: { ...env(), PATH: dir } });
    expect(bare).toMatchObject({ ok: false, fatal: true, error: 'imsg not found (imsg-definitely-not-installed)' });
    expect(bare.checks).toEqual([expect.objectContaining({ id: 'binary', ok: false })]);
  });

  it('finds a bare name on PATH without `which`', async () => {
    const bin = tempDir('probe-path-');
    writeScript(bin, 'imsg', `#!/bin/sh\nexec "${simImsg}" "$@"\n`);
    expect(await resolveExecutable('imsg', { PATH: `/nonexistent:${bin}` })).toEqual({ ok: true, path: join(bin, 'imsg') });
    const result = await probeImsg({ cliPath: 'imsg', dbPath: db, env: { ...env(), PATH: `${bin}:${process.env.PATH}` } });
    expect(result.ok).toBe(true);
    expect(result.checks[0]!.detail).toBe(`found imsg at ${join(bin, 'imsg')}`);
    rmSync(bin, { recursive: true, force: true });
  });

  it('a file that is not executable: fatal with chmod fix', async () => {
    const path = join(dir, 'not-exec');
    writeFileSync(path, '#!/bin/sh\n');
    const result = await probeImsg({ cliPath: path, env: env() });
    expect(result).toMatchObject({ ok: false, fatal: true, error: `imsg is not executable (${path})`, fix: `Make it executable: chmod +x ${path}` });
  });

  it('imsg too old (0.2.0 prints root help for `rpc --help`, exit 0): fatal, upgrade fix', async () => {
    const result = await probeImsg({ cliPath: simImsg, dbPath: db, env: env({ IMSG_SIM_VERSION: '0.2.0' }) });
    expect(result).toMatchObject({ ok: false, fatal: true, error: NO_RPC_ERROR, imsgVersion: '0.2.0' });
    expect(result.fix).toContain('brew upgrade steipete/tap/imsg');
    const check = result.checks.find((c) => c.id === 'rpc-support')!;
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/instead of the rpc help/);
  });

  it('Go-era imsg (`unknown command "rpc"` on stderr, exit 1): fatal, upgrade fix', async () => {
    const old = writeScript(dir, 'imsg-go', '#!/bin/sh\nif [ "$1" = "--version" ]; then echo 0.1.3; exit 0; fi\necho \'Error: unknown command "rpc" for "imsg"\' >&2\nexit 1\n');
    const result = await probeImsg({ cliPath: old, env: env() });
    expect(result).toMatchObject({ ok: false, fatal: true, error: NO_RPC_ERROR, imsgVersion: '0.1.3' });
  });

  it.each([
    ['0.4.0', 'permissionDenied wording (stdout line, exit 1 at once)', /: permissionDenied\(path: ".*", underlying: authorization denied \(code: 23\)\)$/],
    ['0.7.0', 'the multi-line banner on stdout', /: authorization denied \(code: 23\)$/],
    ['0.9.0', 'the startup error server (-32603 with the banner in data)', /: authorization denied \(code: 23\)$/],
  ])('Full Disk Access denied, imsg %s, %s: fatal, names Full Disk Access', async (version, _how, wording) => {
    const result = await probeImsg({ cliPath: simImsg, dbPath: db, timeoutMs: 5000, env: env({ IMSG_SIM_VERSION: version, IMSG_SIM_FDA: 'denied' }) });
    expect(result).toMatchObject({ ok: false, fatal: true });
    expect(result.error).toMatch(/Full Disk Access denied/);
    expect(result.error).toMatch(wording);
    expect(result.fix).toMatch(/System Settings → Privacy & Security → Full Disk Access/);
    expect(result.fix).toMatch(/app that runs the gateway/);
    expect(result.fix).toContain(`imsg (${simImsg})`);
    expect(result.checks.at(-1)).toMatchObject({ id: 'database', ok: false });
  });

  it('a missing chat.db reads as Full Disk Access (same banner) and mentions dbPath', async () => {
    const missing = join(dir, 'no-such-chat.db');
    const result = await probeImsg({ cliPath: simImsg, dbPath: missing, env: env() });
    expect(result).toMatchObject({ ok: false, fatal: true });
    expect(result.error).toMatch(/unable to open database file \(code: 14\)/);
    expect(result.fix).toContain(`channels.imessage.dbPath (${missing})`);
  });

  it('a chat.db in a directory that does not exist is fatal too (restarting cannot fix a wrong dbPath)', async () => {
    const missing = join(dir, 'missing-dir', 'chat.db');
    const result = await probeImsg({ cliPath: simImsg, dbPath: missing, env: env() });
    expect(result).toMatchObject({ ok: false, fatal: true });
    expect(result.fix).toContain(`channels.imessage.dbPath (${missing})`);
  });

  it('stall: no answer within the timeout is transient', async () => {
    // The CLI checks are skipped (as on a restart): on a busy machine starting `imsg --version`
    // alone can take longer than this short timeout, which is not what is tested here.
    const result = await probeImsg({ cliPath: simImsg, dbPath: db, timeoutMs: 800, skipCliChecks: { imsgVersion: '0.9.0' }, env: env({ IMSG_SIM_STALL_AFTER: '0' }) });
    expect(result).toMatchObject({ ok: false, fatal: false, error: 'imsg rpc did not answer chats.list within 800 ms' });
    expect(result.fix).toMatch(/Contacts or Full Disk Access prompt/);
  });

  it('a crash while answering is transient', async () => {
    const crashing = writeScript(dir, 'imsg-crash', `#!/bin/sh\nif [ "$1" = "rpc" ] && [ "$2" != "--help" ]; then echo 'segfault-ish' >&2; exit 139; fi\nexec "${simImsg}" "$@"\n`);
    const result = await probeImsg({ cliPath: crashing, dbPath: db, env: env() });
    expect(result).toMatchObject({ ok: false, fatal: false, error: 'imsg rpc exited (code 139): segfault-ish' });
  });

  it.each([
    ['Permission denied (publickey).', /SSH login refused/, /ssh-copy-id/],
    ['Host key verification failed.', /SSH host key check failed/, /host key/],
    ['ssh: Could not resolve hostname mac-mini: nodename nor servname provided', /cannot resolve the host/, /host name/],
  ])('SSH wrapper failure %j: fatal with an SSH fix', async (stderr, message, fix) => {
    const wrapper = writeScript(dir, 'imsg-ssh', `#!/bin/sh\necho '${stderr}' >&2\nexit 255\n`);
    const result = await probeImsg({ cliPath: wrapper, env: env() });
    expect(result).toMatchObject({ ok: false, fatal: true });
    expect(result.error).toMatch(message);
    expect(result.fix).toMatch(fix);
  });

  it('probeAndConnect hands over the live client', async () => {
    const { result, client } = await probeAndConnect({ cliPath: simImsg, dbPath: db, env: env() });
    expect(result.ok).toBe(true);
    expect(client?.running).toBe(true);
    const chats = await client!.call('chats.list', { limit: 5 });
    expect(chats.chats).toHaveLength(1);
    await client!.stop();
  });

  it('skipCliChecks runs only the binary and rpc checks (restart fast path)', async () => {
    const result = await probeImsg({ cliPath: simImsg, dbPath: db, env: env(), skipCliChecks: { imsgVersion: '0.9.0' } });
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.id)).toEqual(['binary', 'database', 'rpc-answers']);
  });
});

describe('parseImsgVersion', () => {
  it.each([
    ['0.9.0\n', '0.9.0'],
    ['imsg 0.4.1-dev\n', '0.4.1-dev'],
    ['\n  v0.8.2\n', '0.8.2'],
    ['custom-build\n', 'custom-build'],
    ['', undefined],
  ])('%j → %j', (input, expected) => {
    expect(parseImsgVersion(input)).toBe(expected);
  });
});
