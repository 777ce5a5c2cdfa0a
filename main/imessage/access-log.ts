// The access log: the last N inbound decisions (accepted, rejected, pairing, skipped, dropped)
// with their reasons, so the owner can see why a message was or was not answered. In memory
// only; it is a diagnostic view, not an audit trail (the gateway log keeps the same lines).
//
// Recording is on the per-message path, so it is a fixed-size ring (no array shifting) and
// listeners are called synchronously; a listener that throws is isolated from the others.
import { Emitter } from '../../contract/emitter';
import type { AccessLogEntry } from '../../contract/gateway-api';

export const DEFAULT_ACCESS_LOG_CAPACITY = 1000;

export type AccessLogListener = (entry: AccessLogEntry) => void;

export class AccessLog {
  readonly capacity: number;
  private readonly ring: (AccessLogEntry | undefined)[];
  /** Index the next entry is written to. */
  private next = 0;
  private count = 0;
  // A broken subscriber (a closed WebSocket) must not affect message handling: its error is dropped.
  private readonly events = new Emitter<{ entry: AccessLogEntry }>();

  constructor(options: { capacity?: number } = {}) {
    const capacity = options.capacity ?? DEFAULT_ACCESS_LOG_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`AccessLog: capacity must be a positive integer (got ${capacity})`);
    this.capacity = capacity;
    this.ring = new Array<AccessLogEntry | undefined>(capacity);
  }

  /** Entries currently kept (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  record(entry: AccessLogEntry): void {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count += 1;
    this.events.emit('entry', entry);
  }

  /** The most recent `limit` entries (default: all kept), oldest first. */
  tail(limit = this.capacity): AccessLogEntry[] {
    const n = Math.max(0, Math.min(Math.floor(limit), this.count));
    const out = new Array<AccessLogEntry>(n);
    const start = (this.next - n + this.capacity) % this.capacity;
    for (let i = 0; i < n; i++) out[i] = this.ring[(start + i) % this.capacity]!;
    return out;
  }

  /** Calls `listener` for every new entry; returns the function that unsubscribes. */
  on(listener: AccessLogListener): () => void {
    return this.events.on('entry', listener);
  }

  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}
