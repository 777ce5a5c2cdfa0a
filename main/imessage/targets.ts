// Outbound target grammar (spec imessage-channel.md §4): where a message goes and, for handles,
// over which service. Parsing is strict and fails with a message that says what to write instead,
// because targets come from users (CLI, config, agent tools) and a wrong chat is worse than an error.
//
// Targets a person typed (`clawdbot message`, the control API's `message.send`) go through
// parseUserTarget, which also checks what follows the prefix before anything is sent: a phone
// number must be a complete one (libphonenumber-js, with the account's `region` for numbers
// written without a country code; sent as E.164), an e-mail address must have a name, `@` and a
// domain, a chat guid must look like one, and only known prefixes are accepted. Replies use
// parseTarget alone: they go to the chat (or the handle) imsg gave us.
//
// libphonenumber-js with its `min` metadata, deliberately: only the possible lengths per country
// are used (isPossible), not the number-type ranges of `max` — fictional numbers such as
// +15555550123 (the tutorial's) must pass, and carriers' ranges change faster than releases. It is
// used here only, in the gateway and CLI; the renderer never imports this module.
import { isSupportedCountry, parsePhoneNumberFromString, validatePhoneNumberLength, type CountryCode } from 'libphonenumber-js/min';
import { displaySafe } from '../../contract/display-text';
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

// ---------------------------------------------------------------------------------------------
// Targets a person typed
// ---------------------------------------------------------------------------------------------

/** Every target form, for error messages. */
export const TARGET_EXAMPLES = 'imessage:+15555550123, sms:+15555550123, imessage:user@example.com, chat_id:42, chat_guid:iMessage;+;chat123456789 or chat_identifier:chat123456789';

/** A target that does not follow the grammar: what is wrong (`message`) and an example of what is right (`fix`). */
export class TargetError extends Error {
  override name = 'TargetError';
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

const KNOWN_PREFIXES = [...SERVICE_PREFIXES.map(([prefix]) => prefix), ...CHAT_ID_PREFIXES, ...CHAT_GUID_PREFIXES, ...CHAT_IDENTIFIER_PREFIXES];
const ANY_PREFIX = /^([a-z][a-z0-9_+.-]*):/i;
const PHONE_CHARACTERS = /^[+\d\s().\-/]+$/;
const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)*\.[^\s@.]{2,}$/;
const CHAT_GUID = /^(?:iMessage|SMS|RCS|any);[-+];\S+$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The region phone numbers without a country code are read in, as libphonenumber knows it. */
function countryOf(region: string): CountryCode | undefined {
  const code = region.trim().toUpperCase();
  return isSupportedCountry(code) ? code : undefined;
}

const LENGTH_PROBLEMS: Record<string, string> = {
  TOO_SHORT: 'too short',
  TOO_LONG: 'too long',
  INVALID_LENGTH: 'not a possible length',
  INVALID_COUNTRY: 'without a country code libphonenumber knows',
  NOT_A_NUMBER: 'not a number',
};

/** A phone number as E.164, or a TargetError saying why it is not one. */
function checkPhone(text: string, region: string): string {
  const country = countryOf(region);
  const shown = displaySafe(text);
  const fix = `Write the whole number with its country code, e.g. imessage:+15555550123${country && country !== 'US' ? ' (numbers without one are read as ' + country + ' numbers: channels.imessage.region)' : ''}.`;
  const problem = validatePhoneNumberLength(text, country);
  const phone = parsePhoneNumberFromString(text, country);
  if (problem !== undefined || !phone || !phone.isPossible()) {
    const why = LENGTH_PROBLEMS[problem ?? ''] ?? 'not a possible phone number';
    const local = !text.trim().startsWith('+') && country ? ` for a ${country} number` : '';
    throw new TargetError(`${shown} is not a complete phone number (${why}${local})`, fix);
  }
  return phone.number;
}

/** An e-mail address (lower-cased), or a TargetError. */
function checkEmail(text: string): string {
  if (!EMAIL.test(text)) {
    throw new TargetError(`${displaySafe(text)} is not a complete e-mail address (a name, @ and a domain)`, 'Write it like imessage:user@example.com.');
  }
  return text.toLowerCase();
}

/** A handle a person typed: a phone number (→ E.164) or an e-mail address. Contact names are refused. */
function checkHandle(text: string, region: string): string {
  if (CONTROL.test(text)) throw new TargetError(`${displaySafe(text)} contains control characters`, `Write a phone number or an e-mail address, e.g. imessage:+15555550123.`);
  if (text.includes('@')) return checkEmail(text);
  if (PHONE_CHARACTERS.test(text) && /\d/.test(text)) return checkPhone(text, region);
  throw new TargetError(
    `${displaySafe(text)} is neither a phone number nor an e-mail address (contact names are not looked up)`,
    'Write a phone number with its country code or an e-mail address, e.g. imessage:+15555550123 or imessage:user@example.com.',
  );
}

/** Refuses a `word:` prefix that is not one of ours (`whatsapp:`, `tel:`, `telegram:`…). */
function checkPrefix(value: string): void {
  const prefix = ANY_PREFIX.exec(value)?.[1];
  if (prefix === undefined) return;
  const written = `${prefix.toLowerCase()}:`;
  if (KNOWN_PREFIXES.includes(written)) {
    const service = SERVICE_PREFIXES.find(([known]) => known === written);
    if (service) checkPrefix(value.slice(written.length).trim());
    return;
  }
  throw new TargetError(`"${displaySafe(prefix)}:" is not a target prefix Clawdbot knows (it sends iMessage and SMS only)`, `Write one of ${TARGET_EXAMPLES}.`);
}

/**
 * Parses and checks a target a person typed, before anything is sent. Throws TargetError (what is
 * wrong, and an example of what is right). Phone numbers come back as E.164 read with `region`
 * (the account's `region`, default US), e-mail addresses lower-cased.
 */
export function parseUserTarget(raw: string, options: { region?: string } = {}): ImessageTarget {
  const value = String(raw ?? '').trim();
  if (!value) throw new TargetError('the target is empty', `Give one of ${TARGET_EXAMPLES}.`);
  checkPrefix(value);
  let target: ImessageTarget;
  try {
    target = parseTarget(value);
  } catch (error) {
    throw new TargetError((error as Error).message, `Write one of ${TARGET_EXAMPLES}.`);
  }
  switch (target.kind) {
    case 'handle':
      return { ...target, to: checkHandle(target.to, options.region ?? 'US') };
    case 'chat_guid':
      if (!CHAT_GUID.test(target.chatGuid)) {
        throw new TargetError(
          `${displaySafe(target.chatGuid)} is not a Messages chat guid (service;-;identifier for a 1:1 chat, service;+;identifier for a group)`,
          'Copy it from `imsg chats --json`, e.g. chat_guid:iMessage;+;chat123456789.',
        );
      }
      return target;
    case 'chat_identifier':
      if (/\s/.test(target.chatIdentifier) || CONTROL.test(target.chatIdentifier)) {
        throw new TargetError(`${displaySafe(target.chatIdentifier)} is not a chat identifier (no spaces)`, 'Copy it from `imsg chats --json`, e.g. chat_identifier:chat123456789.');
      }
      return target;
    case 'chat_id':
      return target;
  }
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
