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
// Concurrency: messages of one chat are handled strictly in order (a KeyedSerialQueue keyed by
// chat), chats run in parallel, and model calls across all accounts share one ConcurrencyLimit (a
// queue, not a drop). `handle()` resolves when its message is completely handled, which is when the
// supervisor moves its resume cursor past it.
//
// Replies go out through the account's sender (sender.ts), which owns everything about sending:
// one send at a time, chunking, the crash journal (each reply's start is recorded on the inbound
// row's DeliveryContext), resuming across imsg restarts, and the memory of our own echoes. A row
// delivered again after a crash whose reply was being sent is answered only if the sender does not
// find that reply in the chat; the check comes before the model call, because answering it again
// would also put it twice into the session. A reply cut off between chunks is answered again in
// full, which repeats its first part rather than losing the rest. Gaps: without a chat_id the
// history cannot be read and the row is answered again; Messages writing the sent row only after
// the restarted gateway reads the history (a slow send) also leads to a second answer.
//
// Hot path: no file reads except the allow store's stat (PairingStore.allowFromSnapshot), the
// access policy and mention matcher are compiled once per config, nothing is re-parsed.
//
// Differences from the original, on purpose:
//   - DMs are answered in their chat (`chat_id:<id>`) rather than at `imessage:<handle>`: the
//     reply then keeps the service (iMessage or SMS) the person wrote with. Without a chat_id the
//     raw sender handle is used.
//   - A reply text we sent in a chat is remembered for a few seconds (by the sender), and an
//     inbound row in that chat with exactly that text is dropped as our own echo (imsg-protocol
//     §7.3: Messages can write a sent row as inbound and flip `is_from_me` a moment later).
//   - Slash control commands (/status, /new) are not implemented, so there is nothing to gate.
import type { AccessDecision, AccessLogEntry } from '../../contract/gateway-api';
import type { Agent } from '../agent/agent';
import { formatInboundEnvelope, type EnvelopeAttachment, type SkippedAttachment } from '../agent/envelope';
import { resolveHistoryLimit, type SessionTarget } from '../agent/sessions';
import type { ResolvedImessageAccount } from '../config/types';
import { formatPairingReply, pairingReplyTarget, type CliInvocation } from '../pairing/messages';
import type { PairingStore } from '../pairing/store';
import type { Logger } from '../util/logger';
import { KeyedSerialQueue, type ConcurrencyLimit } from '../util/serial-queue';
import { compileAccessPolicy, decideAccess, type CompiledAccessPolicy } from './access-policy';
import type { AccessLog } from './access-log';
import type { AttachmentSelection } from './attachments';
import type { DeliveryContext } from './inbound-delivery';
import { applyMentionGate, resolveRequireMention, type MentionMatcher } from './mention';
import { PendingHistory } from './pending-history';
import type { AccountSender } from './sender';
import { chatKeyOfMessage } from './targets';
import { normalizeHandle } from '../../contract/handles';
import type { ImsgMessage } from '../../contract/imsg';

/** Default bound on model calls in flight across the whole gateway. */
export const DEFAULT_MAX_CONCURRENT_REPLIES = 32;

/** What the pipeline needs of the account's sender (sender.ts). */
export type ReplySender = Pick<AccountSender, 'send' | 'isOwnEcho' | 'answeredBeforeRestart'>;

/** Attachments of an accepted message, made usable for the agent (attachments.ts: selection, size cap, remote copy). */
export type PrepareAttachments = (message: ImsgMessage) => Promise<AttachmentSelection>;

export interface InboundPipelineOptions {
  account: ResolvedImessageAccount;
  pairing: PairingStore;
  agent: Agent;
  accessLog: AccessLog;
  logger: Logger;
  /** The account's sender: replies, the own-echo memory, the interrupted-reply check. */
  sender: ReplySender;
  /** Compiled from the agent's / messages' mention patterns (see mention.ts). */
  mention: MentionMatcher;
  /** Shared by all accounts: bounds concurrent model calls. */
  limit: ConcurrencyLimit;
  /** Called only when the account has includeAttachments and the message has attachments. */
  prepareAttachments?: PrepareAttachments;
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
  /** Messages of one chat, one after another. */
  private readonly chats = new KeyedSerialQueue<string>();
  private lastAttachmentError: string | null = null;

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
    return this.chats.activeKeys;
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
  idle(): Promise<void> {
    return this.chats.idle();
  }

  /**
   * The supervisor's handler: resolves once the message is completely handled. Never rejects.
   * Without a context (tests, tools) sends are not journaled.
   */
  handle(message: ImsgMessage, context?: DeliveryContext): Promise<void> {
    // Our own rows (and rows without a sender) are not decisions about anyone: dropped silently,
    // as the original does, without an access-log line per reply we send.
    if (message.is_from_me || message.sender.trim() === '') return Promise.resolve();
    if (this.opts.sender.isOwnEcho(message)) {
      this.record(message, message.is_group === true, 'dropped', 'own echo');
      return Promise.resolve();
    }
    const key = chatKeyOfMessage(message);
    return this.chats.run(key, () => this.process(message, key, context)).catch((error: unknown) => {
      this.log.error(`iMessage ${this.account.accountId}: message ${message.id} failed unexpectedly`, { rowid: message.id, error: describe(error) });
    });
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
      await this.opts.sender.send({ target: replyTo, text, ...(context ? { journal: context } : {}) });
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
      // The request remembers this account and chat: the code goes out from here, so must the approval notice.
      outcome = await this.opts.pairing.upsertRequest(senderId, { sender: senderId, accountId, ...(message.chat_id > 0 ? { chatId: String(message.chat_id) } : {}) });
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
      await this.opts.sender.send({ target, text: formatPairingReply({ senderId, code: outcome.request.code, ...this.opts.cli }), ...(context ? { journal: context } : {}) });
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

  /**
   * For a row whose reply send was interrupted by the previous run's exit: whether the reply is in
   * the chat already (the sender looks). Any doubt answers false: a second reply beats none.
   */
  private answeredBeforeRestart(message: ImsgMessage, context: DeliveryContext | undefined): Promise<boolean> {
    const interrupted = context?.interruptedSend;
    return interrupted ? this.opts.sender.answeredBeforeRestart(message, interrupted.fingerprint) : Promise.resolve(false);
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

function compile(account: ResolvedImessageAccount, mention: MentionMatcher): Compiled {
  return { account, policy: compileAccessPolicy(account), mention };
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
