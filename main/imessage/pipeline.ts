// The inbound pipeline of one iMessage account: what happens to a message after the supervisor
// hands it over, up to the reply landing in the chat (spec imessage-channel.md §2.3, §3, §6.4).
//
//   own echo? → access policy (config allowFrom ∪ paired senders) → pairing for unknown DM
//   senders → mention gate (groups; skipped messages become pending history) → agent reply
//   (with the chat's pending history) → send, chunked, to the chat.
//
// Every outcome is one access-log entry with a machine-readable reason. Rejections are silent
// toward the sender; the only message a stranger can get is the one pairing reply.
//
// Concurrency: messages of one chat are handled strictly in order (a promise chain per chat), chats
// run in parallel, and model calls across all accounts share one ConcurrencyLimit (a queue, not a
// drop). `handle()` resolves when its message is completely handled, which is when the supervisor
// moves its resume cursor past it.
//
// Sends of one account go to imsg one at a time (a FIFO; imsg executes requests one at a time
// anyway). Reason: imsg reads its stdin to EOF, so every send already written to it when the gateway
// dies is still executed. With one in flight, at most one reply is uncertain after a crash, and that
// one is journaled: right before each send the supervisor's cursor store records "send started"
// with a fingerprint of the reply's last chunk. When a row with such a record (and no completion)
// is delivered again after a restart, the chat's recent history is read first; an outgoing row
// after it carrying that fingerprint means the whole reply went out (chunks are sent in order):
// the row is not answered twice. A reply cut off between chunks is answered again in full, which
// repeats its first part rather than losing the rest.
// Per-chat handling is strictly ordered, so only this row's reply can carry the fingerprint after
// it (barring an identical earlier reply). Gaps: without a chat_id the history cannot be read and
// the row is answered again; Messages writing the sent row only after the restarted gateway reads
// the history (a slow send) also leads to a second answer.
//
// Hot path: no file reads except the allow store's stat (PairingStore.allowFromSnapshot), the
// access policy and mention matcher are compiled once per config, nothing is re-parsed.
//
// Differences from the original, on purpose:
//   - DMs are answered in their chat (`chat_id:<id>`) rather than at `imessage:<handle>`: the
//     reply then keeps the service (iMessage or SMS) the person wrote with. Without a chat_id the
//     raw sender handle is used.
//   - A reply text we sent in a chat is remembered for a few seconds, and an inbound row in that
//     chat with exactly that text is dropped as our own echo (imsg-protocol §7.3: Messages can
//     write a sent row as inbound and flip `is_from_me` a moment later).
//   - Slash control commands (/status, /new) are not implemented, so there is nothing to gate.
import { createHash } from 'node:crypto';
import type { AccessDecision, AccessLogEntry } from '../../contract/gateway-api';
import type { Agent } from '../agent/agent';
import { formatInboundEnvelope, type EnvelopeAttachment, type SkippedAttachment } from '../agent/envelope';
import { resolveHistoryLimit, type SessionTarget } from '../agent/sessions';
import type { ResolvedImessageAccount } from '../config/types';
import { formatPairingReply, pairingReplyTarget, type CliInvocation } from '../pairing/messages';
import type { PairingStore } from '../pairing/store';
import type { Logger } from '../util/logger';
import { compileAccessPolicy, decideAccess, type CompiledAccessPolicy } from './access-policy';
import type { AccessLog } from './access-log';
import type { AttachmentSelection } from './attachments';
import { chunkText } from './chunking';
import { applyMentionGate, resolveRequireMention, type MentionMatcher } from './mention';
import { PendingHistory } from './pending-history';
import { isConnectionLoss } from './resend';
import type { DeliveryContext } from './supervisor';
import { normalizeHandle } from '../../contract/handles';
import type { ImsgMessage } from '../../contract/imsg';

/** Default bound on model calls in flight across the whole gateway. */
export const DEFAULT_MAX_CONCURRENT_REPLIES = 32;
/** How long a text we sent is remembered for the own-echo guard. */
export const ECHO_TTL_MS = 10_000;
/** Rows of a chat read to find a reply sent just before a crash (only for interrupted sends). */
export const INTERRUPTED_SEND_HISTORY_LIMIT = 20;
/** When the interrupted reply is looked for: now, then twice more (ms between looks). Only the
 * (at most one) row per account whose send was in flight at a crash pays this delay. */
export const INTERRUPTED_SEND_RECHECK_MS = [0, 300, 1200];
/** How long that check waits for imsg to be reachable again when it is restarting. */
export const INTERRUPTED_SEND_CONNECT_WAIT_MS = 30_000;

/** A counting semaphore with a FIFO queue: callers wait, nobody is turned away. */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`ConcurrencyLimit: max must be a positive integer (got ${max})`);
  }

  /** Calls in progress. */
  get running(): number {
    return this.active;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.head < this.waiting.length) {
      // The slot passes straight to the next waiter (`active` stays the same).
      const next = this.waiting[this.head]!;
      this.waiting[this.head] = undefined as unknown as () => void;
      this.head += 1;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      next();
    } else {
      this.active -= 1;
    }
  }
}

/** What the pipeline asks of an outbound sender: text to a target, chunked by the account's rules. */
export type SendText = (target: string, text: string) => Promise<unknown>;

/** Attachments of an accepted message, made usable for the agent (attachments.ts: selection, size cap, remote copy). */
export type PrepareAttachments = (message: ImsgMessage) => Promise<AttachmentSelection>;

export interface InboundPipelineOptions {
  account: ResolvedImessageAccount;
  pairing: PairingStore;
  agent: Agent;
  accessLog: AccessLog;
  logger: Logger;
  send: SendText;
  /** Compiled from the agent's / messages' mention patterns (see mention.ts). */
  mention: MentionMatcher;
  /** Shared by all accounts: bounds concurrent model calls. */
  limit: ConcurrencyLimit;
  /** Called only when the account has includeAttachments and the message has attachments. */
  prepareAttachments?: PrepareAttachments;
  /** Called after each successful send (health: lastOutboundAt). */
  onOutbound?: () => void;
  /** How the pairing reply names the CLI (CLAWDBOT_CLI_NAME, CLAWDBOT_PROFILE). */
  cli?: CliInvocation;
  /** Envelope time zone: `local` (default), `utc` or an IANA name. */
  timezone?: string;
  now?: () => number;
}

/** Per-account settings derived from the config; rebuilt on a hot reload. */
interface Compiled {
  account: ResolvedImessageAccount;
  policy: CompiledAccessPolicy;
  mention: MentionMatcher;
}

export class InboundPipeline {
  private compiled: Compiled;
  private readonly opts: InboundPipelineOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private history: PendingHistory;
  /** Tail of each chat's handling chain. */
  private readonly chains = new Map<string, Promise<void>>();
  /** `<chatKey>\n<text>` of texts we sent → when the memory expires. */
  private readonly recentSends = new Map<string, number>();
  private lastAttachmentError: string | null = null;
  /** This account's sends, one at a time (see the header). */
  private readonly sends = new ConcurrencyLimit(1);

  constructor(options: InboundPipelineOptions) {
    this.opts = options;
    this.log = options.logger;
    this.now = options.now ?? Date.now;
    this.compiled = compile(options.account, options.mention);
    this.history = new PendingHistory({ limit: options.account.historyLimit });
  }

  get account(): ResolvedImessageAccount {
    return this.compiled.account;
  }

  /** Chats with a message being handled or queued. */
  get activeChats(): number {
    return this.chains.size;
  }

  /** Problems worth showing in the account's health (not errors of one message). */
  get warnings(): string[] {
    return this.lastAttachmentError ? [this.lastAttachmentError] : [];
  }

  /** Applies a new config for this account (same id) without losing queued messages. */
  update(account: ResolvedImessageAccount, mention: MentionMatcher): void {
    if (account.historyLimit !== this.compiled.account.historyLimit) this.history = new PendingHistory({ limit: account.historyLimit });
    this.compiled = compile(account, mention);
  }

  /** Resolves when every message handed in so far is handled. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }

  /**
   * The supervisor's handler: resolves once the message is completely handled. Never rejects.
   * Without a context (tests, tools) sends are not journaled.
   */
  handle(message: ImsgMessage, context?: DeliveryContext): Promise<void> {
    // Our own rows (and rows without a sender) are not decisions about anyone: dropped silently,
    // as the original does, without an access-log line per reply we send.
    if (message.is_from_me || message.sender.trim() === '') return Promise.resolve();
    const key = chatKey(message);
    if (this.isOwnEcho(key, message)) {
      this.record(message, message.is_group === true, 'dropped', 'own echo');
      return Promise.resolve();
    }
    const previous = this.chains.get(key);
    const run = previous ? previous.then(() => this.process(message, key, context)) : this.process(message, key, context);
    const tail = run.catch((error: unknown) => {
      this.log.error(`iMessage ${this.account.accountId}: message ${message.id} failed unexpectedly`, { rowid: message.id, error: describe(error) });
    });
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return tail;
  }

  // -------------------------------------------------------------------------------------------

  private async process(raw: ImsgMessage, key: string, context: DeliveryContext | undefined): Promise<void> {
    const { account, policy, mention } = this.compiled;
    const message = withCleanText(raw);
    const access = decideAccess({
      policy,
      message: {
        sender: message.sender,
        isFromMe: message.is_from_me,
        isGroup: message.is_group === true,
        chatId: message.chat_id > 0 ? message.chat_id : null,
        chatGuid: message.chat_guid ?? null,
        chatIdentifier: message.chat_identifier ?? null,
      },
      approved: this.opts.pairing.allowFromSnapshot(),
    });
    const { isGroup, senderId } = access;

    if (access.decision === 'dropped' || access.decision === 'rejected') {
      this.log.debug(`Blocked iMessage ${isGroup ? 'group message' : 'sender'} ${senderId} (${access.reason})`, { rowid: message.id, chatId: message.chat_id });
      this.record(message, isGroup, access.decision, access.reason, senderId);
      return;
    }
    if (access.decision === 'pairing') {
      await this.pair(message, senderId, context);
      return;
    }

    if (isGroup) {
      const gate = applyMentionGate({
        matcher: mention,
        requireMention: resolveRequireMention(account.groups, message.chat_id),
        text: message.text,
      });
      if (!gate.pass) {
        this.history.append(key, { sender: senderId, body: message.text, timestamp: message.created_at, messageId: message.id });
        this.record(message, true, 'skipped', 'no mention', senderId);
        return;
      }
    }

    const agent = this.opts.agent;
    if (!agent.status.configured) {
      this.log.info(`iMessage ${account.accountId}: message ${message.id} not answered: no model configured`, { reason: agent.status.reason });
      this.record(message, isGroup, 'skipped', 'no model configured', senderId);
      return;
    }

    // Before the model call: answering it again would also put it twice into the session.
    if (await this.answeredBeforeRestart(message, context)) {
      this.record(message, isGroup, 'accepted', ALREADY_ANSWERED, senderId);
      return;
    }

    const target: SessionTarget = isGroup ? { kind: 'group', chatId: message.chat_id } : { kind: 'dm', peer: senderId, accountId: account.accountId };
    const sessionKey = agent.sessionKey(target);
    const media = await this.attachments(message);
    const pending = isGroup ? this.history.take(key) : [];
    const envelope = formatInboundEnvelope({
      message,
      sender: senderId,
      isGroup,
      ...(media ? { attachments: media.usable, skippedAttachments: media.skipped } : {}),
      ...(pending.length > 0 ? { pendingHistory: pending } : {}),
      ...(this.opts.timezone ? { timezone: this.opts.timezone } : {}),
    });
    const images = media?.usable.filter((a) => a.mime.startsWith('image/')).map((a) => ({ mime: a.mime, path: a.path }));
    const historyLimit = resolveHistoryLimit(account, target, agent.settings.dmScope);

    let text: string | null;
    try {
      const result = await this.opts.limit.run(() =>
        agent.reply({ sessionKey, envelope, ...(images && images.length > 0 ? { images } : {}), ...(historyLimit !== undefined ? { historyLimit } : {}) }),
      );
      text = result.text;
      if (text === null) {
        this.record(message, isGroup, 'accepted', `no reply (${result.suppressed ?? 'empty'})`, senderId);
        return;
      }
    } catch (error) {
      const reason = describe(error);
      this.log.error(`iMessage ${account.accountId}: no reply to message ${message.id}: agent error: ${reason}`, { rowid: message.id, chatId: message.chat_id });
      this.record(message, isGroup, 'accepted', `agent error: ${reason}`, senderId);
      return;
    }

    const replyTo = replyTarget(message);
    try {
      await this.sendAndRemember(key, replyTo, text, context);
      this.record(message, isGroup, 'accepted', 'replied', senderId);
    } catch (error) {
      const reason = describe(error);
      this.log.error(`iMessage ${account.accountId}: reply to message ${message.id} could not be sent to ${replyTo}: ${reason}`, { rowid: message.id });
      this.record(message, isGroup, 'accepted', `send failed: ${reason}`, senderId);
    }
  }

  /** Unknown DM sender under dmPolicy=pairing (spec §3.1): one reply per new request, else silence. */
  private async pair(message: ImsgMessage, senderId: string, context: DeliveryContext | undefined): Promise<void> {
    const accountId = this.account.accountId;
    let outcome: Awaited<ReturnType<PairingStore['upsertRequest']>>;
    try {
      outcome = await this.opts.pairing.upsertRequest(senderId, { sender: senderId, ...(message.chat_id > 0 ? { chatId: String(message.chat_id) } : {}) });
    } catch (error) {
      const reason = describe(error);
      this.log.error(`iMessage ${accountId}: pairing request for ${senderId} failed: ${reason}`);
      this.record(message, false, 'pairing', `pairing store error: ${reason}`, senderId);
      return;
    }
    if (outcome.capped) {
      this.log.warn(`iMessage ${accountId}: pairing request from ${senderId} ignored: ${outcome.pending} requests are already pending (approve or deny one)`);
      this.record(message, false, 'pairing', 'pairing cap reached', senderId);
      return;
    }
    if (!outcome.created) {
      this.record(message, false, 'pairing', 'pairing pending', senderId);
      return;
    }
    const target = pairingReplyTarget({ chatId: message.chat_id > 0 ? message.chat_id : null, sender: message.sender });
    this.log.info(`iMessage ${accountId}: pairing requested by ${senderId} (code ${outcome.request.code})`);
    if (await this.answeredBeforeRestart(message, context)) {
      this.record(message, false, 'pairing', ALREADY_ANSWERED, senderId);
      return;
    }
    try {
      await this.sendAndRemember(chatKey(message), target, formatPairingReply({ senderId, code: outcome.request.code, ...this.opts.cli }), context);
      this.record(message, false, 'pairing', 'pairing requested', senderId);
    } catch (error) {
      const reason = describe(error);
      this.log.error(`imessage pairing reply failed for ${senderId}: ${reason}`);
      this.record(message, false, 'pairing', `pairing requested; reply failed: ${reason}`, senderId);
    }
  }

  private async attachments(message: ImsgMessage): Promise<{ usable: EnvelopeAttachment[]; skipped: SkippedAttachment[] } | undefined> {
    const prepare = this.opts.prepareAttachments;
    if (!prepare || !this.account.includeAttachments || message.attachments.length === 0) return undefined;
    try {
      const selection = await prepare(message);
      // Copy failures stay visible in health until attachments come through again.
      if (selection.errors.length > 0) this.lastAttachmentError = selection.errors[selection.errors.length - 1]!;
      else if (selection.usable.length > 0) this.lastAttachmentError = null;
      return selection;
    } catch (error) {
      // The text still deserves an answer; the agent is told the files could not be used.
      this.lastAttachmentError = `attachments of message ${message.id} could not be prepared: ${describe(error)}`;
      this.log.warn(`iMessage ${this.account.accountId}: ${this.lastAttachmentError}`);
      return { usable: [], skipped: message.attachments.map((a) => ({ name: a.transfer_name || a.filename || 'attachment', reason: 'could not be prepared', ...(a.mime_type ? { mime: a.mime_type } : {}) })) };
    }
  }

  private async sendAndRemember(key: string, target: string, text: string, context: DeliveryContext | undefined): Promise<void> {
    // A long reply comes back as one row per chunk; chunking is deterministic, so the same split
    // gives the texts to expect (echo guard, fingerprint).
    const { textChunkLimit, chunkMode } = this.account;
    const chunks = chunkText(text, { limit: textChunkLimit, mode: chunkMode }).map((chunk) => chunk.trim());
    await this.sends.run(async () => {
      // Remembered before sending: the echo can arrive before the send call returns.
      this.rememberSend(key, chunks);
      // The last chunk: found in the chat, it proves the whole reply landed (see the header).
      context?.markSendStarted(chunks.length > 0 ? textFingerprint(chunks[chunks.length - 1]!) : '');
      await this.opts.send(target, text);
    });
    this.opts.onOutbound?.();
  }

  /**
   * For a row whose reply send was interrupted by the previous run's exit: whether the reply is in
   * the chat already (see the header). Any doubt answers false: a second reply beats none.
   */
  private async answeredBeforeRestart(message: ImsgMessage, context: DeliveryContext | undefined): Promise<boolean> {
    const interrupted = context?.interruptedSend;
    if (!interrupted) return false;
    const where = `iMessage ${this.account.accountId}: message ${message.id}`;
    if (!(message.chat_id > 0)) {
      this.log.warn(`${where} may have been answered just before the last exit, but has no chat id to check; answering it again`);
      return false;
    }
    // The previous imsg process may still be finishing the send it had read before we died (it
    // reads its stdin to EOF), possibly after we look: look again a little later before answering.
    let answered = false;
    const connectDeadline = Date.now() + INTERRUPTED_SEND_CONNECT_WAIT_MS;
    for (const delayMs of INTERRUPTED_SEND_RECHECK_MS) {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      let rows: HistoryRow[];
      try {
        rows = await this.chatHistoryWhenListening(message.chat_id, context, connectDeadline);
      } catch (error) {
        this.log.warn(`${where} may have been answered just before the last exit; could not check the chat (${describe(error)}); answering it again`);
        return false;
      }
      answered = rows.some((row) => row.isFromMe && row.id > message.id && (interrupted.fingerprint === '' || textFingerprint(row.text) === interrupted.fingerprint));
      if (answered) break;
    }
    this.log.info(`${where}: its reply was being sent at the last exit; ${answered ? 'it is in the chat, not answering again' : 'it is not in the chat, answering'}`, { rowid: message.id, chatId: message.chat_id });
    return answered;
  }

  /**
   * The chat's latest rows. If imsg is not reachable right now (it died or is being restarted, so
   * the request fails as a connection loss), wait for the account to listen again (bounded) and
   * ask again: giving up on the check would answer the row a second time.
   */
  private async chatHistoryWhenListening(chatId: number, context: DeliveryContext, deadline: number): Promise<HistoryRow[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return parseHistoryRows(await context.rpc.request('messages.history', { chat_id: chatId, limit: INTERRUPTED_SEND_HISTORY_LIMIT }));
      } catch (error) {
        if (attempt >= 5 || !isConnectionLoss(error) || !(await context.waitUntilListening(deadline))) throw error;
      }
    }
  }

  private rememberSend(key: string, chunks: string[]): void {
    const now = this.now();
    if (this.recentSends.size > 1000) {
      for (const [k, expires] of this.recentSends) if (expires <= now) this.recentSends.delete(k);
    }
    for (const chunk of chunks) this.recentSends.set(`${key}\n${chunk}`, now + ECHO_TTL_MS);
  }

  private isOwnEcho(key: string, message: ImsgMessage): boolean {
    if (this.recentSends.size === 0 || message.attachments.length > 0) return false;
    const mapKey = `${key}\n${message.text.trim()}`;
    const expires = this.recentSends.get(mapKey);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.recentSends.delete(mapKey);
      return false;
    }
    return true;
  }

  private record(message: ImsgMessage, isGroup: boolean, decision: AccessDecision, reason: string, senderId?: string): void {
    const entry: AccessLogEntry = {
      ts: new Date(this.now()).toISOString(),
      accountId: this.account.accountId,
      chatId: message.chat_id > 0 ? message.chat_id : null,
      isGroup,
      sender: senderId ?? normalizeHandle(message.sender),
      messageId: message.id,
      decision,
      reason,
    };
    if (message.chat_name) entry.chatName = message.chat_name;
    this.opts.accessLog.record(entry);
  }
}

const ALREADY_ANSWERED = 'already answered before restart';

/**
 * Identifies a sent text in the chat without journaling the text itself: 16 hex digits of its
 * SHA-256 (trimmed, as Messages stores it).
 */
export function textFingerprint(text: string): string {
  return createHash('sha256').update(text.trim()).digest('hex').slice(0, 16);
}

interface HistoryRow {
  id: number;
  isFromMe: boolean;
  text: string;
}

/** The rows of a `messages.history` result that are usable here; anything malformed is left out. */
function parseHistoryRows(result: unknown): HistoryRow[] {
  const messages = (result as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) throw new Error(`messages.history returned no message list: ${JSON.stringify(result)?.slice(0, 200)}`);
  const rows: HistoryRow[] = [];
  for (const item of messages as unknown[]) {
    if (item === null || typeof item !== 'object') continue;
    const { id, is_from_me: isFromMe, text } = item as Record<string, unknown>;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || typeof isFromMe !== 'boolean') continue;
    rows.push({ id, isFromMe, text: typeof text === 'string' ? text : '' });
  }
  return rows;
}

function compile(account: ResolvedImessageAccount, mention: MentionMatcher): Compiled {
  return { account, policy: compileAccessPolicy(account), mention };
}

/** Messages of one chat are handled in order; the key names the chat as precisely as imsg allows. */
function chatKey(message: ImsgMessage): string {
  if (message.chat_id > 0) return `chat:${message.chat_id}`;
  if (message.chat_guid) return `guid:${message.chat_guid}`;
  return `sender:${normalizeHandle(message.sender)}`;
}

/** Replies go to the chat when its id is known, else to the sender's handle as received. */
function replyTarget(message: ImsgMessage): string {
  return message.chat_id > 0 ? `chat_id:${message.chat_id}` : message.sender;
}

const OBJECT_REPLACEMENT = /\uFFFC/g;

/** Messages puts one U+FFFC per attachment into the text; it means nothing to the agent. */
function withCleanText(message: ImsgMessage): ImsgMessage {
  return message.text.includes('\uFFFC') ? { ...message, text: message.text.replace(OBJECT_REPLACEMENT, '').trim() } : message;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
