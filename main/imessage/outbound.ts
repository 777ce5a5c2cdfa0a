// The requests of one reply or message through `imsg rpc` `send` (spec imessage-channel.md #23,
// §4; imsg-protocol.md §2.5): target → params, service/region resolution, chunking, media with the
// caption on the first message, and message-id extraction. Everything that can be checked
// (target, text/media presence, media size) is checked before the first `send` (planOutbound), so
// a bad request sends nothing at all.
import type { ImsgSendResult } from '../../contract/imsg';
import type { ImessageService, ResolvedImessageAccount } from '../config/types';
import type { Logger } from '../util/logger';
import { chunkText } from './chunking';
import { loadOutboundMedia, type LoadedMedia } from './media';
import { ImsgRpcError } from './rpc-client';
import { formatTarget, parseTarget, TargetError, targetSendParams, type ImessageTarget } from './targets';
import type { ImsgRpc } from './types';

const SERVICES: readonly ImessageService[] = ['imessage', 'sms', 'auto'];

export interface SendImessageOptions {
  /** A target string (§4 grammar) or an already parsed target. */
  target: string | ImessageTarget;
  text?: string;
  /** Local path, `file://` URL or http(s) URL of one attachment. */
  media?: string;
  /** Overrides the target's prefix service and the account's `service`. */
  service?: ImessageService;
  /** Overrides the account's `region` (phone-number normalization region). */
  region?: string;
  /** State directory; URL media is downloaded under `<stateDir>/media/outbound/`. */
  stateDir: string;
  /** Timeout of each `send` request (default: the RPC client's send timeout). */
  timeoutMs?: number;
  /** Media download timeout (default 30 s). */
  mediaTimeoutMs?: number;
  fetch?: typeof fetch;
  logger?: Logger;
}

export interface SendImessageResult {
  /** Number of `send` requests made (text chunks, the first carrying the media if any). */
  chunks: number;
  /** The ids imsg returned (guid or rowid), in order; none for an older imsg or an attachment-only send. */
  messageIds: string[];
  target: ImessageTarget;
  /** The `service` asked of imsg. */
  service: ImessageService;
  /** What the message went out as, when that follows from the request (see sentVia()); null when the chat decides. */
  sentVia: SentVia;
  region: string;
  /** The media that was sent, if any; `media.kind` gives the `<media:kind>` transcript placeholder. */
  media?: LoadedMedia;
}

/** A send that failed part-way: `sent` of `total` requests went out before the error. */
export class ImessageSendError extends Error {
  override name = 'ImessageSendError';
  constructor(
    message: string,
    readonly sent: number,
    readonly total: number,
    readonly messageIds: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * What a send goes out as. imsg sends a handle (and a chat whose identifier is a handle) as a buddy
 * of the requested service, `auto` meaning iMessage (imsg-protocol §5.9); a chat guid names its
 * service. A group addressed by chat_id or identifier keeps the chat's own service, which the send
 * result does not say: null.
 */
export type SentVia = 'iMessage' | 'SMS' | null;

export function sentVia(target: ImessageTarget, service: ImessageService): SentVia {
  switch (target.kind) {
    case 'handle':
      return service === 'sms' ? 'SMS' : 'iMessage';
    case 'chat_guid': {
      const prefix = target.chatGuid.split(';')[0]!.toLowerCase();
      return prefix === 'sms' ? 'SMS' : prefix === 'imessage' ? 'iMessage' : null;
    }
    default:
      return null;
  }
}

/** True for an id imsg really returned; `ok`/`unknown` are extractMessageId's stand-ins for none. */
export function isReturnedMessageId(id: string): boolean {
  return id !== 'ok' && id !== 'unknown';
}

/**
 * The message id from a (validated) `send` result: the first non-empty string among `messageId`,
 * `message_id`, `id`, `guid`; then a numeric `message_id` / `id`; else `"ok"` if `ok`, else
 * `"unknown"`.
 */
export function extractMessageId(result: ImsgSendResult): string {
  for (const value of [result.messageId, result.message_id, result.id, result.guid]) {
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  for (const value of [result.message_id, result.id]) {
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return result.ok === true ? 'ok' : 'unknown';
}

function checkService(value: string, source: string): ImessageService {
  if ((SERVICES as readonly string[]).includes(value)) return value as ImessageService;
  throw new Error(`Invalid iMessage service "${value}" (${source}); use imessage, sms or auto`);
}

/**
 * Service for a send: explicit option → the handle's prefix → the account's `service` → `auto`.
 * Unlike the original, the account's `service` applies to bare handles too (a `auto:` prefix
 * still forces auto).
 */
export function resolveSendService(target: ImessageTarget, account: Pick<ResolvedImessageAccount, 'service'>, explicit?: string): ImessageService {
  if (explicit) return checkService(explicit, 'send option');
  if (target.kind === 'handle' && target.service) return target.service;
  if (account.service) return checkService(account.service, 'channels.imessage.service');
  return 'auto';
}

/** Region: option → account `region` → `US`. */
export function resolveSendRegion(account: Pick<ResolvedImessageAccount, 'region'>, explicit?: string): string {
  const region = (explicit ?? account.region ?? '').trim();
  return region ? region.toUpperCase() : 'US';
}

/** One `send` request of a plan: a text chunk, the first one carrying the media if any. */
export interface OutboundPart {
  text: string;
  file?: string;
}

/**
 * A send worked out before anything goes to imsg: where, over which service, and the exact
 * requests. The text is split here, once; these parts are what is sent, journaled, resent after a
 * restart and remembered against echoes (sender.ts). Nobody splits the text again.
 */
export interface OutboundPlan {
  /** The account sending (named in errors). */
  accountId: string;
  target: ImessageTarget;
  /** The target as written in logs and errors (`chat_id:42`, `imessage:+1555…`). */
  where: string;
  service: ImessageService;
  region: string;
  media?: LoadedMedia;
  parts: OutboundPart[];
  /** Timeout of each `send` request (default: the RPC client's send timeout). */
  timeoutMs?: number;
}

/**
 * Checks and prepares a send: target, service and region, text or media present, the media
 * loaded (downloaded for a URL) and within the size limit, the text chunked by the account's
 * rules. Throws (before anything is sent) when the request itself is wrong.
 */
export async function planOutbound(account: ResolvedImessageAccount, options: SendImessageOptions): Promise<OutboundPlan> {
  const target = typeof options.target === 'string' ? parseTarget(options.target) : options.target;
  const service = resolveSendService(target, account, options.service);
  const region = resolveSendRegion(account, options.region);
  const text = options.text ?? '';
  const mediaSource = options.media?.trim();
  if (!text.trim() && !mediaSource) throw new Error('iMessage send requires text or media');

  const media = mediaSource
    ? await loadOutboundMedia(mediaSource, {
        maxMb: account.mediaMaxMb,
        stateDir: options.stateDir,
        timeoutMs: options.mediaTimeoutMs,
        fetch: options.fetch,
      })
    : undefined;

  const chunks = chunkText(text, { limit: account.textChunkLimit, mode: account.chunkMode });
  // The first message carries the media with the first chunk as its caption. Media without text
  // is sent as a bare attachment: the original sent the literal `<media:image>` text to the
  // recipient, which is a transcript marker, not something a person should receive.
  const parts: OutboundPart[] = media ? [{ text: chunks[0] ?? '', file: media.path }, ...chunks.slice(1).map((chunk) => ({ text: chunk }))] : chunks.map((chunk) => ({ text: chunk }));
  return {
    accountId: account.accountId,
    target,
    where: formatTarget(target),
    service,
    region,
    parts,
    ...(media ? { media } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  };
}

/**
 * Sends `plan.parts` from index `from` on, one request after another, in order. Returns the message
 * id of each part sent. On the first failure it throws an ImessageSendError whose `sent` is the
 * index of the part that failed (the parts before it went out).
 */
export async function sendParts(rpc: ImsgRpc, plan: OutboundPlan, options: { from?: number; onSent?: () => void } = {}): Promise<string[]> {
  const address = targetSendParams(plan.target);
  const { parts } = plan;
  const messageIds: string[] = [];
  for (let index = options.from ?? 0; index < parts.length; index++) {
    const part = parts[index]!;
    let result: ImsgSendResult;
    try {
      result = await rpc.call('send', { ...address, text: part.text, service: plan.service, region: plan.region, ...(part.file ? { file: part.file } : {}) }, plan.timeoutMs ? { timeoutMs: plan.timeoutMs } : undefined);
    } catch (error) {
      if (index === 0) rethrowUnknownTarget(error, plan);
      const reason = error instanceof Error ? error.message : String(error);
      const progress = index > 0 ? ` after ${index} of ${parts.length} messages` : '';
      throw new ImessageSendError(`iMessage send to ${plan.where} failed${progress}: ${reason}`, index, parts.length, messageIds, { cause: error });
    }
    const id = extractMessageId(result);
    if (isReturnedMessageId(id)) messageIds.push(id);
    options.onSent?.();
  }
  return messageIds;
}

/**
 * Sends text and/or one media file to a target through `rpc`, once: no queue, no resume after an
 * imsg restart. For a short-lived imsg (the CLI's direct sends); the gateway sends through its
 * per-account AccountSender (sender.ts), which adds those.
 */
export async function sendImessage(rpc: ImsgRpc, account: ResolvedImessageAccount, options: SendImessageOptions): Promise<SendImessageResult> {
  const plan = await planOutbound(account, options);
  const messageIds = await sendParts(rpc, plan);
  options.logger?.debug('imessage: sent', { to: plan.where, service: plan.service, messages: plan.parts.length, media: plan.media?.kind });
  return planResult(plan, messageIds);
}

/** The result of a plan whose every part went out. */
export function planResult(plan: OutboundPlan, messageIds: string[]): SendImessageResult {
  return {
    chunks: plan.parts.length,
    messageIds,
    target: plan.target,
    service: plan.service,
    sentVia: sentVia(plan.target, plan.service),
    region: plan.region,
    ...(plan.media ? { media: plan.media } : {}),
  };
}

/**
 * imsg refusing the target itself (a chat_id that is not in chat.db) is the request's fault, not
 * the account's: a TargetError naming the chat and the account, instead of a send failure whose
 * fix would be to probe the account.
 */
function rethrowUnknownTarget(error: unknown, plan: OutboundPlan): void {
  if (!(error instanceof ImsgRpcError) || error.code !== -32602) return;
  const detail = typeof error.data === 'string' ? error.data : error.message;
  const unknownChat = /unknown chat_id (\d+)/i.exec(detail);
  if (unknownChat) {
    throw new TargetError(
      `no chat with id ${unknownChat[1]} on account ${plan.accountId}`,
      'Chat ids differ per account: list this account\'s chats with `imsg chats --limit 20`, or send to a phone number or e-mail address instead.',
    );
  }
}
