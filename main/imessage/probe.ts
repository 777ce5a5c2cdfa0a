// Checks that an iMessage account can work before (and whenever) it is started: the imsg binary
// exists, it has the `rpc` subcommand, it can open chat.db, and `imsg rpc` answers. Every failure
// is classified: *fatal* when retrying cannot help (missing binary, imsg too old, no Full Disk
// Access, SSH wrapper cannot log in) or *transient* (timeouts, crashes), and carries the exact fix.
// The classification helpers are shared with the supervisor, which meets the same failures later.
import { spawn } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { ProbeCheck, ProbeCheckId, ProbeResult } from '../../contract/gateway-api';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import { ImsgRpcClient, ImsgRpcError, PERMISSION_TEXT_PATTERN, type ImsgExitInfo, type ImsgRpcClientOptions } from './rpc-client';

export const DEFAULT_PROBE_TIMEOUT_MS = 5000;
/**
 * `--version` and `rpc --help` need little time of their own, but through an SSH wrapper each is a
 * login (the connect, then the far side's shell start-up), which can take seconds: bounded by the
 * probe timeout, up to this.
 */
const CLI_STEP_MAX_MS = 15_000;
const MAX_CAPTURE_BYTES = 256 * 1024;

export const INSTALL_FIX = 'Install imsg with `brew install steipete/tap/imsg`, or set channels.imessage.cliPath to the full path of imsg (or of your SSH wrapper script).';
export const UPGRADE_FIX = "Upgrade imsg with `brew upgrade steipete/tap/imsg` (the 'rpc' subcommand needs imsg 0.3.0 or later).";
export const NO_RPC_ERROR = "imsg CLI does not support 'rpc' subcommand";

/** A classified failure: what went wrong, what to do, and whether a restart can help. */
export interface ImsgFailure {
  check: ProbeCheckId;
  message: string;
  fix?: string;
  fatal: boolean;
}

export interface FailureContext {
  cliPath: string;
  dbPath?: string;
}

export function fullDiskAccessFix(ctx: FailureContext): string {
  const imsg = ctx.cliPath;
  let fix =
    `Grant Full Disk Access to the app that runs the gateway (Clawdbot, or the terminal / Node you started it from) and to imsg (${imsg}): ` +
    'System Settings → Privacy & Security → Full Disk Access. Then restart the gateway (or press Retry).';
  if (ctx.dbPath) fix += ` Also check that channels.imessage.dbPath (${ctx.dbPath}) exists: a missing chat.db fails the same way.`;
  return fix;
}

function fullDiskAccessFailure(detail: string, ctx: FailureContext): ImsgFailure {
  const firstLine = detail.split('\n').find((line) => line.trim() !== '')?.trim() ?? detail;
  return {
    check: 'database',
    message: `imsg cannot read the Messages database (Full Disk Access denied): ${firstLine}`,
    fix: fullDiskAccessFix(ctx),
    fatal: true,
  };
}

/** SSH wrapper failures (stderr of `ssh`) that a restart cannot fix. */
export function classifySshFailure(text: string, check: ProbeCheckId, ctx: FailureContext): ImsgFailure | undefined {
  const wrapper = `the SSH wrapper ${ctx.cliPath}`;
  if (/permission denied \((publickey|password|keyboard-interactive)|permission denied, please try again/i.test(text)) {
    return {
      check,
      message: `SSH login refused for ${wrapper}: ${matchLine(text, /permission denied/i)}`,
      fix: `Set up key-based SSH login for the user in ${ctx.cliPath} (ssh-keygen, then ssh-copy-id user@host), test it with \`ssh -T user@host imsg --version\`, then press Retry.`,
      fatal: true,
    };
  }
  if (/host key verification failed|remote host identification has changed/i.test(text)) {
    return {
      check,
      message: `SSH host key check failed for ${wrapper}: ${matchLine(text, /host key|identification/i)}`,
      fix: 'Accept the remote Mac\'s host key once by running `ssh user@host` in a terminal (or fix ~/.ssh/known_hosts if the host changed), then press Retry.',
      fatal: true,
    };
  }
  if (/could not resolve hostname/i.test(text)) {
    return {
      check,
      message: `SSH cannot resolve the host in ${wrapper}: ${matchLine(text, /could not resolve/i)}`,
      fix: `Check the host name in ${ctx.cliPath} (and your network / Tailscale connection), then press Retry.`,
      fatal: true,
    };
  }
  return undefined;
}

function matchLine(text: string, pattern: RegExp): string {
  return (text.split('\n').find((line) => pattern.test(line)) ?? text).trim().slice(0, 300);
}

const UNKNOWN_COMMAND = /unknown (sub)?command/i;
const CANNOT_OPEN_PATTERN = /unable to open database|cannot open database/i;

/** Why an `imsg rpc` process ended before (or while) it was useful. */
export function classifyExit(info: ImsgExitInfo, ctx: FailureContext): ImsgFailure {
  if (info.spawnError) return classifySpawnError(info.spawnError, ctx);
  if (info.permissionText) return fullDiskAccessFailure(info.permissionText, ctx);
  const stderr = info.stderrText.join('\n');
  const ssh = classifySshFailure(stderr, 'rpc-answers', ctx);
  if (ssh) return ssh;
  const output = [...info.stdoutText, ...info.stderrText].join('\n');
  if (UNKNOWN_COMMAND.test(output) && /rpc/i.test(output)) {
    return { check: 'rpc-support', message: NO_RPC_ERROR, fix: UPGRADE_FIX, fatal: true };
  }
  if (info.code === 127 && /command not found|no such file/i.test(output)) {
    return { check: 'binary', message: `imsg not found on the other side of ${ctx.cliPath}: ${matchLine(output, /not found|no such file/i)}`, fix: INSTALL_FIX, fatal: true };
  }
  const last = info.stderrText.at(-1) ?? info.stdoutText.at(-1);
  return { check: 'rpc-answers', message: last ? `${info.description}: ${last.trim().slice(0, 300)}` : info.description, fatal: false };
}

function classifySpawnError(error: NodeJS.ErrnoException, ctx: FailureContext): ImsgFailure {
  if (error.code === 'ENOENT') return { check: 'binary', message: `imsg not found (${ctx.cliPath})`, fix: INSTALL_FIX, fatal: true };
  if (error.code === 'EACCES') return { check: 'binary', message: `imsg is not executable (${ctx.cliPath})`, fix: `Make it executable: chmod +x ${ctx.cliPath}`, fatal: true };
  if (error.code === 'ENOEXEC') {
    return { check: 'binary', message: `${ctx.cliPath} is not a program this system can run (ENOEXEC)`, fix: `Point channels.imessage.cliPath at the imsg binary or a script with a #! line. ${INSTALL_FIX}`, fatal: true };
  }
  return { check: 'binary', message: `could not start ${ctx.cliPath}: ${error.code ?? error.message}`, fatal: false };
}

/** A failed request on a running client (the `exited` kind is classified with `classifyExit`). */
export function classifyRequestError(error: unknown, ctx: FailureContext): ImsgFailure {
  if (error instanceof ImsgRpcError) {
    if (error.kind === 'rpc') {
      const data = typeof error.data === 'string' ? error.data : '';
      if (PERMISSION_TEXT_PATTERN.test(data)) return fullDiskAccessFailure(data, ctx);
      // imsg maps these open errors to the permission banner (spec §1.5); a wording without the
      // banner (e.g. a missing directory) is the same problem: chat.db cannot be opened.
      if (CANNOT_OPEN_PATTERN.test(data)) return fullDiskAccessFailure(data, ctx);
      return { check: 'rpc-answers', message: error.message, fatal: false };
    }
    if (error.kind === 'timeout') return { check: 'rpc-answers', message: `${error.message}: imsg did not answer`, fatal: false };
    return { check: 'rpc-answers', message: error.message, fatal: false };
  }
  return { check: 'rpc-answers', message: error instanceof Error ? error.message : String(error), fatal: false };
}

// ---------------------------------------------------------------------------------------------
// Finding the executable
// ---------------------------------------------------------------------------------------------

export type ResolvedExecutable = { ok: true; path: string } | { ok: false; reason: 'missing' | 'not-executable' | 'not-a-file'; path?: string };

function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  if (path === '~') return env.HOME ?? homedir();
  if (path.startsWith('~/')) return join(env.HOME ?? homedir(), path.slice(2));
  return path;
}

async function checkExecutable(path: string): Promise<ResolvedExecutable> {
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) return { ok: false, reason: 'not-a-file', path };
  } catch {
    return { ok: false, reason: 'missing', path };
  }
  try {
    await fs.access(path, fsConstants.X_OK);
    return { ok: true, path };
  } catch {
    return { ok: false, reason: 'not-executable', path };
  }
}

/**
 * A path-like value (absolute, relative, `~`) is checked directly; a bare name is looked up in
 * `env.PATH` here in JS (no `which` child process).
 */
export async function resolveExecutable(cliPath: string, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedExecutable> {
  const expanded = expandHome(cliPath, env);
  if (expanded.includes('/') || expanded.startsWith('.')) return checkExecutable(isAbsolute(expanded) ? expanded : resolve(expanded));
  let firstProblem: ResolvedExecutable | undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const found = await checkExecutable(join(dir, expanded));
    if (found.ok) return found;
    if (found.reason !== 'missing') firstProblem ??= found;
  }
  return firstProblem ?? { ok: false, reason: 'missing' };
}

// ---------------------------------------------------------------------------------------------
// One-shot commands (`--version`, `rpc --help`)
// ---------------------------------------------------------------------------------------------

interface CommandOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  spawnError?: NodeJS.ErrnoException;
}

function runCommand(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CommandOutcome> {
  return new Promise((resolvePromise) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      if (outBytes < MAX_CAPTURE_BYTES) out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errBytes < MAX_CAPTURE_BYTES) err.push(chunk);
      errBytes += chunk.length;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const outcome: CommandOutcome = { code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut };
      if (spawnError) outcome.spawnError = spawnError;
      resolvePromise(outcome);
    });
  });
}

export function parseImsgVersion(output: string): string | undefined {
  const firstLine = output.split('\n').find((line) => line.trim() !== '')?.trim();
  if (!firstLine) return undefined;
  const semver = /(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)/.exec(firstLine);
  if (semver) return semver[1];
  return firstLine.length <= 40 ? firstLine : undefined;
}

/** Spec §4.2: exit 0 and the rpc help itself (an old imsg prints its root help and exits 0). */
function checkRpcHelp(outcome: CommandOutcome, ctx: FailureContext): ProbeCheck & { failure?: ImsgFailure } {
  const output = `${outcome.stdout}\n${outcome.stderr}`;
  const firstLine = outcome.stdout.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
  if (outcome.spawnError) {
    const failure = classifySpawnError(outcome.spawnError, ctx);
    return { id: 'rpc-support', ok: false, detail: failure.message, ...(failure.fix ? { fix: failure.fix } : {}), failure };
  }
  if (outcome.timedOut) {
    const failure: ImsgFailure = { check: 'rpc-support', message: '`imsg rpc --help` did not finish in time', fatal: false };
    return { id: 'rpc-support', ok: false, detail: failure.message, failure };
  }
  if (outcome.code === 0 && (firstLine === 'imsg rpc' || output.includes('Run JSON-RPC over stdin/stdout'))) {
    return { id: 'rpc-support', ok: true, detail: '`imsg rpc --help` printed the rpc help' };
  }
  const ssh = classifySshFailure(outcome.stderr, 'rpc-support', ctx);
  if (ssh) return { id: 'rpc-support', ok: false, detail: ssh.message, ...(ssh.fix ? { fix: ssh.fix } : {}), failure: ssh };
  if (outcome.code === 0 || UNKNOWN_COMMAND.test(output)) {
    const seen = outcome.code === 0 ? `printed "${firstLine.slice(0, 60)}" instead of the rpc help` : matchLine(output, UNKNOWN_COMMAND);
    const failure: ImsgFailure = { check: 'rpc-support', message: NO_RPC_ERROR, fix: UPGRADE_FIX, fatal: true };
    return { id: 'rpc-support', ok: false, detail: `${NO_RPC_ERROR}: \`imsg rpc --help\` ${outcome.code === 0 ? seen : `said: ${seen}`}`, fix: UPGRADE_FIX, failure };
  }
  const exitFailure = classifyExit(
    { code: outcome.code, signal: outcome.signal, expected: false, answered: false, stdoutText: outcome.stdout.split('\n').filter(Boolean).slice(-5), stderrText: outcome.stderr.split('\n').filter(Boolean).slice(-5), description: `\`imsg rpc --help\` failed (code ${outcome.code ?? outcome.signal})` },
    ctx,
  );
  const failure = { ...exitFailure, check: 'rpc-support' as const };
  return { id: 'rpc-support', ok: false, detail: failure.message, ...(failure.fix ? { fix: failure.fix } : {}), failure };
}

// ---------------------------------------------------------------------------------------------
// The probe
// ---------------------------------------------------------------------------------------------

export interface ProbeOptions {
  cliPath: string;
  dbPath?: string;
  /** Bound for each step (each child process, and the `chats.list` answer). Default 5 s. */
  timeoutMs?: number;
  /** Environment of the imsg child processes (default: this process's). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /**
   * Skip `--version` and `rpc --help`: the caller already checked this binary (the supervisor does
   * this on restarts after a crash; a config change or Retry checks again).
   */
  skipCliChecks?: { imsgVersion?: string };
}

export interface ProbeAndConnectOptions extends ProbeOptions {
  /** Options for the rpc client that is kept running on success. */
  client?: Pick<ImsgRpcClientOptions, 'onNotification' | 'onExit' | 'requestTimeoutMs' | 'sendTimeoutMs' | 'maxLineBytes' | 'logger'>;
}

/** Runs every check; the rpc client used for the last one is always stopped. */
export async function probeImsg(options: ProbeOptions): Promise<ProbeResult> {
  const { result, client } = await probeAndConnect(options);
  await client?.stop();
  return result;
}

/**
 * Like `probeImsg`, but on success hands over the running `imsg rpc` client that answered
 * `chats.list`, so the caller can subscribe on it without spawning a second process.
 */
export async function probeAndConnect(options: ProbeAndConnectOptions): Promise<{ result: ProbeResult; client?: ImsgRpcClient }> {
  const started = Date.now();
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const log = options.logger ?? silentLogger;
  const ctx: FailureContext = { cliPath: options.cliPath, ...(options.dbPath ? { dbPath: options.dbPath } : {}) };
  const checks: ProbeCheck[] = [];
  let imsgVersion = options.skipCliChecks?.imsgVersion;

  const finish = (failure?: ImsgFailure): ProbeResult => {
    const result: ProbeResult = { ok: !failure, fatal: failure?.fatal ?? false, checks, durationMs: Date.now() - started, at: new Date().toISOString() };
    if (failure) result.error = failure.message;
    if (failure?.fix) result.fix = failure.fix;
    if (imsgVersion) result.imsgVersion = imsgVersion;
    return result;
  };
  const fail = (failure: ImsgFailure, detail = failure.message): ProbeResult => {
    checks.push({ id: failure.check, ok: false, detail, ...(failure.fix ? { fix: failure.fix } : {}) });
    return finish(failure);
  };

  // 1. The binary.
  const binary = await resolveExecutable(options.cliPath, env);
  if (!binary.ok) {
    if (binary.reason === 'not-executable') return { result: fail({ check: 'binary', message: `imsg is not executable (${binary.path})`, fix: `Make it executable: chmod +x ${binary.path}`, fatal: true }) };
    if (binary.reason === 'not-a-file') return { result: fail({ check: 'binary', message: `imsg path is not a file (${binary.path})`, fix: INSTALL_FIX, fatal: true }) };
    return { result: fail({ check: 'binary', message: `imsg not found (${options.cliPath})`, fix: INSTALL_FIX, fatal: true }) };
  }
  const executable = binary.path;
  checks.push({ id: 'binary', ok: true, detail: executable === options.cliPath ? `found ${executable}` : `found ${options.cliPath} at ${executable}` });

  // 2. Version (best effort) and rpc support, and 3. the rpc process itself, all at once: each is
  // a process start (tens of milliseconds for a native imsg, more through SSH), and start-up time is
  // a product goal. If the cheap checks fail, the speculatively started rpc process is stopped.
  const clientOptions = options.client ?? {};
  const client = new ImsgRpcClient({ ...clientOptions, logger: clientOptions.logger ?? log, cliPath: executable, ...(options.dbPath ? { dbPath: options.dbPath } : {}), env });
  const clientStarted = client.start().then(
    () => true,
    () => false,
  );
  if (!options.skipCliChecks) {
    const stepMs = Math.min(timeoutMs, CLI_STEP_MAX_MS);
    const [version, help] = await Promise.all([runCommand(executable, ['--version'], env, stepMs), runCommand(executable, ['rpc', '--help'], env, stepMs)]);
    if (version.code === 0) imsgVersion = parseImsgVersion(version.stdout);
    const rpcSupport = checkRpcHelp(help, ctx);
    const { failure, ...check } = rpcSupport;
    checks.push(check);
    if (failure) {
      if (await clientStarted) await client.stop();
      return { result: finish(failure) };
    }
  }

  // 3. chat.db and the rpc loop: `chats.list {limit:1}` is the cheapest real request.
  if (!(await clientStarted)) {
    const info = await client.waitForExit();
    return { result: fail(classifyExit(info, ctx)) };
  }
  const askedAt = Date.now();
  let hasChats: boolean;
  try {
    const answer = await client.request('chats.list', { limit: 1 }, { timeoutMs });
    // No chat at all: Messages is not signed in to iMessage (or was never used). The setup checks say so.
    hasChats = Array.isArray((answer as { chats?: unknown } | null)?.chats) && (answer as { chats: unknown[] }).chats.length > 0;
  } catch (error) {
    let failure: ImsgFailure;
    if (error instanceof ImsgRpcError && error.kind === 'exited') {
      failure = classifyExit(await client.waitForExit(), ctx);
    } else if (error instanceof ImsgRpcError && error.kind === 'timeout') {
      // A pre-0.8.2 imsg may have printed the permission text and be on its way out.
      const permission = client.permissionText;
      failure = permission
        ? fullDiskAccessFailure(permission, ctx)
        : {
            check: 'rpc-answers',
            message: `imsg rpc did not answer chats.list within ${timeoutMs} ms`,
            fix: 'If macOS is showing a Contacts or Full Disk Access prompt, answer it. Otherwise check that `imsg chats --limit 1` works in a terminal.',
            fatal: false,
          };
    } else {
      failure = classifyRequestError(error, ctx);
    }
    await client.stop();
    return { result: fail(failure) };
  }
  checks.push({ id: 'database', ok: true, detail: `imsg opened ${options.dbPath ?? '~/Library/Messages/chat.db'}` });
  checks.push({ id: 'rpc-answers', ok: true, detail: `chats.list answered in ${Date.now() - askedAt} ms` });
  return { result: { ...finish(), hasChats }, client };
}
