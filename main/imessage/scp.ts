// Copies one attachment from the remote Mac with `scp` (spec imessage-channel.md #19). The remote
// path comes from chat.db, and its file name is chosen by whoever sent the attachment, so it is
// treated as hostile: only plain absolute paths under the Messages attachments folder are allowed,
// with no shell metacharacters (legacy scp hands the path to a remote shell), no `..`, no control
// characters. scp runs with an argv array, never through a local shell.
import { execFile } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { isValidRemoteHost } from './remote-host';

export const DEFAULT_SCP_TIMEOUT_MS = 60_000;

/** `/Users/<name>/Library/Messages/Attachments/…`: where Messages keeps attachments (and imsg its copies). */
const MESSAGES_ATTACHMENTS = /^\/Users\/[^/]+\/Library\/Messages\/Attachments\/./;

export type ScpErrorKind = 'invalid-host' | 'invalid-path' | 'failed' | 'timeout';

export class ScpError extends Error {
  override name = 'ScpError';
  constructor(
    message: string,
    readonly kind: ScpErrorKind,
  ) {
    super(message);
  }
}

export interface ScpFetchOptions {
  /** `user@host` or `host` (an alias from ~/.ssh/config works too). */
  remoteHost: string;
  /** Absolute path on the remote Mac. */
  remotePath: string;
  /** Absolute local destination (overwritten). */
  localPath: string;
  /**
   * Extra remote directories files may be copied from, besides Messages' attachments folder
   * (the simulator keeps its attachments under `<sim home>/Library/Messages/Attachments`).
   */
  allowedRoots?: readonly string[];
  /** Default 60 s; scp is killed after that. */
  timeoutMs?: number;
  /** `scp -F <file>`: an ssh config to use instead of ~/.ssh/config (tests). */
  sshConfigFile?: string;
  /** The scp executable (default `scp` from PATH). */
  scpPath?: string;
}

/** Throws ScpError unless `host` is a plain `user@host` / `host`. */
export function validateRemoteHost(host: string): string {
  if (typeof host !== 'string' || !isValidRemoteHost(host)) {
    throw new ScpError(
      `Invalid remoteHost ${JSON.stringify(host)}: expected user@host or host (letters, digits, ".", "_", "-"; not starting with "-"); check channels.imessage.remoteHost`,
      'invalid-host',
    );
  }
  return host;
}

/** Characters a shell would interpret, plus glob characters (scp expands globs in remote paths). */
const SHELL_METACHARACTERS = /[;&|`$<>\\"'*?[\]{}!#~]/;

/**
 * Throws ScpError unless `remotePath` is a plain absolute path under Messages' attachments folder
 * (or one of `allowedRoots`). Spaces and parentheses are allowed: real attachment names have them.
 */
export function validateRemoteAttachmentPath(remotePath: string, allowedRoots: readonly string[] = []): string {
  const reject = (why: string): never => {
    throw new ScpError(`Refusing to copy remote attachment ${JSON.stringify(remotePath)}: ${why}`, 'invalid-path');
  };
  if (typeof remotePath !== 'string' || !remotePath) reject('the path is empty');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(remotePath)) reject('it contains a control character (newline, tab, NUL…)');
  if (!remotePath.startsWith('/')) reject('it is not an absolute path');
  const metachar = SHELL_METACHARACTERS.exec(remotePath);
  if (metachar) reject(`it contains the shell metacharacter ${JSON.stringify(metachar[0])}`);
  const segments = remotePath.split('/').slice(1);
  if (segments.some((s) => s === '..' || s === '.')) reject('it contains a "." or ".." segment');
  if (segments.some((s) => s === '')) reject('it contains an empty segment ("//" or a trailing "/")');
  if (/\s[/-]/.test(remotePath) || /\s$/.test(remotePath) || /\s\s/.test(remotePath)) {
    reject('it has whitespace in a position that would split it into several arguments');
  }
  const roots = allowedRoots.map((root) => root.replace(/\/+$/, ''));
  const underRoot = MESSAGES_ATTACHMENTS.test(remotePath) || roots.some((root) => root && remotePath.startsWith(`${root}/`) && remotePath.length > root.length + 1);
  if (!underRoot) {
    reject(`it is outside the Messages attachments folder (/Users/<name>/Library/Messages/Attachments/${roots.length ? ` or ${roots.join(', ')}` : ''})`);
  }
  return remotePath;
}

/** Copies `remoteHost:remotePath` to `localPath` with scp (batch mode, new host keys accepted). */
export async function scpFetch(options: ScpFetchOptions): Promise<void> {
  const host = validateRemoteHost(options.remoteHost);
  const remotePath = validateRemoteAttachmentPath(options.remotePath, options.allowedRoots);
  if (!isAbsolute(options.localPath)) {
    // A relative local path with a colon would be read by scp as another remote.
    throw new ScpError(`scp destination must be an absolute path (got ${JSON.stringify(options.localPath)})`, 'invalid-path');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_SCP_TIMEOUT_MS;
  const args = [
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `ConnectTimeout=${Math.max(1, Math.min(15, Math.ceil(timeoutMs / 1000)))}`,
    ...(options.sshConfigFile ? ['-F', options.sshConfigFile] : []),
    '--',
    `${host}:${remotePath}`,
    options.localPath,
  ];
  const source = `${host}:${remotePath}`;
  await new Promise<void>((resolve, reject) => {
    execFile(options.scpPath ?? 'scp', args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const detail = String(stderr ?? '').split(/\r?\n/).map((line) => line.trim()).filter(Boolean).slice(-3).join(' / ');
      if (error.killed) {
        return reject(new ScpError(`scp ${source} timed out after ${timeoutMs} ms${detail ? `: ${detail}` : ''}`, 'timeout'));
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        return reject(new ScpError(`scp not found (${options.scpPath ?? 'scp'}); install OpenSSH to copy attachments from ${host}`, 'failed'));
      }
      const status = typeof code === 'number' ? `exit ${code}` : error.signal ? `signal ${error.signal}` : String(code ?? 'error');
      reject(new ScpError(`scp ${source} failed (${status})${detail ? `: ${detail}` : ''}`, 'failed'));
    });
  });
}
