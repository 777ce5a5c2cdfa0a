// `imsg`, the macOS CLI our gateway drives over JSON-RPC (spec imsg-protocol.md): what it sends us
// and what we may ask of it, validated at the boundary. Shared by the gateway, the simulator and
// the agent, which all speak about the same messages.
//
//   - Messages (watch notifications, history rows): a hand-written checker, `parseImsgMessage`. It
//     runs once per inbound message (a measured hot path) and is lenient in a precise way that a
//     schema library would only imitate: strict where the pipeline depends on a value (id,
//     chat_id, is_from_me, created_at, sender and text types), lenient where imsg versions differ
//     (a missing `guid`, `text` or `attachments` gets its empty value, an optional field of the
//     wrong type is dropped and reported, never fatal). It builds a fresh ImsgMessage from the
//     fields we know: unknown keys are never copied.
//   - Methods: `ImsgMethods` is the table of the requests we make (`chats.list`,
//     `messages.history`, `watch.subscribe`, `watch.unsubscribe`, `send`) with their params and a
//     zod schema for each result, which the rpc client applies to every answer (one place). The
//     result types are inferred from those schemas.
import { z } from 'zod';

// ------------------------------------------------------------------------------------------------
// Messages
// ------------------------------------------------------------------------------------------------

export interface ImsgAttachment {
  filename?: string;
  transfer_name?: string;
  uti?: string;
  mime_type?: string;
  total_bytes?: number;
  is_sticker?: boolean;
  original_path?: string;
  missing?: boolean;
}

/** A message as delivered by `watch.subscribe` / `messages.history` (snake_case, as imsg sends it). */
export interface ImsgMessage {
  id: number;
  chat_id: number;
  guid: string;
  sender: string;
  is_from_me: boolean;
  text: string;
  created_at: string;
  attachments: ImsgAttachment[];
  chat_identifier?: string;
  chat_guid?: string;
  chat_name?: string;
  participants?: string[];
  is_group?: boolean;
  reply_to_guid?: string;
  reply_to_text?: string;
  reply_to_sender?: string;
  reply_to_id?: number;
  thread_originator_guid?: string;
  destination_caller_id?: string;
  sender_name?: string;
  /** Tapback event rows (only with include_reactions, which we do not request). */
  is_reaction?: boolean;
}

export type ParseResult<T> = { ok: true; value: T; dropped: string[] } | { ok: false; reason: string };

/** The `params` of a `message` notification. */
export interface MessageNotification {
  /** Subscription id, when imsg sent one (it always does; tolerated if missing). */
  subscription: number | undefined;
  message: ImsgMessage;
}

const OPTIONAL_STRINGS = [
  'chat_identifier',
  'chat_guid',
  'chat_name',
  'reply_to_guid',
  'reply_to_text',
  'reply_to_sender',
  'thread_originator_guid',
  'destination_caller_id',
  'sender_name',
] as const;

const ATTACHMENT_STRINGS = ['filename', 'transfer_name', 'uti', 'mime_type', 'original_path'] as const;
const ATTACHMENT_BOOLEANS = ['is_sticker', 'missing'] as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isRowid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `a string "${value.slice(0, 40)}…"` : `"${value}"`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function parseAttachment(raw: unknown, dropped: string[], index: number): ImsgAttachment | undefined {
  if (!isObject(raw)) {
    dropped.push(`attachments[${index}]`);
    return undefined;
  }
  const out: ImsgAttachment = {};
  for (const key of ATTACHMENT_STRINGS) {
    const value = raw[key];
    if (typeof value === 'string') out[key] = value;
    else if (value !== undefined && value !== null) dropped.push(`attachments[${index}].${key}`);
  }
  for (const key of ATTACHMENT_BOOLEANS) {
    const value = raw[key];
    if (typeof value === 'boolean') out[key] = value;
    else if (value !== undefined && value !== null) dropped.push(`attachments[${index}].${key}`);
  }
  const size = raw.total_bytes;
  if (typeof size === 'number' && Number.isFinite(size) && size >= 0) out.total_bytes = size;
  else if (size !== undefined && size !== null) dropped.push(`attachments[${index}].total_bytes`);
  return out;
}

/** Validates one `message` object from imsg. */
export function parseImsgMessage(raw: unknown): ParseResult<ImsgMessage> {
  if (!isObject(raw)) return { ok: false, reason: `message is ${describe(raw)}, expected an object` };
  const { id, chat_id: chatId, is_from_me: isFromMe, created_at: createdAt } = raw;
  if (!isRowid(id)) return { ok: false, reason: `message.id is ${describe(id)}, expected a non-negative integer` };
  if (!isRowid(chatId)) return { ok: false, reason: `message ${id}: chat_id is ${describe(chatId)}, expected a non-negative integer` };
  if (typeof isFromMe !== 'boolean') return { ok: false, reason: `message ${id}: is_from_me is ${describe(isFromMe)}, expected a boolean` };
  if (typeof createdAt !== 'string' || createdAt === '') return { ok: false, reason: `message ${id}: created_at is ${describe(createdAt)}, expected an ISO time` };

  const guid = raw.guid ?? '';
  if (typeof guid !== 'string') return { ok: false, reason: `message ${id}: guid is ${describe(guid)}, expected a string` };
  const sender = raw.sender ?? '';
  if (typeof sender !== 'string') return { ok: false, reason: `message ${id}: sender is ${describe(sender)}, expected a string` };
  const text = raw.text ?? '';
  if (typeof text !== 'string') return { ok: false, reason: `message ${id}: text is ${describe(text)}, expected a string` };

  const dropped: string[] = [];
  const attachments: ImsgAttachment[] = [];
  const rawAttachments = raw.attachments;
  if (Array.isArray(rawAttachments)) {
    for (let i = 0; i < rawAttachments.length; i++) {
      const attachment = parseAttachment(rawAttachments[i], dropped, i);
      if (attachment) attachments.push(attachment);
    }
  } else if (rawAttachments !== undefined && rawAttachments !== null) {
    dropped.push('attachments');
  }

  const message: ImsgMessage = { id, chat_id: chatId, guid, sender, is_from_me: isFromMe, text, created_at: createdAt, attachments };
  for (const key of OPTIONAL_STRINGS) {
    const value = raw[key];
    if (typeof value === 'string') message[key] = value;
    else if (value !== undefined && value !== null) dropped.push(key);
  }

  const participants = raw.participants;
  if (Array.isArray(participants)) {
    const handles = participants.filter((p): p is string => typeof p === 'string' && p !== '');
    if (handles.length !== participants.length) dropped.push('participants[]');
    message.participants = handles;
  } else if (participants !== undefined && participants !== null) {
    dropped.push('participants');
  }

  const replyToId = raw.reply_to_id;
  if (isRowid(replyToId)) message.reply_to_id = replyToId;
  else if (replyToId !== undefined && replyToId !== null) dropped.push('reply_to_id');

  if (typeof raw.is_reaction === 'boolean') message.is_reaction = raw.is_reaction;
  else if (raw.is_reaction !== undefined && raw.is_reaction !== null) dropped.push('is_reaction');

  // imsg ≤ 0.4.x computed is_group wrongly (spec §5.6) and some builds leave it out: a `;+;` chat
  // guid or identifier is a group whatever the flag says.
  const flag = typeof raw.is_group === 'boolean' ? raw.is_group : undefined;
  if (flag === undefined && raw.is_group !== undefined && raw.is_group !== null) dropped.push('is_group');
  const looksLikeGroup = (message.chat_guid?.includes(';+;') ?? false) || (message.chat_identifier?.includes(';+;') ?? false);
  if (flag !== undefined || looksLikeGroup) message.is_group = flag === true || looksLikeGroup;

  return { ok: true, value: message, dropped };
}

/** Validates the `params` of a `message` notification: `{subscription, message}`. */
export function parseMessageNotification(params: unknown): ParseResult<MessageNotification> {
  if (!isObject(params)) return { ok: false, reason: `notification params is ${describe(params)}, expected an object` };
  const subscription = params.subscription;
  if (subscription !== undefined && !isRowid(subscription)) return { ok: false, reason: `notification subscription is ${describe(subscription)}, expected an integer` };
  const parsed = parseImsgMessage(params.message);
  if (!parsed.ok) return parsed;
  return { ok: true, value: { subscription, message: parsed.value }, dropped: parsed.dropped };
}

/** The `params` of an `error` notification: `{subscription, error: {message}}`. Never fails. */
export function parseWatchError(params: unknown): { subscription: number | undefined; message: string } {
  const p = isObject(params) ? params : {};
  const subscription = isRowid(p.subscription) ? p.subscription : undefined;
  const error = p.error;
  let message: string;
  if (isObject(error) && typeof error.message === 'string') message = error.message;
  else if (typeof error === 'string') message = error;
  else message = `unknown watch error ${JSON.stringify(params)?.slice(0, 300) ?? ''}`;
  return { subscription, message };
}

// ------------------------------------------------------------------------------------------------
// Methods
// ------------------------------------------------------------------------------------------------

/** An optional field: absent, or of the wrong type (an older or newer imsg), reads as undefined. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/** A list whose entries that do not fit are left out (and the rest kept). */
function lenientList<T extends z.ZodType>(entry: T) {
  return z.array(z.unknown()).transform((items) => {
    const kept: z.output<T>[] = [];
    for (const item of items) {
      const parsed = entry.safeParse(item);
      if (parsed.success) kept.push(parsed.data);
    }
    return kept;
  });
}

/** A chat of `chats.list` (spec §2.1). Only `id` is relied on. */
const imsgChatSchema = z.object({
  id: z.int().nonnegative(),
  identifier: lenient(z.string()),
  guid: lenient(z.string()),
  name: lenient(z.string()),
  service: lenient(z.string()),
  last_message_at: lenient(z.string()),
  participants: lenient(z.array(z.string())),
  is_group: lenient(z.boolean()),
  contact_name: lenient(z.string()),
});
export type ImsgChat = z.output<typeof imsgChatSchema>;

/** Where a `send` goes: exactly one of these (spec §2.5). */
export type ImsgSendAddress = { to: string } | { chat_id: number } | { chat_guid: string } | { chat_identifier: string };
export type ImsgService = 'imessage' | 'sms' | 'auto';

/** The result schema of each method, applied to every answer by the rpc client. */
export const imsgResultSchemas = {
  /** `{chats}`, newest activity first; chats without a usable id are left out. */
  'chats.list': z.object({ chats: lenientList(imsgChatSchema) }),
  /**
   * `{messages}`, newest first (spec §2.2), each checked by `parseImsgMessage`; rows that fail it
   * are left out and counted in `skipped`, so a caller paging through the history still knows how
   * many rows imsg returned.
   */
  'messages.history': z.object({ messages: z.array(z.unknown()) }).transform(({ messages }) => {
    const valid: ImsgMessage[] = [];
    for (const raw of messages) {
      const parsed = parseImsgMessage(raw);
      if (parsed.ok) valid.push(parsed.value);
    }
    return { messages: valid, skipped: messages.length - valid.length };
  }),
  'watch.subscribe': z.object({ subscription: z.int() }),
  /** `{ok:true}`, also for unknown ids. */
  'watch.unsubscribe': z.looseObject({ ok: lenient(z.boolean()) }),
  /**
   * `{ok, transport?, id?, guid?}`, varying by version (spec §2.5; older builds: just `{ok:true}`).
   * Every field is optional and an answer that is not even an object still counts as sent (imsg
   * said nothing went wrong): the message id then reads as unknown.
   */
  send: z
    .looseObject({
      ok: lenient(z.boolean()),
      transport: lenient(z.string()),
      messageId: lenient(z.string()),
      message_id: lenient(z.union([z.string(), z.number()])),
      id: lenient(z.union([z.string(), z.number()])),
      guid: lenient(z.string()),
    })
    .catch({}),
} satisfies Record<string, z.ZodType>;

/** Request params and (validated) results of every imsg method we call. */
export interface ImsgMethods {
  /** `limit` defaults to 20 and is clamped to ≥ 1. */
  'chats.list': { params: { limit?: number }; result: z.output<(typeof imsgResultSchemas)['chats.list']> };
  /** `start` is inclusive, `end` exclusive (ISO-8601 with a zone); `limit` (default 50) applies after them since imsg 0.4.1. */
  'messages.history': {
    params: { chat_id: number; limit?: number; start?: string; end?: string; attachments?: boolean; participants?: string[] };
    result: z.output<(typeof imsgResultSchemas)['messages.history']>;
  };
  /** `since_rowid` is exclusive; absent or 0 means live only, -1 replays everything. */
  'watch.subscribe': {
    params: { since_rowid?: number; chat_id?: number; attachments?: boolean; include_reactions?: boolean; debounce_ms?: number };
    result: z.output<(typeof imsgResultSchemas)['watch.subscribe']>;
  };
  'watch.unsubscribe': { params: { subscription: number }; result: z.output<(typeof imsgResultSchemas)['watch.unsubscribe']> };
  send: {
    params: ImsgSendAddress & { text: string; file?: string; service?: ImsgService; region?: string };
    result: z.output<(typeof imsgResultSchemas)['send']>;
  };
}

export type ImsgMethod = keyof ImsgMethods;
export type ImsgParams<M extends ImsgMethod> = ImsgMethods[M]['params'];
export type ImsgResult<M extends ImsgMethod> = ImsgMethods[M]['result'];
export type ImsgSendResult = ImsgResult<'send'>;
