// Mention gating for group chats. iMessage has no native @-mentions, so "was the assistant
// addressed?" is answered with regular expressions over the message text (spec §1 row 10).
//
// Patterns are compiled once per config (compileMentionMatcher) and reused for every message.
// Which patterns apply, first match wins:
//   1. the agent's `agents.list[].groupChat.mentionPatterns`, if the key is set (even to []);
//   2. `messages.groupChat.mentionPatterns`, if set;
//   3. derived from the agent's identity: the name as a whole word, optionally after `@` (the
//      original's `\b@?Name\b`; spaces match any whitespace), and the emoji literally.
//
// With no usable pattern the gate cannot tell a mention from chatter. We then let every group
// message through (as the original does, so a group with requireMention still works) and say so:
// the matcher carries NO_MENTION_PATTERNS_WARNING, which the gateway shows in the account health.
import type { GroupSettings } from '../config/types';

export const NO_MENTION_PATTERNS_WARNING = 'no mention patterns configured';

export interface MentionPatternSources {
  /** `agents.list[<agent>].groupChat.mentionPatterns`: used whenever defined, even when empty. */
  agentPatterns?: readonly string[];
  /** `messages.groupChat.mentionPatterns`. */
  messagePatterns?: readonly string[];
  /** `agents.list[<agent>].identity`. */
  identity?: { name?: string; emoji?: string };
}

export type MentionPatternSource = 'agent' | 'messages' | 'identity' | 'none';

export interface MentionMatcher {
  readonly hasPatterns: boolean;
  readonly source: MentionPatternSource;
  readonly patterns: readonly RegExp[];
  /** Invalid or empty patterns that were skipped, and NO_MENTION_PATTERNS_WARNING when none is left. */
  readonly warnings: readonly string[];
  matches(text: string): boolean;
}

// Zero-width characters, bidi controls, soft hyphen, BOM: invisible, and they can sit inside a
// name ("cl\u200Bawd") and defeat a pattern.
const INVISIBLE_CHARS = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

export function normalizeMentionText(text: string): string {
  return text.replace(INVISIBLE_CHARS, '').toLowerCase();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface PatternSpec {
  pattern: string;
  flags: string;
}

// Derived from a display name, so it must cope with any script: word boundaries are written
// with Unicode lookarounds (a plain `\b` treats "ë" as a non-word character and "Zoë" would
// never match).
function patternsFromIdentity(identity: MentionPatternSources['identity']): PatternSpec[] {
  const out: PatternSpec[] = [];
  const name = identity?.name?.trim();
  if (name) {
    const body = name.split(/\s+/).map(escapeRegExp).join('\\s+');
    out.push({ pattern: `(?<![\\p{L}\\p{N}_])@?${body}(?![\\p{L}\\p{N}_])`, flags: 'iu' });
  }
  const emoji = identity?.emoji?.trim();
  if (emoji) out.push({ pattern: escapeRegExp(emoji), flags: 'iu' });
  return out;
}

function selectPatterns(sources: MentionPatternSources): { source: MentionPatternSource; patterns: readonly PatternSpec[] } {
  const configured = (list: readonly string[]) => list.map((pattern) => ({ pattern, flags: 'i' }));
  if (sources.agentPatterns !== undefined) return { source: 'agent', patterns: configured(sources.agentPatterns) };
  if (sources.messagePatterns !== undefined) return { source: 'messages', patterns: configured(sources.messagePatterns) };
  const derived = patternsFromIdentity(sources.identity);
  return derived.length > 0 ? { source: 'identity', patterns: derived } : { source: 'none', patterns: [] };
}

export function compileMentionMatcher(sources: MentionPatternSources = {}): MentionMatcher {
  const selected = selectPatterns(sources);
  const patterns: RegExp[] = [];
  const warnings: string[] = [];
  for (const { pattern, flags } of selected.patterns) {
    if (typeof pattern !== 'string' || pattern.trim() === '') {
      // An empty regex matches everything, which would silently turn the gate off.
      warnings.push('empty mention pattern skipped');
      continue;
    }
    try {
      patterns.push(new RegExp(pattern, flags));
    } catch (error) {
      warnings.push(`invalid mention pattern ${JSON.stringify(pattern)} skipped: ${(error as Error).message}`);
    }
  }
  const hasPatterns = patterns.length > 0;
  if (!hasPatterns) warnings.push(NO_MENTION_PATTERNS_WARNING);
  return {
    hasPatterns,
    source: hasPatterns ? selected.source : 'none',
    patterns,
    warnings,
    matches(text) {
      if (!hasPatterns || !text) return false;
      const normalized = normalizeMentionText(text);
      return patterns.some((regex) => regex.test(normalized));
    },
  };
}

/** `requireMention` for a chat: its own `groups` entry, else `groups["*"]`, else true. */
export function resolveRequireMention(groups: Readonly<Record<string, GroupSettings>>, chatId: number | null | undefined): boolean {
  const own = chatId != null && Object.hasOwn(groups, String(chatId)) ? groups[String(chatId)]?.requireMention : undefined;
  if (own !== undefined) return own;
  const fallback = Object.hasOwn(groups, '*') ? groups['*']?.requireMention : undefined;
  return fallback ?? true;
}

export interface MentionGateInput {
  matcher: MentionMatcher;
  requireMention: boolean;
  text: string;
  /** An authorized control command (/status…) passes without a mention. */
  commandBypass?: boolean;
}

export type MentionGateReason = 'mention not required' | 'mentioned' | 'no mention patterns' | 'command' | 'no mention';

export interface MentionGateResult {
  /** false = skip the message (and keep it as pending history). */
  pass: boolean;
  /** For the agent context (`WasMentioned`), computed whenever patterns exist. */
  wasMentioned: boolean;
  reason: MentionGateReason;
}

export function applyMentionGate(input: MentionGateInput): MentionGateResult {
  const wasMentioned = input.matcher.matches(input.text);
  if (!input.requireMention) return { pass: true, wasMentioned, reason: 'mention not required' };
  if (!input.matcher.hasPatterns) return { pass: true, wasMentioned, reason: 'no mention patterns' };
  if (wasMentioned) return { pass: true, wasMentioned, reason: 'mentioned' };
  if (input.commandBypass) return { pass: true, wasMentioned, reason: 'command' };
  return { pass: false, wasMentioned, reason: 'no mention' };
}
