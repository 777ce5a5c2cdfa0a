// Property-based fuzzing of the outgoing-text chunker (main/imessage/chunking.ts) with inputs the
// colocated property tests do not generate: arbitrary Unicode (lone surrogates, combining marks,
// every kind of whitespace and line separator), long texts, and adversarial shapes, checking the
// invariants the module documents in its header:
//   - reassembly: input = gap₀ + chunk₁ + gap₁ + … + chunkₙ + gapₙ, every gap whitespace only;
//   - every chunk ≤ limit (UTF-16 units) unless it is a single grapheme;
//   - cuts fall on grapheme boundaries; no chunk is empty or blank; none ends in whitespace;
//   - deterministic, and linear in time on any input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkText } from '../../main/imessage/chunking';
import { cpuMs } from '../support/cpu-time';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/**
 * Grapheme clusters of `text`. Segmented line by line: Intl.Segmenter is quadratic on long
 * strings in Node 20, and a line feed always ends a cluster (UAX #29 GB4), so this is exact.
 */
const graphemes = (text: string) => text.split(/(?<=\n)/).flatMap((line) => Array.from(segmenter.segment(line), (s) => s.segment));
const isBlank = (text: string) => /^\s*$/.test(text);

const specials = fc.constantFrom(
  ' ', '\t', '\n', '\r\n', '\r', '\n\n', '\n \n', '\u00a0', '\u2028', '\u2029', '\u3000', '\u200b', '\ufeff',
  '(', ')', '((', '))', '```', '~~~', '\n```\n', 'e\u0301', ' \u0301', '\u0301', '👨‍👩‍👧‍👦', '🇫🇷', '❤️', '👍🏽',
  '\ud800', '\udc00', 'x'.repeat(70), 'word ', ' word', '  indented\n',
);
const textArb = fc.oneof(
  fc.array(fc.oneof(specials, fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 120 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
);
const limitArb = fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 400 }));
const modeArb = fc.constantFrom<'length' | 'newline'>('length', 'newline');

/** Checks every documented invariant; returns a description of the first violation, or null. */
function violation(text: string, limit: number, chunks: string[]): string | null {
  let pos = 0;
  for (const [i, chunk] of chunks.entries()) {
    if (chunk === '' || isBlank(chunk)) return `chunk ${i} is blank`;
    const parts = graphemes(chunk);
    if (chunk.length > limit && parts.length !== 1) return `chunk ${i} has ${chunk.length} units > ${limit}`;
    if (isBlank(parts[parts.length - 1]!)) return `chunk ${i} ends in whitespace`;
    // The gap before the chunk is whitespace only; the chunk follows it verbatim.
    const at = text.indexOf(chunk, pos);
    if (at < 0 || !isBlank(text.slice(pos, at))) return `chunk ${i} does not follow a whitespace gap at ${pos}`;
    pos = at + chunk.length;
  }
  if (!isBlank(text.slice(pos))) return 'content after the last chunk was dropped';
  // Cuts on grapheme boundaries: the non-blank graphemes of the chunks are those of the input.
  const want = graphemes(text).filter((g) => !isBlank(g));
  const got = chunks.flatMap(graphemes).filter((g) => !isBlank(g));
  if (want.length !== got.length || want.some((g, i) => g !== got[i])) return 'a grapheme was torn or lost';
  return null;
}

describe('chunkText (fuzz)', () => {
  it('keeps every documented invariant for arbitrary Unicode text, limits and modes', () => {
    fc.assert(
      fc.property(textArb, limitArb, modeArb, (text, limit, mode) => {
        const chunks = chunkText(text, { limit, mode });
        expect(violation(text, limit, chunks)).toBeNull();
        expect(chunkText(text, { limit, mode })).toEqual(chunks); // deterministic
      }),
      { numRuns: 3000 },
    );
  });

  it('never splits text that fits, apart from trimming its edges (length mode)', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const chunks = chunkText(text, { limit: Math.max(1, text.length) });
        if (isBlank(text)) expect(chunks).toEqual([]);
        else expect(chunks).toHaveLength(1);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects a limit that is not a positive integer with a RangeError naming the config key', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ max: 0 }), fc.double().filter((n) => !Number.isInteger(n) || n < 1), fc.constant(Number.NaN)), (limit) => {
        expect(() => chunkText('hello', { limit })).toThrow(/textChunkLimit/);
        expect(() => chunkText('hello', { limit })).toThrow(RangeError);
      }),
      { numRuns: 300 },
    );
  });

  it('stays linear on adversarial shapes (no quadratic rescans)', () => {
    const n = 100_000;
    const shapes = [
      'x'.repeat(n), // no whitespace at all: hard cuts
      '('.repeat(n), // unbalanced parentheses: every break is "inside"
      '( '.repeat(n / 2), // a break at every position, all inside parentheses
      ' '.repeat(n - 1) + 'x', // one long gap
      '\n'.repeat(n / 2) + 'x', // blank lines only (newline mode: one paragraph)
      'ab\n\n'.repeat(n / 4), // many paragraphs
      '👨‍👩‍👧‍👦'.repeat(n / 11), // long graphemes, non-ASCII path
      'é '.repeat(n / 2),
      `e${'\u0301'.repeat(n)}`, // one grapheme of 100k code units ("zalgo")
      `a${'\u0301'.repeat(50)} `.repeat(n / 52),
    ];
    for (const mode of ['length', 'newline'] as const) {
      for (const limit of [1, 7, 4000]) {
        for (const text of shapes) {
          const { result: chunks, ms: elapsed } = cpuMs(() => chunkText(text, { limit, mode }));
          expect(chunks.length).toBeGreaterThan(0);
          expect(elapsed, `${mode} limit ${limit} on ${JSON.stringify(text.slice(0, 8))}…`).toBeLessThan(2000);
        }
      }
    }
    // And the invariants on one large realistic text.
    const big = Array.from({ length: 3000 }, (_, i) => `Line ${i}: ${'lorem ipsum (dolor) sit amet '.repeat(i % 7)}${i % 10 === 0 ? '\n' : ''}`).join('\n');
    expect(violation(big, 4000, chunkText(big, { limit: 4000 }))).toBeNull();
    expect(violation(big, 160, chunkText(big, { limit: 160, mode: 'newline' }))).toBeNull();
  }, 60_000);
});
