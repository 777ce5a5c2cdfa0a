// The two macOS permissions iMessage needs, as one verdict each. Full Disk Access combines the
// gateway's real reads of chat.db (the signal that matters) with macOS's own answer from
// node-mac-permissions (a heuristic: it tries a few other protected files), which fills the gap
// before imsg first reads chat.db and tells "granted but not applied until a restart" apart from
// "not granted". Automation (Clawdbot → Messages) has no system API: it comes from sends only.
import { createRequire } from 'node:module';
import type { PermissionsReport, PermissionStatus } from '../../contract/bridge';
import type { AccountSetup, CheckState, SetupCheck } from '../../contract/setup';
import { AUTOMATION_FIX, FULL_DISK_ACCESS_FIX } from './setup-adapter';

/** node-mac-permissions' answers (index.d.ts of 2.5.0; `limited` is from its README). */
export const MAC_AUTH_STATUSES = ['authorized', 'denied', 'restricted', 'not determined', 'limited'] as const;
export type MacAuthStatus = (typeof MAC_AUTH_STATUSES)[number];

/** The part of node-mac-permissions the app uses. Hand-written: the package does not install off macOS. */
export interface MacPermissions {
  getAuthStatus(type: 'full-disk-access'): string;
}

/** macOS's answer about Full Disk Access, or why there is none. */
export type FdaSignal = MacAuthStatus | 'unavailable' | 'not-mac';

/**
 * node-mac-permissions, loaded on first use on macOS only (an optional dependency with a native
 * addon: missing when it failed to build, absent on other systems). Null when it cannot be used.
 */
export function loadMacPermissions(platform: NodeJS.Platform = process.platform, load: (id: string) => unknown = createRequire(import.meta.url)): MacPermissions | null {
  if (platform !== 'darwin') return null;
  try {
    const loaded = load('node-mac-permissions') as Partial<MacPermissions> | null;
    return typeof loaded?.getAuthStatus === 'function' ? (loaded as MacPermissions) : null;
  } catch {
    return null;
  }
}

export function readFdaSignal(mac: MacPermissions | null, platform: NodeJS.Platform = process.platform): FdaSignal {
  if (platform !== 'darwin') return 'not-mac';
  if (!mac) return 'unavailable';
  try {
    const answer = mac.getAuthStatus('full-disk-access');
    return (MAC_AUTH_STATUSES as readonly string[]).includes(answer) ? (answer as MacAuthStatus) : 'unavailable';
  } catch {
    return 'unavailable';
  }
}

/** The accounts' checks of one permission, reduced to the one that decides. */
function decidingCheck(setups: readonly AccountSetup[], id: SetupCheck['id'], order: readonly CheckState[]): SetupCheck | undefined {
  const checks = setups.flatMap((setup) => setup.checks.filter((c) => c.id === id));
  for (const state of order) {
    const found = checks.find((c) => c.state === state);
    if (found) return found;
  }
  return undefined;
}

const RESTART_FIX = { text: 'Restart Clawdbot: macOS applies Full Disk Access to apps when they start.' };

export function fullDiskAccessStatus(setups: readonly AccountSetup[], signal: FdaSignal): PermissionStatus {
  const id = 'full-disk-access';
  if (signal === 'not-mac') return { id, state: 'not-applicable', detail: 'Full Disk Access is a macOS permission; this is not a Mac.' };
  // A real read is proof either way; "denied" outranks "ok" (another account may use another chat.db).
  const gateway = decidingCheck(setups, id, ['denied', 'ok', 'missing']);
  if (gateway?.state === 'ok') return { id, state: 'ok', detail: `Granted: ${gateway.detail}.` };
  if (gateway?.state === 'missing') return { id, state: 'missing', detail: gateway.detail, ...(gateway.fix ? { fix: gateway.fix } : {}) };
  if (gateway?.state === 'denied') {
    if (signal === 'authorized') {
      return { id, state: 'denied', detail: `Full Disk Access is on for Clawdbot, but chat.db was not readable when imsg last tried (${gateway.detail}).`, fix: RESTART_FIX };
    }
    return { id, state: 'denied', detail: gateway.detail, fix: gateway.fix ?? FULL_DISK_ACCESS_FIX };
  }
  // chat.db has not been read yet: macOS's own answer is all there is.
  switch (signal) {
    case 'authorized':
      return { id, state: 'ok', detail: 'macOS reports Full Disk Access on (chat.db has not been read yet).' };
    case 'denied':
    case 'not determined':
      return { id, state: 'denied', detail: 'macOS reports Full Disk Access off for Clawdbot.', fix: FULL_DISK_ACCESS_FIX };
    case 'restricted':
      return { id, state: 'denied', detail: 'Full Disk Access is restricted on this Mac by a configuration profile.', fix: { text: 'Ask whoever manages this Mac to allow Full Disk Access for Clawdbot.' } };
    case 'limited':
    case 'unavailable':
      return { id, state: 'unknown', detail: 'Not known yet: checked when imsg first reads chat.db.' };
  }
}

export function automationStatus(setups: readonly AccountSetup[], signal: FdaSignal): PermissionStatus {
  const id = 'automation';
  if (signal === 'not-mac') return { id, state: 'not-applicable', detail: 'Automation is a macOS permission; this is not a Mac.' };
  const gateway = decidingCheck(setups, id, ['denied', 'ok']);
  if (gateway?.state === 'denied') return { id, state: 'denied', detail: gateway.detail, fix: gateway.fix ?? AUTOMATION_FIX };
  if (gateway?.state === 'ok') return { id, state: 'ok', detail: `Granted: ${gateway.detail}.` };
  return { id, state: 'unknown', detail: 'Not known yet: macOS asks the first time Clawdbot sends an iMessage.' };
}

/** Everything the permission step and the menu show, from the setups and macOS's answers now and at launch. */
export function permissionsReport(setups: readonly AccountSetup[], signal: FdaSignal, signalAtLaunch: FdaSignal, now: Date): PermissionsReport {
  const fda = fullDiskAccessStatus(setups, signal);
  // Turned on while Clawdbot runs, and no read of chat.db has shown it applied yet.
  const grantedSinceLaunch = signal === 'authorized' && signalAtLaunch !== 'authorized' && signalAtLaunch !== 'unavailable';
  const readSucceeded = decidingCheck(setups, 'full-disk-access', ['denied', 'ok'])?.state === 'ok';
  return {
    permissions: [fda, automationStatus(setups, signal)],
    restartSuggested: (grantedSinceLaunch && !readSucceeded) || fda.fix === RESTART_FIX || setups.some((setup) => setup.restartNeeded),
    checkedAt: now.toISOString(),
  };
}
