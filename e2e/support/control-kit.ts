// Small helpers for tests that talk to a real control server: raw HTTP with chosen headers (fetch
// will not let a test forge Host or Origin), raw WebSocket upgrades, and a ready-made server over
// the stand-in services in a temp state dir.
import { promises as fs } from 'node:fs';
import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createControlClient, type ControlClient } from '../../contract/control-client';
import { loadOrCreateToken } from '../../main/gateway/auth';
import { startControlServer, type ControlServer, type ControlServerOptions } from '../../main/gateway/control-server';
import { createLogHub, type LogHub } from '../../main/util/logger';
import { createFakeGatewayServices, type FakeGatewayServices } from './fake-gateway-services';
import { fakeAccount } from './fake-link';

export interface Kit {
  /** The running server (a new one after restart()). */
  readonly server: ControlServer;
  services: FakeGatewayServices;
  token: string;
  stateDir: string;
  logHub: LogHub;
  client(name?: string): Promise<ControlClient>;
  /**
   * Closes the server as a gateway restart does (clients get `shutdown`, then a 1001 close), awaits
   * `whileDown`, then listens again on the same port with the same token and services.
   */
  restart(whileDown?: () => Promise<unknown>): Promise<void>;
  close(): Promise<void>;
}

export type KitOptions = Omit<Partial<ControlServerOptions>, 'services'> & {
  /** Wraps the stand-in services, e.g. to make one method fail or hang. */
  services?: (fake: FakeGatewayServices) => ControlServerOptions['services'];
};

export async function startKit(overrides: KitOptions = {}): Promise<Kit> {
  const stateDir = await fs.mkdtemp(join(tmpdir(), 'clawdbot-control-'));
  const { token } = await loadOrCreateToken(stateDir);
  const logHub = createLogHub({ level: 'debug' });
  const services = createFakeGatewayServices({ stateDir, version: '0.1.0-test', accounts: [fakeAccount('default')] });
  const { services: wrap, port: firstPort = 0, ...rest } = overrides;
  const listen = (port: number) =>
    startControlServer({
      host: '127.0.0.1',
      token,
      version: '0.1.0-test',
      logger: logHub.logger('gateway'),
      ...rest,
      port,
      services: wrap ? wrap(services) : services,
    });
  let server = await listen(firstPort);
  const clients: ControlClient[] = [];
  return {
    get server() {
      return server;
    },
    services,
    token,
    stateDir,
    logHub,
    async client(name = 'test') {
      const client = createControlClient({ url: server.wsUrl, token, WebSocket, clientName: name });
      clients.push(client);
      await client.ready;
      return client;
    },
    async restart(whileDown) {
      await server.close({ reason: 'gateway restarting', restartExpectedMs: 1500 });
      await whileDown?.();
      server = await listen(server.port);
    },
    async close() {
      for (const client of clients) client.close();
      await server.close();
      services.dispose();
      await fs.rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET (or another method) with exactly the headers given; Host defaults to 127.0.0.1:<port>. */
export function httpRequest(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends a raw WebSocket upgrade request and returns the status line and the rest of the reply. */
export function rawUpgrade(port: number, headers: Record<string, string>, path = '/ws'): Promise<{ statusLine: string; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      // A successful upgrade keeps the socket open: stop once the headers are in.
      if (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve({ statusLine: text.split('\r\n', 1)[0] ?? '', text }));
    socket.on('error', reject);
    const all: Record<string, string> = {
      Host: `127.0.0.1:${port}`,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      ...headers,
    };
    socket.write(`GET ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  });
}

/** Opens a raw `ws` socket (no control client) and resolves once open. */
export function openSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Resolves with the close code and reason of a socket. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve({ code: -1, reason: 'already closed' });
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

/** Collects every text frame a socket receives, parsed. */
export function collectFrames(ws: WebSocket): Record<string, unknown>[] {
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  return frames;
}

/** The next frame matching `predicate`. */
export function nextFrame(ws: WebSocket, predicate: (frame: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      if (!predicate(frame)) return;
      ws.off('message', onMessage);
      resolve(frame);
    };
    ws.on('message', onMessage);
  });
}

export function connectFrame(token: string, id = 'c1'): string {
  return JSON.stringify({ type: 'req', id, method: 'connect', params: { token, client: { name: 'raw' }, protocol: 1 } });
}
