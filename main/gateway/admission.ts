// Room for connections that have not proven anything yet (no complete HTTP request, no token):
// `perAddress` from one remote address and `total` overall. When a new one arrives and there is no
// room, the OLDEST one of that address (or, past the total, the oldest of all) is dropped, never the
// newcomer: someone holding connections open to fill the room cannot keep a new client out.
//
// Only connections older than `minAgeMs` give way. A real client proves itself (sends its request,
// presents its token) within milliseconds, so it is never dropped for someone else's sake however
// fast an attacker reconnects; the room stretches for young connections instead, up to `hardTotal`,
// past which the oldest go whatever their age (a flood must not exhaust file descriptors).
//
// Used twice by the control server: for TCP connections while they have no request in progress
// (`admitHttpConnections`: slowloris), and for WebSockets until `connect` (control-sockets.ts).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface AdmissionLimits {
  perAddress: number;
  total: number;
  /** Connections younger than this are not dropped to make room (default 1 s). */
  minAgeMs?: number;
  /** Dropped regardless of age past this many (default 4 × total). */
  hardTotal?: number;
}

interface Entry {
  address: string;
  since: number;
}

export class Admission<T> {
  /** Every waiting item, oldest first (Map keeps insertion order). */
  private readonly all = new Map<T, Entry>();
  private readonly byAddress = new Map<string, Set<T>>();
  private readonly minAgeMs: number;
  private readonly hardTotal: number;

  constructor(
    private readonly limits: AdmissionLimits,
    /** Drops an item that lost its place (close the socket); it is already removed. */
    private readonly drop: (item: T) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.minAgeMs = limits.minAgeMs ?? 1_000;
    this.hardTotal = limits.hardTotal ?? limits.total * 4;
  }

  get size(): number {
    return this.all.size;
  }

  /** Adds `item` (as the newest) and drops the oldest ones that no longer fit. */
  admit(address: string, item: T): void {
    this.remove(item);
    const now = this.now();
    let mine = this.byAddress.get(address);
    if (!mine) this.byAddress.set(address, (mine = new Set()));
    mine.add(item);
    this.all.set(item, { address, since: now });
    const oldEnough = (candidate: T) => now - this.all.get(candidate)!.since >= this.minAgeMs;
    while (mine.size > this.limits.perAddress && oldEnough(first(mine))) this.evict(first(mine));
    while (this.all.size > this.limits.total && oldEnough(first(this.all.keys()))) this.evict(first(this.all.keys()));
    while (this.all.size > this.hardTotal) this.evict(first(this.all.keys()));
  }

  /** The item proved itself (or went away): it no longer takes room. */
  remove(item: T): void {
    const entry = this.all.get(item);
    if (entry === undefined) return;
    this.all.delete(item);
    const mine = this.byAddress.get(entry.address)!;
    mine.delete(item);
    if (mine.size === 0) this.byAddress.delete(entry.address);
  }

  private evict(item: T): void {
    this.remove(item);
    this.drop(item);
  }
}

function first<T>(items: Iterable<T>): T {
  return items[Symbol.iterator]().next().value as T;
}

/**
 * Keeps a bounded room for the HTTP server's connections that have no request in progress: new
 * ones, and kept-alive ones between requests. A connection leaves the room when a request head
 * arrives (or it is upgraded to a WebSocket) and comes back when its response is sent. Node's own
 * `server.maxConnections` is not used: it refuses every newcomer once full, which is exactly how
 * a few hundred never-finished requests locked everyone out.
 */
export function admitHttpConnections(server: Server, limits: AdmissionLimits, onDrop: (address: string) => void): void {
  const room = new Admission<Socket>(limits, (socket) => {
    onDrop(socket.remoteAddress ?? 'unknown');
    socket.destroy();
  });
  const wait = (socket: Socket) => {
    if (!socket.destroyed) room.admit(socket.remoteAddress ?? 'unknown', socket);
  };
  server.on('connection', (socket: Socket) => {
    wait(socket);
    socket.once('close', () => room.remove(socket));
  });
  server.on('request', (req, res) => {
    room.remove(req.socket);
    res.once('finish', () => wait(req.socket));
  });
  server.on('upgrade', (req) => room.remove(req.socket));
}
