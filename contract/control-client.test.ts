// The control client against the real control server (stand-in services), over `ws`.
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startKit, type Kit } from '../e2e/support/control-kit';
import { ControlClientError, createControlClient } from './control-client';

let kits: Kit[] = [];
afterEach(async () => {
  await Promise.all(kits.map((k) => k.close()));
  kits = [];
});
async function kit(...args: Parameters<typeof startKit>): Promise<Kit> {
  const k = await startKit(...args);
  kits.push(k);
  return k;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('createControlClient', () => {
  it('connects, makes typed requests and receives events', async () => {
    const k = await kit();
    const client = createControlClient({ url: k.server.wsUrl, token: k.token, WebSocket, clientName: 'cli', clientVersion: '0.1.0' });
    const hello = await client.ready;
    expect(hello.server.pid).toBe(process.pid);

    const events: string[] = [];
    const off = client.on('pairing', (event) => events.push(`${event.kind}:${event.senderId}`));
    const { request } = await k.services.pairingStore.upsertRequest('+15550001111');
    await expect.poll(() => events).toEqual(['requested:+15550001111']);

    const { requests } = await client.request('pairing.list', {});
    expect(requests.map((r) => r.code)).toEqual([request!.code]);
    const approved = await client.request('pairing.approve', { code: request!.code });
    expect(approved.approved.id).toBe('+15550001111');
    await expect.poll(() => events).toEqual(['requested:+15550001111', 'approved:+15550001111']);

    off();
    await k.services.pairingStore.upsertRequest('+15550002222');
    await client.request('status', {}); // round trip: the event (if any) would have arrived before
    expect(events).toHaveLength(2);
    client.close();
    expect(client.closed).toBe(true);
  });

  it('rejects ready with `unauthorized` and the fix on a wrong token', async () => {
    const k = await kit();
    const client = createControlClient({ url: k.server.wsUrl, token: 'not-the-token-0123456789', WebSocket, clientName: 'cli' });
    const error = (await client.ready.catch((e: unknown) => e)) as ControlClientError;
    expect(error).toBeInstanceOf(ControlClientError);
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe('Wrong gateway token.');
    expect(error.fix).toContain('gateway.token');
    await expect(client.request('status', {})).rejects.toBe(error);
  });

  it('says clearly when no gateway is running', async () => {
    const port = await freePort();
    const client = createControlClient({ url: `ws://127.0.0.1:${port}/ws`, token: 'x'.repeat(20), WebSocket, clientName: 'cli' });
    const error = (await client.ready.catch((e: unknown) => e)) as ControlClientError;
    expect(error.code).toBe('disconnected');
    expect(error.message).toBe(`Cannot connect to the gateway at ws://127.0.0.1:${port}/ws (no connection or connection lost).`);
    expect(error.fix).toContain('clawdbot gateway');
  });

  it('times out a request the gateway does not answer, and keeps the connection', async () => {
    const k = await kit({
      services: (fake) => ({ ...fake, 'channels.probe': () => new Promise<never>(() => {}) }),
    });
    const client = createControlClient({ url: k.server.wsUrl, token: k.token, WebSocket, clientName: 'cli' });
    await client.ready;
    await expect(client.request('channels.probe', {}, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'timeout' });
    expect((await client.request('status', {})).pendingPairing).toBe(0);
    client.close();
  });

  it('fails pending requests and reports the close when the gateway stops', async () => {
    let started!: () => void;
    const probing = new Promise<void>((resolve) => (started = resolve));
    const k = await kit({
      services: (fake) => ({
        ...fake,
        'channels.probe': () => {
          started();
          return new Promise<never>(() => {});
        },
      }),
    });
    const client = createControlClient({ url: k.server.wsUrl, token: k.token, WebSocket, clientName: 'cli' });
    await client.ready;
    const pending = client.request('channels.probe', {});
    const failure = pending.catch((e: unknown) => e);
    await probing;
    const closeInfo = new Promise((resolve) => client.onClose(resolve));
    await k.server.close();
    expect(await failure).toMatchObject({ code: 'disconnected', message: 'The gateway closed the connection (gateway going away: gateway stopping).' });
    expect(await closeInfo).toEqual({ code: 1001, reason: 'gateway stopping' });
    await expect(client.request('status', {})).rejects.toMatchObject({ code: 'disconnected' });
    expect(client.closed).toBe(true);
  });

  it('close() rejects requests in flight', async () => {
    const k = await kit({ services: (fake) => ({ ...fake, 'gateway.restart': () => new Promise<never>(() => {}) }) });
    const client = createControlClient({ url: k.server.wsUrl, token: k.token, WebSocket, clientName: 'cli' });
    await client.ready;
    const pending = client.request('gateway.restart', {});
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'disconnected', message: 'The control client was closed.' });
  });
});
