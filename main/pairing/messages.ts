// Every text the pairing feature shows: the reply an unknown sender gets, the approval notice,
// and the `clawdbot pairing …` CLI output (spec §3.1, §3.4, §3.5, with Clawdbot branding).
// Pure formatting, so the CLI, the gateway and the app word things identically.
//
// A sender id is chosen by the sender: every text shown to the owner passes it through
// displaySafe (contract/display-text.ts), so escape sequences or bidi overrides in a handle cannot
// rewrite the owner's terminal. The reply to the sender quotes their id as received.
import { displaySafe, jsonDisplaySafe } from '../../contract/display-text';
import { formatDuration } from '../../contract/durations';
import type { PairingRequest } from '../../contract/gateway-api';
import { describePairingCodeProblem } from '../../contract/pairing-code';
import type { ResolvedPairing } from './store';

export const PAIRING_CHANNEL_LABEL = 'imessage';
export const APPROVED_NOTICE = '✅ Clawdbot access approved. Send a message to start chatting.';

export interface CliInvocation {
  /** Name of the CLI binary as the user runs it (default `clawdbot`). */
  cliName?: string;
  /** A profile other than `default` is inserted as `--profile <p>`. */
  profile?: string;
}

/** The CLI invocation from the environment (CLAWDBOT_CLI_NAME, CLAWDBOT_PROFILE). */
export function cliInvocationFromEnv(env: Readonly<Record<string, string | undefined>>): CliInvocation {
  const cliName = env.CLAWDBOT_CLI_NAME?.trim() || undefined;
  const profile = env.CLAWDBOT_PROFILE?.trim() || undefined;
  return { cliName, profile };
}

/** `clawdbot [--profile p] pairing approve imessage <CODE>` */
export function formatApproveCommand(code: string, cli: CliInvocation = {}): string {
  return `${cliPrefix(cli)} pairing approve ${PAIRING_CHANNEL_LABEL} ${code}`;
}

/** The one message an unknown DM sender receives when a new pairing request was created. */
export function formatPairingReply(input: { senderId: string; code: string } & CliInvocation): string {
  return [
    'Clawdbot: access not configured.',
    '',
    `Your iMessage sender id: ${input.senderId}`,
    '',
    `Pairing code: ${input.code}`,
    '',
    'Ask the bot owner to approve with:',
    formatApproveCommand(input.code, input),
  ].join('\n');
}

/**
 * Where the pairing reply goes: the chat when imsg told us its id (the original's one exception
 * to replying to the handle), else the sender's handle as received.
 */
export function pairingReplyTarget(input: { chatId?: number | null; sender: string }): string {
  return input.chatId != null ? `chat_id:${input.chatId}` : input.sender;
}

// ---------------------------------------------------------------------------------------------
// CLI output
// ---------------------------------------------------------------------------------------------

/** Longest sender id shown in a table cell (a sender can choose a very long one). */
const SENDER_DISPLAY_MAX = 64;

/** A sender id as the owner sees it: control and bidi characters escaped, length capped. */
export function displaySender(id: string): string {
  return displaySafe(id, { maxLength: SENDER_DISPLAY_MAX });
}

export interface PairingListOptions extends CliInvocation {
  /** Epoch ms the ages and time left are computed against (default: now). */
  now?: number;
  /** The store's cap on pending requests: when reached, the list says that the slots are full. */
  maxPending?: number;
}

/**
 * `pairing list`: the empty line, or a heading and a table sorted by request time — sender,
 * code, account, how long ago it was asked, time left — then how to approve, and a warning when
 * every slot is taken.
 * ```
 * Pairing requests (1)
 * Sender       | Code     | Account | Requested | Expires in
 * -------------+----------+---------+-----------+-----------
 * +15550001111 | ABCD2345 | default | 3m ago    | 57m
 * Approve with: clawdbot pairing approve imessage <CODE>
 * ```
 */
export function formatPairingList(requests: readonly PairingRequest[], options: PairingListOptions = {}): string {
  if (requests.length === 0) return `No pending ${PAIRING_CHANNEL_LABEL} pairing requests.`;
  const now = options.now ?? Date.now();
  const sorted = requests.slice().sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const header = ['Sender', 'Code', 'Account', 'Requested', 'Expires in'];
  const rows = sorted.map((request) => [
    displaySender(request.id),
    request.code,
    request.accountId ? displaySafe(request.accountId) : '-',
    `${formatDuration(now - Date.parse(request.createdAt))} ago`,
    formatDuration(Date.parse(request.expiresAt) - now),
  ]);
  const lines = [`Pairing requests (${requests.length})`, ...formatTable(header, rows), `Approve with: ${formatApproveCommand('<CODE>', options)}`];
  if (options.maxPending !== undefined && requests.length >= options.maxPending) lines.push(formatSlotsFull(sorted, options));
  return lines.join('\n');
}

/** All slots taken: strangers get no code until one frees up. Says when, and how to clear them. */
export function formatSlotsFull(requests: readonly PairingRequest[], options: PairingListOptions = {}): string {
  const now = options.now ?? Date.now();
  const firstFree = Math.min(...requests.map((request) => Date.parse(request.expiresAt)));
  const when = Number.isFinite(firstFree) ? ` (the first frees up in ${formatDuration(firstFree - now)})` : '';
  return (
    `All ${requests.length} pairing slots are taken: new senders get no code until a request is approved, denied or expires${when}. ` +
    `To clear them all: ${cliPrefix(options)} pairing deny ${PAIRING_CHANNEL_LABEL} --all`
  );
}

/** `pairing list --json`. */
export function formatPairingListJson(requests: readonly PairingRequest[]): string {
  return jsonDisplaySafe(JSON.stringify({ channel: PAIRING_CHANNEL_LABEL, requests }, null, 2));
}

export function formatApproved(request: Pick<PairingRequest, 'id'>): string {
  return `Approved ${PAIRING_CHANNEL_LABEL} sender ${displaySender(request.id)}.`;
}

/** A second approval of the same code: nothing to do, and nobody is notified again. */
export function formatAlreadyApproved(request: Pick<PairingRequest, 'id' | 'code'>): string {
  return `Code ${request.code} was already approved: ${PAIRING_CHANNEL_LABEL} sender ${displaySender(request.id)} can chat. Nothing changed.`;
}

/** `--notify` succeeded: who was told, and from which account. */
export function formatNotified(request: Pick<PairingRequest, 'id' | 'accountId'>): string {
  return `Told ${displaySender(request.id)} they can start chatting${request.accountId ? ` (from iMessage account ${displaySafe(request.accountId)})` : ''}.`;
}

export function formatDenied(request: Pick<PairingRequest, 'id' | 'code'>): string {
  return `Denied ${PAIRING_CHANNEL_LABEL} sender ${displaySender(request.id)} (code ${request.code}). They were not told; if they write again they get a new code.`;
}

/** `pairing deny imessage --all`. */
export function formatDeniedAll(denied: readonly Pick<PairingRequest, 'id' | 'code'>[]): string {
  if (denied.length === 0) return `No pending ${PAIRING_CHANNEL_LABEL} pairing requests; nothing to deny.`;
  const who = denied.map((request) => `${displaySender(request.id)} (${request.code})`).join(', ');
  return `Denied ${denied.length} ${PAIRING_CHANNEL_LABEL} pairing ${denied.length === 1 ? 'request' : 'requests'}: ${who}. They were not told; the slots are free for new senders.`;
}

export function formatRevoked(senderId: string, revoked: boolean): string {
  const sender = displaySender(senderId);
  return revoked
    ? `Revoked ${PAIRING_CHANNEL_LABEL} sender ${sender}. Their next message is handled like one from an unknown sender.`
    : `${PAIRING_CHANNEL_LABEL} sender ${sender} is not in the approved senders (senders listed in the config allowFrom are changed in the config).`;
}

/** Error for approve/deny with a code no live request has. */
export function formatUnknownCode(code: string): string {
  return `No pending pairing request found for code: ${displaySafe(code, { maxLength: 64 })}`;
}

/**
 * Error for approve/deny with a code that is not pending: what became of it when it was resolved
 * within the last hour (`earlier`), else the spec's "No pending pairing request found".
 */
export function formatUnresolvedCode(code: string, earlier: ResolvedPairing | undefined, now: number = Date.now()): string {
  if (!earlier) return formatUnknownCode(code);
  const ago = `${formatDuration(now - Date.parse(earlier.resolvedAt))} ago`;
  return `Code ${earlier.request.code} was already ${earlier.outcome} ${ago} (${PAIRING_CHANNEL_LABEL} sender ${displaySender(earlier.request.id)}); it is no longer pending.`;
}

/**
 * A code that cannot exist, e.g. `WRONG123`: says which characters are not allowed.
 * Undefined when the text has the shape of a code.
 */
export function formatMalformedCode(code: string): string | undefined {
  const problem = describePairingCodeProblem(code);
  return problem === undefined ? undefined : `${displaySafe(code, { maxLength: 64 })} is not a pairing code: ${problem}.`;
}

export function formatNotifyFailed(error: unknown): string {
  return `Failed to notify requester: ${error instanceof Error ? error.message : String(error)}`;
}

export function formatUnsupportedChannel(channel: string): string {
  return `Channel ${channel} does not support pairing`;
}

export type PairingAction = 'approve' | 'deny' | 'revoke' | 'list';

const ACTION_ARGUMENT: Record<PairingAction, string | undefined> = { approve: '<code>', deny: '<code>', revoke: '<sender>', list: undefined };

function usageBody(action: PairingAction, cli: CliInvocation): string {
  const argument = ACTION_ARGUMENT[action];
  const tail = argument ? ` ${argument}` : '';
  const base = `${cliPrefix(cli)} pairing ${action}`;
  return `${base} <channel>${tail} (or: ${base} --channel <channel>${tail})`;
}

/** Missing arguments, e.g. `Usage: clawdbot pairing approve <channel> <code> (or: …)`. */
export function formatUsage(action: PairingAction, cli: CliInvocation = {}): string {
  return `Usage: ${usageBody(action, cli)}`;
}

/** Channel given both positionally and with --channel, or extra arguments. */
export function formatTooManyArguments(action: PairingAction, cli: CliInvocation = {}): string {
  return `Too many arguments. Use: ${usageBody(action, cli)}`;
}

function cliPrefix(cli: CliInvocation): string {
  const name = cli.cliName?.trim() || 'clawdbot';
  const profile = cli.profile?.trim();
  return profile && profile !== 'default' ? `${name} --profile ${profile}` : name;
}

function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join(' | ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-+-'), ...rows.map(line)];
}
