// Outbound target grammar (spec imessage-channel.md §4): where a message goes and, for handles,
// over which service. Parsing is strict and fails with a message that says what to write instead,
// because targets come from users (CLI, config, agent tools) and a wrong chat is worse than an error.
import { canonicalHandle, normalizeHandle } from '../../contract/handles';
import type { ImsgMessage, ImsgSendAddress } from '../../contract/imsg';
import type { ImessageService } from '../config/types';

export type ImessageTarget =
  | { kind: 'chat_id'; chatId: number }
  | { kind: 'chat_guid'; chatGuid: string }
  | { kind: 'chat_identifier'; chatIdentifier: string }
  /**
   * A phone number, email or contact name, passed to imsg as written. `service` is set only when
   * the target carried a prefix (`imessage:`, `sms:`, `auto:`); a bare handle leaves it unset so
   * the account's `service` can apply (the original always used `auto` here).
   */
  | { kind: 'handle'; to: string; service?: ImessageService };

const SERVICE_PREFIXES: ReadonlyArray<readonly [prefix: string, service: ImessageService]> = [
  ['imessage:', 'imessage'],
  ['sms:', 'sms'],
  ['auto:', 'auto'],
];

const CHAT_ID_PREFIXES = ['chat_id:', 'chatid:', 'chat:'];
const CHAT_GUID_PREFIXES = ['chat_guid:', 'chatguid:', 'guid:'];
const CHAT_IDENTIFIER_PREFIXES = ['chat_identifier:', 'chatidentifier:', 'chatident:'];

/** Returns the text after `prefix` if `value` starts with it (case-insensitively). */
function stripPrefix(value: string, prefixes: readonly string[]): string | undefined {
  const lower = value.toLowerCase();
  for (const prefix of prefixes) {
    if (lower.startsWith(prefix)) return value.slice(prefix.length).trim();
  }
  return undefined;
}

/** Parses a chat target (`chat_id:42`, `guid:…`, `chatident:…`), or returns undefined if it is not one. */
function parseChatTarget(value: string): ImessageTarget | undefined {
  const chatId = stripPrefix(value, CHAT_ID_PREFIXES);
  if (chatId !== undefined) {
    if (!chatId) throw new Error('chat_id is required');
    // Stricter than the original (which took leading digits, so `chat_id:42x` meant chat 42):
    // a typo must not silently address another chat.
    if (!/^\d+$/.test(chatId) || !Number.isSafeInteger(Number(chatId)) || Number(chatId) <= 0) {
      throw new Error(`Invalid chat_id: ${chatId}`);
    }
    return { kind: 'chat_id', chatId: Number(chatId) };
  }
  const guid = stripPrefix(value, CHAT_GUID_PREFIXES);
  if (guid !== undefined) {
    if (!guid) throw new Error('chat_guid is required');
    return { kind: 'chat_guid', chatGuid: guid };
  }
  const identifier = stripPrefix(value, CHAT_IDENTIFIER_PREFIXES);
  if (identifier !== undefined) {
    if (!identifier) throw new Error('chat_identifier is required');
    return { kind: 'chat_identifier', chatIdentifier: identifier };
  }
  return undefined;
}

/**
 * Parses an outbound target. Throws with the spec's messages: `iMessage target is required`,
 * `imessage: target is required` (prefix with nothing after it), `Invalid chat_id: <v>`,
 * `chat_guid is required`, `chat_identifier is required`.
 */
export function parseTarget(raw: string): ImessageTarget {
  const value = String(raw ?? '').trim();
  if (!value) throw new Error('iMessage target is required');

  const lower = value.toLowerCase();
  for (const [prefix, service] of SERVICE_PREFIXES) {
    if (!lower.startsWith(prefix)) continue;
    const rest = value.slice(prefix.length).trim();
    if (!rest) throw new Error(`${prefix} target is required`);
    // A service prefix on a chat target is dropped: chats already have a service.
    return parseChatTarget(rest) ?? { kind: 'handle', to: rest, service };
  }
  return parseChatTarget(value) ?? { kind: 'handle', to: value };
}

/** The canonical string of a parsed target, e.g. `chat_id:42` or `sms:+15552223333`. */
export function formatTarget(target: ImessageTarget): string {
  switch (target.kind) {
    case 'chat_id':
      return `chat_id:${target.chatId}`;
    case 'chat_guid':
      return `chat_guid:${target.chatGuid}`;
    case 'chat_identifier':
      return `chat_identifier:${target.chatIdentifier}`;
    case 'handle': {
      // Only the handle's own spelling is canonicalized: stripping a further prefix here
      // (`tel:chat:5` → `chat:5`) would make the text address a different target.
      const handle = canonicalHandle(target.to);
      return target.service ? `${target.service}:${handle}` : handle;
    }
  }
}

/**
 * The messaging normalizer (CLI and agent tools, spec §4): keeps a service prefix on handles and
 * normalizes the handle; drops it on chat targets; canonicalizes chat prefixes.
 * `sms:+1 (555) 222-3333` → `sms:+15552223333`, `CHAT:42` → `chat_id:42`.
 */
export function normalizeTarget(raw: string): string {
  return formatTarget(parseTarget(raw));
}

/**
 * True when the text is clearly an address rather than a name to look up in a directory:
 * any service or chat prefix, anything with `@`, or a number of at least 3 digits.
 */
export function looksLikeTargetId(raw: string): boolean {
  const value = String(raw ?? '').trim();
  if (!value) return false;
  const lower = value.toLowerCase();
  const prefixes = [...SERVICE_PREFIXES.map(([p]) => p), ...CHAT_ID_PREFIXES, ...CHAT_GUID_PREFIXES, ...CHAT_IDENTIFIER_PREFIXES];
  if (prefixes.some((p) => lower.startsWith(p))) return true;
  return value.includes('@') || /^\+?\d{3,}$/.test(value);
}

/** The `send` RPC params that address a target (`chat_id` | `chat_guid` | `chat_identifier` | `to`). */
export function targetSendParams(target: ImessageTarget): ImsgSendAddress {
  switch (target.kind) {
    case 'chat_id':
      return { chat_id: target.chatId };
    case 'chat_guid':
      return { chat_guid: target.chatGuid };
    case 'chat_identifier':
      return { chat_identifier: target.chatIdentifier };
    case 'handle':
      return { to: target.to };
  }
}

/**
 * The conversation a message belongs to, as precisely as imsg tells: `chat:<id>`, else
 * `guid:<chat guid>`, else `sender:<handle>`. Messages with the same key are handled in order, share
 * one pending history, and our own echoes are recognised per key.
 */
export function chatKeyOfMessage(message: Pick<ImsgMessage, 'chat_id' | 'chat_guid' | 'sender'>): string {
  if (message.chat_id > 0) return `chat:${message.chat_id}`;
  if (message.chat_guid) return `guid:${message.chat_guid}`;
  return `sender:${normalizeHandle(message.sender)}`;
}

/** The same key for where a send goes: its rows come back in the conversation the target names. */
export function chatKeyOfTarget(target: ImessageTarget): string {
  switch (target.kind) {
    case 'chat_id':
      return `chat:${target.chatId}`;
    case 'chat_guid':
      return `guid:${target.chatGuid}`;
    case 'chat_identifier':
      return `identifier:${target.chatIdentifier}`;
    case 'handle':
      return `sender:${normalizeHandle(target.to)}`;
  }
}
