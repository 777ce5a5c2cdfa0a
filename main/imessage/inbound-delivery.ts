// Hands each new message of one account to its handler exactly once (the supervisor's delivery
// side, supervisor.ts). A message is new unless its guid was seen recently (bounded LRU: a
// resubscribe or restart replays rows) or the cursor store has it done or in progress. Handlers
// run concurrently (chats are processed in parallel); when one settles, its row is marked done,
// which is what moves the resume point.
import type { ImsgMessage } from '../../contract/imsg';
import type { Logger } from '../util/logger';
import type { CursorStore } from './cursor-store';

/** What the handler may need about the delivered row beyond the message itself. */
export interface DeliveryContext {
  /**
   * Set when a previous run journaled that it started sending this row's reply and died before
   * finishing the row: the reply may already be in the chat. The fingerprint it journaled
   * ('' if none) identifies that reply.
   */
  interruptedSend?: { fingerprint: string };
  /** Journals (synchronously) that this row's reply is being handed to imsg now. */
  markSendStarted(fingerprint?: string): void;
}

export type MessageHandler = (message: ImsgMessage, context: DeliveryContext) => Promise<void>;

export interface InboundDeliveryOptions {
  handler: MessageHandler;
  logger: Logger;
  accountId: string;
  /** The cursor store open now (a restart may have reopened it); undefined while stopped. */
  cursor(): CursorStore | undefined;
  /** A message was handed over or settled (health: inFlight, lastInboundAt, lastRowid). */
  onActivity(): void;
  /** Size of the guid dedupe LRU. */
  dedupeSize?: number;
}

/** Insertion-ordered set that forgets its oldest keys beyond `limit`. */
class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly limit: number) {}
  has(key: string): boolean {
    return this.keys.has(key);
  }
  add(key: string): void {
    this.keys.add(key);
    if (this.keys.size > this.limit) {
      const oldest = this.keys.values().next().value as string;
      this.keys.delete(oldest);
    }
  }
}

export class InboundDelivery {
  private readonly opts: InboundDeliveryOptions;
  private readonly recent: RecentKeys;
  private readonly running = new Set<Promise<void>>();
  private lastInbound: string | null = null;

  constructor(options: InboundDeliveryOptions) {
    this.opts = options;
    this.recent = new RecentKeys(options.dedupeSize ?? 5000);
  }

  /** Messages handed to the handler and not settled yet. */
  get inFlight(): number {
    return this.running.size;
  }

  /** When the last message from someone else was handed over (ISO), or null. */
  get lastInboundAt(): string | null {
    return this.lastInbound;
  }

  /** Hands `message` to the handler unless it is a duplicate. */
  deliver(message: ImsgMessage): void {
    const cursor = this.opts.cursor();
    if (!cursor) return;
    const key = message.guid !== '' ? message.guid : `rowid:${message.id}`;
    if (cursor.isDone(message.id) || cursor.isInFlight(message.id) || this.recent.has(key)) {
      this.opts.logger.debug('imsg: duplicate message skipped', { rowid: message.id, chatId: message.chat_id });
      return;
    }
    this.recent.add(key);
    cursor.markStarted(message.id);
    if (!message.is_from_me) this.lastInbound = new Date().toISOString();

    const fingerprint = cursor.uncertainFingerprint(message.id);
    const context: DeliveryContext = {
      ...(fingerprint !== undefined ? { interruptedSend: { fingerprint } } : {}),
      // The store open now (it may have been reopened by a restart) records it.
      markSendStarted: (fp) => this.opts.cursor()?.markSendStarted(message.id, fp),
    };
    let pending: Promise<void>;
    try {
      pending = Promise.resolve(this.opts.handler(message, context));
    } catch (error) {
      pending = Promise.reject(error);
    }
    const settled: Promise<void> = pending
      .catch((error: unknown) => {
        this.opts.logger.error(`iMessage ${this.opts.accountId}: handling message ${message.id} failed`, {
          rowid: message.id,
          chatId: message.chat_id,
          error: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => {
        this.opts.cursor()?.markDone(message.id);
        this.running.delete(settled);
        this.opts.onActivity();
      });
    this.running.add(settled);
    this.opts.onActivity();
  }

  /** Waits (at most `timeoutMs`) for the handlers still running; says so when some do not finish. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.running.size === 0) return;
    const all = Promise.allSettled([...this.running]).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    const finished = await Promise.race([all, timedOut]);
    clearTimeout(timer);
    if (!finished) {
      this.opts.logger.warn(`iMessage ${this.opts.accountId}: ${this.running.size} message(s) still being handled at stop; they will be delivered again after the next start`);
    }
  }
}
