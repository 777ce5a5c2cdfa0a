// Accounts whose imsg runs as another Mac user over SSH, against a real sshd on 127.0.0.1 (the
// "other Mac" runs the imsg simulator): the step-by-step test with each failure and its fix (a
// good key, a refused key, an unknown host key, sshd not there, imsg missing or without chat.db
// access on the far side), and an account set up with an SSH wrapper — through the control API and
// with `clawdbot channels add imessage --ssh` — that reaches `rpc listening`.
//
// ssh reads ~/.ssh from the real user's home (not $HOME), so each case puts a small `ssh` first on
// PATH that hands the real ssh a client config (`-F`: port, key, known_hosts), as a user's
// ~/.ssh/config would. Everything else is the product's own ssh invocation.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlClient } from '../../contract/control-client';
import { testSshTarget } from '../../main/imessage/ssh-check';
import { startGateway } from '../../main/gateway/start';
import { SimDb, simBinPath } from '../../sim/lib';
import type { GatewayStatus } from '../../contract/gateway-api';
import { collect, runCli, startGatewayProcess, waitFor, workspace } from '../gateway/harness';
import { findSshd, startSshd, type TestSshd } from './sshd';

const sshdPath = findSshd();
// A login on the test machine can take seconds (the far side's shell start-up), hence the long probe.
const FAST = { backoff: { initialMs: 100, maxMs: 400, factor: 2, jitter: 0 }, stopGraceMs: 200, healthThrottleMs: 20, probeTimeoutMs: 20_000 };

// Each case logs in several times, and a login runs the far side's shell start-up (seconds on a
// busy machine): generous time per case.
describe.skipIf(!sshdPath)('SSH accounts against a real sshd (skipped when sshd is not installed)', { timeout: 120_000 }, () => {
  let sshd: TestSshd;
  let work: string;
  let dbPath: string;
  let db: SimDb;
  /** imsg on the far side: the simulator over the "remote" chat.db. */
  let remoteImsg: string;
  let remoteImsgNoFda: string;
  const realSsh = execFileSync('sh', ['-c', 'command -v ssh'], { encoding: 'utf8' }).trim();

  /** A PATH whose `ssh` uses this client config. */
  function pathWith(name: string, config: string): string {
    const bin = join(work, `bin-${name}`);
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'ssh'), `#!/bin/sh\nexec '${realSsh}' -F '${config}' "$@"\n`);
    chmodSync(join(bin, 'ssh'), 0o755);
    return `${bin}${delimiter}${process.env.PATH ?? ''}`;
  }

  /** The working client config with some lines replaced. */
  function configVariant(name: string, replace: (line: string) => string): string {
    const path = join(work, `ssh_config-${name}`);
    writeFileSync(path, readFileSync(sshd.clientConfig, 'utf8').split('\n').map(replace).join('\n'));
    return path;
  }

  const remoteScript = (name: string, extra: string) => {
    const path = join(work, name);
    writeFileSync(path, `#!/bin/sh\nIMSG_SIM_NODE='${process.execPath}' IMSG_SIM_DEBOUNCE_MS=0 IMSG_SIM_DB='${dbPath}' ${extra} exec '${simBinPath}' "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  };

  beforeAll(async () => {
    sshd = await startSshd(sshdPath!);
    work = mkdtempSync(join(tmpdir(), 'setup-ssh-'));
    dbPath = join(work, 'bot-home', 'Library', 'Messages', 'chat.db');
    db = SimDb.create(dbPath, { me: '+15550000000' });
    db.inject({ from: '+15555550123', text: 'hello from before' });
    remoteImsg = remoteScript('remote-imsg', '');
    remoteImsgNoFda = remoteScript('remote-imsg-nofda', 'IMSG_SIM_FDA=denied');
  });

  afterAll(async () => {
    db?.close();
    await sshd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const target = () => sshd.remoteHost;
  const stepStates = (result: Awaited<ReturnType<typeof testSshTarget>>) => Object.fromEntries(result.steps.map((step) => [step.id, step.state]));

  it('a good key: every step ok, remoteHost shown', async () => {
    const result = await testSshTarget({ target: target(), remoteCliPath: remoteImsg, env: { ...process.env, PATH: pathWith('good', sshd.clientConfig) } });
    expect(stepStates(result)).toEqual({ target: 'ok', connect: 'ok', 'host-key': 'ok', login: 'ok', imsg: 'ok', rpc: 'ok', 'full-disk-access': 'ok' });
    expect(result).toMatchObject({ ok: true, remoteHost: target() });
    expect(result.steps.find((s) => s.id === 'imsg')!.detail).toBe(`imsg 0.9.0 at ${remoteImsg} on 127.0.0.1`);
  });

  it('a refused key: login denied, with ssh-keygen and ssh-copy-id', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, 'stranger_key')]);
    const config = configVariant('refused', (line) => (line.includes('IdentityFile') ? `  IdentityFile ${join(work, 'stranger_key')}` : line));
    const result = await testSshTarget({ target: target(), remoteCliPath: remoteImsg, env: { ...process.env, PATH: pathWith('refused', config) } });
    expect(stepStates(result)).toMatchObject({ connect: 'ok', 'host-key': 'ok', login: 'denied', imsg: 'unknown' });
    const login = result.steps.find((s) => s.id === 'login')!;
    expect(login.detail).toContain('Permission denied (publickey');
    expect(login.fix).toMatchObject({ command: `ssh-copy-id ${target()}` });
    expect(login.fix!.text).toContain('ssh-keygen -t ed25519');
  });

  it('an unknown host key: run `ssh user@host true` once', async () => {
    writeFileSync(join(work, 'empty_known_hosts'), '');
    const config = configVariant('unknown-key', (line) => (line.includes('UserKnownHostsFile') ? `  UserKnownHostsFile ${join(work, 'empty_known_hosts')}` : line));
    const result = await testSshTarget({ target: target(), remoteCliPath: remoteImsg, env: { ...process.env, PATH: pathWith('unknown-key', config) } });
    expect(stepStates(result)).toMatchObject({ connect: 'ok', 'host-key': 'missing', login: 'unknown' });
    expect(result.steps.find((s) => s.id === 'host-key')!.fix).toMatchObject({ command: `ssh ${target()} true` });
  });

  it('sshd not running: connection refused, turn on Remote Login', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const config = configVariant('stopped', (line) => (line.trim().startsWith('Port ') ? `  Port ${closed}` : line));
    const result = await testSshTarget({ target: target(), remoteCliPath: remoteImsg, env: { ...process.env, PATH: pathWith('stopped', config) } });
    expect(stepStates(result)).toMatchObject({ target: 'ok', connect: 'denied', 'host-key': 'unknown' });
    expect(result.steps.find((s) => s.id === 'connect')!.fix!.text).toContain('Remote Login');
  });

  it('imsg missing on the far side; chat.db refused there (Full Disk Access for remote users)', async () => {
    const env = { ...process.env, PATH: pathWith('good', sshd.clientConfig) };
    const missing = await testSshTarget({ target: target(), remoteCliPath: '/nonexistent/bin/imsg', env });
    expect(stepStates(missing)).toMatchObject({ login: 'ok', imsg: 'missing', rpc: 'unknown' });
    expect(missing.steps.find((s) => s.id === 'imsg')!.fix).toMatchObject({ command: 'brew install steipete/tap/imsg' });
    const refused = await testSshTarget({ target: target(), remoteCliPath: remoteImsgNoFda, env });
    expect(stepStates(refused)).toMatchObject({ imsg: 'ok', rpc: 'ok', 'full-disk-access': 'denied' });
    expect(refused.steps.find((s) => s.id === 'full-disk-access')!.fix!.text).toContain('Allow full disk access for remote users');
  });

  it('through the control API: the wrapper, then an account that reaches rpc listening as a dedicated user', async () => {
    const ws = workspace({ env: { PATH: pathWith('good', sshd.clientConfig) } });
    try {
      const handle = await startGateway({ env: ws.env, port: 0, signals: false, logSinks: [], staticDir: null, channelTimings: FAST });
      const client = createControlClient({ url: handle.wsUrl, token: handle.token, WebSocket, clientName: 'test' });
      try {
        await client.ready;
        const health = collect(client, 'health');
        const tested = await client.request('setup.testSsh', { target: target(), remoteCliPath: remoteImsg });
        expect(tested.ok).toBe(true);
        const wrapper = await client.request('setup.sshWrapper', { accountId: 'bot', target: target(), remoteCliPath: remoteImsg });
        expect(wrapper).toMatchObject({ path: join(ws.stateDir, 'scripts', 'imsg-bot'), written: true });
        expect(statSync(wrapper.path).mode & 0o777).toBe(0o700);

        await client.request('accounts.add', { accountId: 'bot', account: { ssh: { target: target(), remoteCliPath: remoteImsg }, dbPath } }, { timeoutMs: 60_000 });
        const listening = (status: GatewayStatus) => status.accounts.find((a) => a.accountId === 'bot')?.state === 'listening';
        if (!listening(await client.request('status', {}))) await waitFor('the SSH account listening', () => health.some(listening), 90_000);
        const bot = (await client.request('setup.check', { accountId: 'bot' }, { timeoutMs: 60_000 })).accounts.find((a) => a.accountId === 'bot')!;
        expect(bot).toMatchObject({ location: 'dedicated-user', remoteHost: target(), restartNeeded: false });
        expect(Object.fromEntries(bot.checks.map((c) => [c.id, c.state])), JSON.stringify(bot.checks)).toEqual({ imsg: 'ok', messages: 'ok', 'full-disk-access': 'ok', automation: 'unknown', ssh: 'ok' });
        expect(JSON.parse(readFileSync(ws.configPath, 'utf8')).channels.imessage.accounts.bot).toEqual({ cliPath: wrapper.path, dbPath });

        // A different wrapper is not replaced unless asked.
        await expect(client.request('setup.sshWrapper', { accountId: 'bot', target: 'other@127.0.0.1' })).rejects.toMatchObject({ code: 'bad_request', fix: expect.stringContaining('replace: true') });
        // A test send through the wrapper reaches the far side's Messages.
        const sent = await client.request('setup.testSend', { accountId: 'bot', to: '+15555550123' }, { timeoutMs: 30_000 });
        expect(sent.automation.state).toBe('ok');
        expect(db.sent().at(-1)).toMatchObject({ to: '+15555550123' });
      } finally {
        client.close();
        await handle.stop();
      }
    } finally {
      ws.cleanup();
    }
  });

  it('`clawdbot channels add imessage --ssh` on a fresh state dir; the gateway then listens', async () => {
    const ws = workspace({ env: { PATH: pathWith('good', sshd.clientConfig) } });
    try {
      rmSync(ws.stateDir, { recursive: true, force: true });
      const added = await runCli(['channels', 'add', 'imessage', '--account', 'bot', '--ssh', target(), '--remote-cli-path', remoteImsg, '--db-path', dbPath, '--yes'], ws.env, 60_000);
      expect(added.stderr).toBe('');
      expect(added.stdout).toContain(`Added iMessage account bot in ${ws.configPath}.`);
      // (The version is best effort: `imsg --version` over a slow login may not make it in time.)
      expect(added.stdout).toMatch(new RegExp(`✓ imsg: imsg( 0\\.9\\.0)? on ${target().replace(/\./g, '\\.')} \\(through ${ws.stateDir}/scripts/imsg-bot\\), with rpc support`));
      expect(added.stdout).toContain(`✓ SSH: logged in to ${target()} with a key; imsg answers there`);
      expect(added.stdout).toContain(`– Attachments: copied from ${target()} (remoteHost)`);
      expect(added.code).toBe(0);
      const gateway = await startGatewayProcess(ws);
      try {
        const client = await gateway.client();
        const health = collect(client, 'health');
        const listening = (status: GatewayStatus) => status.accounts.find((a) => a.accountId === 'bot')?.state === 'listening';
        if (!listening(await client.request('status', {}))) await waitFor('the SSH account listening', () => health.some(listening), 90_000);
      } finally {
        await gateway.stop();
      }
      // Bad targets are refused before anything is written.
      const before = readFileSync(ws.configPath, 'utf8');
      for (const bad of ['bot@mac;id', 'bot@$(id)', 'bot@`id`', 'bot @mac']) {
        const refused = await runCli(['channels', 'add', 'imessage', '--account', 'x', '--ssh', bad, '--yes'], ws.env);
        expect(refused.code, bad).toBe(2);
        expect(refused.stderr).toContain('an SSH target is user@host');
      }
      expect(readFileSync(ws.configPath, 'utf8')).toBe(before);
    } finally {
      ws.cleanup();
    }
  });
});
