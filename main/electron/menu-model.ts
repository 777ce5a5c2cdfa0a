// The tray menu as plain data, built from AppState at a given time: one status line per iMessage
// account, the pending pairing requests with Approve / Deny, then the app's commands. tray.ts
// turns it into an Electron Menu; tests print it as text. Rebuilt on every event that changes the
// state (health, pairing, gateway phase), never on a timer.
import { displaySafe } from '../../contract/display-text';
import type { AccountHealth, PairingRequest } from '../../contract/gateway-api';
import type { Screen, SettingsPane } from '../../contract/bridge';
import type { AppState, GatewayPhase } from './app-state';
import { setupFromHealth } from './setup-adapter';

export type MenuAction =
  | { type: 'approve'; code: string }
  | { type: 'deny'; code: string }
  | { type: 'open'; screen?: Screen }
  | { type: 'open-settings-pane'; pane: SettingsPane }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'restart' }
  | { type: 'retry' }
  /** Restart one account's imsg now (a failed one, or one waiting out its backoff). */
  | { type: 'retry-account'; accountId: string }
  | { type: 'use-running-gateway' }
  | { type: 'use-port'; port: number }
  | { type: 'relaunch' }
  | { type: 'toggle-launch-at-login' }
  | { type: 'quit' };

export type MenuEntry =
  /** A line of information (shown disabled). */
  | { kind: 'text'; label: string }
  | { kind: 'action'; label: string; action: MenuAction; enabled?: boolean }
  | { kind: 'checkbox'; label: string; checked: boolean; action: MenuAction }
  | { kind: 'submenu'; label: string; items: MenuEntry[] }
  | { kind: 'separator' };

/** Menus are narrow: long errors and fixes are cut to this many characters per line. */
const LINE_MAX = 90;

/** A second line under a status line (a detail, a fix), indented. */
const detail = (text: string): MenuEntry => ({ kind: 'text', label: `    ${clip(text, LINE_MAX - 4)}` });

/**
 * One menu line of at most `max` characters. Menu text quotes senders and imsg's errors, so control
 * and bidi characters are made visible (displaySafe) after line breaks are folded into spaces.
 */
export function clip(text: string, max = LINE_MAX): string {
  const oneLine = displaySafe(text.replace(/\s+/g, ' ').trim());
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1).trimEnd()}…`;
}

/** "just now", "2 min ago", "3 h ago", "2 days ago". */
export function ago(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** "8 s", "57 min", "2 h". */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}

/** One account's status line(s): state, last message or countdown, and a failure with its fix. */
export function accountEntries(account: AccountHealth, now: number): MenuEntry[] {
  const name = `${account.accountId}${account.simulated ? ' (simulated)' : ''}`;
  const line = (text: string): MenuEntry => ({ kind: 'text', label: clip(`${name}: ${text}`) });
  const error = account.lastError;
  switch (account.state) {
    case 'listening':
      return [line(`listening · ${account.lastInboundAt ? `last message ${ago(account.lastInboundAt, now)}` : 'no messages yet'}`)];
    case 'probing':
    case 'starting':
      return [line('starting…')];
    case 'backing-off': {
      const retry = account.retryAt ? `retry in ${duration(Date.parse(account.retryAt) - now)}` : 'retrying';
      return [line(`backing off, ${retry}`), ...(error ? [detail(error.message)] : []), retryEntry(account)];
    }
    case 'failed-fatal':
      return [line(`failed: ${error?.message ?? 'imsg stopped'}`), ...fixEntries(account), retryEntry(account)];
    case 'stopped':
      return [line(!account.enabled ? 'disabled' : !account.configured ? 'not configured' : error ? `stopped: ${error.message}` : 'stopped')];
  }
}

function retryEntry(account: AccountHealth): MenuEntry {
  return { kind: 'action', label: `Retry ${account.accountId} now`, action: { type: 'retry-account', accountId: account.accountId } };
}

/** The fix of a failed account: a System Settings action when a permission is missing, else the fix text. */
function fixEntries(account: AccountHealth): MenuEntry[] {
  const setup = setupFromHealth(account);
  const blocked = setup.checks.find((c) => (c.state === 'denied' || c.state === 'missing') && c.fix);
  const entries: MenuEntry[] = [];
  const fixText = blocked?.fix?.text ?? account.lastError?.fix;
  if (fixText) entries.push(detail(`Fix: ${fixText}`));
  if (blocked?.fix?.settingsUrl && (blocked.id === 'full-disk-access' || blocked.id === 'automation')) {
    entries.push({ kind: 'action', label: `Open ${blocked.fix.settingsPath ?? 'System Settings'}…`, action: { type: 'open-settings-pane', pane: blocked.id } });
  }
  return entries;
}

function gatewayEntries(phase: GatewayPhase, state: AppState, now: number): MenuEntry[] {
  switch (phase.kind) {
    case 'starting':
      return [{ kind: 'text', label: 'Starting the gateway…' }];
    case 'stopping':
      return [{ kind: 'text', label: 'Stopping…' }];
    case 'paused':
      return [{ kind: 'text', label: 'Paused: iMessages are not answered' }];
    case 'crashed':
      return [
        { kind: 'text', label: clip(`The gateway stopped: ${phase.error}`) },
        detail(`restarting in ${duration(phase.retryAt - now)}`),
      ];
    case 'failed': {
      const entries: MenuEntry[] = [{ kind: 'text', label: clip(`The gateway could not start: ${phase.message}`) }];
      const conflict = phase.conflict;
      if (conflict?.kind === 'clawdbot' && conflict.usable) {
        entries.push({ kind: 'action', label: `Use the Clawdbot gateway already on port ${conflict.port}`, action: { type: 'use-running-gateway' } });
      }
      if (conflict?.freePort) entries.push({ kind: 'action', label: `Start on port ${conflict.freePort} instead`, action: { type: 'use-port', port: conflict.freePort } });
      if (phase.fix && !conflict) entries.push(detail(`Fix: ${phase.fix}`));
      entries.push({ kind: 'action', label: 'Retry', action: { type: 'retry' } });
      return entries;
    }
    case 'running': {
      const status = state.status;
      if (!status) return [{ kind: 'text', label: 'Connecting to the gateway…' }];
      const entries: MenuEntry[] = [];
      if (phase.mode === 'attached') entries.push({ kind: 'text', label: `Using the Clawdbot gateway on port ${phase.port}` });
      if (status.demo) entries.push({ kind: 'text', label: 'Demo: a simulated Messages account' });
      if (status.accounts.length === 0) {
        entries.push({ kind: 'action', label: 'No iMessage account yet: Set Up…', action: { type: 'open', screen: 'onboarding' } });
      }
      for (const account of status.accounts) entries.push(...accountEntries(account, now));
      if (status.configError) entries.push({ kind: 'text', label: clip(`Config error (the last good config stays in force): ${status.configError}`) });
      if (status.modelError) entries.push({ kind: 'text', label: clip(`Model: ${status.modelError}`) });
      return entries;
    }
  }
}

/** Pending requests; with several accounts, each names the account it came in on (its notice goes out from there). */
function pendingEntries(pending: readonly PairingRequest[], now: number, showAccount: boolean, maxPending: number | undefined): MenuEntry[] {
  if (pending.length === 0) return [];
  // Strangers can hold every slot for an hour: say so (Deny each, or `pairing deny imessage --all`).
  const full = maxPending !== undefined && pending.length >= maxPending;
  return [
    { kind: 'text', label: full ? `Pending pairing requests (${pending.length}, all slots taken: new senders get no code)` : `Pending pairing requests (${pending.length})` },
    ...pending.map((request): MenuEntry => ({
      kind: 'submenu',
      label: clip(
        [displaySafe(request.id, { maxLength: 40 }), request.code, ...(showAccount && request.accountId ? [`to ${request.accountId}`] : []), `${duration(Date.parse(request.expiresAt) - now)} left`].join(' · '),
      ),
      items: [
        { kind: 'action', label: 'Approve', action: { type: 'approve', code: request.code } },
        { kind: 'action', label: 'Deny', action: { type: 'deny', code: request.code } },
      ],
    })),
    { kind: 'separator' },
  ];
}

export function buildMenuModel(state: AppState, now: number): MenuEntry[] {
  const phase = state.gateway;
  const running = phase.kind === 'running';
  const entries: MenuEntry[] = [...gatewayEntries(phase, state, now), { kind: 'separator' }];
  if (state.permissions?.restartSuggested) {
    entries.push({ kind: 'action', label: 'Restart Clawdbot to apply Full Disk Access', action: { type: 'relaunch' } }, { kind: 'separator' });
  }
  if (running) entries.push(...pendingEntries(state.pending, now, (state.status?.accounts.length ?? 0) > 1, state.status?.maxPendingPairing));
  entries.push({ kind: 'action', label: 'Open Clawdbot', action: { type: 'open' } });
  if (phase.kind === 'paused') entries.push({ kind: 'action', label: 'Resume', action: { type: 'resume' } });
  else entries.push({ kind: 'action', label: 'Pause', action: { type: 'pause' }, enabled: running || phase.kind === 'crashed' });
  entries.push(
    { kind: 'action', label: 'Restart Gateway', action: { type: 'restart' }, enabled: running && phase.mode === 'hosted' },
    { kind: 'separator' },
    { kind: 'checkbox', label: 'Launch at Login', checked: state.launchAtLogin, action: { type: 'toggle-launch-at-login' } },
    { kind: 'action', label: 'Settings…', action: { type: 'open', screen: 'settings' } },
    { kind: 'separator' },
    { kind: 'text', label: 'iMessage replies stop while Clawdbot is closed.' },
    { kind: 'action', label: 'Quit Clawdbot', action: { type: 'quit' } },
  );
  return entries;
}
