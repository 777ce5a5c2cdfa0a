// Every text the pairing feature shows: the reply an unknown sender gets, the approval notice,
// and the `clawdbot pairing …` CLI output (spec §3.1, §3.4, §3.5, with Clawdbot branding).
// Pure formatting, so the CLI, the gateway and the app word things identically.
import type { PairingRequest } from '../../contract/gateway-api';

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

/** `pairing list`: the empty line, or a heading and a table sorted by request time. */
export function formatPairingList(requests: readonly PairingRequest[]): string {
  if (requests.length === 0) return `No pending ${PAIRING_CHANNEL_LABEL} pairing requests.`;
  const sorted = requests.slice().sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const header = ['Code', `${PAIRING_CHANNEL_LABEL}SenderId`, 'Meta', 'Requested'];
  const rows = sorted.map((request) => [request.code, request.id, JSON.stringify(request.meta ?? {}), request.createdAt]);
  return [`Pairing requests (${requests.length})`, ...formatTable(header, rows)].join('\n');
}

/** `pairing list --json`. */
export function formatPairingListJson(requests: readonly PairingRequest[]): string {
  return JSON.stringify({ channel: PAIRING_CHANNEL_LABEL, requests }, null, 2);
}

export function formatApproved(request: Pick<PairingRequest, 'id'>): string {
  return `Approved ${PAIRING_CHANNEL_LABEL} sender ${request.id}.`;
}

export function formatDenied(request: Pick<PairingRequest, 'id' | 'code'>): string {
  return `Denied ${PAIRING_CHANNEL_LABEL} sender ${request.id} (code ${request.code}). They were not told; if they write again they get a new code.`;
}

export function formatRevoked(senderId: string, revoked: boolean): string {
  return revoked
    ? `Revoked ${PAIRING_CHANNEL_LABEL} sender ${senderId}. Their next message is handled like one from an unknown sender.`
    : `${PAIRING_CHANNEL_LABEL} sender ${senderId} is not in the approved senders (senders listed in the config allowFrom are changed in the config).`;
}

/** Error for approve/deny with a code no live request has. */
export function formatUnknownCode(code: string): string {
  return `No pending pairing request found for code: ${code}`;
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
