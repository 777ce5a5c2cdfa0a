// Hosting the gateway in-process, with the real gateway and the imsg simulator: start, pause and
// resume (every imsg stopped and started), restart, recovery after an error inside it (backoff),
// start failures with Retry, a port conflict, using another gateway, and quit within its bound.
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CRASH_BACKOFF, GatewayHost, QUIT_DEADLINE_MS, type GatewayHostDeps } from '../../main/electron/gateway-host';
import { startGateway, type GatewayHandle, type StartGatewayOptions } from '../../main/gateway/start';
import { createLogHub, type LogHub } from '../../main/util/logger';
import type { GatewayPhase } from '../../main/electron/app-state';
import type { GatewayStatus } from '../../contract/gateway-api';
import { isAlive, workspace, type Workspace } from '../gateway/harness';
import { nextEvent } from './support/events';
import { diagnosePortConflict, findFreePort, probeHealth, tokenCandidates } from '../../main/electron/port-conflict';
import WebSocket from 'ws';
import { createControlClient } from '../../contract/control-client';

const FAST = { backoff: { initialMs: 100, maxMs: 400, factor: 2, jitter: 0 }, stopGraceMs: 200, healthThrottleMs: 20, probeTimeoutMs: 5000 };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ws(): Workspace {
  const w = workspace();
  cleanups.push(() => w.cleanup());
  return w;
}

interface Harness {
  host: GatewayHost;
  phases: GatewayPhase['kind'][];
  logs: LogHub;
  starts: StartGatewayOptions[];
}

function hostFor(w: Workspace, overrides: Partial<GatewayHostDeps> & { startOptions?: Partial<StartGatewayOptions> } = {}): Harness {
  const logs = createLogHub({ sinks: [] });
  const starts: StartGatewayOptions[] = [];
  let chosenPort: number | undefined;
  const host = new GatewayHost({
    startGateway: (options) => {
      starts.push(options);
      return startGateway(options);
    },
    options: () => ({ env: w.env, port: chosenPort ?? 0, signals: false, logs, staticDir: null, channelTimings: FAST, ...overrides.startOptions }),
    diagnose: (port) => diagnosePortConflict(port, { probe: probeHealth, tokens: () => tokenCandidates(w.env, w.stateDir, w.configPath), freePort: findFreePort }),
    async attach(port) {
      const [token] = await tokenCandidates(w.env, w.stateDir, w.configPath);
      const connection = { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, token: token!, mode: 'attached' as const };
      const client = createControlClient({ url: connection.wsUrl, token: token!, WebSocket, clientName: 'test' });
      await client.ready;
      return { client, connection };
    },
    choosePort: (port) => (chosenPort = port),
    logger: logs.logger('test'),
    backoff: { ...CRASH_BACKOFF, initialMs: 50, jitter: 0 },
    ...overrides,
  });
  const phases: GatewayPhase['kind'][] = [];
  host.events.on('phase', (phase) => phases.push(phase.kind));
  cleanups.push(() => host.shutdown());
  return { host, phases, logs, starts };
}

async function imsgPid(host: GatewayHost): Promise<number> {
  const status = await host.link!.call('status', {});
  const pid = status.accounts[0]!.pid;
  if (pid === null) throw new Error(`no imsg pid (${status.accounts[0]!.state})`);
  return pid;
}

/** Resolves once every account listens (the health event that says so, or the status already). */
async function listening(host: GatewayHost): Promise<void> {
  const link = host.link!;
  const ok = (status: GatewayStatus) => status.accounts.every((a) => a.state === 'listening');
  await new Promise<void>((resolve, reject) => {
    const off = link.on('health', (status) => {
      if (ok(status)) {
        off();
        resolve();
      }
    });
    link.call('status', {}).then((status) => {
      if (ok(status)) {
        off();
        resolve();
      }
    }, reject);
  });
}

describe('GatewayHost', () => {
  it('starts the gateway in-process with the app origin, and answers through the same services', async () => {
    const w = ws();
    const { host, phases } = hostFor(w, { startOptions: { allowedOrigins: ['app://clawdbot'] } });
    await host.start();
    expect(host.phase).toMatchObject({ kind: 'running', mode: 'hosted' });
    expect(phases).toEqual(['starting', 'running']);
    const connection = host.link!.connection()!;
    expect(connection).toMatchObject({ mode: 'hosted', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    const status = await host.link!.call('status', {});
    expect(status.accounts.map((a) => a.accountId)).toEqual(['default']);
    expect(status.pid).toBe(process.pid); // in this process, not a child
  });

  it('pause stops the gateway and its imsg; resume starts both again', async () => {
    const { host } = hostFor(ws());
    await host.start();
    await listening(host);
    const pid = await imsgPid(host);
    const port = host.link!.connection()!.url;
    await host.pause();
    expect(host.phase).toEqual({ kind: 'paused' });
    expect(host.link).toBeNull();
    expect(isAlive(pid)).toBe(false);
    expect(await probeHealth(Number(new URL(port).port))).toEqual({ kind: 'nothing' });
    await host.resume();
    expect(host.phase.kind).toBe('running');
    await listening(host);
    expect(await imsgPid(host)).not.toBe(pid);
  });

  it('restart is the gateway\'s in-process restart (same link, new imsg)', async () => {
    const { host, starts } = hostFor(ws());
    await host.start();
    await listening(host);
    const pid = await imsgPid(host);
    const link = host.link;
    await host.restart();
    expect(host.link).toBe(link);
    expect(starts).toHaveLength(1);
    await listening(host);
    expect(await imsgPid(host)).not.toBe(pid);
  });

  it('an error inside the gateway: stopped, then started again after the backoff, which grows', async () => {
    const { host, phases, logs } = hostFor(ws());
    await host.start();
    const pid = await imsgPid(host);
    const restarted = nextEvent(host.events, 'phase', (p) => p.kind === 'running');
    host.crashed(new TypeError('Cannot read properties of undefined (reading "x")'));
    const crashed = await nextEvent(host.events, 'phase', (p) => p.kind === 'crashed');
    expect(crashed).toMatchObject({ kind: 'crashed', error: 'Cannot read properties of undefined (reading "x")' });
    await restarted;
    expect(isAlive(pid)).toBe(false);
    expect(phases).toEqual(['starting', 'running', 'crashed', 'starting', 'running']);
    expect(logs.tail().some((r) => r.level === 'error' && r.msg.includes('error inside the gateway'))).toBe(true);

    // A second error soon after: a longer wait (50 ms, then 100 ms).
    const again = nextEvent(host.events, 'phase', (p) => p.kind === 'crashed');
    const before = Date.now();
    host.crashed(new Error('again'));
    const second = (await again) as { retryAt: number };
    expect(second.retryAt - before).toBeGreaterThanOrEqual(100);
    await nextEvent(host.events, 'phase', (p) => p.kind === 'running');
  });

  it('a start failure is shown with its fix, and Retry starts it once the cause is gone', async () => {
    const w = ws();
    w.writeConfig({ channels: { imessage: { dmPolicy: 'sometimes' } } });
    const { host } = hostFor(w);
    await host.start();
    expect(host.phase).toMatchObject({ kind: 'failed', message: expect.stringContaining('dmPolicy') });
    expect(host.link).toBeNull();
    w.writeConfig();
    await host.retry();
    expect(host.phase.kind).toBe('running');
  });

  it('a port held by our own gateway: diagnosed, and "use it" attaches to it', async () => {
    const w = ws();
    const other = await startGateway({ env: w.env, port: 0, signals: false, logSinks: [], staticDir: null, channelTimings: FAST });
    cleanups.push(() => other.stop());
    const { host } = hostFor(w, { startOptions: { port: other.port, stateDir: join(w.dir, 'app-state'), configPath: w.configPath } });
    await host.start();
    expect(host.phase).toMatchObject({ kind: 'failed', conflict: { kind: 'clawdbot', port: other.port, usable: true } });
    await host.useRunningGateway();
    expect(host.phase).toEqual({ kind: 'running', mode: 'attached', port: other.port });
    expect(host.link!.connection()).toMatchObject({ mode: 'attached', token: other.token });
    expect((await host.link!.call('status', {})).port).toBe(other.port);

    // That gateway stops: the app says so and offers Retry (its own gateway).
    const port = other.port;
    const lost = nextEvent(host.events, 'phase', (p) => p.kind === 'failed');
    await other.stop();
    expect(await lost).toMatchObject({ message: `The Clawdbot gateway on port ${port} stopped.` });
  });

  it('"another port" remembers the choice and starts there', async () => {
    const w = ws();
    const { host, starts } = hostFor(w);
    const port = (await findFreePort(41_000))!;
    await host.usePort(port);
    expect(host.phase).toMatchObject({ kind: 'running', port });
    expect(starts.at(-1)!.port).toBe(port);
  });

  it('quit stops the gateway and every imsg within the bound', async () => {
    const { host } = hostFor(ws());
    await host.start();
    await listening(host);
    const pid = await imsgPid(host);
    expect(await host.shutdown()).toBe('stopped');
    expect(isAlive(pid)).toBe(false);
    expect(host.phase).toEqual({ kind: 'stopping' });
    // Nothing starts after quitting, not even a pending crash restart.
    await host.start();
    expect(host.link).toBeNull();
  });

  it('quit gives up waiting after QUIT_DEADLINE_MS when the gateway does not stop', async () => {
    vi.useFakeTimers();
    let stopCalled = false;
    const stuck = {
      port: 1,
      url: 'http://127.0.0.1:1',
      wsUrl: 'ws://127.0.0.1:1/ws',
      token: 't',
      services: { on: () => () => {} },
      closed: new Promise(() => {}),
      stop: () => {
        stopCalled = true;
        return new Promise<void>(() => {});
      },
    } as unknown as GatewayHandle;
    const { host } = hostFor(ws(), { startGateway: async () => stuck });
    await host.start();
    const outcome = host.shutdown();
    await vi.advanceTimersByTimeAsync(QUIT_DEADLINE_MS - 1);
    let settled = false;
    void outcome.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe('timed-out');
    expect(stopCalled).toBe(true);
  });

  it('the gateway stopping by itself counts as an error and is recovered', async () => {
    const { host } = hostFor(ws());
    await host.start();
    const recovered = nextEvent(host.events, 'phase', (p) => p.kind === 'crashed');
    // Stop it behind the host's back (what a failed in-process restart amounts to).
    await (host as unknown as { handle: GatewayHandle }).handle.stop('test');
    expect(await recovered).toMatchObject({ error: 'the gateway stopped by itself' });
    await nextEvent(host.events, 'phase', (p) => p.kind === 'running');
  });
});
