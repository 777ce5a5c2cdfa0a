import { describe, expect, it } from 'vitest';
import { applyMentionGate, compileMentionMatcher, NO_MENTION_PATTERNS_WARNING, normalizeMentionText, resolveRequireMention } from './mention';

describe('compileMentionMatcher', () => {
  it('builds regexes and skips invalid patterns, reporting them', () => {
    const matcher = compileMentionMatcher({ messagePatterns: ['@clawd', '(unclosed', 'bot\\b'] });
    expect(matcher.hasPatterns).toBe(true);
    expect(matcher.source).toBe('messages');
    expect(matcher.patterns.map((r) => r.source)).toEqual(['@clawd', 'bot\\b']);
    expect(matcher.warnings).toHaveLength(1);
    expect(matcher.warnings[0]).toMatch(/^invalid mention pattern "\(unclosed" skipped: /);
    expect(matcher.matches('hey bot, hi')).toBe(true);
  });

  it('skips empty patterns (an empty regex would match every message)', () => {
    const matcher = compileMentionMatcher({ messagePatterns: ['', '  '] });
    expect(matcher.hasPatterns).toBe(false);
    expect(matcher.warnings).toEqual(['empty mention pattern skipped', 'empty mention pattern skipped', NO_MENTION_PATTERNS_WARNING]);
  });

  it('matches case-insensitively', () => {
    const matcher = compileMentionMatcher({ messagePatterns: ['@Clawd'] });
    expect(matcher.matches('hello @CLAWD!')).toBe(true);
    expect(matcher.matches('hello claw')).toBe(false);
  });

  it('strips zero-width and bidi characters before matching', () => {
    const matcher = compileMentionMatcher({ messagePatterns: ['@clawd'] });
    expect(matcher.matches('hi @cl\u200Baw\u200Dd')).toBe(true);
    expect(matcher.matches('hi @\u202Eclawd\u202C')).toBe(true);
    expect(matcher.matches('hi @\uFEFFclawd')).toBe(true);
    expect(normalizeMentionText('A\u2066B\u2069\u00ADC')).toBe('abc');
  });

  it('uses per-agent mention patterns when configured, even over messages patterns', () => {
    const matcher = compileMentionMatcher({ agentPatterns: ['\\bjarvis\\b'], messagePatterns: ['@clawd'], identity: { name: 'Clawd' } });
    expect(matcher.source).toBe('agent');
    expect(matcher.matches('ok jarvis')).toBe(true);
    expect(matcher.matches('@clawd')).toBe(false);
  });

  it('an explicitly empty agent list means no patterns (does not fall back)', () => {
    const matcher = compileMentionMatcher({ agentPatterns: [], messagePatterns: ['@clawd'] });
    expect(matcher.hasPatterns).toBe(false);
    expect(matcher.source).toBe('none');
    expect(matcher.warnings).toContain(NO_MENTION_PATTERNS_WARNING);
  });

  it('derives patterns from the identity name (whole word, optional @, spaces as whitespace) and emoji', () => {
    const matcher = compileMentionMatcher({ identity: { name: 'Clawd Bot', emoji: '🦞' } });
    expect(matcher.source).toBe('identity');
    expect(matcher.matches('hey @clawd bot')).toBe(true);
    expect(matcher.matches('hey CLAWD\n  BOT what')).toBe(true);
    expect(matcher.matches('hey clawdbot')).toBe(false);
    expect(matcher.matches('hey clawd botany')).toBe(false);
    expect(matcher.matches('🦞 what is up')).toBe(true);
    expect(matcher.matches('nothing here')).toBe(false);
  });

  it('escapes regex characters in the identity name and handles non-ASCII names', () => {
    const dotted = compileMentionMatcher({ identity: { name: 'C.3PO' } });
    expect(dotted.matches('c.3po?')).toBe(true);
    expect(dotted.matches('cx3po')).toBe(false);
    const accented = compileMentionMatcher({ identity: { name: 'Zoë' } });
    expect(accented.matches('salut zoë !')).toBe(true);
    expect(accented.matches('zoëlle')).toBe(false);
  });

  it('with nothing configured reports hasPatterns=false and the warning', () => {
    const matcher = compileMentionMatcher({});
    expect(matcher).toMatchObject({ hasPatterns: false, source: 'none' });
    expect(matcher.warnings).toEqual([NO_MENTION_PATTERNS_WARNING]);
    expect(matcher.matches('@clawd')).toBe(false);
  });
});

describe('resolveRequireMention', () => {
  it('chat entry, else "*", else true', () => {
    expect(resolveRequireMention({}, 1)).toBe(true);
    expect(resolveRequireMention({ '*': { requireMention: false } }, 1)).toBe(false);
    expect(resolveRequireMention({ '1': { requireMention: true }, '*': { requireMention: false } }, 1)).toBe(true);
    expect(resolveRequireMention({ '1': {}, '*': { requireMention: false } }, 1)).toBe(false);
    expect(resolveRequireMention({ '1': { requireMention: false } }, 2)).toBe(true);
    expect(resolveRequireMention({ '1': { requireMention: false } }, null)).toBe(true);
  });
});

describe('applyMentionGate', () => {
  const withPatterns = compileMentionMatcher({ messagePatterns: ['@clawd'] });
  const noPatterns = compileMentionMatcher({});

  it('upstream: skips group messages without a mention by default', () => {
    const requireMention = resolveRequireMention({}, 42);
    expect(applyMentionGate({ matcher: withPatterns, requireMention, text: 'hello all' })).toEqual({ pass: false, wasMentioned: false, reason: 'no mention' });
  });

  it('passes mentioned messages and reports wasMentioned', () => {
    expect(applyMentionGate({ matcher: withPatterns, requireMention: true, text: '@clawd hi' })).toEqual({ pass: true, wasMentioned: true, reason: 'mentioned' });
  });

  it('upstream: allows group messages when the groups default disables mention gating', () => {
    const requireMention = resolveRequireMention({ '*': { requireMention: false } }, 42);
    expect(applyMentionGate({ matcher: withPatterns, requireMention, text: 'hello' })).toMatchObject({ pass: true, reason: 'mention not required' });
  });

  it('upstream: allows group messages when requireMention is true but no mention patterns exist (and says why)', () => {
    expect(applyMentionGate({ matcher: noPatterns, requireMention: true, text: 'hello' })).toEqual({ pass: true, wasMentioned: false, reason: 'no mention patterns' });
  });

  it('lets an authorized command through without a mention', () => {
    expect(applyMentionGate({ matcher: withPatterns, requireMention: true, text: '/status', commandBypass: true })).toMatchObject({ pass: true, reason: 'command' });
  });

  it('still computes wasMentioned when mention is not required', () => {
    expect(applyMentionGate({ matcher: withPatterns, requireMention: false, text: '@clawd' }).wasMentioned).toBe(true);
  });
});
