// The SSH wrapper that runs imsg for an account as another Mac user, on this Mac or another one
// (spec imessage-channel.md §1a: `cliPath` pointing at a script that execs `ssh … imsg "$@"`).
//
// `~/.clawdbot/scripts/imsg-<account>` (under the state dir), mode 0700, written atomically. Its
// content is built only from values that passed the grammars of contract/setup.ts (`user@host`, an
// absolute remote path of plain characters) and the normalized account id, so nothing in it can be
// read by a shell as anything but those words. ssh joins the remote command's words with spaces
// and hands them to the remote user's shell, so the script also refuses any argument that is not a
// plain word (the gateway only ever passes `rpc`, `--db <path>`, `--version`, `rpc --help`).
//
// A different file already at that path is never replaced unless the caller asks (`replace`);
// then the old one is kept as `<path>.bak`. A symlink there is followed, not replaced.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_REMOTE_IMSG_PATH, REMOTE_PATH_HINT, REMOTE_PATH_PATTERN, SSH_TARGET_HINT, SSH_TARGET_PATTERN } from '../../contract/setup';
import { readFileIfExists, writeFileAtomic } from '../util/atomic-file';

/** Every ssh the setup runs: no password prompts (a gateway has no terminal), a short connect, no tty. */
export const SSH_OPTIONS: readonly string[] = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-T'];

/** Account ids are normalized (main/config/accounts.ts); the file name relies on it. */
const ACCOUNT_ID = /^[a-z0-9_-]{1,64}$/;

/** A value that failed its grammar: which field, what is wrong. */
export class SshInputError extends Error {
  override readonly name = 'SshInputError';
  constructor(
    readonly field: 'target' | 'remoteCliPath' | 'accountId',
    message: string,
  ) {
    super(message);
  }
}

/** A different file is already where the wrapper goes. */
export class WrapperExistsError extends Error {
  override readonly name = 'WrapperExistsError';
  constructor(readonly path: string) {
    super(`A different file is already at ${path}; it was left as it is`);
  }
}

export function checkSshTarget(target: string): string {
  const value = target.trim();
  if (!SSH_TARGET_PATTERN.test(value)) throw new SshInputError('target', `${JSON.stringify(target)} is not a valid SSH target: ${SSH_TARGET_HINT}`);
  return value;
}

export function checkRemotePath(path: string): string {
  const value = path.trim();
  if (!REMOTE_PATH_PATTERN.test(value)) throw new SshInputError('remoteCliPath', `${JSON.stringify(path)} is not a usable path on the other Mac: ${REMOTE_PATH_HINT}`);
  return value;
}

/** The host part of `user@host` (brackets of an IPv6 address removed). */
export function sshHost(target: string): string {
  return target.slice(target.indexOf('@') + 1).replace(/^\[(.*)\]$/, '$1');
}

/** `ssh <options> -- <target> <remote imsg> <args…>` as an argv array (never a command string). */
export function sshArgv(target: string, remoteCliPath: string, args: readonly string[]): string[] {
  return [...SSH_OPTIONS, '--', checkSshTarget(target), checkRemotePath(remoteCliPath), ...args];
}

export function wrapperPath(stateDir: string, accountId: string): string {
  if (!ACCOUNT_ID.test(accountId)) throw new SshInputError('accountId', `${JSON.stringify(accountId)} is not a normalized account id (a-z, 0-9, - and _)`);
  return join(stateDir, 'scripts', `imsg-${accountId}`);
}

/** Characters an argument may have (the case pattern below is their complement). */
const PLAIN_ARGUMENT_CHARACTERS = 'A-Za-z0-9_./:=+@,-';

export interface WrapperSpec {
  accountId: string;
  target: string;
  /** imsg on the far side (default /opt/homebrew/bin/imsg). */
  remoteCliPath?: string;
}

/** The script's text, from checked values only. */
export function wrapperScript(spec: WrapperSpec): string {
  const target = checkSshTarget(spec.target);
  const remote = checkRemotePath(spec.remoteCliPath ?? DEFAULT_REMOTE_IMSG_PATH);
  const name = `imsg-${spec.accountId}`;
  if (!ACCOUNT_ID.test(spec.accountId)) throw new SshInputError('accountId', `${JSON.stringify(spec.accountId)} is not a normalized account id`);
  return [
    '#!/bin/sh',
    `# Clawdbot: runs imsg for the iMessage account "${spec.accountId}" as ${target} over SSH.`,
    '# Written by Clawdbot setup; Clawdbot never replaces it once you have changed it.',
    '# ssh hands the arguments to the remote shell, so only plain words are passed on.',
    'for arg in "$@"; do',
    '  case $arg in',
    `    ''|*[!${PLAIN_ARGUMENT_CHARACTERS}]*) echo "${name}: refusing an argument with spaces or shell characters: $arg" >&2; exit 2 ;;`,
    '  esac',
    'done',
    `exec ssh ${SSH_OPTIONS.join(' ')} -- ${target} ${remote} "$@"`,
    '',
  ].join('\n');
}

export interface WriteWrapperOptions extends WrapperSpec {
  stateDir: string;
  /** Replace a different existing file (kept as `<path>.bak`). */
  replace?: boolean;
}

export interface WrittenWrapper {
  path: string;
  /** False when the same script was already there. */
  written: boolean;
  script: string;
  /** Where the replaced file was kept. */
  backupPath?: string;
}

/** Writes the wrapper (0700, atomic). Throws WrapperExistsError for a different file unless `replace`. */
export async function writeSshWrapper(options: WriteWrapperOptions): Promise<WrittenWrapper> {
  const script = wrapperScript(options);
  const path = wrapperPath(options.stateDir, options.accountId);
  // A symlink is the user's choice of where the script lives: write through it.
  const target = await fs.realpath(path).catch(() => path);
  const existing = await readFileIfExists(target);
  if (existing === script) {
    await fs.chmod(target, 0o700);
    return { path, written: false, script };
  }
  let backupPath: string | undefined;
  if (existing !== undefined) {
    if (!options.replace) throw new WrapperExistsError(path);
    backupPath = `${target}.bak`;
    await writeFileAtomic(backupPath, existing, { mode: 0o600 });
  }
  await writeFileAtomic(target, script, { mode: 0o700, dirMode: 0o700 });
  return { path, written: true, script, ...(backupPath ? { backupPath } : {}) };
}

/**
 * The target and remote imsg of a wrapper this module wrote (its `exec ssh … -- <target> <imsg> "$@"`
 * line); undefined for any other script (a hand-written wrapper is only ever read for its host,
 * remote-host.ts).
 */
export async function readOwnWrapper(path: string): Promise<{ target: string; remoteCliPath: string } | undefined> {
  let text: string | undefined;
  try {
    text = await readFileIfExists(path);
  } catch {
    return undefined;
  }
  const match = text === undefined || text.length > 64 * 1024 ? null : /^exec ssh .* -- (\S+) (\S+) "\$@"$/m.exec(text);
  if (!match) return undefined;
  try {
    return { target: checkSshTarget(match[1]!), remoteCliPath: checkRemotePath(match[2]!) };
  } catch {
    return undefined;
  }
}
