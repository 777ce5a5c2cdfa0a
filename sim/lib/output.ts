// Stdout for JSON lines. All output goes through one writer so lines never interleave. In garbage
// mode (IMSG_SIM_GARBAGE=1) every real line is preceded by a noise line and written in two chunks
// with a pause between them, to exercise clients' line framing and parse-error handling.
import { toWireJson } from './payloads';

const GARBAGE: Array<string | Buffer> = [
  'imsg: simulated noise, this line is not JSON',
  '{"jsonrpc":"2.0","id":',
  Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80, 0x0a]), // invalid UTF-8 (already newline-terminated)
  '[1,2,3]',
  '"a bare JSON string"',
  '{"note":"simulated noise: an object with neither id nor method"}',
  '',
  '\u0007\u001b[31m control characters and an ANSI colour code\u001b[0m',
];

export class LineWriter {
  private tail: Promise<void> = Promise.resolve();
  private garbageIndex = 0;
  private frozen = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly garbage: boolean,
  ) {}

  /** Serialises `value` as one wire line. Resolves once the bytes are handed to the OS. */
  json(value: unknown): Promise<void> {
    return this.line(toWireJson(value));
  }

  line(text: string): Promise<void> {
    if (this.frozen) return this.tail;
    if (!this.garbage) {
      this.tail = this.write(`${text}\n`);
      return this.tail;
    }
    // Split by bytes, not characters: a chunk boundary inside a UTF-8 sequence is what a reader must survive.
    const bytes = Buffer.from(`${text}\n`, 'utf8');
    const half = Math.floor(bytes.length / 2);
    this.tail = this.tail.then(async () => {
      await this.noise();
      await this.write(bytes.subarray(0, half));
      await new Promise((resolve) => setTimeout(resolve, 1));
      await this.write(bytes.subarray(half));
    });
    return this.tail;
  }

  /** Garbage mode only: one noise line on its own (e.g. at start-up). */
  startupNoise(): void {
    if (this.garbage) this.tail = this.tail.then(() => this.noise());
  }

  private noise(): Promise<void> {
    const noise = GARBAGE[this.garbageIndex++ % GARBAGE.length] as string | Buffer;
    return this.write(typeof noise === 'string' ? `${noise}\n` : noise);
  }

  /** Drops everything written from now on (the process is about to die). */
  freeze(): void {
    this.frozen = true;
  }

  /** Resolves when everything written so far has been handed to the OS. */
  flush(): Promise<void> {
    return this.tail.then(() => this.write(''));
  }

  private write(chunk: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      this.stream.write(chunk, () => resolve());
    });
  }
}
