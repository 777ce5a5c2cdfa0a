// Who holds the gateway's port: real HTTP servers on 127.0.0.1 — a real Clawdbot gateway, another
// program — and the gateway's own "port in use" error as the app receives it.
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnosePortConflict, findFreePort, probeHealth, takenPort, tokenCandidates } from '../../main/electron/port-conflict';
import { startGateway, type GatewayHandle } from '../../main/gateway/start';
import { workspace, type Workspace } from '../gateway/harness';

const FAST = { backoff: { initialMs: 100, maxMs: 400, factor: 2, jitter: 0 }, stopGraceMs: 200, healthThrottleMs: 20, probeTimeoutMs: 5000 };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ws(): Workspace {
  const w = workspace();
  cleanups.push(() => w.cleanup());
  return w;
}

async function gateway(w: Workspace, port = 0): Promise<GatewayHandle> {
  const handle = await startGateway({ env: w.env, port, signals: false, logSinks: [], staticDir: null, channelTimings: FAST });
  cleanups.push(() => handle.stop());
  return handle;
}

async function otherProgram(body = '<h1>my dev server</h1>'): Promise<number> {
  const server: Server = createServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

describe('probing a port', () => {
  it('nothing there, another program, a Clawdbot gateway with and without its token', async () => {
    const free = await findFreePort(40_000);
    expect(await probeHealth(free!)).toEqual({ kind: 'nothing' });
    expect(await probeHealth(await otherProgram())).toEqual({ kind: 'not-clawdbot' });
    expect(await probeHealth(await otherProgram(JSON.stringify({ ok: true, service: 'something-else', pid: 1 })))).toEqual({ kind: 'not-clawdbot' });

    const handle = await gateway(ws());
    expect(await probeHealth(handle.port)).toEqual({ kind: 'clawdbot', pid: process.pid, authorized: false });
    expect(await probeHealth(handle.port, handle.token)).toEqual({ kind: 'clawdbot', pid: process.pid, authorized: true });
    expect(await probeHealth(handle.port, 'not-the-token-0123456789')).toEqual({ kind: 'clawdbot', pid: 0, authorized: false });
  });

  it('a free port is found past a taken one', async () => {
    const taken = await otherProgram();
    const free = await findFreePort(taken - 1);
    expect(free).not.toBe(taken);
    expect(free).toBeGreaterThan(taken - 1);
  });
});

describe('diagnosing a conflict', () => {
  it('our own gateway (same state dir): usable with its token from the token file', async () => {
    const w = ws();
    const first = await gateway(w);
    // A second start on the same port, as the app would try it: the gateway refuses…
    const error = await startGateway({ env: w.env, stateDir: join(w.dir, 'second'), configPath: w.configPath, port: first.port, signals: false, logSinks: [], staticDir: null }).catch((e: unknown) => e);
    // …with an error the app recognises as "port taken", without depending on its class.
    expect(takenPort(error)).toBe(first.port);
    const conflict = await diagnosePortConflict(first.port, { probe: probeHealth, tokens: () => tokenCandidates(w.env, w.stateDir, w.configPath), freePort: findFreePort });
    expect(conflict).toMatchObject({ kind: 'clawdbot', port: first.port, pid: process.pid, usable: true });
    expect(conflict.freePort).toBeGreaterThan(first.port);
  });

  it("someone else's Clawdbot gateway (no token of ours opens it): not usable, another port offered", async () => {
    const theirs = await gateway(ws());
    const mine = ws();
    const conflict = await diagnosePortConflict(theirs.port, { probe: probeHealth, tokens: () => tokenCandidates(mine.env, mine.stateDir, mine.configPath), freePort: findFreePort });
    expect(conflict).toMatchObject({ kind: 'clawdbot', usable: false });
    expect(conflict.freePort).toEqual(expect.any(Number));
  });

  it('another program: never touched, another port offered', async () => {
    const port = await otherProgram();
    const conflict = await diagnosePortConflict(port, { probe: probeHealth, tokens: async () => ['x'.repeat(32)], freePort: findFreePort });
    expect(conflict).toEqual({ kind: 'other-program', port, freePort: expect.any(Number) });
    expect(await probeHealth(port)).toEqual({ kind: 'not-clawdbot' }); // still there
  });

  it('not a port error → no diagnosis', () => {
    expect(takenPort(new Error('config invalid'))).toBeUndefined();
    expect(takenPort({ code: 'EADDRINUSE' })).toBeUndefined();
    expect(takenPort(null)).toBeUndefined();
  });
});

describe('the tokens to try', () => {
  it('config, environment and token file, without duplicates', async () => {
    const w = ws();
    mkdirSync(w.stateDir, { recursive: true });
    writeFileSync(join(w.stateDir, 'gateway.token'), 'file-token-0123456789abcdef\n', { mode: 0o600 });
    writeFileSync(w.configPath, JSON.stringify({ gateway: { auth: { token: 'config-token-0123456789abcdef' } } }));
    const env = { ...w.env, CLAWDBOT_GATEWAY_TOKEN: 'config-token-0123456789abcdef' };
    expect(await tokenCandidates(env, w.stateDir, w.configPath)).toEqual(['config-token-0123456789abcdef', 'file-token-0123456789abcdef']);
  });

  it('none, and a broken config, give no tokens rather than an error', async () => {
    const w = ws();
    writeFileSync(w.configPath, '{ not json');
    expect(await tokenCandidates({}, join(w.dir, 'empty'), w.configPath)).toEqual([]);
  });
});
