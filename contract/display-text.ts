// Text that came from outside — a sender's handle, a chat name, an attachment's file name, an
// error imsg echoed back — made safe to show to a person. A sender chooses their handle, so it can
// carry terminal escape sequences (ESC [2J clears the owner's screen, ESC ]8 forges a link), a
// carriage return that overwrites the start of the line, or bidi overrides (U+202E) that make
// `+15550001111` read as another number. Shown raw, a sender could make the approval list lie.
//
// Every human-facing output applies this at its boundary (CLI lines, log lines, the tray menu,
// notifications, the web UI); the raw value stays where it is needed to reply or compare. The
// dangerous characters become visible escapes (`\x1b`, `\u202e`), so nothing is hidden from the
// owner either. Pure string code: the gateway, the CLI, the app and the renderer share it.

// C0 controls (newline and tab are handled by the caller's mode), DEL, C1 controls (U+009B is a
// one-byte CSI for some terminals), the Arabic letter mark, the Mongolian vowel separator,
// zero-width space, LRM/RLM, line/paragraph separators, bidi embeddings/overrides (U+202A–E),
// word joiner and invisible operators (U+2060–4), bidi isolates (U+2066–9), BOM / zero-width
// no-break space, interlinear annotation marks (U+FFF9–B), and unpaired surrogates. Zero-width
// (non-)joiners (U+200C/D) stay: emoji sequences and Persian text need them and they reorder nothing.
const UNSAFE =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u180E\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\uFFF9-\uFFFB]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const LINE_BREAKS = /[\n\t]/g;

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export interface DisplaySafeOptions {
  /** Longer text is cut to this many characters and ends with `…` (default: no limit). */
  maxLength?: number;
}

/**
 * One value on one line: every control, bidi and invisible formatting character — newlines and
 * tabs included — becomes a visible escape. `"+1555\u001b[2J"` → `"+1555\\x1b[2J"`.
 */
export function displaySafe(text: string, options: DisplaySafeOptions = {}): string {
  const safe = String(text ?? '')
    .replace(UNSAFE, escapeChar)
    .replace(LINE_BREAKS, escapeChar);
  return clipTo(safe, options.maxLength);
}

/**
 * A block of text that may span lines (a log message, a CLI error with its fix): newlines and
 * tabs are kept, everything else `displaySafe` escapes is escaped.
 */
export function displaySafeText(text: string): string {
  return String(text ?? '').replace(UNSAFE, escapeChar);
}

/**
 * JSON text (from JSON.stringify) with the same characters written as `\uXXXX` escapes: the same
 * value for a program that parses it, nothing a terminal acts on for a person who reads it.
 * JSON.stringify already escapes C0 controls, but not DEL, C1 controls or bidi characters.
 */
export function jsonDisplaySafe(json: string): string {
  return json.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** True when `displaySafe` would change nothing but the length. */
export function isDisplaySafe(text: string): boolean {
  return displaySafe(text) === text;
}

function clipTo(text: string, maxLength: number | undefined): string {
  if (maxLength === undefined || text.length <= maxLength) return text;
  return `${text.slice(0, Math.max(0, maxLength - 1))}…`;
}
