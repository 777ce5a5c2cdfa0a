// Setup checks: the answers the onboarding wizard, the account screens, the menu bar and the CLI
// all need (is imsg there and new enough, is Messages set up, may the app read chat.db, may it
// drive Messages, does the SSH wrapper work, is a model configured). The gateway computes them
// (main/gateway … setup) and pushes a SetupSnapshot whenever any of them changes.

import type { SendMessageResult } from './gateway-api';
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
  /**
   * The host attachments are copied from over SSH (`remoteHost`): as configured, or detected from
   * the SSH wrapper; null for imsg on this Mac. (Optional for older gateways.)
   */
  remoteHost?: string | null;
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

// ---------------------------------------------------------------------------------------------
// Actions (control API `setup.*` and `accounts.*`)
// ---------------------------------------------------------------------------------------------

/**
 * `user@host` for an SSH wrapper: a POSIX user name, then a host name, a Tailscale name, IPv4 or
 * [IPv6]. Nothing a shell would interpret: the target only ever goes into an argv array, but the
 * wrapper script carries it too, so the grammar leaves no room for quoting tricks.
 */
export const SSH_TARGET_PATTERN =
  /^[a-z_][a-z0-9_.-]{0,31}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;
export const SSH_TARGET_HINT =
  'an SSH target is user@host: a user name, then a host name, a Tailscale name, an IPv4 address or [IPv6] (no spaces or shell characters), e.g. clawdbot@localhost';

/** An absolute path on the other Mac, without characters a shell or an ssh command line could interpret. */
export const REMOTE_PATH_PATTERN = /^\/[A-Za-z0-9_./+-]*$/;
export const REMOTE_PATH_HINT = 'a path on the other Mac is absolute and uses only letters, digits and _ . / + - (e.g. /opt/homebrew/bin/imsg)';

/** Where Homebrew puts imsg on an Apple-silicon Mac: the far side's imsg unless the form says otherwise. */
export const DEFAULT_REMOTE_IMSG_PATH = '/opt/homebrew/bin/imsg';

/** `setup.testSend`: a test message through the account's one sender; also raises the Automation prompt. */
export interface TestSendResult {
  /** The Automation check as this send left it: ok, denied, pending (the prompt is up), or unknown (another failure). */
  automation: SetupCheck;
  /** What imsg answered, when the send went through. */
  sent?: { sentVia: SendMessageResult['sentVia']; messageIds: string[] };
  /** Why the send failed, when it did for another reason than Automation. */
  error?: { message: string; fix?: string };
}

/** One step of testing an SSH wrapper, in order; the first failing one carries the fix. */
export type SshStepId = 'target' | 'connect' | 'host-key' | 'login' | 'imsg' | 'rpc' | 'full-disk-access';

export interface SshStep {
  id: SshStepId;
  state: CheckState;
  detail: string;
  fix?: SetupFix;
}

export interface SshTestResult {
  ok: boolean;
  steps: SshStep[];
  /** The host attachments are copied from (`remoteHost`), as configured or detected from the wrapper. */
  remoteHost: string | null;
}

/** `setup.sshWrapper`: where the wrapper was written. */
export interface SshWrapperResult {
  /** `~/.clawdbot/scripts/imsg-<account>`, mode 0700. */
  path: string;
  /** False when an identical wrapper was already there. */
  written: boolean;
  /** The script, for showing it. */
  script: string;
}

/** A problem with one field of a form (account, settings), for showing it next to the field. */
export interface FieldIssue {
  /**
   * A config or account write: the config key path, e.g. `channels.imessage.accounts.work.cliPath`
   * or `…allowFrom[2]` (its last segment names the field; the SSH target is `….ssh.target`).
   * A request whose params failed their schema: the path inside the params, e.g. `account.ssh.target`, `to`.
   */
  path: string;
  message: string;
  fix?: string;
}
