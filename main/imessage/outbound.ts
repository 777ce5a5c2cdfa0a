// Sending one reply or message through `imsg rpc` `send` (spec imessage-channel.md #23, §4;
// imsg-protocol.md §2.5): target → params, service/region resolution, chunking, media with the
// caption on the first message, and message-id extraction. Everything that can be checked
// (target, text/media presence, media size) is checked before the first `send`, so a bad request
// sends nothing at all.
import type { ImessageService, ResolvedImessageAccount } from '../config/types';
import type { Logger } from '../util/logger';
import { chunkText } from './chunking';
import { loadOutboundMedia, type LoadedMedia } from './media';
import { formatTarget, parseTarget, targetSendParams, type ImessageTarget } from './targets';
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
  /** One id per request, per the spec's extraction rule (often `"ok"` on older imsg builds). */
  messageIds: string[];
  target: ImessageTarget;
  service: ImessageService;
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
 * The message id from a `send` result: the first non-empty string among `messageId`,
 * `message_id`, `id`, `guid`; then a numeric `message_id` / `id`; else `"ok"` if `ok`, else
 * `"unknown"`.
 */
export function extractMessageId(result: unknown): string {
  if (!result || typeof result !== 'object') return 'unknown';
  const record = result as Record<string, unknown>;
  for (const key of ['messageId', 'message_id', 'id', 'guid']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  for (const key of ['message_id', 'id']) {
    const value = record[key];
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return record.ok === true ? 'ok' : 'unknown';
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

/** Sends text and/or one media file to a target; requests go out one after another, in order. */
export async function sendImessage(rpc: ImsgRpc, account: ResolvedImessageAccount, options: SendImessageOptions): Promise<SendImessageResult> {
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
  const requests: Array<{ text: string; file?: string }> = media
    ? [{ text: chunks[0] ?? '', file: media.path }, ...chunks.slice(1).map((chunk) => ({ text: chunk }))]
    : chunks.map((chunk) => ({ text: chunk }));

  const address = targetSendParams(target);
  const where = formatTarget(target);
  const messageIds: string[] = [];
  for (const [index, request] of requests.entries()) {
    const params: Record<string, unknown> = { ...address, text: request.text, service, region };
    if (request.file) params.file = request.file;
    let result: unknown;
    try {
      result = await rpc.request('send', params, options.timeoutMs ? { timeoutMs: options.timeoutMs } : undefined);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const progress = index > 0 ? ` after ${index} of ${requests.length} messages` : '';
      throw new ImessageSendError(`iMessage send to ${where} failed${progress}: ${reason}`, index, requests.length, messageIds, { cause: error });
    }
    messageIds.push(extractMessageId(result));
  }
  options.logger?.debug('imessage: sent', { to: where, service, messages: requests.length, media: media?.kind });
  return { chunks: requests.length, messageIds, target, service, region, media };
}
