// Property-based fuzzing of the JSON-RPC line reader: main/imessage/line-splitter.ts on its own,
// and the rpc-client's handling of whatever imsg writes on stdout, both in-process (thousands of
// cases) and through a real child process and pipe (the path production uses).
//
// The central property: however imsg's output is cut into chunks, and whatever garbage, partial,
// oversized or non-UTF-8 lines it contains, the reader never throws, never hangs, and delivers
// every line within the size cap exactly once, in order (a line that is not valid UTF-8 is read
// with replacement characters, so a message is never lost to its encoding).
import { isUtf8 } from 'node:buffer';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { cpuMs } from '../support/cpu-time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineSplitter, splitLines, type SplitOutput } from '../../main/imessage/line-splitter';
import { ImsgRpcClient, type ImsgNotification } from '../../main/imessage/rpc-client';
import { createLogHub } from '../../main/util/logger';

type Out = SplitOutput;

/**
 * The specification of the splitter, written the obvious (whole-buffer) way: split at every `\n`;
 * a line longer than the cap (counting a trailing `\r`) is skipped as oversized; otherwise the
 * trailing `\r` is dropped and the line is delivered, decoded with replacement characters and
 * flagged as repaired if it is not valid UTF-8. An unterminated last line counts when it is not
 * empty.
 */
function referenceSplit(whole: Buffer, maxLineBytes: number): Out[] {
  const out: Out[] = [];
  let start = 0;
  for (;;) {
    const newline = whole.indexOf(0x0a, start);
    const end = newline === -1 ? whole.length : newline;
    if (newline === -1 && end === start) break;
    const raw = whole.subarray(start, end);
    if (raw.length > maxLineBytes) out.push({ skipped: 'oversized', bytes: raw.length });
    else {
      const line = raw.length > 0 && raw[raw.length - 1] === 0x0d ? raw.subarray(0, raw.length - 1) : raw;
      out.push(isUtf8(line) ? { line: line.toString('utf8') } : { line: line.toString('utf8'), repaired: true });
    }
    if (newline === -1) break;
    start = newline + 1;
  }
  return out;
}

/** Cuts `whole` at the given points (any order, duplicates and out-of-range values allowed). */
function cut(whole: Buffer, points: readonly number[], keepEmpty = false): Buffer[] {
  const sorted = [...new Set(points.map((p) => (whole.length === 0 ? 0 : p % (whole.length + 1))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of sorted) {
    chunks.push(whole.subarray(from, point));
    from = point;
  }
  chunks.push(whole.subarray(from));
  return keepEmpty ? chunks : chunks.filter((chunk) => chunk.length > 0);
}

// Bytes that matter to a line reader, over-represented: newline, CR, `{`, quote, UTF-8 lead and
// continuation bytes, invalid bytes (0xC0, 0xF5–0xFF), NUL.
const interestingByte = fc.constantFrom(0x0a, 0x0d, 0x7b, 0x7d, 0x22, 0x00, 0xc3, 0xa9, 0xe2, 0x9d, 0xa4, 0xf0, 0x9f, 0x80, 0xc0, 0xff, 0xfe, 0xed, 0xa0);
const byteArb = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) }, { weight: 2, arbitrary: interestingByte });
const rawBytes = fc.array(byteArb, { maxLength: 400 }).map((bytes) => Buffer.from(bytes));

/** A stream built from line-shaped pieces: valid text, invalid UTF-8, long lines, CRLF, no final newline. */
const piece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s.replace(/\n/g, ' '), 'utf8')),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => Buffer.from(s.replace(/\n/g, ' '), 'utf8')), // lone surrogates become U+FFFD: valid
  fc.uint8Array({ maxLength: 30 }).map((bytes) => Buffer.from(bytes.filter((b) => b !== 0x0a))),
  fc.integer({ min: 50, max: 300 }).map((n) => Buffer.alloc(n, 0x78)),
  fc.constant(Buffer.from('\r')),
  fc.constant(Buffer.from([0xe2, 0x9d])), // a truncated 3-byte sequence
);
const lineStream = fc
  .tuple(fc.array(piece, { maxLength: 25 }), fc.boolean())
  .map(([pieces, finalNewline]) => {
    const joined = Buffer.concat(pieces.flatMap((p) => [p, Buffer.from('\n')]));
    return finalNewline || joined.length === 0 ? joined : joined.subarray(0, joined.length - 1);
  });

const cutPoints = fc.array(fc.nat(), { maxLength: 40 });

describe('LineSplitter (fuzz)', () => {
  it('matches the reference splitter for arbitrary bytes and arbitrary chunkings', () => {
    fc.assert(
      fc.property(fc.oneof(rawBytes, lineStream), cutPoints, fc.integer({ min: 1, max: 200 }), (whole, points, maxLineBytes) => {
        expect(splitLines(cut(whole, points, true), { maxLineBytes })).toEqual(referenceSplit(whole, maxLineBytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same result byte by byte as in one piece (worst-case chunking)', () => {
    fc.assert(
      fc.property(lineStream, fc.integer({ min: 1, max: 120 }), (whole, maxLineBytes) => {
        const bytewise = [...whole].map((byte) => Buffer.from([byte]));
        expect(splitLines(bytewise, { maxLineBytes })).toEqual(splitLines([whole], { maxLineBytes }));
      }),
      { numRuns: 500 },
    );
  });

  it('delivers each line within the cap exactly once, in order (non-UTF-8 ones repaired), among skipped oversized ones', () => {
    // Tagged lines, some with invalid UTF-8 inside, interleaved with lines that must be skipped.
    const item = fc.oneof(
      fc.constant({ kind: 'valid' as const }),
      fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => ({ kind: 'damaged' as const, bytes: Buffer.concat([Buffer.from(b.filter((x) => x !== 0x0a && x !== 0x0d).slice(0, 10)), Buffer.from([0xff])]) })),
      fc.integer({ min: 65, max: 500 }).map((n) => ({ kind: 'oversized' as const, bytes: Buffer.alloc(n, 0x7b) })),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 60 }), cutPoints, (items, points) => {
        let n = 0;
        const expected: string[] = [];
        const parts: Buffer[] = [];
        for (const it of items) {
          if (it.kind === 'oversized') {
            parts.push(Buffer.concat([it.bytes, Buffer.from('\n')]));
            continue;
          }
          // `{"n":<n>,"t":"<bytes>"}`: the damaged bytes sit inside a string, as in a message text.
          const line = Buffer.concat([Buffer.from(`{"n":${n++},"t":"`), it.kind === 'damaged' ? it.bytes : Buffer.alloc(0), Buffer.from('"}')]);
          expected.push(line.toString('utf8'));
          parts.push(Buffer.concat([line, Buffer.from('\n')]));
        }
        const out = splitLines(cut(Buffer.concat(parts), points), { maxLineBytes: 64 });
        expect(out.filter((o): o is { line: string } => 'line' in o).map((o) => o.line)).toEqual(expected);
        expect(out.filter((o) => 'line' in o && o.repaired).length).toBe(items.filter((it) => it.kind === 'damaged').length);
        expect(out.filter((o) => 'skipped' in o)).toHaveLength(items.filter((it) => it.kind === 'oversized').length);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws or slows down on huge, pathological input (linear time, bounded memory)', () => {
    // 40 MB in total: an oversized line in 1-byte-ish pieces, one huge chunk with no newline, and
    // hundreds of thousands of tiny lines.
    const lines: string[] = [];
    let skipped = 0;
    const splitter = new LineSplitter({ line: (l) => lines.push(l), skipped: () => skipped++ }, { maxLineBytes: 1024 * 1024 });
    const { ms: elapsed } = cpuMs(() => {
      const small = Buffer.alloc(7, 0x61);
      for (let i = 0; i < 200_000; i++) splitter.push(small); // 1.4 MB line → skipped once
      splitter.push(Buffer.from('\n'));
      splitter.push(Buffer.alloc(32 * 1024 * 1024, 0x62)); // a 32 MB runaway line: discarded, not buffered
      splitter.push(Buffer.from('\nok\n'));
      splitter.push(Buffer.from('x\n'.repeat(300_000)));
      splitter.end();
    });
    expect(skipped).toBe(2);
    expect(lines[0]).toBe('ok');
    expect(lines).toHaveLength(300_001);
    expect(elapsed).toBeLessThan(3000);
  });
});

// ------------------------------------------------------------------------------------------------
// rpc-client line handling
// ------------------------------------------------------------------------------------------------

/** What imsg may write on stdout between real frames. */
const junkLine = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.json({ maxDepth: 2 }), // any JSON: arrays, strings, numbers, null, objects without method/id
  fc.constantFrom(
    '{',
    '{"jsonrpc":"2.0"',
    '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}',
    '{"jsonrpc":"2.0","id":"7","result":{}}', // string id: not ours
    '{"jsonrpc":"2.0","id":999999999,"result":{}}', // unknown id
    '{"jsonrpc":"2.0","id":-1,"error":{"code":1}}',
    '{"jsonrpc":"2.0","method":42,"params":{}}', // method not a string
    '{"jsonrpc":"2.0","id":3,"method":"message"}', // has an id: not a notification
    '[{"method":"message"}]',
    'null',
    '"string"',
    'Permission Error: authorization denied (code: 23)',
    '   ',
    '\u0000\u0001',
    '{"__proto__":{"polluted":true},"method":"x"}',
  ),
).map((text) => Buffer.from(text.replace(/[\r\n]/g, ' '), 'utf8'));
const badBytesLine = fc.uint8Array({ minLength: 1, maxLength: 30 }).map((b) => Buffer.concat([Buffer.from([0xc3]), Buffer.from(b.filter((x) => x !== 0x0a)), Buffer.from([0xff])]));
/** Invalid UTF-8 inside a message's text: the notification must still arrive. */
const damagedText = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Buffer.concat([Buffer.from(b.filter((x) => x !== 0x0a && x !== 0x0d && x !== 0x22 && x !== 0x5c && x >= 0x20)), Buffer.from([0xff])]));
const oversizedLine = fc.integer({ min: 1100, max: 3000 }).map((n) => Buffer.from(`{"jsonrpc":"2.0","method":"message","params":{"pad":"${'x'.repeat(n)}"}}`));

/** A stdout stream: numbered notifications (`seq`, some with invalid UTF-8 in their text) among junk. Returns the bytes and the expected seqs. */
const stdoutStream = (seqBase: () => number) =>
  fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: damagedText.map((bytes) => ({ damaged: bytes })) },
        { weight: 1, arbitrary: junkLine },
        { weight: 1, arbitrary: badBytesLine },
        { weight: 1, arbitrary: oversizedLine },
      ),
      { maxLength: 40 },
    )
    .map((items) => {
      const expected: number[] = [];
      const parts: Buffer[] = [];
      for (const item of items) {
        if (item === null || !Buffer.isBuffer(item)) {
          const seq = seqBase() + expected.length;
          expected.push(seq);
          const [head, tail] = JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { subscription: 1, seq, message: { text: 'héllo 👋🏽 @@' } } }).split('@@') as [string, string];
          parts.push(Buffer.concat([Buffer.from(head), item === null ? Buffer.alloc(0) : item.damaged, Buffer.from(`${tail}\n`)]));
        } else parts.push(Buffer.concat([item, Buffer.from('\n')]));
      }
      return { bytes: Buffer.concat(parts), expected };
    });

function seqsOf(notifications: ImsgNotification[]): number[] {
  return notifications.filter((n) => n.method === 'message').map((n) => (n.params as { seq: number }).seq);
}

describe('ImsgRpcClient stdout handling (fuzz, in-process)', () => {
  it('delivers every notification exactly once in order and never throws, whatever surrounds it', () => {
    const hub = createLogHub({ level: 'debug', ringSize: 50 });
    const notifications: ImsgNotification[] = [];
    const client = new ImsgRpcClient({ cliPath: '/nonexistent', logger: hub.logger('fuzz'), onNotification: (n) => notifications.push(n) });
    // The client's stdout path is LineSplitter → onStdoutLine; drive exactly that, without a child.
    const onLine = (text: string) => client['onStdoutLine'](text);
    let next = 0;
    fc.assert(
      fc.property(
        stdoutStream(() => next),
        cutPoints,
        ({ bytes, expected }, points) => {
          notifications.length = 0;
          const splitter = new LineSplitter({ line: onLine, skipped: () => {} }, { maxLineBytes: 256 });
          for (const chunk of cut(bytes, points)) splitter.push(chunk);
          splitter.end();
          next += expected.length;
          expect(seqsOf(notifications)).toEqual(expected);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// A fake imsg that writes, for each `emit` request, the given base64 chunks on stdout (yielding to
// the event loop between them, so they tend to arrive as separate reads), then a newline (ending
// any partial line) and the answer. One child serves the whole property run.
const FAKE_IMSG = `#!/usr/bin/env node
let buffer = '';
let queue = Promise.resolve();
const write = (data) => new Promise((resolve) => process.stdout.write(data, resolve));
process.stdin.on('data', (data) => {
  buffer += data;
  let nl;
  while ((nl = buffer.indexOf('\\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    const request = JSON.parse(line);
    queue = queue.then(async () => {
      for (const chunk of request.params.chunks ?? []) {
        await write(Buffer.from(chunk, 'base64'));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await write('\\n' + JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { done: request.params.tag } }) + '\\n');
    });
  }
});
process.stdin.on('end', () => queue.then(() => process.exit(0)));
`;

describe('ImsgRpcClient stdout handling (fuzz, real child process and pipe)', () => {
  let dir: string;
  let client: ImsgRpcClient;
  const notifications: ImsgNotification[] = [];
  const hub = createLogHub({ level: 'debug', ringSize: 5000 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fuzz-rpc-'));
    const script = join(dir, 'imsg');
    writeFileSync(script, FAKE_IMSG, { mode: 0o755 });
    client = new ImsgRpcClient({ cliPath: script, logger: hub.logger('imsg'), maxLineBytes: 1024, requestTimeoutMs: 5000, onNotification: (n) => notifications.push(n) });
    await client.start();
  });
  afterAll(async () => {
    await client.stop({ graceMs: 200 });
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every request and delivers every notification once, in order, through garbage on the pipe', async () => {
    let next = 0;
    let tag = 0;
    await fc.assert(
      fc.asyncProperty(stdoutStream(() => next), cutPoints, async ({ bytes, expected }, points) => {
        notifications.length = 0;
        const chunks = cut(bytes, points).map((chunk) => chunk.toString('base64'));
        const myTag = tag++;
        // The answer is written after the stream on the same pipe, so once it arrives, every
        // notification before it has been handled.
        await expect(client.request('emit', { chunks, tag: myTag })).resolves.toEqual({ done: myTag });
        next += expected.length;
        expect(seqsOf(notifications)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
    expect(client.running).toBe(true);
    const logs = hub.tail(5000).map((r) => r.msg);
    expect(logs.some((m) => m.startsWith('imsg rpc: skipped an oversized stdout line'))).toBe(true);
    expect(logs.some((m) => m.startsWith('imsg rpc: a stdout line was not valid UTF-8; read it with replacement characters'))).toBe(true);
  });

  it('survives a line over the production 10 MB cap, in pieces, and keeps answering', async () => {
    // 14 MB of base64 through a child and back: seconds of work on a loaded 2-core CI machine, so
    // the request's bound is generous (what is tested is that the line is skipped, not speed).
    const big = new ImsgRpcClient({ cliPath: join(dir, 'imsg'), logger: hub.logger('imsg-big'), requestTimeoutMs: 60_000, onNotification: (n) => notifications.push(n) });
    await big.start();
    try {
      notifications.length = 0;
      const line = Buffer.from(`{"jsonrpc":"2.0","method":"message","params":{"seq":-1,"pad":"${'y'.repeat(10 * 1024 * 1024 + 10)}"}}\n`);
      const after = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { seq: 1 } })}\n`);
      const chunks = [...cut(line, [1, 65_536, 5_000_000, 9_999_999]), after].map((c) => c.toString('base64'));
      await expect(big.request('emit', { chunks, tag: 'big' })).resolves.toEqual({ done: 'big' });
      expect(seqsOf(notifications)).toEqual([1]);
      expect(hub.tail(50).some((r) => r.scope === 'imsg-big' && /oversized stdout line \(1048\d{4} bytes\)/.test(r.msg))).toBe(true);
    } finally {
      await big.stop({ graceMs: 200 });
    }
  }, 90_000);
});

describe('ImsgRpcClient: a child that writes random bytes and exits', () => {
  it('reports the exit and never throws, for arbitrary output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-exit-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof(rawBytes, lineStream), async (bytes) => {
          const file = join(dir, 'out.bin');
          writeFileSync(file, bytes);
          const script = join(dir, 'imsg');
          // cat the bytes, then exit 3 (no answer to anything).
          writeFileSync(script, `#!/bin/sh\ncat ${JSON.stringify(file)}\nexit 3\n`, { mode: 0o755 });
          const client = new ImsgRpcClient({ cliPath: script, requestTimeoutMs: 3000 });
          await client.start();
          const pending = client.request('chats.list').catch((error: unknown) => error);
          const info = await client.waitForExit();
          expect(info.code).toBe(3);
          expect(info.description).toBe('imsg rpc exited (code 3)');
          const error = await pending;
          expect(error).toMatchObject({ kind: expect.stringMatching(/^(exited|write-failed)$/) });
        }),
        { numRuns: 15 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
