// The access log: the last N inbound decisions (accepted, rejected, pairing, skipped, dropped)
// with their reasons, so the owner can see why a message was or was not answered. It is a
// diagnostic view, not an audit trail (the gateway log keeps the same lines).
//
// Recording is on the per-message path, so it is a fixed-size ring (no array shifting) and
// listeners are called synchronously; a listener that throws is isolated from the others.
//
// Kept on disk too, so "why was this person ignored?" survives `gateway restart` and a new start:
// with a `file`, entries are appended as JSON lines, batched (one append per ACCESS_LOG_FLUSH_MS,
// off the message's path), and read back by restore() when the channel starts. The file is
// bounded: past `maxFileBytes` it becomes `<file>.1` (replacing the previous one) and a new one
// begins, so at most about twice that is on disk. It holds phone numbers: mode 0600.
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { Emitter } from '../../contract/emitter';
import type { AccessLogEntry } from '../../contract/gateway-api';
import { createCoalescer, type Coalescer } from '../util/coalesce';

export const DEFAULT_ACCESS_LOG_CAPACITY = 1000;
/** Size at which the file is rotated (the previous generation is kept as `<file>.1`). */
export const DEFAULT_ACCESS_LOG_FILE_BYTES = 512 * 1024;
/** Entries recorded within this time are appended to the file together. */
export const ACCESS_LOG_FLUSH_MS = 200;

/** Where the gateway keeps the access log: `<stateDir>/imessage/access-log.jsonl`. */
export function accessLogPath(stateDir: string): string {
  return join(stateDir, 'imessage', 'access-log.jsonl');
}

export type AccessLogListener = (entry: AccessLogEntry) => void;

export interface AccessLogOptions {
  capacity?: number;
  /** JSON-lines file the entries are kept in across restarts (none: memory only). */
  file?: string;
  maxFileBytes?: number;
  /** A write or read of the file failed (the log goes on in memory). */
  onFileError?: (error: Error) => void;
}

export class AccessLog {
  readonly capacity: number;
  private readonly ring: (AccessLogEntry | undefined)[];
  /** Index the next entry is written to. */
  private next = 0;
  private count = 0;
  // A broken subscriber (a closed WebSocket) must not affect message handling: its error is dropped.
  private readonly events = new Emitter<{ entry: AccessLogEntry }>();
  private readonly disk: AccessLogFile | undefined;

  constructor(options: AccessLogOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_ACCESS_LOG_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`AccessLog: capacity must be a positive integer (got ${capacity})`);
    this.capacity = capacity;
    this.ring = new Array<AccessLogEntry | undefined>(capacity);
    if (options.file) this.disk = new AccessLogFile(options.file, options.maxFileBytes ?? DEFAULT_ACCESS_LOG_FILE_BYTES, options.onFileError);
  }

  /** Entries currently kept (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  record(entry: AccessLogEntry): void {
    this.remember(entry);
    this.disk?.append(entry);
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

  /**
   * Reads the entries of earlier runs from the file, in front of any recorded since this one
   * started (no event is emitted for them). Unreadable lines are skipped.
   */
  async restore(): Promise<void> {
    if (!this.disk) return;
    const earlier = await this.disk.read(this.capacity);
    if (earlier.length === 0) return;
    const current = this.tail();
    this.clear();
    for (const entry of [...earlier, ...current].slice(-this.capacity)) this.remember(entry);
  }

  /** Writes what is still buffered; resolves when it is on disk. */
  flush(): Promise<void> {
    return this.disk?.flush() ?? Promise.resolve();
  }

  private remember(entry: AccessLogEntry): void {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count += 1;
  }
}

/** The on-disk side: batched appends, rotation at a size, reading the tail back. */
class AccessLogFile {
  private buffered: string[] = [];
  /** Writes run one after another, in order. */
  private writing: Promise<void> = Promise.resolve();
  private size: number | undefined;
  private readonly batch: Coalescer;
  private reportedError = false;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly onError: ((error: Error) => void) | undefined,
  ) {
    this.batch = createCoalescer(ACCESS_LOG_FLUSH_MS, () => void this.flush());
  }

  /** Per message: one JSON.stringify and a push; the write happens later, batched. */
  append(entry: AccessLogEntry): void {
    this.buffered.push(`${JSON.stringify(entry)}\n`);
    this.batch.schedule();
  }

  flush(): Promise<void> {
    this.batch.cancel();
    if (this.buffered.length > 0) {
      const chunk = this.buffered.join('');
      this.buffered = [];
      this.writing = this.writing.then(() => this.write(chunk));
    }
    return this.writing;
  }

  async read(limit: number): Promise<AccessLogEntry[]> {
    const texts = await Promise.all([`${this.path}.1`, this.path].map((path) => fs.readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') this.report(error);
      return '';
    })));
    const entries: AccessLogEntry[] = [];
    for (const line of texts.join('').split('\n').slice(-limit - 1)) {
      const entry = parseEntry(line);
      if (entry) entries.push(entry);
    }
    return entries.slice(-limit);
  }

  private async write(chunk: string): Promise<void> {
    try {
      if (this.size === undefined) {
        await fs.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
        this.size = (await fs.stat(this.path).catch(() => undefined))?.size ?? 0;
      }
      const bytes = Buffer.byteLength(chunk);
      if (this.size > 0 && this.size + bytes > this.maxBytes) {
        await fs.rename(this.path, `${this.path}.1`);
        this.size = 0;
      }
      await fs.appendFile(this.path, chunk, { mode: 0o600 });
      this.size += bytes;
    } catch (error) {
      this.size = undefined;
      this.report(error as Error);
    }
  }

  private report(error: Error): void {
    if (this.reportedError) return; // once: a full disk must not flood the log per batch
    this.reportedError = true;
    this.onError?.(error);
  }
}

/** One line of the file as an entry, or undefined when it is not one (a cut-off last line). */
function parseEntry(line: string): AccessLogEntry | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value = JSON.parse(line) as Partial<AccessLogEntry> | null;
    if (!value || typeof value.ts !== 'string' || typeof value.accountId !== 'string' || typeof value.decision !== 'string' || typeof value.reason !== 'string') return undefined;
    return value as AccessLogEntry;
  } catch {
    return undefined;
  }
}
