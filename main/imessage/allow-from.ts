// The `allowFrom` grammar: which senders or chats an allowlist entry names, and how a sender's
// handle is normalized so that `+1 (555) 222-3333` in the config matches `+15552223333` from imsg.
//
// Lists are compiled once into an `AllowMatcher` (hash sets), so checking a message is a few set
// look-ups; the config changes rarely, messages arrive often.
//
// Grammar (spec imessage-channel.md §2.2):
//   `*`                                   anyone
//   `imessage:` | `sms:` | `auto:` <rest> the service prefix is ignored (any case, repeatable)
//   `chat_id:` | `chatid:` | `chat:` <digits>            the chat with that chat_id
//   `chat_guid:` | `chatguid:` | `guid:` <text>          the chat with that guid (case-sensitive)
//   `chat_identifier:` | `chatidentifier:` | `chatident:` <text>   the chat with that identifier
//   anything else                         a handle: an email (lower-cased) or a phone number
//
// Handles are compared after targets.ts's normalizeHandle (the one definition of a canonical
// handle: emails lower-cased, phone numbers `+` and digits, no country code inferred).
//
// Deliberate differences from the original, which only make matching stricter:
//   - A handle that is neither an email nor a phone number stays as written. The original turned
//     every such string into `+`, so one junk entry matched every other junk sender.
//   - `chat_id:` with a non-numeric value, or an empty `chat_guid:`/`chat_identifier:`, is an
//     invalid entry: it matches nothing and is reported in `invalid` (the original let it fall
//     through to handle matching, where it could never match anyway).
//   - An empty list matches nobody. (The original's helper returned true and relied on every
//     caller to check for emptiness first; access-policy.ts handles empty lists explicitly.)
import { normalizeHandle } from '../../contract/handles';

export type AllowEntry =
  | { kind: 'any' }
  | { kind: 'chatId'; chatId: number }
  | { kind: 'chatGuid'; chatGuid: string }
  | { kind: 'chatIdentifier'; chatIdentifier: string }
  | { kind: 'handle'; handle: string }
  | { kind: 'invalid'; raw: string; problem: string };

/** What a message tells us about who sent it and where. */
export interface SenderRef {
  /** The raw `sender` from imsg (phone, email, possibly with a service prefix). */
  sender: string;
  chatId?: number | null;
  chatGuid?: string | null;
  chatIdentifier?: string | null;
}

/** Like SenderRef, but with the sender already normalized (targets.ts normalizeHandle). */
export interface NormalizedSenderRef {
  handle: string;
  chatId?: number | null;
  chatGuid?: string | null;
  chatIdentifier?: string | null;
}

export interface AllowMatcher {
  /** The cleaned entries (stringified, trimmed, non-empty, de-duplicated), in their original order. */
  readonly entries: readonly string[];
  /** True when the list contains `*` (possibly service-prefixed). */
  readonly wildcard: boolean;
  /** True when no entry can match anything (empty list, or only invalid entries). */
  readonly isEmpty: boolean;
  /** Entries that can never match, with the reason, for config warnings. */
  readonly invalid: readonly { entry: string; problem: string }[];
  matches(ref: NormalizedSenderRef): boolean;
}

const SERVICE_PREFIX = /^(imessage|sms|auto):/i;
const CHAT_ID_PREFIX = /^(chat_id|chatid|chat):/i;
const CHAT_GUID_PREFIX = /^(chat_guid|chatguid|guid):/i;
const CHAT_IDENTIFIER_PREFIX = /^(chat_identifier|chatidentifier|chatident):/i;

/** Removes any number of leading `imessage:`/`sms:`/`auto:` prefixes. */
export function stripServicePrefix(value: string): string {
  let rest = value.trim();
  while (SERVICE_PREFIX.test(rest)) rest = rest.replace(SERVICE_PREFIX, '').trim();
  return rest;
}

/** Parses one allowFrom entry (numbers are accepted and stringified). Returns null for blanks. */
export function parseAllowEntry(input: string | number): AllowEntry | null {
  const raw = String(input).trim();
  if (raw === '') return null;
  const value = stripServicePrefix(raw);
  if (value === '*') return { kind: 'any' };
  if (value === '') return { kind: 'invalid', raw, problem: 'a service prefix with nothing after it' };

  if (CHAT_ID_PREFIX.test(value)) {
    const id = value.replace(CHAT_ID_PREFIX, '').trim();
    if (!/^\d+$/.test(id)) return { kind: 'invalid', raw, problem: 'chat_id must be a number, e.g. chat_id:42' };
    return { kind: 'chatId', chatId: Number(id) };
  }
  if (CHAT_GUID_PREFIX.test(value)) {
    const chatGuid = value.replace(CHAT_GUID_PREFIX, '').trim();
    if (chatGuid === '') return { kind: 'invalid', raw, problem: 'chat_guid is empty' };
    return { kind: 'chatGuid', chatGuid };
  }
  if (CHAT_IDENTIFIER_PREFIX.test(value)) {
    const chatIdentifier = value.replace(CHAT_IDENTIFIER_PREFIX, '').trim();
    if (chatIdentifier === '') return { kind: 'invalid', raw, problem: 'chat_identifier is empty' };
    return { kind: 'chatIdentifier', chatIdentifier };
  }
  return { kind: 'handle', handle: normalizeHandle(value) };
}

/** Stringifies, trims, drops empty entries and duplicates (keeping first occurrences). */
export function cleanAllowList(entries: readonly (string | number)[] | null | undefined): string[] {
  if (!entries) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const entry of entries) {
    const value = String(entry).trim();
    if (value === '' || seen.has(value)) continue;
    seen.add(value);
    out.push(value);
  }
  return out;
}

export interface CompileOptions {
  /** Ignore `*` entries (the pairing allow store may never open access to everyone). */
  ignoreWildcard?: boolean;
}

export function compileAllowList(entries: readonly (string | number)[] | null | undefined, options: CompileOptions = {}): AllowMatcher {
  const cleaned = cleanAllowList(entries);
  const handles = new Set<string>();
  const chatIds = new Set<number>();
  const chatGuids = new Set<string>();
  const chatIdentifiers = new Set<string>();
  const invalid: { entry: string; problem: string }[] = [];
  let wildcard = false;

  for (const entry of cleaned) {
    const parsed = parseAllowEntry(entry);
    if (!parsed) continue;
    switch (parsed.kind) {
      case 'any':
        if (options.ignoreWildcard) invalid.push({ entry, problem: '"*" is not allowed here' });
        else wildcard = true;
        break;
      case 'chatId':
        chatIds.add(parsed.chatId);
        break;
      case 'chatGuid':
        chatGuids.add(parsed.chatGuid);
        break;
      case 'chatIdentifier':
        chatIdentifiers.add(parsed.chatIdentifier);
        break;
      case 'handle':
        handles.add(parsed.handle);
        break;
      case 'invalid':
        invalid.push({ entry, problem: parsed.problem });
        break;
    }
  }

  const isEmpty = !wildcard && handles.size === 0 && chatIds.size === 0 && chatGuids.size === 0 && chatIdentifiers.size === 0;

  return {
    entries: Object.freeze(cleaned),
    wildcard,
    isEmpty,
    invalid: Object.freeze(invalid),
    matches(ref) {
      if (wildcard) return true;
      if (ref.handle !== '' && handles.has(ref.handle)) return true;
      if (ref.chatId != null && chatIds.has(ref.chatId)) return true;
      if (ref.chatGuid && chatGuids.has(ref.chatGuid)) return true;
      if (ref.chatIdentifier && chatIdentifiers.has(ref.chatIdentifier)) return true;
      return false;
    },
  };
}

export function normalizeSenderRef(ref: SenderRef): NormalizedSenderRef {
  return { handle: normalizeHandle(ref.sender), chatId: ref.chatId, chatGuid: ref.chatGuid, chatIdentifier: ref.chatIdentifier };
}

/**
 * One-off check of a raw list against a message. For the per-message path, compile the list once
 * with compileAllowList and call `matches` instead.
 */
export function isSenderAllowed(entries: readonly (string | number)[] | AllowMatcher, ref: SenderRef): boolean {
  const matcher = isAllowMatcher(entries) ? entries : compileAllowList(entries);
  return matcher.matches(normalizeSenderRef(ref));
}

function isAllowMatcher(value: readonly (string | number)[] | AllowMatcher): value is AllowMatcher {
  return !Array.isArray(value);
}
