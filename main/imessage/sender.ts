// The one way an iMessage account sends. One AccountSender per account, created next to its
// supervisor (account-runtime.ts); agent replies, pairing replies, the control API's
// `message.send` and `pairing approve --notify` all go through it.
//
// What it owns:
//
//   - The queue. Sends of one account go to imsg one at a time, in arrival order. imsg reads its
//     stdin to EOF, so every send already written to it when the gateway dies is still executed;
//     with one in flight, at most one reply is uncertain after a crash, and that one is journaled.
//   - Chunking, once. planOutbound() splits the text by the account's rules; those parts are what
//     is sent, journaled, resent and remembered against echoes. Nobody splits it again.
//   - The journal hook. Right before the first request of a reply, the inbound row's
//     `markSendStarted` records a fingerprint of the reply's last part (cursor-store.ts). Chunks go
//     out in order, so that part in the chat proves the whole reply landed.
//   - Resume after an imsg restart. When imsg dies, stalls or restarts during a send, the request
//     fails as a connection loss; the supervisor brings imsg back within about a second. The send
//     then waits (bounded) for the account to listen again and goes on with the part that failed,
//     skipping it if our copy is already in the chat (imsg may have sent it before it died). That
//     check needs a chat_id target, which is what replies use; for a handle target a rare double
//     is possible and accepted. A send that finds the account down at its first request waits the
//     same way.
//   - The interrupted-reply check. A row delivered again after a crash, whose reply the previous
//     run had started sending, is answered only if that reply is not in the chat (any doubt
//     answers: a second reply beats none).
//   - Own echoes. What it sent recently per conversation, so the pipeline can drop Messages'
//     own-echo race: a sent row first written as inbound, its `is_from_me` flipped a moment later
//     (imsg-protocol §7.3).
//
// Every read of the chat goes through chat-history.ts.
import { createHash } from 'node:crypto';
import type { ImsgMessage } from '../../contract/imsg';
import type { ImessageService, ResolvedImessageAccount } from '../config/types';
import type { Logger } from '../util/logger';
import { SerialQueue } from '../util/serial-queue';
import { findOutgoingRow, historyFiltersBeforeLimit } from './chat-history';
import { ImessageSendError, planOutbound, planResult, sendParts, type OutboundPart, type OutboundPlan, type SendImessageResult } from './outbound';
import { ImsgRpcError } from './rpc-client';
import { chatKeyOfMessage, chatKeyOfTarget, type ImessageTarget } from './targets';
import type { ImsgRpc } from './types';

/** How long a send waits for imsg to come back before it counts as failed. */
export const DEFAULT_RESEND_WINDOW_MS = 60_000;
/** How far back (before the failed attempt) our own copy of a part may be found. */
const RESEND_HISTORY_SLACK_MS = 2_000;
/** Pause between attempts while imsg keeps failing (the supervisor may not have seen the exit yet). */
const RETRY_PAUSE_MS = 100;
/** How long a text we sent is remembered for the own-echo guard. */
export const ECHO_TTL_MS = 10_000;
/** When the interrupted reply is looked for: now, then twice more (ms between looks). Only the
 * (at most one) row per account whose send was in flight at a crash pays this delay. */
export const INTERRUPTED_SEND_RECHECK_MS = [0, 300, 1200];
/** How long that check waits for imsg to be reachable again when it is restarting. */
export const INTERRUPTED_SEND_CONNECT_WAIT_MS = 30_000;
/**
 * How long before the inbound row's time the interrupted reply may be dated: the row carries the
 * sender's clock, the reply this Mac's, and the two can disagree a little.
 */
const INTERRUPTED_SEND_CLOCK_SLACK_MS = 5 * 60_000;
/** Attempts at the interrupted-reply check while imsg is unreachable. */
const HISTORY_ATTEMPTS = 5;

/** Where a reply's send start is journaled: the inbound row's DeliveryContext (supervisor.ts). */
export interface SendJournal {
  markSendStarted(fingerprint: string): void;
}

export interface OutgoingMessage {
  /** A target in the grammar of targets.ts (`chat_id:42`, `imessage:+1555…`, a handle), or one already parsed and checked (parseUserTarget). */
  target: string | ImessageTarget;
  text?: string;
  /** Local path, `file://` URL or http(s) URL of one attachment. */
  media?: string;
  /** Overrides the target's prefix service and the account's `service`. */
  service?: ImessageService;
  /** Set for a reply to an inbound row: its send start is journaled there. */
  journal?: SendJournal;
}

export interface AccountSenderOptions {
  /** The account as configured now (hot reload changes chunking, service, media limit). */
  account(): ResolvedImessageAccount;
  /** The account's imsg requests (the supervisor's guarded view of the live process). */
  rpc: ImsgRpc;
  /** Resolves true once the account listens (at once if it does); false if it stops or fails for good first, or `deadline` (epoch ms) passes. */
  waitUntilListening(deadline: number): Promise<boolean>;
  /** The imsg version, when known (history paging depends on it). */
  imsgVersion?(): string | null;
  /** URL media is downloaded under `<stateDir>/media/outbound/`. */
  stateDir: string;
  logger: Logger;
  /** Called after each message imsg accepted (health: lastOutboundAt). */
  onSent?(): void;
  resendWindowMs?: number;
  now?: () => number;
}

/** True for failures that a reconnect can cure (imsg exited, stalled, or is restarting). */
export function isConnectionLoss(error: unknown): boolean {
  const cause = error instanceof ImessageSendError ? error.cause : error;
  return cause instanceof ImsgRpcError && (cause.kind === 'exited' || cause.kind === 'not-running' || cause.kind === 'timeout' || cause.kind === 'write-failed');
}

/** Whether the failed request may still have been executed by imsg (it was written to it). */
function mayHaveReachedImsg(error: ImessageSendError): boolean {
  return !(error.cause instanceof ImsgRpcError && error.cause.kind === 'not-running');
}

/**
 * Identifies a sent text in the chat without journaling the text itself: 16 hex digits of its
 * SHA-256 (trimmed, as Messages stores it).
 */
export function textFingerprint(text: string): string {
  return createHash('sha256').update(text.trim()).digest('hex').slice(0, 16);
}

export class AccountSender {
  private readonly opts: AccountSenderOptions;
  private readonly queue = new SerialQueue();
  private readonly echoes: RecentTexts;
  private readonly now: () => number;

  constructor(options: AccountSenderOptions) {
    this.opts = options;
    this.now = options.now ?? Date.now;
    this.echoes = new RecentTexts(ECHO_TTL_MS, this.now);
  }

  /** Sends queued in front of, or with, the one in flight. */
  get busy(): boolean {
    return this.queue.busy;
  }

  /**
   * Sends text and/or media. A request that is wrong in itself (target, nothing to send, media)
   * fails at once with a plain Error, before it is queued; a failure of imsg while sending is an
   * ImessageSendError saying how many messages went out.
   */
  async send(message: OutgoingMessage): Promise<SendImessageResult> {
    const plan = await planOutbound(this.opts.account(), {
      target: message.target,
      stateDir: this.opts.stateDir,
      logger: this.opts.logger,
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.media !== undefined ? { media: message.media } : {}),
      ...(message.service !== undefined ? { service: message.service } : {}),
    });
    return this.queue.run(() => this.deliver(plan, message.journal));
  }

  /** Is this inbound row our own message coming back (Messages' echo race)? */
  isOwnEcho(message: ImsgMessage): boolean {
    if (message.attachments.length > 0) return false;
    return this.echoes.has(chatKeyOfMessage(message), message.text.trim());
  }

  /**
   * For a row whose reply the previous run started sending and then died: whether that reply is in
   * the chat. `fingerprint` is the journaled one ('' = any reply of ours after the row counts).
   * Any doubt answers false.
   */
  async answeredBeforeRestart(message: ImsgMessage, fingerprint: string): Promise<boolean> {
    const log = this.opts.logger;
    const where = `iMessage ${this.opts.account().accountId}: message ${message.id}`;
    if (!(message.chat_id > 0)) {
      log.warn(`${where} may have been answered just before the last exit, but has no chat id to check; answering it again`);
      return false;
    }
    const rowTime = Date.parse(message.created_at);
    const query = {
      chatId: message.chat_id,
      ...(Number.isFinite(rowTime) ? { since: rowTime - INTERRUPTED_SEND_CLOCK_SLACK_MS } : {}),
      // Per-chat handling is strictly ordered, so only this row's reply can carry the
      // fingerprint after it (barring an identical earlier reply).
      matches: (row: ImsgMessage) => row.id > message.id && (fingerprint === '' || textFingerprint(row.text) === fingerprint),
    };
    // The previous imsg process may still be finishing the send it had read before we died (it
    // reads its stdin to EOF), possibly after we look: look again a little later before answering.
    let answered = false;
    const connectDeadline = this.now() + INTERRUPTED_SEND_CONNECT_WAIT_MS;
    for (const delayMs of INTERRUPTED_SEND_RECHECK_MS) {
      if (delayMs > 0) await sleep(delayMs);
      try {
        answered = (await this.whenReachable(() => findOutgoingRow(this.opts.rpc, query, this.historyOptions()), connectDeadline)) !== undefined;
      } catch (error) {
        log.warn(`${where} may have been answered just before the last exit; could not check the chat (${describe(error)}); answering it again`);
        return false;
      }
      if (answered) break;
    }
    log.info(`${where}: its reply was being sent at the last exit; ${answered ? 'it is in the chat, not answering again' : 'it is not in the chat, answering'}`, {
      rowid: message.id,
      chatId: message.chat_id,
    });
    return answered;
  }

  // -------------------------------------------------------------------------------------------

  /** One send, in the queue: journal, then the parts in order, resuming across imsg restarts. */
  private async deliver(plan: OutboundPlan, journal: SendJournal | undefined): Promise<SendImessageResult> {
    const { parts } = plan;
    // Remembered before sending: the echo can arrive before the send call returns.
    this.echoes.add(chatKeyOfTarget(plan.target), parts.map((part) => part.text.trim()));
    const last = parts.at(-1)?.text ?? '';
    journal?.markSendStarted(last ? textFingerprint(last) : '');

    const messageIds: string[] = [];
    let next = 0;
    let deadline: number | undefined;
    while (next < parts.length) {
      const attemptAt = this.now();
      try {
        messageIds.push(...(await sendParts(this.opts.rpc, plan, { from: next, ...(this.opts.onSent ? { onSent: this.opts.onSent } : {}) })));
        break;
      } catch (error) {
        if (!(error instanceof ImessageSendError)) throw error;
        messageIds.push(...error.messageIds);
        next = error.sent;
        const failure = new ImessageSendError(error.message, error.sent, error.total, [...messageIds], { cause: error.cause });
        if (!isConnectionLoss(error)) throw failure;
        if (deadline === undefined) {
          deadline = this.now() + (this.opts.resendWindowMs ?? DEFAULT_RESEND_WINDOW_MS);
          this.opts.logger.warn(`imessage: send to ${plan.where} interrupted (${error.message}); resending after imsg reconnects`);
        } else {
          await sleep(RETRY_PAUSE_MS);
        }
        if (!(await this.opts.waitUntilListening(deadline))) throw failure;
        if (!mayHaveReachedImsg(error)) continue;
        const copy = await this.copyInChat(plan, parts[next]!, attemptAt - RESEND_HISTORY_SLACK_MS);
        if (copy) {
          this.opts.logger.info(`imessage: part ${next + 1} of the send to ${plan.where} was delivered before imsg died; not resending it`);
          messageIds.push(copy.guid || String(copy.id));
          next += 1;
        }
      }
    }
    this.opts.logger.debug('imessage: sent', { to: plan.where, service: plan.service, messages: parts.length, media: plan.media?.kind });
    return planResult(plan, messageIds);
  }

  /** Our copy of `part` in the target chat, sent at or after `since`; undefined when absent or unknown. */
  private async copyInChat(plan: OutboundPlan, part: OutboundPart, since: number): Promise<ImsgMessage | undefined> {
    const text = part.text.trim();
    if (plan.target.kind !== 'chat_id' || text === '') return undefined;
    try {
      return await findOutgoingRow(this.opts.rpc, { chatId: plan.target.chatId, since, matches: (row) => row.text.trim() === text }, this.historyOptions());
    } catch (error) {
      // Cannot tell: resending risks a double, not resending risks a lost message. Prefer delivery.
      this.opts.logger.debug('imessage: could not check the chat for a part sent before imsg died; resending it', { error: describe(error) });
      return undefined;
    }
  }

  /**
   * Runs a history read; if imsg is not reachable right now (it died or is being restarted, so the
   * request fails as a connection loss), waits for the account to listen again (bounded) and reads
   * again: giving up on the check would answer the row a second time.
   */
  private async whenReachable<T>(read: () => Promise<T>, deadline: number): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (error) {
        if (attempt >= HISTORY_ATTEMPTS || !isConnectionLoss(error) || !(await this.opts.waitUntilListening(deadline))) throw error;
      }
    }
  }

  private historyOptions(): { filtersBeforeLimit: boolean } {
    return { filtersBeforeLimit: historyFiltersBeforeLimit(this.opts.imsgVersion?.()) };
  }
}

/** Texts sent per conversation, each remembered for `ttlMs`. */
class RecentTexts {
  /** `<conversation>\n<text>` → when the memory expires. */
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  add(conversation: string, texts: string[]): void {
    const now = this.now();
    if (this.expiries.size > 1000) {
      for (const [key, expires] of this.expiries) if (expires <= now) this.expiries.delete(key);
    }
    for (const text of texts) if (text !== '') this.expiries.set(`${conversation}\n${text}`, now + this.ttlMs);
  }

  has(conversation: string, text: string): boolean {
    if (this.expiries.size === 0) return false;
    const key = `${conversation}\n${text}`;
    const expires = this.expiries.get(key);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.expiries.delete(key);
      return false;
    }
    return true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
