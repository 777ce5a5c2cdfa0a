import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuMs } from '../../test/support/cpu-time';
import { chunkText, DEFAULT_TEXT_CHUNK_LIMIT } from './chunking';

const graphemes = (s: string): string[] => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].map((x) => x.segment);

/**
 * The reassembly rule from chunking.ts: input = gap + c1 + gap + … + cn + gap, every gap
 * whitespace-only. Returns a description of the first violation, or undefined.
 */
function reassemblyViolation(input: string, chunks: string[]): string | undefined {
  let pos = 0;
  for (const [i, chunk] of chunks.entries()) {
    let gapEnd = pos;
    while (gapEnd < input.length && /\s/.test(input[gapEnd]) && !input.startsWith(chunk, gapEnd)) gapEnd++;
    if (!input.startsWith(chunk, gapEnd)) return `chunk ${i} ${JSON.stringify(chunk)} not found after a whitespace gap at ${pos}`;
    pos = gapEnd + chunk.length;
  }
  if (/\S/.test(input.slice(pos))) return `text left over after the last chunk: ${JSON.stringify(input.slice(pos))}`;
  return undefined;
}

/** Cut points (offsets between chunks in the input) must be grapheme boundaries. */
function tornGraphemes(input: string, chunks: string[]): boolean {
  // Every grapheme of the input that is not whitespace must appear whole in some chunk, in order.
  const expected = graphemes(input).filter((g) => /\S/.test(g));
  const actual = chunks.flatMap((c) => graphemes(c)).filter((g) => /\S/.test(g));
  return JSON.stringify(expected) !== JSON.stringify(actual);
}

describe('chunkText: length mode', () => {
  it('keeps multi-line text in one chunk when under the limit', () => {
    expect(chunkText('line one\nline two\n\nline three', { limit: 100 })).toEqual(['line one\nline two\n\nline three']);
  });

  it('splits only when the text exceeds the limit', () => {
    expect(chunkText('abcde fghij', { limit: 11 })).toEqual(['abcde fghij']);
    expect(chunkText('abcde fghij', { limit: 10 })).toEqual(['abcde', 'fghij']);
  });

  it('prefers breaking at the last newline before the limit', () => {
    expect(chunkText('alpha beta\ngamma delta epsilon', { limit: 20 })).toEqual(['alpha beta', 'gamma delta epsilon']);
  });

  it('otherwise breaks at the last whitespace under the limit', () => {
    expect(chunkText('one two three four five', { limit: 12 })).toEqual(['one two', 'three four', 'five']);
  });

  it('falls back to a hard break when there is no whitespace', () => {
    expect(chunkText('abcdefghijklmnopqrstuvwxyz', { limit: 10 })).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz']);
  });

  it('avoids breaking inside parentheses when another break exists', () => {
    // The last space in the window is inside "(see the note)"; the break before it is preferred.
    expect(chunkText('intro text (see the note) more', { limit: 22 })).toEqual(['intro text', '(see the note) more']);
    // Inside parentheses only: still breaks at whitespace rather than mid-word.
    expect(chunkText('(aaaa bbbb cccc dddd)', { limit: 12 })).toEqual(['(aaaa bbbb', 'cccc dddd)']);
  });

  it('uses the whitespace right after a full window', () => {
    expect(chunkText('abcde fghij', { limit: 5 })).toEqual(['abcde', 'fghij']);
  });

  it('drops only whitespace at cuts and keeps the indentation of the next line', () => {
    const code = 'def f():\n    return 1\n    return 2';
    expect(chunkText(code, { limit: 21 })).toEqual(['def f():\n    return 1', '    return 2']);
  });

  it('trims the edges and returns nothing for blank text', () => {
    expect(chunkText('\n\n  hello  \n', { limit: 100 })).toEqual(['  hello']);
    expect(chunkText('   \n\t ', { limit: 100 })).toEqual([]);
    expect(chunkText('', { limit: 100 })).toEqual([]);
  });

  it('never tears emoji, ZWJ sequences, flags or combining marks', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 code units
    expect(chunkText(`${family}${family}`, { limit: 12 })).toEqual([family, family]);
    expect(chunkText('🇺🇸🇫🇷🇩🇪', { limit: 5 })).toEqual(['🇺🇸', '🇫🇷', '🇩🇪']);
    expect(chunkText('e\u0301e\u0301e\u0301', { limit: 3 })).toEqual(['e\u0301', 'e\u0301', 'e\u0301']);
    // A single grapheme longer than the limit is sent whole rather than split.
    expect(chunkText(`a${family}b`, { limit: 4 })).toEqual(['a', family, 'b']);
  });

  it('defaults to 4000 code units', () => {
    const text = `${'x'.repeat(3999)} ${'y'.repeat(10)}`;
    expect(DEFAULT_TEXT_CHUNK_LIMIT).toBe(4000);
    expect(chunkText(text)).toEqual(['x'.repeat(3999), 'y'.repeat(10)]);
    expect(chunkText('z'.repeat(4000))).toEqual(['z'.repeat(4000)]);
    expect(chunkText('z'.repeat(4001)).map((c) => c.length)).toEqual([4000, 1]);
  });

  it('rejects a non-positive limit with a pointer to the config key', () => {
    expect(() => chunkText('x', { limit: 0 })).toThrow(/textChunkLimit/);
    expect(() => chunkText('x', { limit: 2.5 })).toThrow(/positive integer/);
  });

  it('handles a long text quickly (linear time)', () => {
    // Intl.Segmenter alone is quadratic on long strings (seconds for 100 KB); this must not be.
    const text = 'lorem ipsum dolor sit amet 😀 '.repeat(10_000); // 300 KB, an emoji in every line
    const { result: chunks, ms } = cpuMs(() => chunkText(text, { limit: 4000 }));
    expect(ms).toBeLessThan(2000);
    expect(chunks.length).toBeGreaterThan(74);
    expect(reassemblyViolation(text, chunks)).toBeUndefined();
  });
});

describe('chunkText: newline mode', () => {
  it('sends every blank-line paragraph as its own message (no packing)', () => {
    expect(chunkText('first\nstill first\n\nsecond\n \t\nthird', { limit: 1000, mode: 'newline' })).toEqual([
      'first\nstill first',
      'second',
      'third',
    ]);
  });

  it('keeps text without a blank line in one chunk if it fits', () => {
    expect(chunkText('a\nb\nc', { limit: 100, mode: 'newline' })).toEqual(['a\nb\nc']);
  });

  it('does not split at blank lines inside code fences', () => {
    const text = 'before\n\n```js\nconst a = 1;\n\nconst b = 2;\n```\n\nafter';
    expect(chunkText(text, { limit: 1000, mode: 'newline' })).toEqual(['before', '```js\nconst a = 1;\n\nconst b = 2;\n```', 'after']);
    const tilde = '~~~\nx\n\ny\n~~~~\n\nz';
    expect(chunkText(tilde, { limit: 1000, mode: 'newline' })).toEqual(['~~~\nx\n\ny\n~~~~', 'z']);
    // An unclosed fence runs to the end.
    expect(chunkText('```\na\n\nb', { limit: 1000, mode: 'newline' })).toEqual(['```\na\n\nb']);
  });

  it('length-splits a paragraph over the limit', () => {
    expect(chunkText('short\n\none two three four', { limit: 9, mode: 'newline' })).toEqual(['short', 'one two', 'three', 'four']);
  });

  it('handles CRLF text', () => {
    expect(chunkText('a\r\nb\r\n\r\nc\r\n', { limit: 100, mode: 'newline' })).toEqual(['a\r\nb', 'c']);
  });
});

// Text made of pieces that stress the rules: words, spaces, newlines, blank lines, parentheses,
// fences, emoji (surrogate pairs, ZWJ, flags, VS16) and combining marks.
const piece = fc.constantFrom(
  'a', 'word', 'longerword', ' ', '  ', '\n', '\n\n', '\n  \n', '\t', '(', ')', '```', '~~~',
  '😀', '👨‍👩‍👧', '🇺🇸', '❤️', 'e\u0301', '\r\n', 'x'.repeat(30), '  indented',
);
const textArb = fc.array(piece, { maxLength: 80 }).map((parts) => parts.join(''));
const limitArb = fc.integer({ min: 1, max: 60 });
const modeArb = fc.constantFrom<'length' | 'newline'>('length', 'newline');

describe('chunkText properties', () => {
  it('reassembles to the input with whitespace-only gaps', () => {
    fc.assert(
      fc.property(textArb, limitArb, modeArb, (text, limit, mode) => {
        const chunks = chunkText(text, { limit, mode });
        const violation = reassemblyViolation(text, chunks);
        if (violation) throw new Error(violation);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps every chunk within the limit unless it is a single grapheme', () => {
    fc.assert(
      fc.property(textArb, limitArb, modeArb, (text, limit, mode) => {
        for (const chunk of chunkText(text, { limit, mode })) {
          if (chunk.length > limit) expect(graphemes(chunk)).toHaveLength(1);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never tears a grapheme and never emits blank chunks', () => {
    fc.assert(
      fc.property(textArb, limitArb, modeArb, (text, limit, mode) => {
        const chunks = chunkText(text, { limit, mode });
        for (const chunk of chunks) expect(chunk).toMatch(/\S/);
        for (const chunk of chunks) expect(chunk).toBe(chunk.trimEnd());
        expect(tornGraphemes(text, chunks)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a ZWJ emoji whole when an internal piece boundary falls inside its surrogate pair', () => {
    // Regression: pieces are 1024 code units; the high surrogate of 👧 sits at offset 1023.
    const family = '👨‍👩‍👧';
    const text = `${'a'.repeat(1017)}${family}b`;
    expect(text.charCodeAt(1023)).toBe(0xd83d);
    expect(chunkText(text, { limit: 1 })).toContain(family);
    expect(tornGraphemes(text, chunkText(text, { limit: 1 }))).toBe(false);
  });

  it('holds for long texts too (segmented in pieces internally)', () => {
    const longText = fc.array(piece, { minLength: 300, maxLength: 900 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(longText, fc.integer({ min: 1, max: 3000 }), modeArb, (text, limit, mode) => {
        const chunks = chunkText(text, { limit, mode });
        const violation = reassemblyViolation(text, chunks);
        if (violation) throw new Error(violation);
        expect(tornGraphemes(text, chunks)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('in newline mode, no chunk holds a blank line outside a fence', () => {
    const noFence = fc.array(piece.filter((p) => !p.includes('`') && !p.includes('~')), { maxLength: 80 }).map((p) => p.join(''));
    fc.assert(
      fc.property(noFence, limitArb, (text, limit) => {
        for (const chunk of chunkText(text, { limit, mode: 'newline' })) expect(chunk).not.toMatch(/\n[ \t\r]*\n/);
      }),
      { numRuns: 1000 },
    );
  });

  it('is the identity for text that fits and has no edge whitespace', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const trimmed = text.replace(/^\s+|\s+$/g, '');
        fc.pre(trimmed.length > 0);
        expect(chunkText(trimmed, { limit: trimmed.length })).toEqual([trimmed]);
      }),
      { numRuns: 500 },
    );
  });
});
