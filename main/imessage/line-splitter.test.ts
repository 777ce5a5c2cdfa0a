import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuMs } from '../../test/support/cpu-time';
import { splitLines } from './line-splitter';

const b = (text: string) => Buffer.from(text, 'utf8');

describe('LineSplitter', () => {
  it('splits lines across chunk boundaries and strips \\r', () => {
    expect(splitLines([b('{"a":1}\n{"b"'), b(':2}\r\n'), b('tail')])).toEqual([{ line: '{"a":1}' }, { line: '{"b":2}' }, { line: 'tail' }]);
  });

  it('keeps empty lines (the client decides to ignore them)', () => {
    expect(splitLines([b('\n\nx\n')])).toEqual([{ line: '' }, { line: '' }, { line: 'x' }]);
  });

  it('reassembles a multi-byte character split between chunks', () => {
    const bytes = b('héllo ❤️ wörld\n');
    const out = splitLines([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)]);
    expect(out).toEqual([{ line: 'héllo ❤️ wörld' }]);
  });

  it('skips an oversized line, whether it arrives in one chunk or many, and continues after it', () => {
    const max = 16;
    expect(splitLines([b(`${'x'.repeat(20)}\nok\n`)], { maxLineBytes: max })).toEqual([{ skipped: 'oversized', bytes: 20 }, { line: 'ok' }]);
    const pieces = [b('y'.repeat(10)), b('y'.repeat(10)), b('y'.repeat(10)), b('\nafter\n')];
    expect(splitLines(pieces, { maxLineBytes: max })).toEqual([{ skipped: 'oversized', bytes: 30 }, { line: 'after' }]);
    // Exactly at the cap is fine.
    expect(splitLines([b(`${'z'.repeat(16)}\n`)], { maxLineBytes: max })).toEqual([{ line: 'z'.repeat(16) }]);
  });

  it('reports an oversized unterminated line at end of stream', () => {
    expect(splitLines([b('q'.repeat(40))], { maxLineBytes: 16 })).toEqual([{ skipped: 'oversized', bytes: 40 }]);
  });

  it('reads lines that are not valid UTF-8 with replacement characters (flagged as repaired), and the next ones as they are', () => {
    const bad = Buffer.concat([b('{"text":"'), Buffer.from([0xff, 0xfe, 0xc3]), b('"}\n{"ok":true}\n')]);
    expect(splitLines([bad])).toEqual([{ line: '{"text":"\ufffd\ufffd\ufffd"}', repaired: true }, { line: '{"ok":true}' }]);
  });

  it('is fast on a burst of thousands of lines', () => {
    const line = JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { subscription: 1, message: { id: 1, text: 'hello '.repeat(20) } } });
    const burst = b(`${line}\n`.repeat(20_000));
    const chunks: Buffer[] = [];
    for (let i = 0; i < burst.length; i += 65_536) chunks.push(burst.subarray(i, i + 65_536));
    const { result: out, ms } = cpuMs(() => splitLines(chunks));
    expect(out).toHaveLength(20_000);
    expect(out[19_999]).toEqual({ line });
    expect(ms).toBeLessThan(500);
  });

  it('property: any chunking of any lines gives back the same lines', () => {
    const lineArb = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ''));
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, cuts) => {
        const whole = b(lines.map((l) => `${l}\n`).join(''));
        const points = [...new Set(cuts.map((c) => (whole.length === 0 ? 0 : c % whole.length)))].sort((x, y) => x - y);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(whole.subarray(from, p));
          from = p;
        }
        chunks.push(whole.subarray(from));
        expect(splitLines(chunks.filter((c) => c.length > 0))).toEqual(lines.map((line) => ({ line })));
      }),
      { numRuns: 300 },
    );
  });
});
