// A reply must survive an `imsg rpc` restart. When imsg dies (or stalls and is restarted) while a
// reply is due, the send fails with a connection error; the supervisor brings imsg back within
// about a second. Without this, the pipeline would record "send failed", the row would be marked
// done, and the person would never get an answer.
//
// So: on a connection loss, wait (bounded) until the account listens again, then send what is
// left. The chunk that was in flight when imsg died is ambiguous — imsg may have sent it before it
// died — so before resending it we look for it in the chat's history (`messages.history`), and
// skip it if our own copy is already there. That check needs a chat_id target, which is what the
// pipeline uses for replies; for a handle target a rare double is possible and accepted.
import type { ResolvedImessageAccount } from '../config/types';
import type { Logger } from '../util/logger';
import { chunkText } from './chunking';
import { ImessageSendError, resolveSendRegion, resolveSendService, type SendImessageResult } from './outbound';
import { ImsgRpcError } from './rpc-client';
import { parseTarget } from './targets';
import type { ImsgMessage } from '../../contract/imsg';
import type { ImsgRpc } from './types';

/** How long a reply waits for imsg to come back before it counts as failed. */
export const DEFAULT_RESEND_WINDOW_MS = 60_000;
/** How far back (before the failed attempt) our own copy of a chunk may be found. */
const HISTORY_SLACK_MS = 2_000;
const RETRY_PAUSE_MS = 100;

export interface ResendDeps {
  target: string;
  /** The account the reply goes out on (its chunking settings decide the parts). */
  account: ResolvedImessageAccount;
  /** The live rpc of the account (used for the history check after reconnecting). */
  rpc: ImsgRpc;
  /** Sends text that fits one message (or the whole reply, on the first attempt). */
  send(text: string): Promise<SendImessageResult>;
  /** Resolves true once the account listens again, false if it will not before `deadline`. */
  waitUntilListening(deadline: number): Promise<boolean>;
  windowMs?: number;
  logger?: Logger;
  now?: () => number;
}

/** True for failures that a reconnect can cure (imsg exited, stalled, or is restarting). */
export function isConnectionLoss(error: unknown): boolean {
  const cause = error instanceof ImessageSendError ? error.cause : error;
  return cause instanceof ImsgRpcError && (cause.kind === 'exited' || cause.kind === 'not-running' || cause.kind === 'timeout' || cause.kind === 'write-failed');
}

export async function sendSurvivingRestarts(text: string, deps: ResendDeps): Promise<SendImessageResult> {
  const now = deps.now ?? Date.now;
  let attemptAt = now();
  try {
    return await deps.send(text);
  } catch (error) {
    if (!(error instanceof ImessageSendError) || !isConnectionLoss(error)) throw error;
    const deadline = now() + (deps.windowMs ?? DEFAULT_RESEND_WINDOW_MS);
    // The same split as sendImessage, so `error.sent` indexes these parts.
    const chunks = chunkText(text, { limit: deps.account.textChunkLimit, mode: deps.account.chunkMode });
    const messageIds = [...error.messageIds];
    let next = error.sent;
    let lastError: unknown = error;
    let last: SendImessageResult | undefined;
    deps.logger?.warn(`imessage: reply to ${deps.target} interrupted (${error.message}); resending after imsg reconnects`);
    while (next < chunks.length) {
      if (!(await deps.waitUntilListening(deadline))) throw lastError;
      const chunk = chunks[next] as string;
      if (await alreadyInChat(deps, chunk, attemptAt - HISTORY_SLACK_MS)) {
        deps.logger?.info(`imessage: part ${next + 1} of the reply to ${deps.target} was delivered before imsg died; not resending it`);
        next += 1;
        continue;
      }
      attemptAt = now();
      try {
        last = await deps.send(chunk);
        messageIds.push(...last.messageIds);
        next += 1;
      } catch (retryError) {
        if (!isConnectionLoss(retryError)) throw retryError;
        lastError = retryError;
        // The supervisor may not have seen the exit yet (still "listening"): give it a moment
        // instead of spinning on immediate failures.
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    }
    if (last) return { ...last, chunks: chunks.length, messageIds };
    // Every remaining part turned out to be delivered already.
    const target = parseTarget(deps.target);
    return { chunks: chunks.length, messageIds, target, service: resolveSendService(target, deps.account), region: resolveSendRegion(deps.account) };
  }
}

/** Is our own copy of `text` already in the target chat, sent at or after `since`? */
async function alreadyInChat(deps: ResendDeps, text: string, since: number): Promise<boolean> {
  let target;
  try {
    target = parseTarget(deps.target);
  } catch {
    return false;
  }
  if (target.kind !== 'chat_id') return false;
  try {
    const result = await deps.rpc.request<{ messages?: ImsgMessage[] }>('messages.history', { chat_id: target.chatId, limit: 20 });
    return (result.messages ?? []).some((message) => message.is_from_me && message.text.trim() === text.trim() && Date.parse(message.created_at) >= since);
  } catch {
    // Cannot tell: resending risks a double, not resending risks a lost reply. Prefer delivery.
    return false;
  }
}
