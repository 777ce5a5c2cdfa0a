import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClientError } from '../../contract/control-client';
import { MAX_FRAME_BYTES } from '../../contract/constants';
import { CONTROL_SUBPROTOCOL, controlSubprotocols } from '../../contract/control-subprotocol';
import type { HealthResponse } from '../../contract/gateway-api';
import { closed, collectFrames, connectFrame, httpRequest, nextFrame, openSocket, rawUpgrade, startKit, type Kit } from '../../e2e/support/control-kit';
import { startControlServer } from './control-server';
import { PortInUseError } from './listen';
import { ActionableError } from '../util/actionable-error';

let kits: Kit[] = [];
async function kit(...args: Parameters<typeof startKit>): Promise<Kit> {
  const k = await startKit(...args);
  kits.push(k);
  return k;
}
afterEach(async () => {
  await Promise.all(kits.map((k) => k.close()));
  kits = [];
});

describe('HTTP /health and the token', () => {
  it('answers liveness without a token, the full status with the right one, 401 with a wrong one', async () => {
    const k = await kit();
    const port = k.server.port;

    const open = await httpRequest(port, '/health');
    expect(open.status).toBe(200);
    const liveness = JSON.parse(open.body) as HealthResponse;
    expect(liveness).toEqual({ ok: true, service: 'clawdbot-gateway', version: '0.1.0-test', pid: process.pid });
    expect(open.headers['cache-control']).toBe('no-store');

    const full = await httpRequest(port, '/health', { Authorization: `Bearer ${k.token}` });
    expect(full.status).toBe(200);
    const body = JSON.parse(full.body) as HealthResponse;
    expect(body.status?.accounts.map((a) => a.accountId)).toEqual(['default']);

    for (const authorization of [`Bearer ${k.token}x`, 'Bearer ', `Basic ${k.token}`, 'Bearer short']) {
      const wrong = await httpRequest(port, '/health', { Authorization: authorization });
      expect(wrong.status, authorization).toBe(401);
      expect(wrong.headers['www-authenticate']).toContain('Bearer');
      expect(JSON.parse(wrong.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      expect(wrong.body).not.toContain('"status"');
    }
  });

  it('refuses to start without a token, with a clear reason for non-loopback binds', async () => {
    const k = await kit();
    const base = { port: 0, services: k.services, version: 'x' };
    await expect(startControlServer({ ...base, host: '0.0.0.0', token: '' })).rejects.toThrow(/Refusing to bind the control API to 0\.0\.0\.0 \(not loopback\) without a gateway token/);
    await expect(startControlServer({ ...base, host: '127.0.0.1', token: 'short' })).rejects.toThrow(/needs a gateway token/);
  });
});

describe('Host and Origin checks (DNS rebinding, cross-site requests)', () => {
  it('rejects unexpected Host headers over HTTP with 421 and accepts the loopback names', async () => {
    const k = await kit();
    const port = k.server.port;
    for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, 'localhost', `127.0.0.1.evil.example:${port}`]) {
      const res = await httpRequest(port, '/health', { Host: host });
      expect(res.status, host).toBe(421);
      expect(res.body).toContain('Unexpected Host header');
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await httpRequest(port, '/health', { Host: host })).status, host).toBe(200);
    }
  });

  it('rejects foreign Origins over HTTP with 403 and accepts its own and configured ones', async () => {
    const k = await kit({ allowedOrigins: ['app://clawdbot', 'file://'] });
    const port = k.server.port;
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, 'null', `https://127.0.0.1:${port}`]) {
      const res = await httpRequest(port, '/health', { Origin: origin });
      expect(res.status, origin).toBe(403);
    }
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, 'app://clawdbot', 'file://']) {
      expect((await httpRequest(port, '/health', { Origin: origin })).status, origin).toBe(200);
    }
  });

  it('rejects WebSocket upgrades with a foreign Origin or Host before the handshake', async () => {
    const k = await kit();
    const port = k.server.port;
    const foreignOrigin = await rawUpgrade(port, { Origin: 'http://evil.example' });
    expect(foreignOrigin.statusLine).toBe('HTTP/1.1 403 Forbidden');
    const rebound = await rawUpgrade(port, { Host: `evil.example:${port}` });
    expect(rebound.statusLine).toBe('HTTP/1.1 421 Misdirected Request');
    const wrongPath = await rawUpgrade(port, {}, '/other');
    expect(wrongPath.statusLine).toBe('HTTP/1.1 404 Not Found');
    // The same request with a good Origin is upgraded (so the checks above are what refused).
    const good = await rawUpgrade(port, { Origin: `http://localhost:${port}` });
    expect(good.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
    expect(k.server.stats().authenticated).toBe(0);
  });
});

describe('WebSocket handshake', () => {
  it('closes with 1008 on a wrong token, after saying why', async () => {
    const k = await kit();
    const ws = await openSocket(k.server.wsUrl);
    const frames = collectFrames(ws);
    const done = closed(ws);
    ws.send(connectFrame(`${k.token}-wrong`));
    expect(await done).toEqual({ code: 1008, reason: 'unauthorized' });
    expect(frames).toEqual([{ type: 'res', id: 'c1', ok: false, error: expect.objectContaining({ code: 'unauthorized', message: 'Wrong gateway token.' }) }]);
  });

  it('closes with 1008 when the first frame is not connect, or is not JSON', async () => {
    const k = await kit();
    for (const first of [JSON.stringify({ type: 'req', id: '1', method: 'status', params: {} }), 'not json', JSON.stringify({ hello: 1 })]) {
      const ws = await openSocket(k.server.wsUrl);
      const done = closed(ws);
      ws.send(first);
      expect((await done).code, first).toBe(1008);
    }
  });

  it('closes with 1008 when connect does not arrive in time', async () => {
    // The configured limit applies, not the default: a silent socket on a server with the default
    // (5 s), opened after this one, is still open when this one is closed. An order, not a time.
    const k = await kit({ limits: { handshakeTimeoutMs: 100 } });
    const withDefault = await kit();
    const ws = await openSocket(k.server.wsUrl);
    const other = await openSocket(withDefault.server.wsUrl);
    expect(await closed(ws)).toEqual({ code: 1008, reason: 'connect timeout' });
    expect(other.readyState).toBe(WebSocket.OPEN);
    other.close();
  });

  it('rejects another protocol version with a fix', async () => {
    const k = await kit();
    const ws = await openSocket(k.server.wsUrl);
    const reply = nextFrame(ws);
    ws.send(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: { token: k.token, client: { name: 'old' }, protocol: 99 } }));
    expect(await reply).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('Protocol mismatch'), fix: expect.any(String) } });
    expect((await closed(ws)).code).toBe(1008);
  });

  it('accepts the right token and returns the status', async () => {
    const k = await kit();
    const client = await k.client();
    const hello = await client.ready;
    expect(hello.protocol).toBe(1);
    expect(hello.server).toEqual({ version: '0.1.0-test', pid: process.pid });
    expect(hello.status.accounts[0]?.accountId).toBe('default');
    expect(k.server.stats()).toEqual({ connections: 1, authenticated: 1 });
  });
});

describe('requests', () => {
  it('validates params per method and reports the field', async () => {
    const k = await kit();
    const client = await k.client();
    const callsBefore = k.services.calls.length; // the handshake read the status
    await expect(client.request('pairing.approve', { code: 'abc' })).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('params.code') });
    await expect(client.request('logs.tail', { limit: -1 })).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('params.limit') });
    await expect(client.request('status', { extra: 1 } as never)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.request('message.send', { target: '+15550001111' })).rejects.toMatchObject({ message: expect.stringContaining('give text, media, or both') });
    await expect(client.request('nope' as never, {} as never)).rejects.toMatchObject({ code: 'bad_request', message: 'Unknown method "nope".' });
    // None of these reached the services.
    expect(k.services.calls.length).toBe(callsBefore);
    // Codes are normalized before they reach the service.
    const request = (await k.services.pairingStore.upsertRequest('+15550001111')).request!;
    const approved = await client.request('pairing.approve', { code: ` ${request.code.toLowerCase()} ` });
    expect(approved.approved.id).toBe('+15550001111');
    expect(k.services.calls.at(-1)).toEqual({ method: 'pairing.approve', params: { code: request.code } });
  });

  it('maps service errors: ActionableError keeps code and fix, anything else is internal', async () => {
    const k = await kit({
      services: (fake) => ({
        ...fake,
        'channels.restart': async () => {
          throw new ActionableError('unavailable', 'Account "work" is disabled.', 'Set channels.imessage.accounts.work.enabled to true.');
        },
        'channels.probe': async () => {
          throw new Error('spawn imsg ENOENT');
        },
      }),
    });
    const client = await k.client();
    const unavailable = await client.request('channels.restart', {}).catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(ControlClientError);
    expect(unavailable).toMatchObject({ code: 'unavailable', message: 'Account "work" is disabled.', fix: 'Set channels.imessage.accounts.work.enabled to true.' });
    await expect(client.request('channels.probe', {})).rejects.toMatchObject({ code: 'internal', message: 'channels.probe failed: spawn imsg ENOENT' });
    expect(k.logHub.tail().some((r) => r.level === 'error' && r.msg === 'control method failed')).toBe(true);
    // The connection survives both.
    expect((await client.request('status', {})).version).toBe('0.1.0-test');
  });

  it('closes with 1009 on a frame larger than MAX_FRAME_BYTES, and accepts one just below', async () => {
    const k = await kit();
    const ws = await openSocket(k.server.wsUrl);
    const hello = nextFrame(ws);
    ws.send(connectFrame(k.token));
    expect(await hello).toMatchObject({ ok: true });

    const framing = JSON.stringify({ type: 'req', id: 'big', method: 'message.send', params: { target: '+15550001111', text: '' } });
    const fits = JSON.stringify({ type: 'req', id: 'big', method: 'message.send', params: { target: '+15550001111', text: 'a'.repeat(MAX_FRAME_BYTES - framing.length) } });
    expect(Buffer.byteLength(fits)).toBe(MAX_FRAME_BYTES);
    const reply = nextFrame(ws, (f) => f.id === 'big');
    ws.send(fits);
    // Below the frame limit but above the text limit of message.send: a validation error, not a close.
    expect(await reply).toMatchObject({ ok: false, error: { code: 'bad_request' } });

    const done = closed(ws);
    ws.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect((await done).code).toBe(1009);
  });

  it('rate-limits pairing approve/deny attempts per connection and globally, with a retry hint', async () => {
    let now = 1_000_000;
    const k = await kit({ now: () => now, limits: { pairingAttempts: 10, pairingWindowMs: 60_000 } });
    const a = await k.client('a');
    const b = await k.client('b');
    const results: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      results.push(await a.request('pairing.deny', { code: 'ABCD2345' }).then(() => 'ok', (e: ControlClientError) => e.code));
    }
    // All ten reached the service (unknown code → not_found).
    expect(results).toEqual(Array(10).fill('not_found'));
    const limited = (await a.request('pairing.approve', { code: 'ABCD2345' }).catch((e: unknown) => e)) as ControlClientError;
    expect(limited.code).toBe('rate_limited');
    expect(limited.message).toBe('Too many pairing approve/deny attempts (at most 10 per 60 s). Try again in 6 s.');
    expect(limited.retryAfterMs).toBe(6_000);
    // Malformed codes count too (the limit is taken before validation)...
    await expect(a.request('pairing.approve', { code: 'zz' })).rejects.toMatchObject({ code: 'rate_limited' });
    // ...the global bucket stops a second connection as well...
    await expect(b.request('pairing.approve', { code: 'ABCD2345' })).rejects.toMatchObject({ code: 'rate_limited' });
    // ...while other methods are not affected.
    expect((await b.request('pairing.list', {})).requests).toEqual([]);
    expect(k.services.calls.filter((c) => c.method.startsWith('pairing.') && c.method !== 'pairing.list')).toHaveLength(10);

    now += 6_000;
    await expect(b.request('pairing.approve', { code: 'ABCD2345' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(b.request('pairing.approve', { code: 'ABCD2345' })).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('counts failed guesses only: the owner approving many real requests is never limited', async () => {
    let now = 1_000_000;
    const k = await kit({ now: () => now, limits: { pairingAttempts: 10, pairingWindowMs: 60_000 } });
    const owner = await k.client('owner');
    // 14 real requests approved within 20 s (one request at a time, as senders write in).
    for (let i = 0; i < 14; i += 1) {
      const request = (await k.services.pairingStore.upsertRequest(`+1555000${String(i).padStart(4, '0')}`)).request!;
      await expect(owner.request(i % 2 === 0 ? 'pairing.approve' : 'pairing.deny', { code: request.code })).resolves.toBeDefined();
      now += 1_400;
    }
    // Wrong codes still use up the allowance, on every connection.
    for (let i = 0; i < 10; i += 1) await expect(owner.request('pairing.approve', { code: 'ABCD2345' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(owner.request('pairing.approve', { code: 'ABCD2345' })).rejects.toMatchObject({ code: 'rate_limited' });
    const other = await k.client('other');
    await expect(other.request('pairing.deny', { code: 'ABCD2345' })).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('rate-limits plain requests per connection', async () => {
    let now = 0;
    const k = await kit({ now: () => now, limits: { requestBurst: 5, requestWindowMs: 1_000 } });
    const client = await k.client();
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => client.request('status', {}).then(() => 'ok', (e: ControlClientError) => e.code)));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'rate_limited')).toHaveLength(3);
    now += 200; // one token back
    await expect(client.request('status', {})).resolves.toMatchObject({ version: '0.1.0-test' });
  });
});

describe('events', () => {
  it('go to authenticated sockets only, with increasing seq', async () => {
    const k = await kit();
    const client = await k.client();
    const received: unknown[] = [];
    client.on('pairing', (event) => received.push(event));
    const health = new Promise((resolve) => client.on('health', resolve));

    const pending = await openSocket(k.server.wsUrl); // connected, not authenticated
    const pendingFrames = collectFrames(pending);
    const rawAuthed = await openSocket(k.server.wsUrl);
    const rawFrames = collectFrames(rawAuthed);
    const hello = nextFrame(rawAuthed);
    rawAuthed.send(connectFrame(k.token));
    await hello;

    await k.services.pairingStore.upsertRequest('+15550001111');
    await health;
    expect(received).toEqual([expect.objectContaining({ kind: 'requested', senderId: '+15550001111', channel: 'imessage' })]);

    // The unauthenticated socket now connects: were any event sent to it earlier, it would arrive
    // before this response (frames on one socket are ordered).
    const late = nextFrame(pending);
    pending.send(connectFrame(k.token, 'late'));
    expect(await late).toMatchObject({ type: 'res', id: 'late', ok: true });
    expect(pendingFrames.filter((f) => f.type === 'event')).toEqual([]);

    const events = rawFrames.filter((f) => f.type === 'event');
    expect(events.map((e) => e.event)).toEqual(['pairing', 'health']);
    expect(events[1]!.seq as number).toBeGreaterThan(events[0]!.seq as number);
  });

  it('sends a shutdown event and closes sockets with 1001 on close()', async () => {
    const k = await kit();
    const client = await k.client();
    const shutdown = new Promise((resolve) => client.on('shutdown', resolve));
    const closedInfo = new Promise((resolve) => client.onClose(resolve));
    await k.server.close({ reason: 'gateway restarting', restartExpectedMs: 1500 });
    expect(await shutdown).toEqual({ reason: 'gateway restarting', restartExpectedMs: 1500 });
    expect(await closedInfo).toEqual({ code: 1001, reason: 'gateway restarting' });
    await expect(httpRequest(k.server.port, '/health')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('connection limits', () => {
  it('caps concurrent connections and admits new ones after others close', async () => {
    const k = await kit({ limits: { maxConnections: 4 } });
    const sockets = await Promise.all(Array.from({ length: 4 }, () => openSocket(k.server.wsUrl)));
    const refused = await rawUpgrade(k.server.port, {});
    expect(refused.statusLine).toBe('HTTP/1.1 503 Service Unavailable');
    expect(refused.text).toContain('Too many control connections (at most 4)');
    const gone = closed(sockets[0]!);
    sockets[0]!.close();
    await gone;
    await expect.poll(() => k.server.stats().connections).toBe(3);
    const client = await k.client();
    expect((await client.request('status', {})).accounts).toHaveLength(1);
    for (const s of sockets) s.close();
  });

  it('admits a client that offers the token at the upgrade past a full waiting room, and never echoes the token', async () => {
    const k = await kit({ limits: { maxConnections: 4 } });
    const waiting = await Promise.all(Array.from({ length: 4 }, () => openSocket(k.server.wsUrl)));
    expect((await rawUpgrade(k.server.port, {})).statusLine).toBe('HTTP/1.1 503 Service Unavailable');
    // The owner's client (it offers the token) still gets in.
    const owner = await k.client('owner');
    expect((await owner.request('status', {})).accounts).toHaveLength(1);
    const [ours, withToken] = controlSubprotocols(k.token);
    const upgrade = await rawUpgrade(k.server.port, { 'Sec-WebSocket-Protocol': `${ours}, ${withToken}` });
    expect(upgrade.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
    expect(upgrade.text).toContain(`Sec-WebSocket-Protocol: ${CONTROL_SUBPROTOCOL}\r\n`);
    expect(upgrade.text).not.toContain(withToken!.slice('clawdbot-token.'.length));
    // A wrong token at the upgrade is just a stranger: it waits in the (full) room.
    const [, wrong] = controlSubprotocols(`${k.token}x`);
    expect((await rawUpgrade(k.server.port, { 'Sec-WebSocket-Protocol': `${ours}, ${wrong}` })).statusLine).toBe('HTTP/1.1 503 Service Unavailable');
    for (const s of waiting) s.close();
  });

  it('handles 1,000 hostile or broken connection attempts and stays responsive', async () => {
    const k = await kit({ limits: { handshakeTimeoutMs: 150 } });
    const watcher = await k.client('watcher');
    const port = k.server.port;
    const outcomes = new Map<string, number>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    let answered = 0;

    async function attempt(i: number): Promise<void> {
      switch (i % 5) {
        case 0: {
          const reply = await rawUpgrade(port, { Origin: 'http://evil.example' });
          count(reply.statusLine);
          return;
        }
        case 1: {
          const ws = await openSocket(`ws://127.0.0.1:${port}/ws`);
          const done = closed(ws);
          ws.send(connectFrame('wrong-token-wrong-token'));
          count(`close ${(await done).code}`);
          return;
        }
        case 2: {
          const ws = await openSocket(`ws://127.0.0.1:${port}/ws`);
          const done = closed(ws);
          ws.send('{"garbage":');
          count(`close ${(await done).code}`);
          return;
        }
        case 3: {
          // Opens and says nothing: the handshake timeout must reclaim it.
          const ws = await openSocket(`ws://127.0.0.1:${port}/ws`);
          count(`close ${(await closed(ws)).code}`);
          return;
        }
        default: {
          const ws = await openSocket(`ws://127.0.0.1:${port}/ws`);
          const hello = nextFrame(ws);
          ws.send(connectFrame(k.token));
          count((await hello).ok === true ? 'authenticated' : 'refused');
          const done = closed(ws);
          ws.close();
          await done;
        }
      }
    }

    // An authenticated client asks for the status during every burst. How long it waits is a
    // benchmark figure (`npm run bench -- --only storm`), not a bound of this test.
    const burst = 50;
    for (let start = 0; start < 1000; start += burst) {
      const probe = watcher.request('status', {}).then(() => (answered += 1));
      await Promise.all([...Array.from({ length: burst }, (_, j) => attempt(start + j)), probe]);
    }

    expect(Object.fromEntries(outcomes)).toEqual({
      'HTTP/1.1 403 Forbidden': 200,
      'close 1008': 600,
      authenticated: 200,
    });
    expect(answered).toBe(20);
    await expect.poll(() => k.server.stats()).toEqual({ connections: 1, authenticated: 1 });
    expect((await watcher.request('status', {})).version).toBe('0.1.0-test');
    // Security warnings are throttled, so the storm did not flood the log ring.
    expect(k.logHub.tail(1000).filter((r) => r.level === 'warn').length).toBeLessThan(10);
  }, 60_000);

  it('drops sockets that stop answering pings', async () => {
    const k = await kit({ limits: { heartbeatIntervalMs: 50 } });
    const ws = await openSocket(k.server.wsUrl, { autoPong: false });
    const hello = nextFrame(ws);
    ws.send(connectFrame(k.token));
    await hello;
    const live = await k.client('live');
    expect((await closed(ws)).code).toBe(1006);
    await expect.poll(() => k.server.stats()).toEqual({ connections: 1, authenticated: 1 });
    expect((await live.request('status', {})).version).toBe('0.1.0-test');
  });
});

describe('port in use', () => {
  let holder: NetServer | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
    holder = undefined;
  });

  it('names another Clawdbot gateway holding the port, with its pid', async () => {
    const first = await kit();
    const error = (await startControlServer({ host: '127.0.0.1', port: first.server.port, token: first.token, services: first.services, version: 'x' }).catch((e: unknown) => e)) as PortInUseError;
    expect(error).toBeInstanceOf(PortInUseError);
    expect(error.holder).toBe('clawdbot');
    expect(error.pid).toBe(process.pid);
    expect(error.message).toBe(
      `Another Clawdbot gateway is already running on 127.0.0.1:${first.server.port} (pid ${process.pid}). Use \`clawdbot channels status\` to attach to it, or start this one with --port <other>.`,
    );
    // The running gateway is unaffected.
    expect((await httpRequest(first.server.port, '/health')).status).toBe(200);
  });

  it('says when another program holds the port', async () => {
    holder = createNetServer((socket) => socket.resume().end('SSH-2.0-OpenSSH\r\n'));
    await new Promise<void>((resolve) => holder!.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const k = await kit();
    const error = (await startControlServer({ host: '127.0.0.1', port, token: k.token, services: k.services, version: 'x' }).catch((e: unknown) => e)) as PortInUseError;
    expect(error).toBeInstanceOf(PortInUseError);
    expect(error.holder).toBe('other');
    expect(error.message).toBe(`Port ${port} is in use by another program; choose --port <other> (or stop that program).`);
  });
});

describe('web UI files', () => {
  async function uiDir(): Promise<{ root: string; outside: string }> {
    const base = await fs.mkdtemp(join(tmpdir(), 'clawdbot-ui-'));
    const root = join(base, 'renderer');
    await fs.mkdir(join(root, 'assets'), { recursive: true });
    await fs.writeFile(join(root, 'index.html'), '<!doctype html><title>ui</title>');
    await fs.writeFile(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    await fs.writeFile(join(root, 'assets', 'index-abc123.css'), 'body{}');
    await fs.writeFile(join(root, '.env'), 'SECRET=1');
    await fs.writeFile(join(base, 'secret.txt'), 'TOP SECRET');
    await fs.symlink(join(base, 'secret.txt'), join(root, 'link.txt'));
    return { root, outside: base };
  }

  it('serves the build with MIME types, security headers and cache policy; SPA fallback; 404s', async () => {
    const { root, outside } = await uiDir();
    const k = await kit({ staticDir: root });
    const port = k.server.port;

    const index = await httpRequest(port, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['cache-control']).toBe('no-store');
    expect(index.body).toContain('<title>ui</title>');

    const js = await httpRequest(port, '/assets/index-abc123.js?v=1');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await httpRequest(port, '/assets/index-abc123.css')).headers['content-type']).toBe('text/css; charset=utf-8');

    expect((await httpRequest(port, '/pairing/requests')).body).toContain('<title>ui</title>');
    expect((await httpRequest(port, '/assets/missing.js')).status).toBe(404);

    const head = await httpRequest(port, '/', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect((await httpRequest(port, '/', {}, 'POST')).status).toBe(405);
    expect((await httpRequest(port, '/ws')).status).toBe(426);
    await fs.rm(outside, { recursive: true, force: true });
  });

  it('never serves files outside the build directory or dotfiles', async () => {
    const { root, outside } = await uiDir();
    const k = await kit({ staticDir: root });
    const port = k.server.port;
    const attempts = ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/link.txt', '/.env', '/assets/%2e%2e/.env', '/%00', '/%E0%A4%A'];
    for (const path of attempts) {
      const res = await httpRequest(port, path);
      expect(res.body, path).not.toContain('SECRET');
      expect([400, 404], path).toContain(res.status);
    }
    await fs.rm(outside, { recursive: true, force: true });
  });

  it('explains a missing build instead of failing', async () => {
    const k = await kit({ staticDir: join(tmpdir(), 'clawdbot-no-such-build') });
    const res = await httpRequest(k.server.port, '/');
    expect(res.status).toBe(503);
    expect(res.body).toContain('The web UI is not built');
  });
});
