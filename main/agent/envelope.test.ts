import { describe, expect, it } from 'vitest';
import { CURRENT_MESSAGE_HEADER, HISTORY_HEADER } from './history-format';
import {
  formatElapsed,
  formatEnvelopeTimestamp,
  formatInboundEnvelope,
  formatPendingEntryEnvelope,
  formatReplyContext,
} from './envelope';
import { imsgMessage } from '../../test/support/imsg-message';

const message = imsgMessage;

const utc = { timezone: 'utc' };

describe('inbound envelope', () => {
  it('formats a DM', () => {
    expect(formatInboundEnvelope({ message: message(), ...utc })).toBe('[iMessage +15550001111 2026-01-17 00:00 UTC] hi there');
  });

  it('shows the raw handle when the normalized sender differs', () => {
    const env = formatInboundEnvelope({ message: message({ sender: '(555) 000-1111' }), sender: '+15550001111', ...utc });
    expect(env).toBe('[iMessage +15550001111 id:(555) 000-1111 2026-01-17 00:00 UTC] hi there');
  });

  it('formats a group message with chat name, chat id and sender prefix', () => {
    const env = formatInboundEnvelope({ message: message({ is_group: true, chat_name: 'Test Group', text: '@clawd hi' }), ...utc });
    expect(env).toBe('[iMessage Test Group id:99 2026-01-17 00:00 UTC] +15550001111: @clawd hi');
  });

  it('calls an unnamed group "Group", and honours an explicit isGroup', () => {
    const env = formatInboundEnvelope({ message: message({ is_group: false }), isGroup: true, ...utc });
    expect(env).toBe('[iMessage Group id:99 2026-01-17 00:00 UTC] +15550001111: hi there');
  });

  it('adds the elapsed time since the previous message', () => {
    expect(formatInboundEnvelope({ message: message(), elapsedMs: 5 * 60_000, ...utc })).toBe('[iMessage +15550001111 +5m 2026-01-17 00:00 UTC] hi there');
    expect([formatElapsed(45_000), formatElapsed(3 * 3_600_000), formatElapsed(50 * 3_600_000)]).toEqual(['45s', '3h', '2d']);
  });

  it('appends the reply (quote) context', () => {
    const env = formatInboundEnvelope({
      message: message({ text: 'agreed', reply_to_text: 'shall we meet at 6?', reply_to_sender: '+15552223333', reply_to_id: 5 }),
      ...utc,
    });
    expect(env).toBe('[iMessage +15550001111 2026-01-17 00:00 UTC] agreed\n\n[Replying to +15552223333 id:5]\nshall we meet at 6?\n[/Replying]');
    expect(formatReplyContext({ reply_to_text: 'x' })).toBe('[Replying to unknown sender]\nx\n[/Replying]');
    expect(formatReplyContext({ reply_to_text: '   ', reply_to_sender: 'a' })).toBeUndefined();
  });

  it('lists attachments and skipped attachments, with a media placeholder for empty text', () => {
    const env = formatInboundEnvelope({
      message: message({ text: '' }),
      attachments: [{ path: '/Users/me/Library/Messages/Attachments/ab/IMG_1.jpeg', mime: 'image/jpeg' }],
      skippedAttachments: [{ name: 'IMG.HEIC', reason: '40 MB exceeds the 16 MB limit' }],
      ...utc,
    });
    expect(env).toBe(
      '[iMessage +15550001111 2026-01-17 00:00 UTC] <media:image>\n' +
        '[attachment: /Users/me/Library/Messages/Attachments/ab/IMG_1.jpeg (image/jpeg)]\n' +
        '[attachment IMG.HEIC skipped: 40 MB exceeds the 16 MB limit]',
    );
  });

  it('derives the placeholder kind from the MIME type, else the file name, else unknown', () => {
    const line = (input: Partial<Parameters<typeof formatInboundEnvelope>[0]>) =>
      formatInboundEnvelope({ message: message({ text: '  ' }), ...utc, ...input }).split('\n')[0];
    expect(line({ attachments: [{ path: '/a/voice.m4a', mime: '' }] })).toBe('[iMessage +15550001111 2026-01-17 00:00 UTC] <media:audio>');
    expect(line({ skippedAttachments: [{ name: 'clip.mov', reason: 'too big' }] })).toBe('[iMessage +15550001111 2026-01-17 00:00 UTC] <media:video>');
    expect(line({ skippedAttachments: [{ name: 'blob', reason: 'missing' }] })).toBe('[iMessage +15550001111 2026-01-17 00:00 UTC] <media:unknown>');
    expect(line({})).toBe('[iMessage +15550001111 2026-01-17 00:00 UTC] ');
  });

  it('prepends pending group history given as entries', () => {
    const env = formatInboundEnvelope({
      message: message({ is_group: true, chat_name: 'Family', text: '@clawd what do you think?' }),
      pendingHistory: [
        { sender: '+15552223333', body: 'pizza tonight?', timestamp: '2026-01-16T23:58:00Z', messageId: 5 },
        { sender: '+15554445555', body: 'yes!', timestamp: '2026-01-16T23:59:00Z', messageId: 6 },
      ],
      ...utc,
    });
    expect(env.split('\n')).toEqual([
      HISTORY_HEADER,
      '[iMessage Family id:99 2026-01-16 23:58 UTC] +15552223333: pizza tonight? [id:5]',
      '[iMessage Family id:99 2026-01-16 23:59 UTC] +15554445555: yes! [id:6]',
      '',
      CURRENT_MESSAGE_HEADER,
      '[iMessage Family id:99 2026-01-17 00:00 UTC] +15550001111: @clawd what do you think?',
    ]);
  });

  it('renders a pending entry without a timestamp', () => {
    expect(formatPendingEntryEnvelope({ sender: '+15552223333', body: 'hey' }, 'Family id:99')).toBe('[iMessage Family id:99] +15552223333: hey');
  });

  it('prepends a block the caller already formatted, as is', () => {
    const current = '[iMessage Group id:99 2026-01-17 00:00 UTC] +15550001111: hi there';
    const block = `${HISTORY_HEADER}\nline\n\n${CURRENT_MESSAGE_HEADER}`;
    expect(formatInboundEnvelope({ message: message({ is_group: true }), pendingHistory: `${block}\n`, ...utc })).toBe(`${block}\n${current}`);
    expect(formatInboundEnvelope({ message: message({ is_group: true }), pendingHistory: [], ...utc })).toBe(current);
    expect(formatInboundEnvelope({ message: message({ is_group: true }), pendingHistory: '', ...utc })).toBe(current);
  });
});

describe('timestamps', () => {
  it('formats in UTC, an IANA zone, or falls back for unknown zones and bad dates', () => {
    expect(formatEnvelopeTimestamp('2026-07-01T12:34:00Z', 'utc')).toBe('2026-07-01 12:34 UTC');
    expect(formatEnvelopeTimestamp('2026-07-01T12:34:00Z', 'Asia/Tokyo')).toBe('2026-07-01 21:34 GMT+9');
    expect(formatEnvelopeTimestamp('2026-07-01T00:05:00Z', 'utc')).toBe('2026-07-01 00:05 UTC');
    expect(formatEnvelopeTimestamp('2026-07-01T12:34:00Z', 'Not/AZone')).toMatch(/^2026-07-0\d \d\d:\d\d \S+/);
    expect(formatEnvelopeTimestamp('yesterday', 'utc')).toBe('yesterday');
  });
});
