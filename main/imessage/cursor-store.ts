// Per-account resume point for the imsg watch: which chat.db rows are fully processed, so that a
// restart (of imsg or of the gateway) subscribes with `since_rowid` and neither loses nor repeats
// a message.
//
// The pipeline handles chats in parallel, so rows finish out of order. The state is therefore a
// *watermark* (every row ≤ it is done) plus the set of rows done above it. The watermark only
// moves up to just below the oldest row still in progress: a row that was started but not
// finished when the gateway died is delivered again.
//
// Durability: each completion is one small synchronous append to a journal file. A write() lands
// in the OS page cache, which survives a SIGKILL of the gateway, and costs microseconds; no fsync
// per message. Now and then (and at close) the state is compacted into the cursor file with an
// atomic write, and the journal restarts empty. Loading = cursor file, then journal replay.
//
// Sends: imsg reads its stdin to EOF, so a `send` written to it shortly before the gateway dies is
// still executed, although its row is never marked done. The pipeline therefore journals "send
// started" (with a fingerprint of the reply text) right before each send; a row with a start and no
// completion at load time is *uncertain*: its reply may already be in the chat, and the pipeline
// checks the chat before answering it again. Send starts of rows still open survive a compaction
// (they are written again into the fresh journal).
//
// Files (0600, dir 0700), under `<stateDir>/imessage/`:
//   <accountId>.cursor.json              {"version":1,"watermark":N|null,"doneAbove":[…],"updatedAt":…}
//   <accountId>.cursor.journal           lines "d <rowid>" (done), "b <rowid>" (first base) and
//                                        "s <rowid> [<fingerprint>]" (reply send started)
//   <accountId>.cursor.journal.old       the journal being compacted (exists only briefly)
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import { preserveCorruptFile, readFileIfExists, readFileIfExistsSync, writeFileAtomic } from '../util/atomic-file';
import { SerialQueue } from '../util/serial-queue';

export const DEFAULT_MAX_DONE_ABOVE = 10_000;
export const DEFAULT_COMPACT_EVERY = 1000;
export const DEFAULT_COMPACT_DELAY_MS = 5000;

export interface CursorStoreOptions {
  stateDir: string;
  accountId: string;
  logger?: Logger;
  /** Bound on rows remembered above the watermark (a stuck row must not grow memory forever). */
  maxDoneAbove?: number;
  /** Compact after this many completions… */
  compactEvery?: number;
  /** …or this long after the first completion not yet compacted. */
  compactDelayMs?: number;
}

export interface CursorLoadReport {
  /** Where an unreadable cursor file was moved to (the store then starts from live). */
  corruptPreservedAt?: string;
  corruptReason?: string;
  /** Journal lines that could not be read (a torn last line after a power loss). */
  badJournalLines: number;
  replayedJournalLines: number;
}

interface CursorFile {
  version: 1;
  watermark: number | null;
  doneAbove: number[];
  updatedAt: string;
}

function isRowid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseCursorFile(text: string): CursorFile | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const file = value as Record<string, unknown>;
  if (file.version !== 1) return `unknown version ${JSON.stringify(file.version)}`;
  if (file.watermark !== null && !isRowid(file.watermark)) return `watermark is ${JSON.stringify(file.watermark)}, expected a row id or null`;
  if (!Array.isArray(file.doneAbove) || !file.doneAbove.every(isRowid)) return 'doneAbove is not a list of row ids';
  return { version: 1, watermark: file.watermark as number | null, doneAbove: file.doneAbove as number[], updatedAt: String(file.updatedAt ?? '') };
}

export class CursorStore {
  readonly cursorPath: string;
  readonly journalPath: string;
  private readonly oldJournalPath: string;
  private readonly log: Logger;
  private readonly maxDoneAbove: number;
  private readonly compactEvery: number;
  private readonly compactDelayMs: number;

  /** Every row ≤ this is done; null = nothing known yet (subscribe live). */
  private mark: number | null = null;
  private readonly doneAbove = new Set<number>();
  private readonly inFlight = new Set<number>();
  /** Rows whose reply send started and that are not done yet → fingerprint of the reply ('' = none). */
  private readonly sendStarted = new Map<number, string>();
  /** Rows found send-started but not done at load: the previous run may have answered them. */
  private readonly uncertain = new Set<number>();
  private journalFd: number | null = null;
  private uncompacted = 0;
  private compactTimer: NodeJS.Timeout | undefined;
  private readonly compactions = new SerialQueue();
  private queued: Promise<void> | undefined;
  /** Something changed since the cursor file was last written. */
  private dirty = false;
  private closed = false;
  report: CursorLoadReport = { badJournalLines: 0, replayedJournalLines: 0 };

  private constructor(options: CursorStoreOptions) {
    const dir = join(options.stateDir, 'imessage');
    this.cursorPath = join(dir, `${options.accountId}.cursor.json`);
    this.journalPath = join(dir, `${options.accountId}.cursor.journal`);
    this.oldJournalPath = `${this.journalPath}.old`;
    this.log = options.logger ?? silentLogger;
    this.maxDoneAbove = options.maxDoneAbove ?? DEFAULT_MAX_DONE_ABOVE;
    this.compactEvery = options.compactEvery ?? DEFAULT_COMPACT_EVERY;
    this.compactDelayMs = options.compactDelayMs ?? DEFAULT_COMPACT_DELAY_MS;
  }

  /** Loads (cursor file + journal replay) and opens the journal for appending. */
  static async open(options: CursorStoreOptions): Promise<CursorStore> {
    const store = new CursorStore(options);
    await store.load();
    return store;
  }

  /** Every row ≤ watermark is done. null until the first row is seen. */
  get watermark(): number | null {
    return this.mark;
  }

  /** Rows started and not yet done. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  isDone(rowid: number): boolean {
    return (this.mark !== null && rowid <= this.mark) || this.doneAbove.has(rowid);
  }

  isInFlight(rowid: number): boolean {
    return this.inFlight.has(rowid);
  }

  /**
   * Before any row was ever seen: declares every row ≤ `rowid` as predating us (the newest row in
   * chat.db when the account first subscribed), so that a restart before the first message
   * resumes from here instead of subscribing live and missing what came meanwhile. Journaled at
   * once. No effect once a watermark exists.
   */
  establishBase(rowid: number): void {
    if (this.closed || this.mark !== null || !isRowid(rowid)) return;
    this.mark = rowid;
    this.append(`b ${rowid}\n`);
  }

  /** The previous run started sending this row's reply and died before it was done. */
  isUncertain(rowid: number): boolean {
    return this.uncertain.has(rowid);
  }

  /**
   * The fingerprint journaled with the uncertain row's send start (see pipeline replyFingerprint),
   * '' when none was given, undefined when the row is not uncertain.
   */
  uncertainFingerprint(rowid: number): string | undefined {
    return this.uncertain.has(rowid) ? this.sendStarted.get(rowid) ?? '' : undefined;
  }

  /**
   * The reply to this row is about to be handed to imsg: journaled at once, so that a crash before
   * markDone() leaves the row uncertain at the next load. `fingerprint` (lowercase hex) lets the
   * next run recognise the reply in the chat.
   */
  markSendStarted(rowid: number, fingerprint = ''): void {
    if (this.closed || this.isDone(rowid) || !isRowid(rowid)) return;
    if (!FINGERPRINT.test(fingerprint)) throw new RangeError(`markSendStarted: fingerprint must be lowercase hex (got ${JSON.stringify(fingerprint)})`);
    this.sendStarted.set(rowid, fingerprint);
    this.append(sendStartedLine(rowid, fingerprint));
  }

  /** A row was handed to the pipeline. */
  markStarted(rowid: number): void {
    if (this.closed || this.isDone(rowid)) return;
    if (this.mark === null) {
      // First row ever: everything before it predates us (we subscribed live). Record the base so
      // that a restart resumes from here even if this row never finishes.
      this.mark = Math.max(0, rowid - 1);
      this.append(`b ${this.mark}\n`);
    }
    this.inFlight.add(rowid);
  }

  /** The pipeline finished with a row (successfully or not). */
  markDone(rowid: number): void {
    if (this.closed) {
      this.log.debug('cursor: completion after close ignored (the row will be delivered again)', { rowid });
      return;
    }
    this.inFlight.delete(rowid);
    this.sendStarted.delete(rowid);
    this.uncertain.delete(rowid);
    if (this.isDone(rowid)) return;
    if (this.mark === null) {
      this.mark = Math.max(0, rowid - 1);
      this.append(`b ${this.mark}\n`);
    }
    this.doneAbove.add(rowid);
    this.append(`d ${rowid}\n`);
    this.advance();
    this.uncompacted += 1;
    if (this.uncompacted >= this.compactEvery) void this.compact();
    else this.compactTimer ??= setTimeout(() => void this.compact(), this.compactDelayMs).unref();
  }

  /** Writes the cursor file now and empties the journal. */
  async flush(): Promise<void> {
    await this.compact();
  }

  /** Compacts and closes the journal. Later marks are ignored. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.compact();
    this.closed = true;
    if (this.compactTimer) clearTimeout(this.compactTimer);
    if (this.journalFd !== null) closeSync(this.journalFd);
    this.journalFd = null;
  }

  private advance(): void {
    // Only rows below the oldest in-flight row can be folded into the watermark. Holes between
    // done rows are folded too: while running, every delivered row is either in flight or done,
    // so a hole is a row imsg never delivers (a tapback, a deleted row).
    let limit = Infinity;
    for (const rowid of this.inFlight) if (rowid < limit) limit = rowid;
    // Cheap exit for the common case (nothing foldable yet) before sorting.
    if (this.doneAbove.size <= this.maxDoneAbove) {
      let foldable = false;
      for (const rowid of this.doneAbove) {
        if (rowid < limit) {
          foldable = true;
          break;
        }
      }
      if (!foldable) return;
    }
    const sorted = [...this.doneAbove].sort((a, b) => a - b);
    let mark = this.mark ?? -1;
    let folded = 0;
    for (const rowid of sorted) {
      if (rowid >= limit) break;
      mark = rowid;
      folded += 1;
    }
    // Bounded memory: past the cap, give up on the oldest stuck rows (logged; they are still
    // being processed in memory, only a restart would not repeat them).
    const excess = sorted.length - folded - this.maxDoneAbove;
    if (excess > 0) {
      mark = sorted[folded + excess - 1]!;
      folded += excess;
      this.log.warn('cursor: too many rows finished above a stuck one; moving the watermark past it', { watermark: mark, inFlight: this.inFlight.size });
    }
    if (folded === 0) return;
    for (let i = 0; i < folded; i++) this.doneAbove.delete(sorted[i]!);
    this.mark = mark;
  }

  private append(line: string): void {
    if (this.journalFd === null) return;
    this.dirty = true;
    this.write(line);
  }

  private write(line: string): void {
    if (this.journalFd === null) return;
    try {
      writeSync(this.journalFd, line);
    } catch (error) {
      // Losing the journal only means a few rows may be delivered twice after a crash.
      this.log.error('cursor: journal write failed', { path: this.journalPath, error: (error as Error).message });
    }
  }

  /** Compactions run one at a time; a call while one runs queues (at most) one more. */
  private compact(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.queued ??= this.compactions.run(() => {
      this.queued = undefined;
      return this.compactOnce();
    });
    return this.queued;
  }

  private async compactOnce(): Promise<void> {
    if (this.compactTimer) clearTimeout(this.compactTimer);
    this.compactTimer = undefined;
    this.uncompacted = 0;
    if (!this.dirty) return;
    this.dirty = false;
    // Rotate first: marks made while the atomic write is in flight go to a fresh journal, and
    // the rotated one is deleted only once the cursor file holding its contents is on disk.
    this.rotateJournal();
    const file: CursorFile = { version: 1, watermark: this.mark, doneAbove: [...this.doneAbove].sort((a, b) => a - b), updatedAt: new Date().toISOString() };
    try {
      await writeFileAtomic(this.cursorPath, `${JSON.stringify(file)}\n`);
      rmSync(this.oldJournalPath, { force: true });
    } catch (error) {
      // The rotated journal stays and is replayed at the next load, so nothing is lost.
      this.dirty = true;
      this.log.error('cursor: could not write the cursor file', { path: this.cursorPath, error: (error as Error).message });
    }
  }

  private rotateJournal(): void {
    if (this.journalFd === null) return;
    try {
      closeSync(this.journalFd);
      this.journalFd = null;
      // An older rotated journal can exist only if its compaction failed: keep its lines.
      const previous = readFileIfExistsSync(this.oldJournalPath);
      if (previous) {
        const current = readFileIfExistsSync(this.journalPath) ?? '';
        writeJournal(this.journalPath, previous + current);
      }
      renameSync(this.journalPath, this.oldJournalPath);
    } catch (error) {
      this.log.error('cursor: journal rotation failed', { error: (error as Error).message });
    } finally {
      this.journalFd = openJournal(this.journalPath);
      // The cursor file does not hold send starts: carry the open ones into the fresh journal
      // (not marked dirty: nothing to compact, they only matter after a crash).
      for (const [rowid, fingerprint] of this.sendStarted) this.write(sendStartedLine(rowid, fingerprint));
    }
  }

  private async load(): Promise<void> {
    mkdirSync(dirname(this.cursorPath), { recursive: true, mode: 0o700 });
    let text: string | undefined;
    try {
      text = await readFileIfExists(this.cursorPath);
    } catch (error) {
      text = undefined;
      this.report.corruptReason = `unreadable (${(error as Error).message})`;
    }
    let corrupt = this.report.corruptReason !== undefined;
    if (text !== undefined) {
      const parsed = parseCursorFile(text);
      if (typeof parsed === 'string') {
        corrupt = true;
        this.report.corruptReason = parsed;
      } else {
        this.mark = parsed.watermark;
        for (const rowid of parsed.doneAbove) if (this.mark === null || rowid > this.mark) this.doneAbove.add(rowid);
      }
    }
    if (corrupt) {
      // The journal only makes sense on top of its cursor file: keep both aside, start live.
      this.report.corruptPreservedAt = await preserveCorruptFile(this.cursorPath).catch(() => undefined);
      for (const journal of [this.oldJournalPath, this.journalPath]) if (readFileIfExistsSync(journal) !== undefined) await preserveCorruptFile(journal).catch(() => undefined);
      this.log.warn(`cursor: ${this.cursorPath} is corrupt (${this.report.corruptReason}); kept it as ${this.report.corruptPreservedAt ?? '(could not move it)'} and resuming from live messages`);
    } else {
      for (const journal of [this.oldJournalPath, this.journalPath]) {
        const lines = readFileIfExistsSync(journal);
        if (lines) this.replay(lines);
      }
      if (this.report.badJournalLines > 0) this.log.warn('cursor: skipped unreadable journal lines', { count: this.report.badJournalLines });
      for (const rowid of this.sendStarted.keys()) {
        if (this.isDone(rowid)) this.sendStarted.delete(rowid);
        else this.uncertain.add(rowid);
      }
      if (this.uncertain.size > 0) this.log.info('cursor: replies whose send was interrupted by the last exit will be checked before answering again', { rows: [...this.uncertain] });
    }
    this.journalFd = openJournal(this.journalPath);
    if (this.report.replayedJournalLines > 0) {
      this.dirty = true;
      await this.compact();
    }
  }

  private replay(text: string): void {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const match = /^(?:([bd]) (\d+)|s (\d+)(?: ([0-9a-f]{1,64}))?)$/.exec(line);
      const rowid = match ? Number(match[2] ?? match[3]) : NaN;
      if (!match || !Number.isSafeInteger(rowid)) {
        this.report.badJournalLines += 1;
        continue;
      }
      this.report.replayedJournalLines += 1;
      if (match[3] !== undefined) {
        // Cleared again by the row's "d" line if the run got that far.
        if (!this.isDone(rowid)) this.sendStarted.set(rowid, match[4] ?? '');
      } else if (match[1] === 'b') {
        if (this.mark === null) this.mark = rowid;
      } else if (!this.isDone(rowid)) {
        if (this.mark === null) this.mark = Math.max(0, rowid - 1);
        this.doneAbove.add(rowid);
      }
      if (match[1] === 'd') this.sendStarted.delete(rowid);
    }
    this.foldContiguous();
  }

  /**
   * At load time nothing is known about rows that were in flight when the process died, so the
   * watermark may only move over an unbroken run (W+1, W+2, …); a hole may be such a row.
   */
  private foldContiguous(): void {
    if (this.mark === null) return;
    while (this.doneAbove.has(this.mark + 1)) {
      this.mark += 1;
      this.doneAbove.delete(this.mark);
    }
  }
}

const FINGERPRINT = /^[0-9a-f]{0,64}$/;

function sendStartedLine(rowid: number, fingerprint: string): string {
  return fingerprint ? `s ${rowid} ${fingerprint}\n` : `s ${rowid}\n`;
}

function openJournal(path: string): number {
  return openSync(path, 'a', 0o600);
}

function writeJournal(path: string, text: string): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

