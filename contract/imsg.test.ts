import { describe, expect, it } from 'vitest';
import { cpuMs } from '../test/support/cpu-time';
import { imsgResultSchemas, parseImsgMessage, parseMessageNotification, parseWatchError } from './imsg';

// The watch event example of spec §3.2 (0.9.0, with attachment).
const example = {
  id: 18231,
  chat_id: 7,
  guid: '5C1E8F2A-3B4D-4E6F-9A1B-2C3D4E5F6A7B',
  sender: '+15551234567',
  sender_name: 'Jane Appleseed',
  is_from_me: false,
  text: '\ufffcsee photo',
  created_at: '2026-01-30T21:59:57.123Z',
  attachments: [
    {
      filename: '~/Library/Messages/Attachments/3f/15/X/IMG_0042.HEIC',
      transfer_name: 'IMG_0042.HEIC',
      uti: 'public.heic',
      mime_type: 'image/heic',
      total_bytes: 1843211,
      is_sticker: false,
      original_path: '/Users/me/Library/Messages/Attachments/3f/15/X/IMG_0042.HEIC',
      missing: false,
    },
  ],
  reactions: [],
  destination_caller_id: '+15550001111',
  chat_identifier: '+15551234567',
  chat_guid: 'iMessage;-;+15551234567',
  chat_name: '+15551234567',
  participants: ['+15551234567'],
  is_group: false,
};

describe('parseImsgMessage', () => {
  it('accepts the spec example and keeps every known field', () => {
    const parsed = parseImsgMessage(example);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { reactions: _ignored, ...known } = example;
    expect(parsed.value).toEqual(known);
    expect(parsed.dropped).toEqual([]);
  });

  it('does not copy unknown keys', () => {
    const parsed = parseImsgMessage({ ...example, surprise: 1, ['__proto__']: { polluted: true } });
    expect(parsed.ok && Object.keys(parsed.value)).not.toContain('surprise');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    [{ ...example, id: '18231' }, /message.id is "18231", expected a non-negative integer/],
    [{ ...example, id: -1 }, /message.id/],
    [{ ...example, id: 1.5 }, /message.id/],
    [{ ...example, chat_id: null }, /message 18231: chat_id is null/],
    [{ ...example, is_from_me: 1 }, /is_from_me is number 1, expected a boolean/],
    [{ ...example, created_at: undefined }, /created_at/],
    [{ ...example, text: 42 }, /text is number 42/],
    [{ ...example, sender: ['x'] }, /sender is an array/],
    [{ ...example, guid: {} }, /guid is an object/],
    ['nope', /message is "nope", expected an object/],
    [null, /message is null/],
  ])('rejects %j with a reason', (input, reason) => {
    const parsed = parseImsgMessage(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('fills what old versions leave out and drops optional fields of the wrong type', () => {
    const parsed = parseImsgMessage({ id: 5, chat_id: 0, is_from_me: true, created_at: '2026-01-01T00:00:00.000Z', chat_name: 7, participants: ['a', 3], attachments: [{ mime_type: 'image/png', total_bytes: 'big' }, 'junk'] });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({ guid: '', sender: '', text: '', participants: ['a'], attachments: [{ mime_type: 'image/png' }] });
    expect(parsed.value.chat_name).toBeUndefined();
    expect(parsed.dropped).toEqual(['attachments[0].total_bytes', 'attachments[1]', 'chat_name', 'participants[]']);
  });

  it('treats a ;+; chat guid as a group even when old imsg says is_group:false (spec §5.6)', () => {
    const group = parseImsgMessage({ ...example, chat_guid: 'iMessage;+;chat4937', chat_identifier: 'chat4937', is_group: false });
    expect(group.ok && group.value.is_group).toBe(true);
    const noFlag = parseImsgMessage({ ...example, chat_guid: 'any;+;abc', is_group: undefined });
    expect(noFlag.ok && noFlag.value.is_group).toBe(true);
    const direct = parseImsgMessage({ ...example, is_group: undefined });
    expect(direct.ok && direct.value.is_group).toBeUndefined();
  });
});

describe('notifications', () => {
  it('parses message params with and without a subscription id', () => {
    const parsed = parseMessageNotification({ subscription: 3, message: example });
    expect(parsed.ok && parsed.value.subscription).toBe(3);
    const bare = parseMessageNotification({ message: example });
    expect(bare.ok && bare.value.subscription).toBeUndefined();
    const bad = parseMessageNotification({ subscription: 'x', message: example });
    expect(bad.ok).toBe(false);
  });

  it('reads watch errors in any shape', () => {
    expect(parseWatchError({ subscription: 1, error: { message: 'database disk image is malformed (code: 11)' } })).toEqual({ subscription: 1, message: 'database disk image is malformed (code: 11)' });
    expect(parseWatchError({ error: 'boom' })).toEqual({ subscription: undefined, message: 'boom' });
    expect(parseWatchError(undefined).message).toMatch(/unknown watch error/);
  });

  it('validates a message quickly (hot path)', () => {
    const { ms } = cpuMs(() => {
      for (let i = 0; i < 50_000; i++) parseMessageNotification({ subscription: 1, message: { ...example, id: i } });
    });
    expect(ms).toBeLessThan(1000);
  });
});
