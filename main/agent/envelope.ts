// The text the agent sees for one inbound iMessage (the "envelope"), in upstream's format so
// prompts and transcripts read the same:
//   DM:     [iMessage +15550001111 2026-01-17 00:00 UTC] hello
//   group:  [iMessage Family id:42 2026-01-17 00:00 UTC] +15550001111: hello
// followed by attachment references, skipped-attachment notes and the quoted reply context, and
// preceded (groups) by the messages skipped since the last reply.
import { formatWithPendingHistory, type PendingEntry } from './history-format';
import { mediaKind, mediaPlaceholder } from '../util/media-types';
import type { ImsgMessage } from '../../contract/imsg';

/** `local` (default), `utc`, or an IANA zone such as `Europe/Paris`. */
export type EnvelopeTimezone = string;

// Which attachments are usable (availability, size cap, remote copy) is decided by
// imessage/attachments.ts; its UsableAttachment / SkippedAttachment fit these shapes. This module
// only formats them.
export interface EnvelopeAttachment {
  path: string;
  mime: string;
  /** Display name (defaults to the file name of `path`). */
  name?: string;
}

export interface SkippedAttachment {
  name: string;
  /** e.g. "40 MB exceeds the 16 MB limit". */
  reason: string;
  mime?: string;
}

export interface InboundEnvelopeInput {
  message: ImsgMessage;
  /** Normalized sender handle; defaults to the raw `message.sender` (trimmed). */
  sender?: string;
  /** Defaults to `message.is_group` (pass true for chats listed explicitly in `groups`). */
  isGroup?: boolean;
  attachments?: EnvelopeAttachment[];
  skippedAttachments?: SkippedAttachment[];
  /**
   * Group messages skipped since the last reply (imessage/pending-history.ts), shown before this
   * one: the entries (each rendered as an envelope line of this chat), or the complete block as
   * already formatted by the caller (header through the current-message marker), prepended as is.
   */
  pendingHistory?: string | readonly PendingEntry[];
  timezone?: EnvelopeTimezone;
  /** Time since the session's previous message; shown as `+5m` when given. */
  elapsedMs?: number;
}

export function formatInboundEnvelope(input: InboundEnvelopeInput): string {
  const { message } = input;
  const rawSender = message.sender.trim();
  const sender = input.sender?.trim() || rawSender;
  const isGroup = input.isGroup ?? message.is_group === true;
  const from = isGroup ? groupLabel(message) : sender === rawSender ? sender : `${sender} id:${rawSender}`;

  const attachments = input.attachments ?? [];
  const skipped = input.skippedAttachments ?? [];
  let text = message.text.trim();
  if (!text && (attachments.length > 0 || skipped.length > 0)) {
    text = mediaPlaceholder(mediaKind({ mimeType: attachments[0]?.mime ?? skipped[0]?.mime, path: attachments[0]?.path ?? skipped[0]?.name }));
  }
  const parts = [isGroup ? `${sender}: ${text}` : text];
  for (const a of attachments) parts.push(`[attachment: ${a.path} (${a.mime})]`);
  for (const s of skipped) parts.push(`[attachment ${s.name} skipped: ${s.reason}]`);
  let body = parts.join('\n');
  const reply = formatReplyContext(message);
  if (reply) body += `\n\n${reply}`;

  const envelope = formatEnvelopeLine(from, message.created_at, body, input.timezone, input.elapsedMs);
  const pending = input.pendingHistory;
  if (pending === undefined) return envelope;
  if (typeof pending === 'string') return pending.trim() ? `${pending.trimEnd()}\n${envelope}` : envelope;
  const chat = groupLabel(message);
  return formatWithPendingHistory(pending, envelope, (entry) => formatPendingEntryEnvelope(entry, chat, input.timezone));
}

/** `[iMessage <from> [+elapsed] <timestamp>] <body>` (no timestamp part when none is known). */
export function formatEnvelopeLine(
  from: string,
  timestamp: string | number | Date | undefined,
  body: string,
  timezone?: EnvelopeTimezone,
  elapsedMs?: number,
): string {
  const elapsed = elapsedMs !== undefined && elapsedMs >= 0 ? ` +${formatElapsed(elapsedMs)}` : '';
  const time = timestamp === undefined ? '' : ` ${formatEnvelopeTimestamp(timestamp, timezone)}`;
  return `[iMessage ${from}${elapsed}${time}] ${body}`;
}

/**
 * One skipped group message as an envelope line of its chat (`chatLabel` = `groupLabel(message)`),
 * for pending-history.ts `formatWithPendingHistory`, which appends ` [id:<rowid>]`.
 */
export function formatPendingEntryEnvelope(entry: PendingEntry, chatLabel: string, timezone?: EnvelopeTimezone): string {
  return formatEnvelopeLine(chatLabel, entry.timestamp, `${entry.sender}: ${entry.body}`, timezone);
}

/** `<chat_name or "Group"> id:<chat_id>`. */
export function groupLabel(message: Pick<ImsgMessage, 'chat_name' | 'chat_id'>): string {
  return `${message.chat_name?.trim() || 'Group'} id:${message.chat_id}`;
}

/** `[Replying to <sender> id:<id>]\n<text>\n[/Replying]`, or undefined when the message quotes nothing. */
export function formatReplyContext(message: Pick<ImsgMessage, 'reply_to_text' | 'reply_to_sender' | 'reply_to_id'>): string | undefined {
  const quoted = message.reply_to_text?.trim();
  if (!quoted) return undefined;
  const who = message.reply_to_sender?.trim() || 'unknown sender';
  const id = message.reply_to_id !== undefined && message.reply_to_id !== null ? ` id:${message.reply_to_id}` : '';
  return `[Replying to ${who}${id}]\n${quoted}\n[/Replying]`;
}

/** `45s`, `12m`, `3h`, `2d`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

// Intl formatters are costly to build and cheap to reuse: one per timezone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: EnvelopeTimezone): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    const options: Intl.DateTimeFormatOptions = {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    };
    const zone = timezone === 'utc' ? 'UTC' : timezone === 'local' ? undefined : timezone;
    try {
      formatter = new Intl.DateTimeFormat('en-US', zone ? { ...options, timeZone: zone } : options);
    } catch {
      // An unknown zone name must not break message handling: fall back to the Mac's zone.
      formatter = new Intl.DateTimeFormat('en-US', options);
    }
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** `2026-01-17 00:00 UTC` (or the raw value when it is not a date). */
export function formatEnvelopeTimestamp(value: string | number | Date, timezone: EnvelopeTimezone = 'local'): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const p: Record<string, string> = {};
  for (const part of formatterFor(timezone).formatToParts(date)) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.timeZoneName}`;
}

// ---------------------------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------------------------

/** "40 MB", "1.5 MB", "300 KB". */
export function formatFileSize(bytes: number): string {
  const round = (n: number) => (n >= 10 ? Math.round(n) : Math.round(n * 10) / 10);
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${round(mb)} MB` : `${round(bytes / 1024)} KB`;
}
