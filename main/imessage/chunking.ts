// Splits outgoing text into messages (spec imessage-channel.md #24).
//
// Units: `limit` counts UTF-16 code units (JavaScript string length), as the original does, so an
// emoji counts 2 and a family ZWJ sequence up to 11. Cuts only ever fall on grapheme-cluster
// boundaries (Intl.Segmenter), so no surrogate pair, ZWJ sequence, flag or accented letter is torn
// apart. The one unavoidable exception to "every chunk ≤ limit": a single grapheme longer than
// the limit is sent whole.
//
// Reassembly rule (both modes; the property tests check it): the input equals
//   gap₀ + chunk₁ + gap₁ + chunk₂ + … + chunkₙ + gapₙ
// where every gap is whitespace only (possibly empty). Whitespace is dropped only where a chunk is
// cut (trailing spaces, the line break, blank lines); the indentation that starts a line is kept.
// No chunk is empty or whitespace-only.
import type { ChunkMode } from '../config/types';

export const DEFAULT_TEXT_CHUNK_LIMIT = 4000;

export interface ChunkOptions {
  /** Maximum chunk length in UTF-16 code units (`textChunkLimit`, default 4000). */
  limit?: number;
  /**
   * `length` (default): split only above the limit, at the last line break in the window, else the
   * last whitespace (breaks outside parentheses preferred), else a hard cut.
   * `newline`: every blank-line-separated paragraph outside code fences is its own message; a
   * paragraph over the limit is split as in `length`.
   */
  mode?: ChunkMode;
}

export function chunkText(text: string, options: ChunkOptions = {}): string[] {
  const limit = options.limit ?? DEFAULT_TEXT_CHUNK_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Chunk limit must be a positive integer (got ${String(limit)}); check channels.imessage.textChunkLimit`);
  }
  const mode = options.mode ?? 'length';
  if (mode === 'newline') return splitParagraphs(text).flatMap((paragraph) => chunkByLength(paragraph, limit));
  return chunkByLength(text, limit);
}

// Cluster kinds.
const CONTENT = 0;
const SPACE = 1; // whitespace without a line break
const LINE_BREAK = 2; // whitespace containing a line break (`\n`, `\r\n`, `\r`, U+2028/9)

let segmenter: Intl.Segmenter | undefined;

/** Offsets of grapheme-cluster boundaries, from 0 to text.length inclusive. */
function graphemeBoundaries(text: string): number[] {
  const bounds: number[] = [];
  // Intl.Segmenter gets quadratic on long strings (100 KB takes seconds in Node 20), so it runs
  // on pieces of about PIECE code units. A piece always starts at a known boundary; UAX #29 rules
  // only look back within the current cluster and one code point ahead, so every boundary a piece
  // reports before its end is exact (given the piece ends on a whole code point), and the piece's
  // last cluster is re-read with the next piece.
  const PIECE = 1024;
  let from = 0;
  let size = PIECE;
  while (from < text.length) {
    let to = Math.min(text.length, from + size);
    // Never end a piece between the halves of a surrogate pair: the segmenter would see a lone
    // surrogate and report a false boundary before it (e.g. inside a ZWJ emoji sequence).
    const lastUnit = text.charCodeAt(to - 1);
    if (to < text.length && lastUnit >= 0xd800 && lastUnit <= 0xdbff) to -= 1;
    const piece = text.slice(from, to);
    const starts: number[] = [];
    if (/^[\x00-\x7f]*$/.test(piece)) {
      // ASCII: every code unit is a cluster except CR LF, which is one.
      for (let i = 0; i < piece.length; i++) {
        if (!(piece.charCodeAt(i) === 0x0a && i > 0 && piece.charCodeAt(i - 1) === 0x0d)) starts.push(from + i);
      }
    } else {
      segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
      for (const { index } of segmenter.segment(piece)) starts.push(from + index);
    }
    if (to === text.length) {
      for (const start of starts) bounds.push(start);
      break;
    }
    const last = starts.pop() as number; // the piece's last cluster may continue in the next piece
    if (last === from) {
      size *= 2; // one cluster longer than the piece: read a longer piece
      continue;
    }
    for (const start of starts) bounds.push(start);
    from = last;
    size = PIECE;
  }
  bounds.push(text.length);
  return bounds;
}

function classify(cluster: string): number {
  if (!/^\s+$/.test(cluster)) return CONTENT;
  return /[\n\r\u2028\u2029]/.test(cluster) ? LINE_BREAK : SPACE;
}

/** Length-mode chunking of one piece of text (the whole text, or one paragraph). */
function chunkByLength(text: string, limit: number): string[] {
  if (!/\S/.test(text)) return [];
  // Common case, no segmentation needed: it fits once the edges are trimmed (see skipGap).
  const body = text.trimEnd();
  const lead = /^\s*/.exec(body)?.[0] ?? '';
  const bodyStart = Math.max(lead.lastIndexOf('\n'), lead.lastIndexOf('\r'), lead.lastIndexOf('\u2028'), lead.lastIndexOf('\u2029')) + 1;
  if (body.length - bodyStart <= limit) return [body.slice(bodyStart)];

  const bounds = graphemeBoundaries(text);
  const count = bounds.length - 1;
  const kinds = new Uint8Array(count);
  for (let c = 0; c < count; c++) kinds[c] = classify(text.slice(bounds[c], bounds[c + 1]));

  let end = count; // exclusive; trailing whitespace is never sent
  while (end > 0 && kinds[end - 1] !== CONTENT) end--;

  /** Index after the whitespace run at `from`, keeping the indentation after its last line break. */
  const skipGap = (from: number): number => {
    let c = from;
    let afterLastBreak = -1;
    while (c < end && kinds[c] !== CONTENT) {
      if (kinds[c] === LINE_BREAK) afterLastBreak = c + 1;
      c++;
    }
    return afterLastBreak >= 0 ? afterLastBreak : c;
  };

  const chunks: string[] = [];
  let start = skipGap(0);
  while (start < end) {
    if (bounds[end] - bounds[start] <= limit) {
      chunks.push(text.slice(bounds[start], bounds[end]));
      break;
    }
    // The window is the clusters [start, windowEnd) that fit in the limit (at least one).
    let windowEnd = start;
    while (windowEnd < end && bounds[windowEnd + 1] - bounds[start] <= limit) windowEnd++;
    if (windowEnd === start) windowEnd = start + 1;

    // A cut at whitespace cluster c sends [start, c). The cluster just after the window counts
    // too: cutting there still fills the chunk exactly to the limit.
    let depth = 0;
    let contentInWindow = false;
    let breakOutside = -1;
    let spaceOutside = -1;
    let breakAny = -1;
    let spaceAny = -1;
    for (let c = start; c <= windowEnd; c++) {
      const kind = kinds[c];
      if (kind === CONTENT) {
        if (c < windowEnd) contentInWindow = true;
        const ch = text.charCodeAt(bounds[c]);
        if (ch === 0x28 /* ( */) depth++;
        else if (ch === 0x29 /* ) */ && depth > 0) depth--;
      } else if (contentInWindow) {
        if (kind === LINE_BREAK) {
          breakAny = c;
          if (depth === 0) breakOutside = c;
        } else {
          spaceAny = c;
          if (depth === 0) spaceOutside = c;
        }
      }
    }

    if (!contentInWindow) {
      // Only indentation fits in the window: drop it rather than send a blank message.
      while (start < end && kinds[start] !== CONTENT) start++;
      continue;
    }
    const cut = [breakOutside, spaceOutside, breakAny, spaceAny].find((c) => c >= 0);
    if (cut === undefined) {
      chunks.push(text.slice(bounds[start], bounds[windowEnd]));
      start = windowEnd;
    } else {
      let last = cut;
      while (last > start && kinds[last - 1] !== CONTENT) last--;
      chunks.push(text.slice(bounds[start], bounds[last]));
      start = skipGap(cut);
    }
  }
  return chunks;
}

const BLANK_LINE = /^[ \t\r]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/**
 * Paragraphs separated by blank lines (a line of only spaces/tabs) outside fenced code blocks.
 * Each paragraph is a contiguous slice of the input, so the reassembly rule holds.
 */
function splitParagraphs(text: string): string[] {
  const paragraphs: string[] = [];
  let paragraphStart = -1;
  let paragraphEnd = 0;
  let fence: { char: string; length: number } | undefined;
  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    if (!fence && BLANK_LINE.test(line)) {
      if (paragraphStart >= 0) paragraphs.push(text.slice(paragraphStart, paragraphEnd));
      paragraphStart = -1;
    } else {
      if (paragraphStart < 0) paragraphStart = lineStart;
      paragraphEnd = lineEnd;
      const match = FENCE.exec(line);
      if (match) {
        const marker = match[1];
        const rest = match[2];
        if (!fence) {
          // CommonMark: a backtick fence's info string cannot contain a backtick.
          if (!(marker[0] === '`' && rest.includes('`'))) fence = { char: marker[0], length: marker.length };
        } else if (marker[0] === fence.char && marker.length >= fence.length && /^\s*$/.test(rest)) {
          fence = undefined;
        }
      }
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  if (paragraphStart >= 0) paragraphs.push(text.slice(paragraphStart, paragraphEnd));
  return paragraphs;
}
