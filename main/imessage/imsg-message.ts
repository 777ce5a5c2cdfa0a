// Boundary validation of imsg's watch notifications (spec imsg-protocol.md §2.3, §3.2, §3.3).
// Runs once per inbound message, so it is a hand-written checker rather than a schema library:
// it builds a fresh ImsgMessage from the fields we know (unknown keys are never copied) and
// either returns it or says exactly why the payload was refused.
//
// Strict where the pipeline depends on a value (id, chat_id, is_from_me, created_at, sender and
// text types); lenient where imsg versions differ (a missing `guid`, `text` or `attachments` gets
// its empty value, an optional field of the wrong type is dropped and reported, never fatal).
import type { ImsgAttachment, ImsgMessage } from '../../contract/imsg';

export type ParseResult<T> = { ok: true; value: T; dropped: string[] } | { ok: false; reason: string };

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
