// The setup checks of one iMessage account (contract/setup.ts): is imsg there and new enough, is
// Messages set up, may chat.db be read (Full Disk Access), may Messages be driven (Automation), does
// the SSH login work. Each is a state with one sentence of detail and the exact fix.
//
// The answers come from what the channel already knows — the account's last probe (binary, rpc
// support, imsg's own chat.db check, whether it lists chats), the Automation state its sends left
// (automation.ts), the last SSH test (ssh-check.ts) — plus the gateway's own read of chat.db
// (readChatDbAsGateway), which on macOS is what Full Disk Access decides. The decisions are pure
// functions of those inputs, with the platform given, so every state can be tested anywhere.
import { constants as fsConstants, promises as fs } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { delimiter, join } from 'node:path';
import type { AccountHealth, ProbeCheck, ProbeResult } from '../../contract/gateway-api';
import { SETTINGS_PANES, type AccountSetup, type CheckState, type ImsgLocation, type SetupCheck, type SetupCheckId, type SetupFix, type SshTestResult } from '../../contract/setup';
import type { AutomationRecord } from './automation';
import { NO_RPC_ERROR } from './probe';
import { remoteFullDiskAccessFix } from './ssh-check';

export const INSTALL_IMSG_COMMAND = 'brew install steipete/tap/imsg';
export const UPGRADE_IMSG_COMMAND = 'brew upgrade steipete/tap/imsg';
/** Where Homebrew installs imsg, looked at when it is not on PATH (an app started from Finder has a short PATH). */
export const HOMEBREW_IMSG_PATHS = ['/opt/homebrew/bin/imsg', '/usr/local/bin/imsg'] as const;

// ---------------------------------------------------------------------------------------------
// Inputs gathered with I/O
// ---------------------------------------------------------------------------------------------

/** The gateway's own attempt to open chat.db (the file's first bytes are read, then it is closed). */
export interface ChatDbRead {
  path: string;
  result: 'ok' | 'missing' | 'denied' | 'error';
  /** errno code of a failure (ENOENT, EPERM, EACCES, …). */
  code?: string;
  message?: string;
  /** ISO time of the read. */
  at: string;
}

export function defaultChatDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HOME || homedir(), 'Library', 'Messages', 'chat.db');
}

export async function readChatDbAsGateway(path: string): Promise<ChatDbRead> {
  const at = new Date().toISOString();
  try {
    const handle = await fs.open(path, fsConstants.O_RDONLY);
    try {
      await handle.read(Buffer.alloc(16), 0, 16, 0);
    } finally {
      await handle.close();
    }
    return { path, result: 'ok', at };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'ERROR';
    const message = (error as Error).message;
    const result = code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : code === 'EPERM' || code === 'EACCES' ? 'denied' : 'error';
    return { path, result, code, message, at };
  }
}

/** imsg on PATH, else where Homebrew puts it; undefined when nowhere. */
export async function locateImsg(env: NodeJS.ProcessEnv = process.env): Promise<{ path: string; onPath: boolean } | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && (await isExecutableFile(join(dir, 'imsg')))) return { path: join(dir, 'imsg'), onPath: true };
  }
  for (const path of HOMEBREW_IMSG_PATHS) if (await isExecutableFile(path)) return { path, onPath: false };
  return undefined;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await fs.stat(path)).isFile()) return false;
    await fs.access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** This machine's own names: an SSH target naming one of them is a dedicated user on this Mac. */
export function localHostNames(): string[] {
  const name = hostname().toLowerCase();
  return ['localhost', '127.0.0.1', '::1', name, name.endsWith('.local') ? name : `${name}.local`];
}

/** Where imsg runs: here, as another user of this Mac (SSH to this Mac), or on another Mac. */
export function accountLocation(remoteHost: string | null | undefined, localNames: readonly string[] = localHostNames()): ImsgLocation {
  if (!remoteHost) return 'this-mac';
  const host = remoteHost.slice(remoteHost.indexOf('@') + 1).replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return localNames.includes(host) ? 'dedicated-user' : 'remote-mac';
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

export interface AccountSetupInputs {
  account: Pick<AccountHealth, 'accountId' | 'enabled' | 'configured' | 'cliPath' | 'dbPath' | 'remoteHost' | 'lastProbe'> & { simulated?: boolean };
  location: ImsgLocation;
  /** The gateway's own read of chat.db (imsg on this Mac only). */
  ownRead: ChatDbRead | null;
  automation: AutomationRecord | null;
  /** The last SSH test of this account's target. */
  ssh: SshTestResult | null;
  /** process.platform of the gateway (the fixes differ off macOS). */
  platform: NodeJS.Platform;
  restartNeeded: boolean;
  /** Config key of the account's cliPath (for the fix command), e.g. `channels.imessage.cliPath`. */
  cliPathKey: string;
  /** imsg found where the configured cliPath is not (Homebrew), offered in the fix. */
  imsgFound?: string | null;
}

export function accountSetup(inputs: AccountSetupInputs): AccountSetup {
  const checks = [imsgCheck(inputs), messagesCheck(inputs), fullDiskAccessCheck(inputs), automationCheck(inputs), sshCheck(inputs)];
  return {
    accountId: inputs.account.accountId,
    location: inputs.location,
    checks,
    restartNeeded: inputs.restartNeeded,
    remoteHost: inputs.account.remoteHost ?? null,
  };
}

function check(id: SetupCheckId, state: CheckState, detail: string, checkedAt: string | null, fix?: SetupFix): SetupCheck {
  return fix ? { id, state, detail, fix, checkedAt } : { id, state, detail, checkedAt };
}

function probeCheck(probe: ProbeResult | null | undefined, id: ProbeCheck['id']): ProbeCheck | undefined {
  return probe?.checks.find((c) => c.id === id);
}

/** Why nothing is known yet: the account is off, not configured, or not probed. */
function notChecked(inputs: AccountSetupInputs): string {
  const { account } = inputs;
  if (!account.configured) return 'not checked: the account is not configured';
  if (!account.enabled) return 'not checked: the account is disabled';
  return 'not checked yet';
}

const SSH_FAILURE = /^SSH (login refused|host key check failed|cannot resolve)/;

/** The far side's user of an SSH account, for fixes ("log in as …"). */
function remoteUser(inputs: AccountSetupInputs): string {
  const host = inputs.account.remoteHost ?? '';
  return host.includes('@') ? host.slice(0, host.indexOf('@')) : 'that user';
}

export function imsgCheck(inputs: AccountSetupInputs): SetupCheck {
  const probe = inputs.account.lastProbe;
  if (!probe) return check('imsg', 'unknown', notChecked(inputs), null);
  const at = probe.at;
  const binary = probeCheck(probe, 'binary');
  const rpc = probeCheck(probe, 'rpc-support');
  const version = probe.imsgVersion ? `imsg ${probe.imsgVersion}` : 'imsg';
  const ssh = inputs.location !== 'this-mac';
  if (binary && !binary.ok) {
    if (ssh) return check('imsg', 'missing', binary.detail, at, { text: `The SSH wrapper ${inputs.account.cliPath} is missing or not executable: write it again from the account's setup (or \`clawdbot channels add imessage --ssh ${inputs.account.remoteHost ?? 'user@host'}\`).` });
    if (inputs.imsgFound) {
      return check('imsg', 'missing', `${binary.detail}; imsg is installed at ${inputs.imsgFound}`, at, {
        text: `Use the installed imsg: set ${inputs.cliPathKey} to ${inputs.imsgFound}.`,
        command: `clawdbot config set ${inputs.cliPathKey} ${inputs.imsgFound}`,
      });
    }
    return check('imsg', 'missing', binary.detail, at, { text: `Install imsg with Homebrew (or set ${inputs.cliPathKey} to the full path of imsg), then Retry.`, command: INSTALL_IMSG_COMMAND });
  }
  if (rpc && !rpc.ok) {
    if (rpc.detail.startsWith(NO_RPC_ERROR)) {
      const where = ssh ? ` on ${inputs.account.remoteHost}` : '';
      return check('imsg', 'missing', `${rpc.detail} (${version}${where})`, at, { text: `Upgrade imsg${where} (the 'rpc' subcommand needs imsg 0.3.0 or later), then Retry.`, command: UPGRADE_IMSG_COMMAND });
    }
    if (SSH_FAILURE.test(rpc.detail)) return check('imsg', 'unknown', `not checked: the SSH login failed (${rpc.detail})`, at);
    return check('imsg', 'unknown', rpc.detail, at, rpc.fix ? { text: rpc.fix } : undefined);
  }
  // Past the binary and rpc checks (or the imsg behind the wrapper was not found at start).
  if (probe.error && /^imsg not found on the other side/.test(probe.error)) {
    return check('imsg', 'missing', probe.error, at, { text: `Install imsg on that Mac as ${remoteUser(inputs)}, or fix the imsg path in the wrapper ${inputs.account.cliPath}.`, command: INSTALL_IMSG_COMMAND });
  }
  if (!binary) return check('imsg', 'unknown', probe.error ?? notChecked(inputs), at);
  const where = ssh ? ` on ${inputs.account.remoteHost} (through ${inputs.account.cliPath})` : ` at ${binary.detail.replace(/^found (.* at )?/, '')}`;
  return check('imsg', 'ok', `${version}${where}, with rpc support`, at);
}

export function messagesCheck(inputs: AccountSetupInputs): SetupCheck {
  const { account, ownRead } = inputs;
  const probe = account.lastProbe;
  const here = inputs.location === 'this-mac';
  const signIn: SetupFix =
    inputs.location === 'this-mac'
      ? { text: 'Open Messages on this Mac, sign in with your Apple Account (Messages › Settings › iMessage) and send or receive one message, then Retry.' }
      : { text: `Log in to ${inputs.location === 'dedicated-user' ? 'this Mac' : 'that Mac'} as ${remoteUser(inputs)}, open Messages, sign in with the Apple Account for the assistant and send or receive one message, then Retry.` };
  if (here && ownRead?.result === 'missing') {
    return check('messages', 'missing', `no chat.db at ${ownRead.path}: Messages has not been set up for this user`, ownRead.at, {
      text: account.dbPath ? `${signIn.text} If chat.db is elsewhere, correct dbPath.` : signIn.text,
    });
  }
  const database = probeCheck(probe, 'database');
  if (probe && database?.ok) {
    // The demo's simulated Messages is signed in by construction, even before its first message.
    if (account.simulated) return check('messages', 'ok', 'a simulated Messages account (the imsg simulator), signed in', probe.at);
    if (probe.hasChats === false) {
      return check('messages', 'missing', 'imsg lists no chats: Messages is not signed in to iMessage (or has never sent or received a message)', probe.at, signIn);
    }
    return check('messages', 'ok', probe.hasChats ? 'chat.db is there and imsg lists chats' : 'chat.db is there and imsg opened it', probe.at);
  }
  if (database && !database.ok) {
    return check('messages', 'unknown', here && ownRead?.result === 'ok' ? 'chat.db is there, but imsg cannot read it yet (Full Disk Access)' : 'not known until imsg can read chat.db (a missing chat.db and missing Full Disk Access look the same to imsg)', probe!.at);
  }
  return check('messages', 'unknown', notChecked(inputs), probe?.at ?? null);
}

export function fullDiskAccessCheck(inputs: AccountSetupInputs): SetupCheck {
  const { account, ownRead } = inputs;
  const probe = account.lastProbe;
  const database = probeCheck(probe, 'database');
  const imsgView = database ? (database.ok ? 'ok' : 'denied') : null;
  if (inputs.location !== 'this-mac') {
    const target = account.remoteHost ?? 'the other Mac';
    if (imsgView === 'ok') return check('full-disk-access', 'ok', `imsg read chat.db as ${target}`, probe!.at);
    if (imsgView === 'denied') return check('full-disk-access', 'denied', `imsg cannot read chat.db as ${target}: ${database!.detail}`, probe!.at, remoteFullDiskAccessFix(target));
    return check('full-disk-access', 'unknown', `${notChecked(inputs)} (only imsg on ${target} can tell)`, probe?.at ?? null);
  }

  const pane = SETTINGS_PANES['full-disk-access'];
  const restart = inputs.restartNeeded ? ' Full Disk Access changed since the gateway started: restart Clawdbot for it to take effect.' : '';
  const fix: SetupFix = {
    text: `Add Clawdbot (and imsg, ${account.cliPath}) under Full Disk Access and turn them on, then restart Clawdbot.${restart}`,
    settingsUrl: pane.url,
    settingsPath: pane.path,
  };
  const ownView = ownRead?.result === 'ok' ? 'ok' : ownRead?.result === 'denied' ? 'denied' : null;
  const at = latest(ownRead?.at, probe?.at);
  if (ownView === 'denied' && inputs.platform !== 'darwin') {
    // Off macOS there is no Full Disk Access: a refused read is the file's permissions.
    return check('full-disk-access', 'denied', `the gateway cannot read ${ownRead!.path} (${ownRead!.code}: file permissions)`, at, {
      text: `Make ${ownRead!.path} and its folders readable by the user that runs the gateway (check with \`ls -l\`).`,
    });
  }
  // imsg cannot tell a missing chat.db from a refused one (spec imsg-protocol §1.5): no file, no verdict.
  if (ownRead?.result === 'missing') return check('full-disk-access', 'unknown', 'not known while chat.db does not exist (see Messages)', at);
  if (ownView === 'denied' || imsgView === 'denied') {
    const who = ownView === 'denied' && imsgView === 'denied' ? 'neither Clawdbot nor imsg may' : ownView === 'denied' ? 'Clawdbot may not' : 'imsg may not';
    const why = ownView === 'denied' ? `${ownRead!.code} reading ${ownRead!.path}` : database!.detail;
    return check('full-disk-access', 'denied', `${who} read chat.db (${why})${inputs.restartNeeded ? '; restart needed' : ''}`, at, fix);
  }
  if (ownView === 'ok' && imsgView === 'ok') return check('full-disk-access', 'ok', 'Clawdbot and imsg both read chat.db', at);
  if (imsgView === 'ok') return check('full-disk-access', 'ok', ownRead ? `imsg reads chat.db (the gateway's own read: ${ownRead.code ?? ownRead.result})` : 'imsg reads chat.db', at);
  if (ownView === 'ok') return check('full-disk-access', 'unknown', 'Clawdbot reads chat.db; imsg has not opened it yet', at);
  return check('full-disk-access', 'unknown', ownRead?.result === 'error' ? `chat.db could not be checked (${ownRead.code}: ${ownRead.message})` : notChecked(inputs), at);
}

export function automationCheck(inputs: AccountSetupInputs): SetupCheck {
  const record = inputs.automation;
  const pane = SETTINGS_PANES.automation;
  const target = inputs.account.remoteHost ?? '';
  const onThatMac = inputs.location === 'this-mac' ? 'on this Mac' : inputs.location === 'dedicated-user' ? `on this Mac, in ${remoteUser(inputs)}'s session` : `on ${target.slice(target.indexOf('@') + 1)}`;
  const inSession: SetupFix = {
    text: `macOS asks ${remoteUser(inputs)}, not you: log in to that Mac user (screen sharing is fine), run one send there in Terminal (\`imsg send --to <your handle> --text hi\`) and click OK, then send a test message again.`,
    command: 'imsg send --to <your handle> --text hi',
    settingsPath: pane.path,
  };
  if (!record) {
    return check('automation', 'unknown', 'not known yet: macOS asks the first time Clawdbot sends a message', null, {
      text: inputs.location === 'this-mac' ? 'Send a test message, and click OK when macOS asks whether Clawdbot may control Messages.' : `Send a test message. ${inSession.text}`,
    });
  }
  if (record.state === 'ok') return check('automation', 'ok', `Messages accepted a send (${record.detail})`, record.at);
  if (record.state === 'pending') {
    return check('automation', 'pending', `macOS is asking for permission: click OK in the prompt ${onThatMac}`, record.at, {
      text: inputs.location === 'this-mac' ? 'Click OK in the prompt "Clawdbot wants access to control Messages". No prompt? Look behind other windows.' : inSession.text,
    });
  }
  const fix: SetupFix =
    inputs.location === 'this-mac'
      ? { text: 'Turn on Messages under Clawdbot in Automation (or reset the answer with the command, and click OK when asked again), then send a test message.', command: 'tccutil reset AppleEvents', settingsUrl: pane.url, settingsPath: pane.path }
      : inSession;
  return check('automation', 'denied', `${record.detail} (${onThatMac})`, record.at, fix);
}

export function sshCheck(inputs: AccountSetupInputs): SetupCheck {
  if (inputs.location === 'this-mac') return check('ssh', 'not-applicable', 'imsg runs on this Mac, not over SSH', null);
  const target = inputs.account.remoteHost!;
  const tested = inputs.ssh;
  if (tested) {
    const failed = tested.steps.find((step) => step.state !== 'ok');
    if (!failed) return check('ssh', 'ok', `logged in to ${target} with a key; imsg answers there`, null);
    return check('ssh', failed.state, `${failed.id}: ${failed.detail}`, null, failed.fix);
  }
  const probe = inputs.account.lastProbe;
  if (!probe) return check('ssh', 'unknown', notChecked(inputs), null);
  const failure = probe.checks.find((c) => !c.ok);
  if (failure && SSH_FAILURE.test(failure.detail)) return check('ssh', 'denied', failure.detail, probe.at, failure.fix ? { text: failure.fix } : undefined);
  if (probeCheck(probe, 'rpc-support')?.ok || probeCheck(probe, 'rpc-answers')?.ok) return check('ssh', 'ok', `logged in to ${target} through ${inputs.account.cliPath}`, probe.at);
  return check('ssh', 'unknown', probe.error ? `not known: ${probe.error}` : notChecked(inputs), probe.at);
}

function latest(a: string | undefined, b: string | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return a > b ? a : b;
}
