// startGateway() in-process, as the Electron app hosts it: the control API end to end over the real
// composition (token, events for pairing and health), hot reload, restart, stop, demo mode, and
// the start-up refusals (bad config, non-loopback bind without an explicit token).
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClientError, createControlClient, type ControlClient } from '../../contract/control-client';
import type { GatewayStatus } from '../../contract/gateway-api';
import { ConfigError } from '../../main/config/errors';
import { DemoSetupError } from '../../main/gateway/demo';
import { GatewayStartError, resolvePort, startGateway, type GatewayHandle, type StartGatewayOptions } from '../../main/gateway/start';
import { validateConfig } from '../../main/config/validate';
import { collect, isAlive, runCli, waitFor, workspace, type Workspace } from './harness';

const FAST = { backoff: { initialMs: 100, maxMs: 400, factor: 2, jitter: 0 }, stopGraceMs: 200, healthThrottleMs: 20, probeTimeoutMs: 5000 };

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ws(options?: Parameters<typeof workspace>[0]): Workspace {
  const w = workspace(options);
  cleanups.push(() => w.cleanup());
  return w;
}

async function start(w: Workspace, options: StartGatewayOptions = {}): Promise<GatewayHandle> {
  const handle = await startGateway({ env: w.env, port: 0, signals: false, logSinks: [], logLevel: 'debug', staticDir: null, channelTimings: FAST, ...options });
  cleanups.push(() => handle.stop());
  return handle;
}

async function connect(handle: GatewayHandle, token = handle.token): Promise<ControlClient> {
  const client = createControlClient({ url: handle.wsUrl, token, WebSocket, clientName: 'test' });
  cleanups.push(() => client.close());
  await client.ready;
  return client;
}

describe('control API over the real gateway', () => {
  it('needs the token; /health is liveness only without it', async () => {
    const w = ws();
    const handle = await start(w);
    await expect(connect(handle, 'not-the-gateway-token-0123456789')).rejects.toMatchObject({ code: 'unauthorized', message: 'Wrong gateway token.' });

    const open = (await (await fetch(`${handle.url}/health`)).json()) as Record<string, unknown>;
    expect(open).toEqual({ ok: true, service: 'clawdbot-gateway', version: '0.1.0', pid: process.pid });
    const full = (await (await fetch(`${handle.url}/health`, { headers: { Authorization: `Bearer ${handle.token}` } })).json()) as { status: GatewayStatus };
    expect(full.status.accounts.map((a) => [a.accountId, a.state])).toEqual([['default', 'listening']]);
    expect(full.status).toMatchObject({ demo: false, configPath: w.configPath, stateDir: w.stateDir, model: null, configError: null, pendingPairing: 0 });
  });

  it('pushes pairing, access log and health events for a new pairing request', async () => {
    const w = ws();
    const handle = await start(w);
    const client = await connect(handle);
    const pairing = collect(client, 'pairing');
    const access = collect(client, 'accessLog');
    const health = collect(client, 'health');

    w.sim.inject({ from: '+15555550123', text: 'hello?' });
    await waitFor('the pairing event', () => pairing.length > 0);
    expect(pairing[0]).toMatchObject({ kind: 'requested', channel: 'imessage', senderId: '+15555550123', code: expect.stringMatching(/^[A-Z2-9]{8}$/) });
    await waitFor('the access log event', () => access.some((entry) => entry.decision === 'pairing'));
    await waitFor('a health event with the pending request', () => health.some((status) => status.pendingPairing === 1));
    const { requests } = await client.request('pairing.list', {});
    expect(requests.map((r) => r.code)).toEqual([pairing[0]!.code]);

    // Approving through the API: the event fires and the pending count drops.
    await client.request('pairing.approve', { code: pairing[0]!.code! });
    await waitFor('the approved event', () => pairing.some((event) => event.kind === 'approved'));
    await waitFor('pendingPairing back to 0', () => health.at(-1)?.pendingPairing === 0);
    expect(await client.request('allowlist.list', {})).toEqual({ approved: [{ id: '+15555550123' }], configured: [] });
  });

  it('keeps the pairing files in CLAWDBOT_OAUTH_DIR when it is set', async () => {
    const w = ws();
    const credentialsDir = join(w.stateDir, 'oauth');
    const handle = await start(w, { env: { ...w.env, CLAWDBOT_OAUTH_DIR: credentialsDir } });
    const client = await connect(handle);
    const pairing = collect(client, 'pairing');
    w.sim.inject({ from: '+15555550124', text: 'hello?' });
    await waitFor('the pairing event', () => pairing.length > 0);
    expect(existsSync(join(credentialsDir, 'imessage-pairing.json'))).toBe(true);
    expect(existsSync(join(w.stateDir, 'credentials', 'imessage-pairing.json'))).toBe(false);
  });

  it('answers the other methods from the real parts', async () => {
    const w = ws();
    const handle = await start(w);
    const client = await connect(handle);
    w.sim.inject({ from: '+15555550124', text: 'hi' });
    await waitFor('the access log entry', async () => (await client.request('accessLog.tail', {})).entries.length > 0);
    const [entry] = (await client.request('accessLog.tail', { limit: 1 })).entries;
    expect(entry).toMatchObject({ accountId: 'default', sender: '+15555550124', decision: 'pairing', isGroup: false });
    expect((await client.request('logs.tail', { limit: 500 })).records.some((r) => r.scope === 'imessage:default' && r.msg.includes('rpc listening'))).toBe(true);

    const probe = await client.request('channels.probe', {});
    expect(probe.accounts).toEqual([{ accountId: 'default', probe: expect.objectContaining({ ok: true, imsgVersion: '0.9.0' }) }]);
    await expect(client.request('channels.probe', { accountId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    expect(await client.request('channels.restart', {})).toEqual({ restarted: ['default'] });

    const sent = await client.request('message.send', { target: 'imessage:+15555550124', text: 'Hello from the API' });
    expect(sent).toMatchObject({ accountId: 'default', chunks: 1 });
    expect(w.sent().at(-1)).toMatchObject({ to: '+15555550124', text: 'Hello from the API' });
    await expect(client.request('message.send', { target: 'chat_id:zero', text: 'x' })).rejects.toMatchObject({ code: 'bad_request', message: 'Invalid chat_id: zero' });

    const config = await client.request('config.get', {});
    expect(config).toMatchObject({ path: w.configPath, error: null, config: { channels: { imessage: { dbPath: w.dbPath } } } });
    await expect(client.request('pairing.deny', { code: 'ABCD2345' })).rejects.toMatchObject({ code: 'not_found', message: 'No pending pairing request found for code: ABCD2345' });
    expect(await client.request('pairing.revoke', { sender: '+15550009999' })).toEqual({ revoked: false });
  });

  it('health follows the imsg process: killed → backing-off → listening again', async () => {
    const w = ws();
    const handle = await start(w);
    const client = await connect(handle);
    const health = collect(client, 'health');
    const pid = handle.status().accounts[0]!.pid!;
    expect(isAlive(pid)).toBe(true);

    process.kill(pid, 'SIGKILL');
    await waitFor('backing-off', () => health.some((status) => status.accounts[0]?.state === 'backing-off'), 10_000);
    const back = await waitFor('listening again', () => health.find((status) => status.accounts[0]?.state === 'listening' && status.accounts[0].pid !== pid), 15_000);
    expect(back.accounts[0]!.restarts).toBe(1);
    const states = health.map((status) => status.accounts[0]!.state);
    expect(states.indexOf('backing-off')).toBeLessThan(states.lastIndexOf('listening'));
  });
});

describe('hot reload', () => {
  it('applies a valid change; an invalid edit keeps the last good config and sets configError', async () => {
    const w = ws();
    const handle = await start(w);
    const client = await connect(handle);
    const health = collect(client, 'health');
    const pid = handle.status().accounts[0]!.pid;

    // Through the API: validated, written, applied at once (a policy change keeps the imsg process).
    const patched = await client.request('config.patch', { patch: { channels: { imessage: { allowFrom: ['+15550001111'] } } } });
    expect(patched.path).toBe(w.configPath);
    expect(await client.request('allowlist.list', {})).toEqual({ approved: [], configured: ['+15550001111'] });
    expect(handle.status().accounts[0]!.pid).toBe(pid);
    // (An invalid value on purpose: the types refuse it, the gateway must too.)
    await expect(client.request('config.patch', { patch: { channels: { imessage: { dmPolicy: 'nobody' as never } } } })).rejects.toMatchObject({ code: 'bad_request' });

    // By hand, broken: the gateway keeps running on the last good config.
    writeFileSync(w.configPath, '{ channels: { imessage: { dmPolicy: "nobody" ');
    const broken = await waitFor('configError', () => health.find((status) => status.configError !== null));
    expect(broken.configError).toContain(`Cannot parse ${w.configPath}`);
    expect(handle.status().accounts[0]).toMatchObject({ state: 'listening', pid });

    // Fixed: the error clears and the new settings apply.
    w.writeConfig({ channels: { imessage: { cliPath: handle.status().accounts[0]!.cliPath, dbPath: w.dbPath, name: 'Renamed' } } });
    await waitFor('configError cleared', () => health.at(-1)?.configError === null && health.at(-1)?.accounts[0]?.name === 'Renamed');
  });
});

describe('restart and stop', () => {
  it('restart(): shutdown event, new imsg process, same port; a broken config refuses it', async () => {
    const w = ws();
    const handle = await start(w);
    const client = await connect(handle);
    const shutdown = collect(client, 'shutdown');
    const { port } = handle;
    const pid = handle.status().accounts[0]!.pid!;

    await handle.restart();
    expect(shutdown).toEqual([{ reason: 'gateway restarting', restartExpectedMs: 1500 }]);
    expect(handle.port).toBe(port);
    await waitFor('listening after the restart', () => handle.status().accounts[0]!.state === 'listening');
    expect(handle.status().accounts[0]!.pid).not.toBe(pid);
    expect(isAlive(pid)).toBe(false);
    const again = await connect(handle);
    expect((await again.request('status', {})).port).toBe(port);

    writeFileSync(w.configPath, '{ gateway: { bind: "everywhere" } }');
    await expect(handle.restart()).rejects.toBeInstanceOf(ConfigError);
    expect(handle.status().accounts[0]!.state).toBe('listening');
  });

  it('gateway.restart through the API is refused with the config problem when the file is broken', async () => {
    const w = ws();
    const handle = await start(w);
    const client = await connect(handle);
    writeFileSync(w.configPath, '{ channels: { imessage: { groupPolicy: "everyone" } } }');
    const error = (await client.request('gateway.restart', {}).catch((e: unknown) => e)) as ControlClientError;
    expect(error).toBeInstanceOf(ControlClientError);
    expect(error.code).toBe('bad_request');
    expect(error.message).toContain('channels.imessage.groupPolicy = "everyone"');
  });

  it('stop(): imsg gone, instance file removed, closed resolves; idempotent', async () => {
    const w = ws();
    const handle = await start(w);
    const pid = handle.status().accounts[0]!.pid!;
    const url = handle.url;
    expect(existsSync(join(w.stateDir, 'gateway.json'))).toBe(true);
    await Promise.all([handle.stop(), handle.stop()]);
    await handle.closed;
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(join(w.stateDir, 'gateway.json'))).toBe(false);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});

describe('start-up refusals', () => {
  it('an invalid config throws its ConfigError and leaves nothing running', async () => {
    const w = ws({ imessage: { textChunkLimit: -5 } });
    const error = await startGateway({ env: w.env, port: 0, signals: false, logSinks: [], staticDir: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]!.path).toBe('channels.imessage.textChunkLimit');
    expect(existsSync(join(w.stateDir, 'gateway.json'))).toBe(false);
  });

  it('a non-loopback bind needs an explicit token', async () => {
    const w = ws();
    const error = await startGateway({ env: w.env, port: 0, bind: 'lan', signals: false, logSinks: [], staticDir: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayStartError);
    expect((error as Error).message).toBe('Refusing to listen on 0.0.0.0 (reachable from other machines) without an explicit gateway token.');
    expect(existsSync(join(w.stateDir, 'gateway.json'))).toBe(false);

    const handle = await start(w, { bind: 'lan', env: { ...w.env, CLAWDBOT_GATEWAY_TOKEN: 'an-explicit-token-for-the-lan-0123456789' } });
    expect(handle.status().bind).toBe('0.0.0.0');
    expect(handle.token).toBe('an-explicit-token-for-the-lan-0123456789');
  });

  it('port precedence: option > CLAWDBOT_GATEWAY_PORT > gateway.port > 18789', () => {
    const config = validateConfig({ gateway: { port: 20000 } }).config;
    expect(resolvePort(1234, { CLAWDBOT_GATEWAY_PORT: '30000' }, config)).toBe(1234);
    expect(resolvePort(undefined, { CLAWDBOT_GATEWAY_PORT: '30000' }, config)).toBe(30000);
    expect(resolvePort(undefined, {}, config)).toBe(20000);
    expect(resolvePort(undefined, {}, validateConfig({}).config)).toBe(18789);
    expect(() => resolvePort(undefined, { CLAWDBOT_GATEWAY_PORT: 'high' }, config)).toThrow('CLAWDBOT_GATEWAY_PORT="high" is not a port number.');
  });
});

describe('demo mode', () => {
  it('a simulated account, labelled as such; the printed inject command creates a real pairing request', async () => {
    const w = ws();
    const stateDir = join(w.dir, 'demo');
    const handle = await start(w, { demo: true, stateDir, channelTimings: FAST });
    const status = handle.status();
    expect(status.demo).toBe(true);
    expect(status.stateDir).toBe(stateDir);
    expect(status.accounts).toEqual([expect.objectContaining({ accountId: 'default', name: 'Simulated Mac', simulated: true, state: 'listening' })]);
    expect(handle.demo!.banner({ modelConfigured: false }).join('\n')).toContain('No model is configured: messages are logged');

    const client = await connect(handle);
    const pairing = collect(client, 'pairing');
    // The banner's command, run as a user would paste it into a shell.
    await promisify(execFile)('/bin/sh', ['-c', handle.demo!.injectCommand('+15555550199', "it's me")]);
    await waitFor('the pairing request', () => pairing.some((event) => event.kind === 'requested' && event.senderId === '+15555550199'));
    const cli = await runCli(['pairing', 'list', 'imessage'], { ...w.env, CLAWDBOT_STATE_DIR: stateDir });
    expect(cli.stdout).toContain('Pairing requests (1)');
    expect(cli.stdout).toContain('+15555550199');
    // And the pairing reply went out through the simulator.
    const { stdout } = await promisify(execFile)('/bin/sh', ['-c', handle.demo!.sentCommand()]);
    expect(stdout).toContain('Clawdbot: access not configured.');
  });

  it('refuses a state dir that holds a real (non-demo) config', async () => {
    const w = ws();
    const error = await startGateway({ env: w.env, demo: true, stateDir: w.stateDir, port: 0, signals: false, logSinks: [], staticDir: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DemoSetupError);
    expect((error as Error).message).toContain('is not a demo config');
  });
});
