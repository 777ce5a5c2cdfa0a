// New-row detection for watch subscriptions (spec §5.8): a per-subscription ROWID cursor, polls
// triggered by file-system events on chat.db / -wal / -shm (debounced) and by a fallback timer,
// bounded batches of 100 rows in ascending ROWID order.
//
// Deliberate differences from the real binary, both in the client's favour and documented in the
// README: (1) the directory holding chat.db is watched (filtered to the three file names) rather
// than the three files, so a -wal created after subscribing still triggers; (2) a trigger keeps
// polling batch after batch until the backlog is drained instead of one batch per trigger.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { describeSqliteError } from './sqlite';
import type { MessagePayload } from './payloads';
import type { MessageRow, MessageStore } from './store';

export const BATCH_SIZE = 100;
// A write to -wal fires the file event a moment before the commit becomes visible (the wal-index in
// -shm is updated through mmap, which fires nothing). So after each event-triggered poll, look again
// shortly after; without this a row can sit unseen until the fallback poll.
const SETTLE_POLLS_MS = [10, 60];
const URL_BALLOON = 'com.apple.messages.URLBalloonProvider';
const URL_DEDUPE_WINDOW_MS = 90_000;
const URL_DEDUPE_FORGET_MS = 600_000;

/** One fs.watch on the db directory, shared by every subscription of the process. */
export class DbChangeNotifier {
  private watcher: FSWatcher | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly names: Set<string>;

  constructor(private readonly dbPath: string) {
    const name = basename(dbPath);
    this.names = new Set([name, `${name}-wal`, `${name}-shm`]);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.watcher) {
      try {
        this.watcher = watch(dirname(this.dbPath), { persistent: false }, (_event, file) => {
          // Some platforms omit the file name; then any change counts.
          if (file !== null && !this.names.has(String(file))) return;
          for (const l of this.listeners) l();
        });
        this.watcher.on('error', () => this.closeWatcher());
      } catch {
        // Directory not watchable: the fallback poll still delivers.
        this.watcher = null;
      }
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.closeWatcher();
    };
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  close(): void {
    this.listeners.clear();
    this.closeWatcher();
  }
}

export interface SubscriptionOptions {
  chatId?: number;
  /** Exclusive cursor; undefined or 0 = start at MAX(ROWID); negative = replay everything. */
  sinceRowid?: number;
  participants?: string[];
  /** Unix ms, inclusive. */
  startMs?: number;
  /** Unix ms, exclusive. */
  endMs?: number;
  attachments: boolean;
  includeReactions: boolean;
  /** Fill reactions[] on every event. */
  reactions: boolean;
  debounceMs: number;
  /** Trigger polls on file-system events (false = fallback poll only). */
  fsEvents: boolean;
  /** Fallback poll interval; null = no fallback poll (imsg < 0.6.0). */
  pollMs: number | null;
}

export interface SubscriptionSink {
  message(payload: MessagePayload): void;
  /** The stream failed; the subscription stops after this (spec §2.3). */
  error(text: string): void;
}

export class WatchSubscription {
  private cursor = 0;
  private stopped = false;
  private polling = false;
  private pollAgain = false;
  private debounceTimer: NodeJS.Timeout | null = null;
  private settleTimers: NodeJS.Timeout[] = [];
  private fallbackTimer: NodeJS.Timeout | null = null;
  private unsubscribeFs: (() => void) | null = null;
  /** URL-preview dedupe: key → time seen; plus the highest balloon ROWID seen. */
  private readonly balloons = new Map<string, number>();
  private lastBalloonRowid = 0;

  constructor(
    readonly id: number,
    private readonly store: MessageStore,
    private readonly notifier: DbChangeNotifier,
    private readonly options: SubscriptionOptions,
    private readonly sink: SubscriptionSink,
  ) {}

  /** Sets the cursor and starts the triggers. `pollNow` runs the first poll synchronously (else on the next tick). */
  start(pollNow: boolean): void {
    const since = this.options.sinceRowid;
    this.cursor = since !== undefined && since !== 0 ? since : this.store.maxRowid();
    if (this.options.fsEvents) this.unsubscribeFs = this.notifier.subscribe(() => this.schedule());
    if (this.options.pollMs !== null) {
      this.fallbackTimer = setInterval(() => this.poll(), this.options.pollMs);
    }
    if (pollNow) this.poll();
    else setImmediate(() => this.poll());
  }

  stop(): void {
    this.stopped = true;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    if (this.fallbackTimer) clearInterval(this.fallbackTimer);
    this.settleTimers.forEach(clearTimeout);
    this.settleTimers = [];
    this.unsubscribeFs?.();
    this.debounceTimer = this.fallbackTimer = null;
    this.unsubscribeFs = null;
  }

  /** A file-system event: poll after the debounce unless a poll is already scheduled. */
  private schedule(): void {
    if (this.stopped || this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      this.poll();
      this.settleTimers.forEach(clearTimeout);
      this.settleTimers = SETTLE_POLLS_MS.map((ms) => setTimeout(() => this.poll(), ms));
    }, this.options.debounceMs);
  }

  private poll(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    this.runBatches();
  }

  /** One batch now; while batches come back full, the next one after yielding to the event loop. */
  private runBatches(): void {
    let full = false;
    try {
      full = this.batch();
    } catch (error) {
      this.fail(describeSqliteError(error));
      return;
    }
    if (!this.stopped && (full || this.pollAgain)) {
      this.pollAgain = false;
      setImmediate(() => (this.stopped ? (this.polling = false) : this.runBatches()));
      return;
    }
    this.polling = false;
  }

  /** Returns true when the batch was full (more rows may be waiting). */
  private batch(): boolean {
    const rows = this.store.poll({
      cursor: this.cursor,
      chatId: this.options.chatId,
      includeReactions: this.options.includeReactions,
      limit: BATCH_SIZE,
    });
    const now = Date.now();
    for (const row of rows) {
      if (this.stopped) return false;
      if (row.rowid > this.cursor) this.cursor = row.rowid;
      if (this.isDuplicateBalloon(row, now) || !this.passesFilters(row)) continue;
      this.sink.message(this.store.buildMessage(row, { attachments: this.options.attachments, reactions: this.options.reactions }));
    }
    return rows.length === BATCH_SIZE;
  }

  private passesFilters(row: MessageRow): boolean {
    const { participants, startMs, endMs } = this.options;
    if (participants && participants.length > 0) {
      const sender = this.store.senderOf(row).toLowerCase();
      if (!participants.some((p) => p.toLowerCase() === sender)) return false;
    }
    if (startMs !== undefined || endMs !== undefined) {
      const at = this.store.createdAtMs(row);
      if (startMs !== undefined && at < startMs) return false;
      if (endMs !== undefined && at >= endMs) return false;
    }
    return true;
  }

  /** Link previews are often written twice by Messages; imsg drops the repeat (spec §5.8 step 5). */
  private isDuplicateBalloon(row: MessageRow, now: number): boolean {
    if (row.balloon_bundle_id !== URL_BALLOON) return false;
    const text = this.store.textOf(row);
    if (text === '') return false;
    for (const [key, seen] of this.balloons) if (now - seen > URL_DEDUPE_FORGET_MS) this.balloons.delete(key);
    if (row.rowid <= this.lastBalloonRowid) return true;
    this.lastBalloonRowid = row.rowid;
    const key = `${row.chat_id}\u0000${row.is_from_me}\u0000${this.store.senderOf(row)}\u0000${text}`;
    const seen = this.balloons.get(key);
    this.balloons.set(key, now);
    return seen !== undefined && now - seen <= URL_DEDUPE_WINDOW_MS;
  }

  private fail(text: string): void {
    this.sink.error(text);
    this.stop();
    this.polling = false;
  }
}
