import { describe, expect, it } from 'vitest';
import { cleanAllowList, compileAllowList, isSenderAllowed, parseAllowEntry, stripServicePrefix } from './allow-from';

describe('handle matching after normalization (spec §2.2)', () => {
  it.each([
    ['+15552223333', ' +1 (555) 222-3333 ', true],
    ['+15552223333', '15552223333', true],
    ['+15552223333', 'imessage:+1 555 222 3333', true],
    ['+15552223333', 'SMS:+15552223333', true],
    ['+15552223333', 'auto:imessage:+15552223333', true],
    // No country code is inferred.
    ['+15552223333', '(555) 222-3333', false],
    ['(555) 222-3333', '+5552223333', true],
    ['Me@iCloud.com', 'me@icloud.com', true],
    ['me@icloud.com', 'imessage:User@Example.COM', false],
    ['user@example.com', 'imessage:User@Example.COM', true],
  ])('entry %j vs sender %j → %s', (entry, sender, expected) => {
    expect(isSenderAllowed([entry], { sender })).toBe(expected);
  });
});

describe('stripServicePrefix', () => {
  it('removes any number of service prefixes in any case', () => {
    expect(stripServicePrefix('iMessage:sms:AUTO: chat_id:5')).toBe('chat_id:5');
    expect(stripServicePrefix('+1555')).toBe('+1555');
  });
});

describe('parseAllowEntry', () => {
  it.each([
    ['*', { kind: 'any' }],
    ['imessage:*', { kind: 'any' }],
    ['chat_id:42', { kind: 'chatId', chatId: 42 }],
    ['CHATID:42', { kind: 'chatId', chatId: 42 }],
    ['chat:42', { kind: 'chatId', chatId: 42 }],
    ['sms:chat_id: 7', { kind: 'chatId', chatId: 7 }],
    ['chat_guid:iMessage;+;chat123', { kind: 'chatGuid', chatGuid: 'iMessage;+;chat123' }],
    ['GUID:iMessage;+;Chat123', { kind: 'chatGuid', chatGuid: 'iMessage;+;Chat123' }],
    ['chat_identifier:chat123456', { kind: 'chatIdentifier', chatIdentifier: 'chat123456' }],
    ['chatident:chat9', { kind: 'chatIdentifier', chatIdentifier: 'chat9' }],
    ['+1 (555) 222-3333', { kind: 'handle', handle: '+15552223333' }],
    ['imessage:ME@icloud.com', { kind: 'handle', handle: 'me@icloud.com' }],
    [15552223333, { kind: 'handle', handle: '+15552223333' }],
  ] as const)('%j', (input, expected) => {
    expect(parseAllowEntry(input)).toEqual(expected);
  });

  it('returns null for blank entries', () => {
    expect(parseAllowEntry('   ')).toBeNull();
  });

  it.each(['chat_id:abc', 'chat_id:', 'chat_id:12abc', 'chat_guid:', 'chat_identifier:  ', 'imessage:'])('%j is invalid', (input) => {
    const parsed = parseAllowEntry(input);
    expect(parsed?.kind).toBe('invalid');
  });
});

describe('cleanAllowList', () => {
  it('stringifies, trims, drops blanks and duplicates', () => {
    expect(cleanAllowList([' +1555 ', '', 42, '+1555', '  ', '42'])).toEqual(['+1555', '42']);
    expect(cleanAllowList(undefined)).toEqual([]);
  });
});

describe('compileAllowList / isSenderAllowed', () => {
  const list = ['+15555550123', 'Me@iCloud.com', 'chat_id:42', 'chat_guid:iMessage;+;chatABC', 'chat_identifier:chat777'];

  it.each([
    [{ sender: '+15555550123' }, true],
    [{ sender: '+1 (555) 555-0123' }, true],
    [{ sender: 'imessage:+15555550123' }, true],
    [{ sender: 'me@icloud.com' }, true],
    [{ sender: 'ME@ICLOUD.COM' }, true],
    [{ sender: '+15555550124' }, false],
    [{ sender: '5555550123' }, false], // no country code inferred
    [{ sender: '+19999999999', chatId: 42 }, true], // checks allowFrom against chat_id
    [{ sender: '+19999999999', chatId: 43 }, false],
    [{ sender: '+19999999999', chatGuid: 'iMessage;+;chatABC' }, true],
    [{ sender: '+19999999999', chatGuid: 'iMessage;+;chatabc' }, false], // guid is case-sensitive
    [{ sender: '+19999999999', chatIdentifier: 'chat777' }, true],
    [{ sender: '', chatId: null }, false],
  ])('%j → %s', (ref, expected) => {
    expect(isSenderAllowed(list, ref)).toBe(expected);
  });

  it('wildcard matches anyone; service-prefixed wildcard too', () => {
    expect(isSenderAllowed(['*'], { sender: '+1' })).toBe(true);
    expect(compileAllowList(['imessage:*']).wildcard).toBe(true);
  });

  it('ignoreWildcard drops "*" and reports it', () => {
    const matcher = compileAllowList(['*', '+15550001111'], { ignoreWildcard: true });
    expect(matcher.wildcard).toBe(false);
    expect(matcher.matches({ handle: '+15550009999' })).toBe(false);
    expect(matcher.matches({ handle: '+15550001111' })).toBe(true);
    expect(matcher.invalid.map((i) => i.entry)).toEqual(['*']);
  });

  it('an empty list matches nobody and reports isEmpty', () => {
    const matcher = compileAllowList([]);
    expect(matcher.isEmpty).toBe(true);
    expect(matcher.matches({ handle: '+15550001111', chatId: 1 })).toBe(false);
  });

  it('a list with only invalid entries is empty and lists the problems', () => {
    const matcher = compileAllowList(['chat_id:abc', 'chat_guid:']);
    expect(matcher.isEmpty).toBe(true);
    expect(matcher.invalid).toHaveLength(2);
    expect(matcher.invalid[0]?.problem).toMatch(/chat_id must be a number/);
  });

  it('non-numeric junk entries do not match other junk senders (unlike the original "+" quirk)', () => {
    expect(isSenderAllowed(['friend'], { sender: 'stranger' })).toBe(false);
    expect(isSenderAllowed(['friend'], { sender: 'friend' })).toBe(true);
  });

  it('keeps cleaned entries in order', () => {
    expect(compileAllowList([' a@b.c ', 'a@b.c', 5]).entries).toEqual(['a@b.c', '5']);
  });
});
