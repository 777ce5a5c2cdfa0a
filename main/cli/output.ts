// Everything the `clawdbot` CLI prints that is more than one fixed sentence: the per-account status
// line, probe checks with ✓/✗ and their fixes, ages, and the error type that carries an exit code.
// Pure functions (no I/O), so golden tests can pin the wording.
//
// Exit codes of every command: 0 ok, 1 failure or unhealthy, 2 usage error or bad input.
import { displaySafe, displaySafeText } from '../../contract/display-text';
import { formatDuration } from '../../contract/durations';
import { describeModelStatus } from '../../contract/model-status';
import type { AccountHealth, GatewayStatus, ProbeResult } from '../../contract/gateway-api';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An error the CLI prints as `Error: <message>` (+ `Fix: <fix>`) before exiting with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** Error text can quote what a sender or imsg chose: control and bidi characters are escaped. */
export function formatCliError(error: { message: string; fix?: string }): string {
  const message = displaySafeText(error.message);
  return error.fix ? `Error: ${message}\nFix: ${displaySafeText(error.fix)}` : `Error: ${message}`;
}

export const CHECK_OK = '✓';
export const CHECK_FAIL = '✗';
/** Neither good nor bad: worth knowing (e.g. "gateway not running"). */
export const CHECK_INFO = '–';

/** `✓ label: detail` plus an indented `Fix:` line when there is one. */
export function formatCheck(mark: string, label: string, detail: string, fix?: string, indent = ''): string[] {
  const lines = [`${indent}${mark} ${displaySafeText(label)}: ${displaySafeText(detail)}`];
  if (fix) lines.push(`${indent}  Fix: ${displaySafeText(fix)}`);
  return lines;
}

/** `3s`, `5m`, `2h`, `4d`: the age of an ISO time relative to `now` (future times count as 0s). */
export function formatAge(iso: string, now: number = Date.now()): string {
  return formatDuration(now - Date.parse(iso));
}

/**
 * "Now" on the gateway's clock, for ages in its status: the CLI prints a status right after it
 * arrives, so the gateway's own `now` is the right clock (this machine's may differ from a remote
 * or virtualized gateway's, which made a 1 s old message read "23s ago").
 */
export function gatewayNow(status: Pick<GatewayStatus, 'now'>): number {
  const at = Date.parse(status.now);
  return Number.isFinite(at) ? at : Date.now();
}

/** Seconds until an ISO time, rounded up, at least 0. */
function secondsUntil(iso: string, now: number): number {
  return Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000));
}

/** `iMessage default`, `iMessage work (Work Mac)`, `iMessage default (simulated)`. */
export function accountLabel(account: { accountId: string; name?: string; simulated?: boolean }): string {
  const notes = [account.name, account.simulated ? 'simulated' : undefined].filter((note): note is string => Boolean(note)).map((note) => displaySafe(note));
  return notes.length > 0 ? `iMessage ${displaySafe(account.accountId)} (${notes.join(', ')})` : `iMessage ${displaySafe(account.accountId)}`;
}

/** The runtime part of the status line: `rpc listening`, `backing off (retry in 8s)`, `failed: <reason>`. */
export function describeState(account: Pick<AccountHealth, 'state' | 'retryAt' | 'lastError'>, now: number = Date.now()): string {
  switch (account.state) {
    case 'listening':
      return 'rpc listening';
    case 'probing':
      return 'probing';
    case 'starting':
      return 'starting';
    case 'backing-off':
      return account.retryAt ? `backing off (retry in ${secondsUntil(account.retryAt, now)}s)` : 'backing off';
    case 'failed-fatal':
      return `failed: ${displaySafeText(account.lastError?.message ?? 'unknown error')}`;
    case 'stopped':
      return 'stopped';
  }
}

/**
 * One account as reported by a running gateway:
 * ```
 * - iMessage default: enabled, configured, rpc listening
 *     restarts 0 · last inbound 3m ago · last outbound never · imsg 0.9.0 · pid 4242
 * ```
 * plus `Error:`/`Fix:` lines for the last error and one `Warning:` line per warning.
 */
export function formatAccountHealth(account: AccountHealth, now: number = Date.now()): string[] {
  const bits = [account.enabled ? 'enabled' : 'disabled', account.configured ? 'configured' : 'not configured'];
  if (account.enabled && account.configured) bits.push(describeState(account, now));
  const lines = [`- ${accountLabel(account)}: ${bits.join(', ')}`];
  if (!account.enabled || !account.configured) return lines;

  const details = [
    `restarts ${account.restarts}`,
    `last inbound ${account.lastInboundAt ? `${formatAge(account.lastInboundAt, now)} ago` : 'never'}`,
    `last outbound ${account.lastOutboundAt ? `${formatAge(account.lastOutboundAt, now)} ago` : 'never'}`,
  ];
  if (account.imsgVersion) details.push(`imsg ${account.imsgVersion}`);
  if (account.pid !== null) details.push(`pid ${account.pid}`);
  lines.push(`    ${details.join(' · ')}`);
  // A failed account already names its error in the state; other states show the last one here.
  // Errors and warnings can quote imsg, a file name or a sender: escaped like every outside text.
  if (account.lastError && account.state !== 'failed-fatal') lines.push(`    Last error: ${displaySafeText(account.lastError.message)}`);
  if (account.lastError?.fix && account.state !== 'listening') lines.push(`    Fix: ${displaySafeText(account.lastError.fix)}`);
  for (const warning of account.warnings) lines.push(`    Warning: ${displaySafeText(warning)}`);
  return lines;
}

/** An account known only from the config (no gateway running): `- iMessage default: enabled, configured`. */
export function formatConfiguredAccount(account: { accountId: string; name?: string; enabled: boolean; configured: boolean }): string {
  return `- ${accountLabel(account)}: ${account.enabled ? 'enabled' : 'disabled'}, ${account.configured ? 'configured' : 'not configured'}`;
}

/** Every probe check as `✓`/`✗` lines with the fix under a failed one. */
export function formatProbe(probe: ProbeResult, indent = '    '): string[] {
  const lines: string[] = [];
  for (const check of probe.checks) lines.push(...formatCheck(check.ok ? CHECK_OK : CHECK_FAIL, check.id, check.detail, check.ok ? undefined : check.fix, indent));
  // A probe can fail before any check ran (e.g. it timed out as a whole): still say why.
  if (!probe.ok && !probe.checks.some((check) => !check.ok)) {
    lines.push(...formatCheck(CHECK_FAIL, 'probe', probe.error ?? 'failed', probe.fix, indent));
  }
  return lines;
}

/** `works` or `probe failed`, appended to the status line with `--probe` (as the original does). */
export function probeVerdict(probe: ProbeResult): string {
  return probe.ok ? 'works' : 'probe failed';
}

/** The lines above the account list when a gateway answered. */
export function formatGatewayHeader(status: GatewayStatus, url: string): string[] {
  const lines = [`Gateway reachable: ${url} (pid ${status.pid}, version ${status.version}).`];
  if (status.demo) lines.push(`Demo mode: simulated Messages account (state dir ${status.stateDir}).`);
  lines.push(`Config: ${status.configPath}`);
  if (status.configError) lines.push(`Config error (the last good config is still in use): ${displaySafeText(status.configError)}`);
  // The same words as the gateway's start-up line, doctor and the web UI.
  lines.push(`Model: ${displaySafeText(describeModelStatus(status).summary)}`);
  if (status.pendingPairing > 0 && status.pendingPairing >= status.maxPendingPairing) {
    lines.push(
      `Pending pairing requests: ${status.pendingPairing} of ${status.maxPendingPairing}, all slots taken: new senders get no code until one is approved, denied or expires ` +
        '(see `clawdbot pairing list imessage`; `clawdbot pairing deny imessage --all` clears them)',
    );
  } else if (status.pendingPairing > 0) lines.push(`Pending pairing requests: ${status.pendingPairing} (see \`clawdbot pairing list imessage\`)`);
  return lines;
}

/** True when every enabled and configured account is listening. */
export function allAccountsHealthy(accounts: readonly AccountHealth[]): boolean {
  return accounts.every((account) => !account.enabled || !account.configured || account.state === 'listening');
}
