import { describe, expect, it } from 'vitest';
import { displaySafe, displaySafeText, isDisplaySafe, jsonDisplaySafe } from './display-text';

describe('displaySafe', () => {
  it('leaves ordinary handles, names and emoji alone', () => {
    for (const text of ['+15550001111', 'jane@example.com', 'Family 👨‍👩‍👧 (Crew)', 'Zoë Ångström', 'مرحبا', '']) {
      expect(displaySafe(text)).toBe(text);
      expect(isDisplaySafe(text)).toBe(true);
    }
  });

  it('makes terminal escapes, carriage returns and line breaks visible', () => {
    expect(displaySafe('+1555\u001b[2J\u001b]8;;http://x\u0007')).toBe('+1555\\x1b[2J\\x1b]8;;http://x\\x07');
    expect(displaySafe('evil\rApproved +15550001111')).toBe('evil\\rApproved +15550001111');
    expect(displaySafe('a\nb\tc')).toBe('a\\nb\\tc');
    expect(displaySafe('\u009b31m')).toBe('\\x9b31m'); // one-byte CSI
    expect(displaySafe('x\u007fy\u0000')).toBe('x\\x7fy\\x00');
  });

  it('escapes bidi overrides, isolates and invisible characters that make a handle read as another', () => {
    expect(displaySafe('+1\u202e1110005551')).toBe('+1\\u202e1110005551');
    expect(displaySafe('\u2066a\u2069\u200b\u200e\u200f\ufeff\u061c\u2028')).toBe('\\u2066a\\u2069\\u200b\\u200e\\u200f\\ufeff\\u061c\\u2028');
    expect(isDisplaySafe('a\u202eb')).toBe(false);
  });

  it('escapes unpaired surrogates but keeps pairs', () => {
    expect(displaySafe('a\ud800b\udc00c😀')).toBe('a\\ud800b\\udc00c😀');
  });

  it('cuts long text with an ellipsis', () => {
    expect(displaySafe('x'.repeat(100), { maxLength: 10 })).toBe(`${'x'.repeat(9)}…`);
    expect(displaySafe('short', { maxLength: 10 })).toBe('short');
  });
});

describe('displaySafeText', () => {
  it('keeps newlines and tabs of a block, escapes the rest', () => {
    expect(displaySafeText('line 1\n\tline 2\r\u001b[31m\u202e')).toBe('line 1\n\tline 2\\r\\x1b[31m\\u202e');
  });
});

describe('jsonDisplaySafe', () => {
  it('writes the characters as JSON escapes: the same value for a parser, nothing raw for a terminal', () => {
    const value = { id: '+1\u202e2\u009b3\u007f\u001b', name: 'Zoë 😀' };
    const json = jsonDisplaySafe(JSON.stringify(value));
    expect(json).not.toMatch(/[\u202e\u009b\u007f\u001b]/);
    expect(json).toContain('\\u202e');
    expect(JSON.parse(json)).toEqual(value);
  });
});
