// The watch of one imsg process (one supervisor attempt, supervisor.ts): `watch.subscribe` from
// the resume point, the notifications that follow, and imsg's watch `error` notifications.
//
// Resume point: `since_rowid` = the cursor store's watermark. Before any message was ever seen
// there is none yet: the newest row in chat.db becomes it (chat-history.ts), so even a restart
// before the first message resumes instead of going live again.
//
// A watch error ends the subscription (imsg sends one error, then silence). The watch subscribes
// again from the watermark after a short backoff (a locked database needs a moment) on the same
// process; rows already handled or in progress are skipped by the delivery's dedupe. More than a
// few errors a minute, or an error that says Full Disk Access is gone, end the attempt instead.
import type { ChannelError } from '../../contract/gateway-api';
import { parseMessageNotification, parseWatchError, type ImsgMessage } from '../../contract/imsg';
import { backoffDelay, type BackoffPolicy } from '../util/backoff';
import type { Logger } from '../util/logger';
import { newestRowid } from './chat-history';
import type { CursorStore } from './cursor-store';
import { classifyExit, classifyRequestError, fullDiskAccessFix, type ImsgFailure } from './probe';
import { ImsgRpcError, PERMISSION_TEXT_PATTERN, type ImsgNotification, type ImsgRpcClient } from './rpc-client';

/** Watch `error` notifications tolerated (each answered by a resubscribe) per minute before a restart. */
const WATCH_ERRORS_PER_MINUTE = 3;

/** Watch errors of the last minute, counted across attempts (a restart does not forgive them). */
export class WatchErrorWindow {
  private times: number[] = [];

  /** Records one error; returns how many there were in the last minute, or 'too many' (and starts over). */
  record(now = Date.now()): number | 'too many' {
    this.times = this.times.filter((t) => now - t < 60_000);
    this.times.push(now);
    if (this.times.length <= WATCH_ERRORS_PER_MINUTE) return this.times.length;
    this.times = [];
    return 'too many';
  }
}

export interface AttemptWatchOptions {
  accountId: string;
  logger: Logger;
  /** The attempt's live process (set once it passed the probe). */
  client: ImsgRpcClient;
  cursor(): CursorStore | undefined;
  includeAttachments: boolean;
  backoff: BackoffPolicy;
  random: () => number;
  errors: WatchErrorWindow;
  /** False once the attempt is over: then nothing here acts any more. */
  isCurrent(): boolean;
  deliver(message: ImsgMessage): void;
  /** Ends the attempt: restarted with backoff, or failed-fatal. */
  fail(failure: ImsgFailure): void;
  /** A transient watch error (being resubscribed) or its recovery: health shows it. */
  onError(error: ChannelError): void;
  onResubscribed(): void;
  failureContext(): { cliPath: string; dbPath?: string };
}

export class AttemptWatch {
  private readonly opts: AttemptWatchOptions;
  private subscriptionId: number | undefined;
  /** Ids given up on (after an error): their late notifications are dropped. Ids restart at 1 in every imsg process. */
  private readonly retired = new Set<number>();
  private resubscribeTimer: NodeJS.Timeout | undefined;

  constructor(options: AttemptWatchOptions) {
    this.opts = options;
  }

  /** `watch.subscribe` from the watermark. Returns false (after handling the failure) if it failed. */
  async subscribe(): Promise<boolean> {
    const { client } = this.opts;
    const cursor = this.opts.cursor();
    if (cursor && cursor.watermark === null) {
      const newest = await this.newestRowid();
      if (!this.opts.isCurrent()) return false;
      if (newest !== undefined) cursor.establishBase(newest);
    }
    const watermark = this.opts.cursor()?.watermark ?? null;
    // since_rowid 0 means "live only" to imsg; -1 means "everything", which is what a watermark
    // of 0 (nothing done, all rows new) asks for.
    const params = { attachments: this.opts.includeAttachments, ...(watermark !== null ? { since_rowid: watermark === 0 ? -1 : watermark } : {}) };
    try {
      const { subscription } = await client.call('watch.subscribe', params);
      if (!this.opts.isCurrent()) return false;
      this.subscriptionId = subscription;
      return true;
    } catch (error) {
      if (!this.opts.isCurrent()) return false;
      const failure = error instanceof ImsgRpcError && error.kind === 'exited' ? classifyExit(await client.waitForExit(), this.opts.failureContext()) : classifyRequestError(error, this.opts.failureContext());
      this.opts.fail({ ...failure, message: `watch.subscribe failed: ${failure.message}` });
      return false;
    }
  }

  /** A notification from this attempt's imsg. */
  onNotification(notification: ImsgNotification): void {
    if (notification.method === 'message') this.onMessage(notification.params);
    else if (notification.method === 'error') this.onWatchError(notification.params);
    else this.opts.logger.debug('imsg: ignoring notification', { method: notification.method });
  }

  /** The attempt is over: no more resubscribes. Returns the live subscription, if any (for a polite unsubscribe). */
  end(): number | undefined {
    if (this.resubscribeTimer) clearTimeout(this.resubscribeTimer);
    this.resubscribeTimer = undefined;
    const subscription = this.subscriptionId;
    this.subscriptionId = undefined;
    return subscription;
  }

  // -------------------------------------------------------------------------------------------

  /** The first resume point; undefined = could not tell (the subscription then starts live, as before). */
  private async newestRowid(): Promise<number | undefined> {
    try {
      return await newestRowid(this.opts.client);
    } catch (error) {
      this.opts.logger.warn(`iMessage ${this.opts.accountId}: could not read the newest message to set a resume point; subscribing to new messages only`, { error: (error as Error).message });
      return undefined;
    }
  }

  private onMessage(params: unknown): void {
    const parsed = parseMessageNotification(params);
    if (!parsed.ok) {
      this.opts.logger.warn(`iMessage ${this.opts.accountId}: skipped an invalid message from imsg: ${parsed.reason}`);
      return;
    }
    const { subscription, message } = parsed.value;
    if (parsed.dropped.length > 0) this.opts.logger.debug('imsg: message fields of the wrong type were dropped', { rowid: message.id, fields: parsed.dropped });
    // Notifications may arrive before the subscribe answer (spec §1.4), so an id not seen yet is
    // fine; only ids we already gave up on are ignored. Duplicates are caught by the delivery.
    if (subscription !== undefined && this.retired.has(subscription)) return;
    this.opts.deliver(message);
  }

  private onWatchError(params: unknown): void {
    const { subscription, message } = parseWatchError(params);
    if (subscription !== undefined && this.retired.has(subscription)) return;
    const { logger, accountId, client } = this.opts;
    logger.warn(`iMessage ${accountId}: imsg watch error: ${message}`, { subscription });
    if (PERMISSION_TEXT_PATTERN.test(message)) {
      // Full Disk Access revoked while running (spec §1.5): a restart cannot fix it.
      this.opts.fail({ check: 'database', message: `imsg lost access to the Messages database: ${message}`, fix: fullDiskAccessFix(this.opts.failureContext()), fatal: true });
      return;
    }
    const count = this.opts.errors.record();
    if (count === 'too many') {
      this.opts.fail({ check: 'rpc-answers', message: `imsg watch failed repeatedly: ${message}`, fatal: false });
      return;
    }
    if (!this.opts.isCurrent()) return;
    const old = this.subscriptionId;
    if (old !== undefined) {
      this.retired.add(old);
      this.subscriptionId = undefined;
      void client.call('watch.unsubscribe', { subscription: old }).catch(() => undefined);
    }
    const delay = backoffDelay(count - 1, this.opts.backoff, this.opts.random);
    this.opts.onError({ message: `imsg watch error (resubscribing in ${formatDelay(delay)}): ${message}`, fatal: false, at: new Date().toISOString() });
    if (this.resubscribeTimer) clearTimeout(this.resubscribeTimer);
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = undefined;
      if (!this.opts.isCurrent()) return;
      void this.subscribe().then((ok) => {
        if (!ok) return;
        logger.info(`iMessage ${accountId}: resubscribed after a watch error`, { sinceRowid: this.opts.cursor()?.watermark ?? null });
        this.opts.onResubscribed();
      });
    }, delay);
  }
}

/** `400ms`, `3s`: how health and logs word a delay. */
export function formatDelay(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))}ms` : `${Math.ceil(ms / 1000)}s`;
}
