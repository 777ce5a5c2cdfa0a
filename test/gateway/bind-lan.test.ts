// `clawdbot gateway --bind lan` (a real process): a client on the LAN addresses the gateway by the
// host's own address, so that Host header must be accepted (it got 421), while foreign names stay
// refused and the token stays required. The banner says what is exposed.
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createControlClient } from '../../contract/control-client';
import { startGatewayProcess, waitFor, workspace, type Workspace } from './harness';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** This machine's first non-loopback IPv4 address (what a LAN client connects to). */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((info) => info && info.family === 'IPv4' && !info.internal)?.address;

const TOKEN = 'lan-token-Zq8vR2mX5pL9tK3wN7bJ1hF4';

function get(host: string, port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('--bind lan', () => {
  it.skipIf(!lanAddress)('answers LAN clients addressing the host, with the token only; the banner says what is exposed', async () => {
    const w: Workspace = workspace({ imessage: { enabled: false } });
    cleanups.push(() => w.cleanup());
    const gateway = await startGatewayProcess(w, ['--bind', 'lan'], { env: { ...w.env, CLAWDBOT_GATEWAY_TOKEN: TOKEN } });
    cleanups.push(() => gateway.stop());
    const port = gateway.instance.port;
    const lanUrl = `http://${lanAddress}:${port}`;

    // A LAN client: connects to the host's address, with that address in its Host header.
    expect((await get(lanAddress!, port, '/health')).status).toBe(200);
    const full = await get(lanAddress!, port, '/health', { Authorization: `Bearer ${TOKEN}` });
    expect(full.status).toBe(200);
    expect(JSON.parse(full.body).status.bind).toBe('0.0.0.0');
    expect((await get(lanAddress!, port, '/health', { Authorization: 'Bearer wrong-token-0123456789abcdef' })).status).toBe(401);
    // DNS rebinding is still refused.
    expect((await get(lanAddress!, port, '/health', { Host: `evil.example:${port}` })).status).toBe(421);

    const client = createControlClient({ url: `ws://${lanAddress}:${port}/ws`, token: TOKEN, WebSocket, clientName: 'lan-client' });
    cleanups.push(() => client.close());
    await expect(client.ready).resolves.toMatchObject({ status: { bind: '0.0.0.0' } });
    const wrong = createControlClient({ url: `ws://${lanAddress}:${port}/ws`, token: 'wrong-token-0123456789abcdef', WebSocket, clientName: 'lan-client' });
    await expect(wrong.ready).rejects.toMatchObject({ code: 'unauthorized' });

    await waitFor('the banner', () => gateway.stderr().includes('Press Ctrl-C to stop.'));
    expect(gateway.stderr()).toContain(`Exposed:  to other machines (bound to 0.0.0.0) at ${lanUrl}`);
    expect(gateway.stderr()).toContain("anyone who can reach it gets the web UI's files and /health liveness; everything else needs the gateway token.");
  });
});
