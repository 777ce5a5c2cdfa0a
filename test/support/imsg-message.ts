// A valid inbound imsg message for unit tests (the fields imsg always sends), with overrides.
import type { ImsgMessage } from '../../contract/imsg';

export function imsgMessage(overrides: Partial<ImsgMessage> = {}): ImsgMessage {
  return {
    id: 7,
    chat_id: 99,
    guid: 'G-7',
    sender: '+15550001111',
    is_from_me: false,
    text: 'hi there',
    created_at: '2026-01-17T00:00:00.000Z',
    attachments: [],
    ...overrides,
  };
}
