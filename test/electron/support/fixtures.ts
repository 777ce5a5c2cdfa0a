// Plain data for the app's pure modules: account health, gateway status, pairing requests and
// app states, at a fixed "now" so relative times and countdowns print the same every run.
import type { AccountHealth, GatewayStatus, PairingRequest, ProbeResult } from '../../../contract/gateway-api';
import { INITIAL_STATE, type AppState } from '../../../main/electron/app-state';
import type { MenuEntry } from '../../../main/electron/menu-model';

export const NOW = Date.parse('2026-03-02T10:00:00.000Z');
export const iso = (msFromNow: number) => new Date(NOW + msFromNow).toISOString();

export function account(overrides: Partial<AccountHealth> = {}): AccountHealth {
  return {
    accountId: 'default',
    enabled: true,
    configured: true,
    simulated: false,
    state: 'listening',
    since: iso(-3_600_000),
    pid: 4242,
    restarts: 0,
    retryAt: null,
    lastError: null,
    lastInboundAt: null,
    lastOutboundAt: null,
    lastProbe: null,
    imsgVersion: '0.8.1',
    cliPath: '/opt/homebrew/bin/imsg',
    dbPath: null,
    remoteHost: null,
    lastRowid: null,
    warnings: [],
    ...overrides,
  };
}

export function probe(database: { ok: boolean; detail: string }): ProbeResult {
  return {
    ok: database.ok,
    fatal: !database.ok,
    checks: [
      { id: 'binary', ok: true, detail: 'found /opt/homebrew/bin/imsg' },
      { id: 'rpc-support', ok: true, detail: 'imsg rpc is supported' },
      { id: 'database', ...database },
    ],
    durationMs: 120,
    at: iso(-60_000),
  };
}

export function status(accounts: AccountHealth[], overrides: Partial<GatewayStatus> = {}): GatewayStatus {
  return {
    now: iso(0),
    version: '0.1.0',
    pid: 4000,
    startedAt: iso(-3_600_000),
    demo: false,
    bind: '127.0.0.1',
    port: 18789,
    configPath: '/Users/me/.clawdbot/clawdbot.json',
    stateDir: '/Users/me/.clawdbot',
    configError: null,
    model: 'anthropic/claude-opus-4-5',
    modelError: null,
    accounts,
    pendingPairing: 0,
    maxPendingPairing: 3,
    ...overrides,
  };
}

const CODES = ['ABCD2345', 'EFGH6789', 'JKLM2345', 'NPQR6789', 'STUV2345'];

export function pairingRequest(index: number, createdMsAgo = 5 * 60_000): PairingRequest {
  const createdAt = NOW - createdMsAgo;
  return {
    id: `+1555555010${index}`,
    code: CODES[index % CODES.length]!,
    createdAt: new Date(createdAt).toISOString(),
    lastSeenAt: new Date(createdAt).toISOString(),
    expiresAt: new Date(createdAt + 3_600_000).toISOString(),
    meta: { accountId: 'default' },
  };
}

export function appState(overrides: Partial<AppState> = {}): AppState {
  return { ...INITIAL_STATE, gateway: { kind: 'running', mode: 'hosted', port: 18789 }, status: status([account()]), launchAtLogin: true, ...overrides };
}

/** The menu as a reviewer reads it: [action], (disabled), [x] checkbox, ▸ submenu, ─── separator. */
export function menuText(entries: readonly MenuEntry[], indent = ''): string {
  return entries
    .map((entry) => {
      switch (entry.kind) {
        case 'separator':
          return `${indent}────────`;
        case 'text':
          return `${indent}${entry.label}`;
        case 'action':
          return `${indent}[${entry.label}]${entry.enabled === false ? ' (disabled)' : ''}`;
        case 'checkbox':
          return `${indent}[${entry.checked ? 'x' : ' '}] ${entry.label}`;
        case 'submenu':
          return `${indent}${entry.label} ▸\n${menuText(entry.items, `${indent}      `)}`;
      }
    })
    .join('\n');
}
