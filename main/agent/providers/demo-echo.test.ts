import { describe, expect, it } from 'vitest';
import type { ImsgMessage } from '../../../contract/imsg';
import { formatInboundEnvelope } from '../envelope';
import { createDemoEchoProvider, currentMessageText, DEMO_ECHO_MAX_CHARS, demoEchoText } from './demo-echo';
import { ModelError } from './errors';
import { imsgMessage } from '../../../test/support/imsg-message';

const message = imsgMessage;

// The envelopes are built by the real formatter, so a format change that the echo cannot read
// back fails here.
const envelope = (overrides: Partial<ImsgMessage> = {}, extra: Partial<Parameters<typeof formatInboundEnvelope>[0]> = {}) =>
  formatInboundEnvelope({ message: message(overrides), timezone: 'utc', ...extra });

describe('demo assistant (echo stand-in)', () => {
  it('answers with a labelled echo of the message text', () => {
    expect(demoEchoText('hello')).toBe('Demo assistant (no AI model configured): you said “hello”');
    const long = 'x'.repeat(DEMO_ECHO_MAX_CHARS + 10);
    expect(demoEchoText(long)).toBe(`Demo assistant (no AI model configured): you said “${'x'.repeat(DEMO_ECHO_MAX_CHARS)}…”`);
  });

  it('reads the message text back out of a DM envelope, also multi-line and with a normalized sender', () => {
    expect(currentMessageText(envelope({ text: 'What: is up?' }))).toBe('What: is up?');
    expect(currentMessageText(envelope({ text: 'line one\nline two' }))).toBe('line one\nline two');
    expect(currentMessageText(envelope({ sender: '(555) 000-1111', text: 'a: b' }, { sender: '+15550001111' }))).toBe('a: b');
  });

  it('drops the group sender prefix, skipped-history block, attachment lines and the quoted reply', () => {
    expect(currentMessageText(envelope({ is_group: true, chat_name: 'Family', chat_id: 42, text: 'dinner at 8?' }))).toBe('dinner at 8?');
    const withHistory = envelope(
      { is_group: true, chat_id: 42, text: 'and you?' },
      { pendingHistory: [{ sender: '+15550002222', body: 'earlier chatter', timestamp: '2026-01-17T00:00:00.000Z', messageId: 6 }] },
    );
    expect(withHistory).toContain('earlier chatter');
    expect(currentMessageText(withHistory)).toBe('and you?');
    const withExtras = envelope(
      { text: 'look', reply_to_text: 'the quoted one', reply_to_sender: '+15550002222', reply_to_id: 3 },
      { attachments: [{ path: '/tmp/a.jpg', mime: 'image/jpeg' }] },
    );
    expect(withExtras).toContain('[Replying to');
    expect(currentMessageText(withExtras)).toBe('look');
  });

  it('is a ModelProvider: answers the last user turn; a cancelled call fails as `aborted`', async () => {
    const provider = createDemoEchoProvider();
    const result = await provider.complete({
      system: '',
      turns: [
        { role: 'user', text: envelope({ text: 'first' }) },
        { role: 'assistant', text: 'ok' },
        { role: 'user', text: envelope({ text: 'second' }) },
      ],
    });
    expect(result.text).toBe('Demo assistant (no AI model configured): you said “second”');
    const controller = new AbortController();
    controller.abort();
    const error = await provider.complete({ system: '', turns: [{ role: 'user', text: 'x' }] }, controller.signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).kind).toBe('aborted');
  });
});
