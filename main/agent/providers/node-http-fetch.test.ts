import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHttpFetch } from './node-http-fetch';

let server: Server;
let base: string;
const remotePorts: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    remotePorts.push(req.socket.remotePort!);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.url === '/echo') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-seen-length': String(req.headers['content-length']) });
        res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null, text: 'héllo 👋' }));
      } else if (req.url === '/gzip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(JSON.stringify({ zipped: true })));
      } else if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000).unref();
      } else {
        res.writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' });
        res.end('{"error":{"message":"slow down"}}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('nodeHttpFetch', () => {
  it('POSTs a JSON body with headers and returns a standard Response', async () => {
    const payload = JSON.stringify({ q: 'naïve ☕' });
    const response = await nodeHttpFetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json', Authorization: 'Bearer k' }, body: payload });
    expect(response).toBeInstanceOf(Response);
    expect(response.ok).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-seen-length')).toBe(String(Buffer.byteLength(payload)));
    expect(await response.json()).toEqual({ method: 'POST', body: payload, auth: 'Bearer k', text: 'héllo 👋' });
  });

  it('keeps the connection alive between requests', async () => {
    remotePorts.length = 0;
    for (let i = 0; i < 3; i++) await (await nodeHttpFetch(`${base}/echo`, { method: 'POST', body: '{}' })).text();
    expect(new Set(remotePorts).size).toBe(1);
  });

  it('passes error statuses and their headers through (the caller decides about retries)', async () => {
    const response = await nodeHttpFetch(`${base}/limited`, { method: 'POST', body: '{}' });
    expect(response.ok).toBe(false);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.text()).toBe('{"error":{"message":"slow down"}}');
  });

  it('decodes a compressed body and handles bodiless statuses', async () => {
    const zipped = await nodeHttpFetch(`${base}/gzip`);
    expect(await zipped.json()).toEqual({ zipped: true });
    expect(zipped.headers.get('content-encoding')).toBeNull();
    const empty = await nodeHttpFetch(`${base}/empty`, { method: 'POST', body: '{}' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('rejects like fetch: TypeError("fetch failed") with the system error as cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await nodeHttpFetch(`http://127.0.0.1:${port}/x`, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });

  it('rejects with the signal reason on abort or timeout, without waiting for the server', async () => {
    const started = Date.now();
    const timedOut = await nodeHttpFetch(`${base}/slow`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect((timedOut as Error).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(1000);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(nodeHttpFetch(`${base}/echo`, { signal: controller.signal })).rejects.toThrow('stop');
  });
});
