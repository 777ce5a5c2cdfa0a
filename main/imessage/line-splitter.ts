// Splits a byte stream (imsg's stdout) into text lines. imsg writes one JSON object per line, and
// a single line can be many megabytes (a `messages.history` answer), so this splitter has no small
// cap, but it does have a large one: a runaway line must not eat the gateway's memory. A line that is
// too long is reported and skipped, so one bad line can never take the transport down. A line that
// is not valid UTF-8 is decoded with replacement characters (U+FFFD) and delivered, flagged as
// repaired: a stray byte in one field must not cost the whole message it belongs to (JSON framing
// is ASCII, so the repair never breaks a line's structure). Pure (no I/O), so it can be
// unit-tested and fuzzed on its own.
import { isUtf8 } from 'node:buffer';

/** Default cap for one line: far above any real imsg answer, far below what would hurt. */
export const DEFAULT_MAX_LINE_BYTES = 10 * 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export type SkipReason = 'oversized';

export interface LineSink {
  /**
   * One complete line, without its `\n` (and without a trailing `\r`). May be empty. `repaired`:
   * the line was not valid UTF-8; its invalid bytes became U+FFFD.
   */
  line(text: string, repaired: boolean): void;
  /** A line that was dropped; `bytes` is its length without the newline. */
  skipped(reason: SkipReason, bytes: number): void;
}

export class LineSplitter {
  private readonly maxLineBytes: number;
  /** Pieces of the current, unfinished line (kept as a list so a long line is copied only once). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** True while throwing away the rest of an oversized line; `discarded` counts its bytes. */
  private discarding = false;
  private discarded = 0;

  constructor(private readonly sink: LineSink, options: { maxLineBytes?: number } = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        this.keepPartial(chunk, start);
        return;
      }
      this.finishLine(chunk, start, newline);
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (this.discarding) {
      this.sink.skipped('oversized', this.discarded);
    } else if (this.pendingBytes > 0) {
      this.emit(this.takePending());
    }
    this.reset();
  }

  private keepPartial(chunk: Buffer, start: number): void {
    const length = chunk.length - start;
    if (this.discarding) {
      this.discarded += length;
      return;
    }
    if (this.pendingBytes + length > this.maxLineBytes) {
      this.startDiscarding(length);
      return;
    }
    // Copy: the stream may reuse the chunk's memory once we return.
    this.pending.push(Buffer.from(chunk.subarray(start)));
    this.pendingBytes += length;
  }

  private finishLine(chunk: Buffer, start: number, newline: number): void {
    const length = newline - start;
    if (this.discarding) {
      this.sink.skipped('oversized', this.discarded + length);
      this.reset();
      return;
    }
    if (this.pendingBytes + length > this.maxLineBytes) {
      this.sink.skipped('oversized', this.pendingBytes + length);
      this.reset();
      return;
    }
    if (this.pendingBytes === 0) {
      // Fast path (almost every line): the whole line sits inside this chunk.
      this.emit(chunk.subarray(start, newline));
      return;
    }
    this.pending.push(chunk.subarray(start, newline));
    this.pendingBytes += length;
    this.emit(this.takePending());
    this.reset();
  }

  private startDiscarding(length: number): void {
    this.discarding = true;
    this.discarded = this.pendingBytes + length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private takePending(): Buffer {
    return this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
  }

  private emit(bytes: Buffer): void {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.length - 1 : bytes.length;
    const line = end === bytes.length ? bytes : bytes.subarray(0, end);
    // toString() replaces every invalid sequence with U+FFFD; isUtf8 (SIMD, cheap) only tells
    // whether it had to.
    this.sink.line(line.toString('utf8'), !isUtf8(line));
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
    this.discarded = 0;
  }
}

export type SplitOutput = { line: string; repaired?: true } | { skipped: SkipReason; bytes: number };

/** Convenience for tests and fuzzing: split a whole sequence of chunks. */
export function splitLines(chunks: Iterable<Buffer>, options: { maxLineBytes?: number } = {}): SplitOutput[] {
  const out: SplitOutput[] = [];
  const splitter = new LineSplitter(
    {
      line: (line, repaired) => out.push(repaired ? { line, repaired } : { line }),
      skipped: (skipped, bytes) => out.push({ skipped, bytes }),
    },
    options,
  );
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return out;
}
