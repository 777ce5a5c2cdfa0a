import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepEqual, formatKeyPath, getAtPath, parseKeyPath } from './json-path';

describe('key paths', () => {
  it('formats dotted keys, list indices and quoted odd keys', () => {
    expect(formatKeyPath(['channels', 'imessage', 'dmPolicy'])).toBe('channels.imessage.dmPolicy');
    expect(formatKeyPath(['agents', 'list', 0, 'id'])).toBe('agents.list[0].id');
    expect(formatKeyPath(['channels', 'imessage', 'dms', 'me@icloud.com', 'historyLimit'])).toBe(
      'channels.imessage.dms["me@icloud.com"].historyLimit',
    );
    expect(formatKeyPath(['channels', 'imessage', 'groups', '42'])).toBe('channels.imessage.groups.42');
    expect(formatKeyPath([])).toBe('');
  });

  it('parses what it formats (round trip)', () => {
    const segment = fc.oneof(fc.nat(1000), fc.string({ minLength: 1, maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (path) => {
        expect(parseKeyPath(formatKeyPath(path))).toEqual(path);
      }),
    );
  });

  it('treats digits after a dot as an object key and [n] as an index', () => {
    expect(parseKeyPath('channels.imessage.groups.42.requireMention')).toEqual(['channels', 'imessage', 'groups', '42', 'requireMention']);
    expect(parseKeyPath("a['b.c'][2].d")).toEqual(['a', 'b.c', 2, 'd']);
  });

  it('rejects malformed paths with the position', () => {
    expect(() => parseKeyPath('')).toThrow(/empty/);
    expect(() => parseKeyPath('a..b')).toThrow(/character 3: empty key/);
    expect(() => parseKeyPath('a[x]')).toThrow(/expected \[<index>\]/);
    expect(() => parseKeyPath('a.')).toThrow(/ends with/);
  });

  it('getAtPath walks objects and lists, undefined when absent', () => {
    const doc = { a: { list: [{ id: 'x' }] } };
    expect(getAtPath(doc, ['a', 'list', 0, 'id'])).toBe('x');
    expect(getAtPath(doc, ['a', 'list', 1, 'id'])).toBeUndefined();
    expect(getAtPath(doc, ['a', 'toString'])).toBeUndefined();
  });

  it('deepEqual ignores keys whose value is undefined', () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe(false);
    expect(deepEqual([1], { 0: 1 })).toBe(false);
  });
});
