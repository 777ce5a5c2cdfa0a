import { normalizeHandle } from '../../contract/handles';
import { describe, expect, it } from 'vitest';
import { formatTarget, looksLikeTargetId, normalizeTarget, parseTarget, parseUserTarget, TargetError, targetSendParams, type ImessageTarget } from './targets';

describe('parseTarget', () => {
  // Spec imessage-channel.md §4 examples, plus aliases and casing.
  const cases: Array<[input: string, parsed: ImessageTarget, params: Record<string, unknown>]> = [
    ['imessage:+15551234567', { kind: 'handle', to: '+15551234567', service: 'imessage' }, { to: '+15551234567' }],
    ['sms:+1555', { kind: 'handle', to: '+1555', service: 'sms' }, { to: '+1555' }],
    ['auto:user@example.com', { kind: 'handle', to: 'user@example.com', service: 'auto' }, { to: 'user@example.com' }],
    ['user@example.com', { kind: 'handle', to: 'user@example.com' }, { to: 'user@example.com' }],
    ['chat_id:42', { kind: 'chat_id', chatId: 42 }, { chat_id: 42 }],
    ['chat:42', { kind: 'chat_id', chatId: 42 }, { chat_id: 42 }],
    ['chatid:42', { kind: 'chat_id', chatId: 42 }, { chat_id: 42 }],
    ['CHAT_ID: 42 ', { kind: 'chat_id', chatId: 42 }, { chat_id: 42 }],
    ['chat_guid:iMessage;+;chat123', { kind: 'chat_guid', chatGuid: 'iMessage;+;chat123' }, { chat_guid: 'iMessage;+;chat123' }],
    ['GUID:iMessage;-;+1555', { kind: 'chat_guid', chatGuid: 'iMessage;-;+1555' }, { chat_guid: 'iMessage;-;+1555' }],
    ['chatguid:abc', { kind: 'chat_guid', chatGuid: 'abc' }, { chat_guid: 'abc' }],
    ['chat_identifier:chat123456', { kind: 'chat_identifier', chatIdentifier: 'chat123456' }, { chat_identifier: 'chat123456' }],
    ['chatidentifier:foo', { kind: 'chat_identifier', chatIdentifier: 'foo' }, { chat_identifier: 'foo' }],
    ['ChatIdent:foo', { kind: 'chat_identifier', chatIdentifier: 'foo' }, { chat_identifier: 'foo' }],
    ['sms:chat_id:7', { kind: 'chat_id', chatId: 7 }, { chat_id: 7 }],
    ['IMESSAGE:CHAT_GUID:abc', { kind: 'chat_guid', chatGuid: 'abc' }, { chat_guid: 'abc' }],
    // Handles are passed as written (imsg normalizes phone numbers with `region`).
    ['  +1 (555) 222-3333  ', { kind: 'handle', to: '+1 (555) 222-3333' }, { to: '+1 (555) 222-3333' }],
    ['John Appleseed', { kind: 'handle', to: 'John Appleseed' }, { to: 'John Appleseed' }],
    ['SMS: +15550001111', { kind: 'handle', to: '+15550001111', service: 'sms' }, { to: '+15550001111' }],
  ];
  it.each(cases)('%s', (input, parsed, params) => {
    expect(parseTarget(input)).toEqual(parsed);
    expect(targetSendParams(parseTarget(input))).toEqual(params);
  });

  const errors: Array<[input: string, message: string]> = [
    ['', 'iMessage target is required'],
    ['   ', 'iMessage target is required'],
    ['imessage:', 'imessage: target is required'],
    ['SMS:  ', 'sms: target is required'],
    ['auto:', 'auto: target is required'],
    ['chat_id:abc', 'Invalid chat_id: abc'],
    ['chat_id:42x', 'Invalid chat_id: 42x'],
    ['chat_id:-3', 'Invalid chat_id: -3'],
    ['chat_id:0', 'Invalid chat_id: 0'],
    ['chat:', 'chat_id is required'],
    ['chat_guid:', 'chat_guid is required'],
    ['guid:  ', 'chat_guid is required'],
    ['chat_identifier:', 'chat_identifier is required'],
    ['sms:chatident:', 'chat_identifier is required'],
  ];
  it.each(errors)('rejects %j with %j', (input, message) => {
    expect(() => parseTarget(input)).toThrow(new Error(message));
  });
});

describe('normalizeHandle', () => {
  it.each([
    [' +1 (555) 222-3333 ', '+15552223333'],
    ['(555) 222-3333', '+5552223333'], // no country code is inferred
    ['+1.555.222.3333', '+15552223333'],
    ['imessage:+15552223333', '+15552223333'],
    ['whatsapp:+15552223333', '+15552223333'],
    ['Me@iCloud.COM', 'me@icloud.com'],
    ['sms:Me@Example.com', 'me@example.com'],
    ['John Appleseed', 'John Appleseed'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeHandle(input)).toBe(expected);
  });
});

describe('normalizeTarget / formatTarget', () => {
  it.each([
    ['sms:+1 (555) 222-3333', 'sms:+15552223333'],
    ['imessage:User@Example.com', 'imessage:user@example.com'],
    ['+1 555 222 3333', '+15552223333'],
    ['sms:chat_id:123', 'chat_id:123'],
    ['imessage:CHAT_GUID:abc', 'chat_guid:abc'],
    ['auto:ChatIdentifier:foo', 'chat_identifier:foo'],
    ['CHAT:42', 'chat_id:42'],
    ['GUID:x', 'chat_guid:x'],
    ['CHATIDENT:foo', 'chat_identifier:foo'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeTarget(input)).toBe(expected);
  });

  it('formats chat targets', () => {
    expect(formatTarget({ kind: 'chat_id', chatId: 9 })).toBe('chat_id:9');
    expect(formatTarget({ kind: 'chat_guid', chatGuid: 'iMessage;+;chat1' })).toBe('chat_guid:iMessage;+;chat1');
  });
});

describe('looksLikeTargetId', () => {
  it.each([
    ['chat_id:4', true],
    ['sms:anything', true],
    ['a@b.c', true],
    ['+123', true],
    ['12', false],
    ['Mom', false],
    ['', false],
  ])('%j → %s', (input, expected) => {
    expect(looksLikeTargetId(input)).toBe(expected);
  });
});

describe('normalizeTarget keeps addressing the same target', () => {
  it.each([
    ['tel:chat:5', 'tel:chat:5'],
    ['sms:auto:chat:5', 'sms:auto:chat:5'],
    ['imessage:imessage:', 'imessage:imessage:'],
    ['whatsapp:chatidentifier:a@a.aa', 'whatsapp:chatidentifier:a@a.aa'],
  ])('%j → %j, a handle that re-normalizes to itself', (input, expected) => {
    const once = normalizeTarget(input);
    expect(once).toBe(expected);
    expect(parseTarget(once).kind).toBe('handle');
    expect(normalizeTarget(once)).toBe(once);
  });
});

describe('parseUserTarget (a target a person typed)', () => {
  it.each([
    ['imessage:+15555550123', { kind: 'handle', to: '+15555550123', service: 'imessage' }],
    ['+1 (555) 555-0123', { kind: 'handle', to: '+15555550123' }],
    ['(555) 555-0123', { kind: 'handle', to: '+15555550123' }],
    ['sms:+44 7700 900123', { kind: 'handle', to: '+447700900123', service: 'sms' }],
    ['imessage:User@Example.COM', { kind: 'handle', to: 'user@example.com', service: 'imessage' }],
    ['chat_id:42', { kind: 'chat_id', chatId: 42 }],
    ['sms:chat_guid:SMS;-;+15555550123', { kind: 'chat_guid', chatGuid: 'SMS;-;+15555550123' }],
    ['chat_identifier:chat123456789', { kind: 'chat_identifier', chatIdentifier: 'chat123456789' }],
  ])('%s', (input, parsed) => {
    expect(parseUserTarget(input)).toEqual(parsed);
  });

  it('reads numbers without a country code in the account region', () => {
    expect(parseUserTarget('07700 900123', { region: 'GB' })).toEqual({ kind: 'handle', to: '+447700900123' });
    expect(() => parseUserTarget('07700 900123', { region: 'US' })).toThrow(TargetError);
  });

  it.each([
    ['imessage:+1555', /too short/],
    ['imessage:555-0123', /too short for a US number/],
    ['+1555555012345678', /too long/],
    ['imessage:abc@', /not a complete e-mail address/],
    ['a@b', /not a complete e-mail address/],
    ['whatsapp:+15555550123', /"whatsapp:" is not a target prefix/],
    ['imessage:tel:+15555550123', /"tel:" is not a target prefix/],
    ['imessage:hello', /neither a phone number nor an e-mail address/],
    ['John Appleseed', /neither a phone number nor an e-mail address/],
    ['chat_guid:hello', /not a Messages chat guid/],
    ['chat_identifier:a b', /not a chat identifier/],
    ['chat_id:abc', /^Invalid chat_id: abc$/],
    ['', /the target is empty/],
    ['+1555\u001b[2J5550123', /control characters/],
  ])('refuses %j', (input, message) => {
    expect(() => parseUserTarget(input)).toThrow(message);
    try {
      parseUserTarget(input);
    } catch (error) {
      expect((error as TargetError).fix).toMatch(/e\.g\.|Write|Copy|Give/);
    }
  });
});
