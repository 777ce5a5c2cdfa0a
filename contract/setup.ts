// Setup checks: the answers the onboarding wizard, the account screens, the menu bar and the CLI
// all need (is imsg there and new enough, is Messages set up, may the app read chat.db, may it
// drive Messages, does the SSH wrapper work, is a model configured). The gateway computes them
// (main/gateway … setup) and pushes a SetupSnapshot whenever any of them changes.
// DRAFT shape agreed before the setup-checks issue fills it in; keep additions backwards compatible.

/** The state of one check. */
export type CheckState =
  | 'ok'
  | 'missing' // not there at all (no imsg, no chat.db, no model)
  | 'denied' // there, but macOS (or the far side) refuses: Full Disk Access, Automation, SSH key
  | 'pending' // waiting on the person (the macOS Automation prompt is up)
  | 'unknown' // not checked yet, or the check itself could not run
  | 'not-applicable'; // does not apply here (e.g. Full Disk Access of this Mac for a remote account)

export type SetupCheckId = 'imsg' | 'messages' | 'full-disk-access' | 'automation' | 'ssh' | 'model';

/** How to fix a check: a command to copy, and/or a System Settings pane (deep link + its path in words). */
export interface SetupFix {
  /** One sentence: what to do. */
  text: string;
  /** A shell command to copy, e.g. `brew install steipete/tap/imsg`. */
  command?: string;
  /** `x-apple.systempreferences:…` deep link (opened by the app, or by the gateway on macOS). */
  settingsUrl?: string;
  /** The same place in words, e.g. `System Settings › Privacy & Security › Full Disk Access`. */
  settingsPath?: string;
}

export interface SetupCheck {
  id: SetupCheckId;
  state: CheckState;
  /** One sentence: what was checked and what was found. */
  detail: string;
  fix?: SetupFix;
  /** ISO time of the check, or null if it never ran. */
  checkedAt: string | null;
}

/** Where an account's imsg runs. */
export type ImsgLocation = 'this-mac' | 'dedicated-user' | 'remote-mac';

export interface AccountSetup {
  accountId: string;
  location: ImsgLocation;
  checks: SetupCheck[];
  /** Full Disk Access changed since the gateway started: a restart is needed before it takes effect. */
  restartNeeded: boolean;
}

export interface SetupSnapshot {
  accounts: AccountSetup[];
  /** The model check is gateway-wide (one agent for all accounts). */
  model: SetupCheck;
  /** ISO time this snapshot was computed. */
  at: string;
}

/** System Settings panes a fix can open (`SetupFix.settingsUrl`); the app opens only these. */
export const SETTINGS_PANES = {
  'full-disk-access': {
    url: 'x-apple.systempreferences:com.apple.preference.security?Privacy_AllFiles',
    path: 'System Settings › Privacy & Security › Full Disk Access',
  },
  automation: {
    url: 'x-apple.systempreferences:com.apple.preference.security?Privacy_Automation',
    path: 'System Settings › Privacy & Security › Automation',
  },
} as const satisfies Record<string, { url: string; path: string }>;
