// Attackers for the fault and abuse suite: processes-worth of hostile clients against a gateway's
// port, each keeping up its pressure (a closed connection is reopened at once) and counting what
// it achieved, so a test can print "connections held" and "refused" next to the owner's result.
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';

/** Pause before an attacker reopens a connection the gateway closed. */
const RECONNECT_MS = 50;

export interface AttackFigures {
  /** Connections opened in all. */
  opened: number;
  /** Most connections open at the same time. */
  peakHeld: number;
  /** Connections the gateway refused (HTTP error on upgrade) or closed. */
  refusedOrClosed: number;
}

export interface Attack {
  figures(): AttackFigures;
  /** Stops reopening and closes every connection still open. */
  stop(): Promise<void>;
}

/**
 * `count` WebSockets that upgrade and then say nothing (never `connect`), reopened as soon as the
 * gateway drops them: the pressure that used to fill every connection slot.
 */
export function silentWebSockets(port: number, count: number): Attack {
  let running = true;
  const open = new Set<WebSocket>();
  const figures: AttackFigures = { opened: 0, peakHeld: 0, refusedOrClosed: 0 };
  const settled: Promise<void>[] = [];

  function launch(): void {
    if (!running) return;
    figures.opened += 1;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    settled.push(
      new Promise<void>((resolve) => {
        ws.on('open', () => {
          open.add(ws);
          figures.peakHeld = Math.max(figures.peakHeld, open.size);
        });
        ws.on('unexpected-response', (_req, res) => {
          res.resume();
          ws.terminate();
        });
        ws.on('error', () => {});
        ws.on('close', () => {
          open.delete(ws);
          figures.refusedOrClosed += running ? 1 : 0;
          resolve();
          // Reopen after a short pause, as a reconnect loop does (20 per second per connection: the
          // pressure is the same, the machine's other tests are not starved by a busy loop).
          setTimeout(launch, RECONNECT_MS);
        });
      }),
    );
  }

  for (let i = 0; i < count; i++) launch();
  return {
    figures: () => ({ ...figures }),
    async stop() {
      running = false;
      for (const ws of open) ws.terminate();
      await Promise.all(settled);
    },
  };
}

/**
 * `count` HTTP requests that never finish (slowloris): a request line and one header, then one
 * more header line a second, forever; reopened as soon as the gateway cuts them.
 */
export function slowHttpRequests(port: number, count: number): Attack {
  let running = true;
  const open = new Set<Socket>();
  const figures: AttackFigures = { opened: 0, peakHeld: 0, refusedOrClosed: 0 };
  const drip = setInterval(() => {
    for (const socket of open) socket.write(`X-Slow-${figures.opened}: still typing\r\n`);
  }, 1000);
  const settled: Promise<void>[] = [];

  function launch(): void {
    if (!running) return;
    figures.opened += 1;
    const socket = connect(port, '127.0.0.1');
    settled.push(
      new Promise<void>((resolve) => {
        socket.on('connect', () => {
          open.add(socket);
          figures.peakHeld = Math.max(figures.peakHeld, open.size);
          socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
        });
        socket.on('data', () => {});
        socket.on('error', () => {});
        socket.on('close', () => {
          open.delete(socket);
          figures.refusedOrClosed += running ? 1 : 0;
          resolve();
          setTimeout(launch, RECONNECT_MS);
        });
      }),
    );
  }

  for (let i = 0; i < count; i++) launch();
  return {
    figures: () => ({ ...figures }),
    async stop() {
      running = false;
      clearInterval(drip);
      for (const socket of open) socket.destroy();
      await Promise.all(settled);
    },
  };
}
