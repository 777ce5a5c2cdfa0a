// Tests an SSH target for an account whose imsg runs as another Mac user (this Mac or another),
// step by step, the way the wrapper will use it: reach the host, trust its key, log in with a key,
// find imsg there, its `rpc` support, and whether it may read chat.db there (Full Disk Access).
// The first failing step carries the exact fix; the steps after it are `unknown`.
//
// Three ssh runs, each an argv array (ssh-wrapper.ts sshArgv): `imsg --version`, `imsg rpc --help`,
// `imsg chats --limit 1 --json` on the far side. ssh's own stderr tells which of the first steps
// failed (OpenSSH's wording, which is stable across versions).
import { spawn } from 'node:child_process';
import type { SetupFix, SshStep, SshStepId, SshTestResult } from '../../contract/setup';
import { DEFAULT_REMOTE_IMSG_PATH } from '../../contract/setup';
import { NO_RPC_ERROR, parseImsgVersion } from './probe';
import { PERMISSION_TEXT_PATTERN } from './rpc-client';
import { checkRemotePath, checkSshTarget, sshArgv, sshHost, SshInputError } from './ssh-wrapper';

const STEP_ORDER: readonly SshStepId[] = ['target', 'connect', 'host-key', 'login', 'imsg', 'rpc', 'full-disk-access'];
/** One ssh run: ConnectTimeout (5 s) plus a slow login and imsg's own start. */
const DEFAULT_RUN_TIMEOUT_MS = 15_000;
const MAX_OUTPUT = 64 * 1024;

export interface SshCheckOptions {
  target: string;
  remoteCliPath?: string;
  /** chat.db on the far side (the account's dbPath), when not the default. */
  dbPath?: string;
  /** Environment of the ssh processes (PATH finds ssh; the gateway's own environment by default). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface SshRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  spawnError?: NodeJS.ErrnoException;
}

/** A failed step as ssh's output shows it, or undefined when ssh itself got through (the remote command ran). */
export function classifySshRun(run: SshRun, target: string): { id: SshStepId; state: SshStep['state']; detail: string; fix?: SetupFix } | undefined {
  const host = sshHost(target);
  const said = lastLines(run.stderr) || lastLines(run.stdout);
  if (run.spawnError) {
    if (run.spawnError.code === 'ENOENT') return { id: 'connect', state: 'missing', detail: 'ssh is not installed on this machine', fix: { text: 'Install the OpenSSH client (on macOS it is always there).' } };
    return { id: 'connect', state: 'unknown', detail: `could not start ssh: ${run.spawnError.message}` };
  }
  const reach = (state: SshStep['state'], detail: string, text: string) => ({ id: 'connect' as const, state, detail, fix: { text } });
  if (/could not resolve hostname|name or service not known|nodename nor servname/i.test(run.stderr)) {
    return reach('missing', `${host} was not found: ${said}`, `Check the host name (for a Tailscale name, that Tailscale is connected on both machines), then test again.`);
  }
  if (/connection refused/i.test(run.stderr)) {
    return reach('denied', `${host} refused the connection: ${said}`, `Turn on Remote Login on that Mac (System Settings › General › Sharing › Remote Login, for ${target.split('@')[0]}), then test again.`);
  }
  if (run.timedOut || /timed out|no route to host|network is unreachable|host is down/i.test(run.stderr)) {
    return reach('unknown', `${host} did not answer${said ? `: ${said}` : ' in time'}`, 'Check the host name, that the Mac is awake and on the network (Tailscale connected), then test again.');
  }
  if (/remote host identification has changed/i.test(run.stderr)) {
    return { id: 'host-key', state: 'denied', detail: `the host key of ${host} changed since it was trusted: ${matching(run.stderr, /identification has changed/i)}`, fix: { text: `If that Mac was reinstalled or replaced, forget its old key, then trust the new one with \`ssh ${target} true\`.`, command: `ssh-keygen -R ${host}` } };
  }
  if (/host key verification failed|no .*host key is known/i.test(run.stderr)) {
    return { id: 'host-key', state: 'missing', detail: `the host key of ${host} is not known yet (${said})`, fix: { text: 'Connect once in Terminal and answer "yes" to trust that Mac, then test again.', command: `ssh ${target} true` } };
  }
  if (/permission denied/i.test(run.stderr)) {
    return {
      id: 'login',
      state: 'denied',
      detail: `${target} refused the login: ${matching(run.stderr, /permission denied/i)}`,
      fix: { text: `Log in with a key: create one if you have none (\`ssh-keygen -t ed25519\`), then copy it to that user with \`ssh-copy-id ${target}\` (asks for the password once), then test again.`, command: `ssh-copy-id ${target}` },
    };
  }
  // 255 is ssh's own failure; anything else is the remote command's exit.
  if (run.code === 255) return reach('unknown', `ssh failed: ${said || 'exit 255'}`, 'Run `ssh -v ' + target + ' true` in Terminal to see why.');
  return undefined;
}

/** Runs every step in order; stops at the first failure. */
export async function testSshTarget(options: SshCheckOptions): Promise<SshTestResult> {
  const steps: SshStep[] = [];
  const finish = (): SshTestResult => {
    for (const id of STEP_ORDER) if (!steps.some((step) => step.id === id)) steps.push({ id, state: 'unknown', detail: 'not checked (an earlier step failed)' });
    steps.sort((a, b) => STEP_ORDER.indexOf(a.id) - STEP_ORDER.indexOf(b.id));
    return { ok: steps.every((step) => step.state === 'ok'), steps, remoteHost: target ?? null };
  };
  let target: string | undefined;
  let remote: string;
  try {
    target = checkSshTarget(options.target);
    remote = checkRemotePath(options.remoteCliPath ?? DEFAULT_REMOTE_IMSG_PATH);
  } catch (error) {
    if (!(error instanceof SshInputError)) throw error;
    steps.push({ id: error.field === 'remoteCliPath' ? 'imsg' : 'target', state: 'denied', detail: error.message, fix: { text: 'Correct it and test again.' } });
    if (error.field === 'remoteCliPath') steps.push({ id: 'target', state: 'ok', detail: `${options.target} is a valid SSH target` });
    return finish();
  }
  steps.push({ id: 'target', state: 'ok', detail: `${target} is a valid SSH target` });
  const run = (args: string[]) => runSsh(sshArgv(target!, remote, args), options.env ?? process.env, options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS);

  // 1. Reach, host key, login, and imsg there: `imsg --version`.
  const version = await run(['--version']);
  const failed = classifySshRun(version, target);
  if (failed) {
    for (const id of STEP_ORDER.slice(1, STEP_ORDER.indexOf(failed.id))) steps.push({ id, state: 'ok', detail: passedDetail(id, target) });
    steps.push({ id: failed.id, state: failed.state, detail: failed.detail, ...(failed.fix ? { fix: failed.fix } : {}) });
    return finish();
  }
  for (const id of ['connect', 'host-key', 'login'] as const) steps.push({ id, state: 'ok', detail: passedDetail(id, target) });
  const host = sshHost(target);
  if (version.code !== 0) {
    const notFound = version.code === 127 || /not found|no such file/i.test(version.stderr + version.stdout);
    steps.push({
      id: 'imsg',
      state: notFound ? 'missing' : 'unknown',
      detail: notFound ? `imsg is not at ${remote} on ${host}: ${lastLines(version.stderr) || `exit ${version.code}`}` : `\`${remote} --version\` failed on ${host}: ${lastLines(version.stderr) || lastLines(version.stdout) || `exit ${version.code}`}`,
      fix: {
        text: `Install imsg on that Mac as ${target.split('@')[0]} (\`brew install steipete/tap/imsg\`), or give the path \`which imsg\` prints there.`,
        command: 'brew install steipete/tap/imsg',
      },
    });
    return finish();
  }
  const imsgVersion = parseImsgVersion(version.stdout);
  steps.push({ id: 'imsg', state: 'ok', detail: `imsg ${imsgVersion ?? '(version unknown)'} at ${remote} on ${host}` });

  // 2. rpc support (spec imsg-protocol §4.2: exit 0 and the rpc help itself).
  const help = await run(['rpc', '--help']);
  const firstLine = help.stdout.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
  if (help.code !== 0 || (firstLine !== 'imsg rpc' && !help.stdout.includes('Run JSON-RPC over stdin/stdout'))) {
    steps.push({ id: 'rpc', state: 'missing', detail: `${NO_RPC_ERROR} (imsg ${imsgVersion ?? '?'} on ${host})`, fix: { text: "Upgrade imsg on that Mac (the 'rpc' subcommand needs 0.3.0 or later), then test again.", command: 'brew upgrade steipete/tap/imsg' } });
    return finish();
  }
  steps.push({ id: 'rpc', state: 'ok', detail: '`imsg rpc --help` printed the rpc help' });

  // 3. chat.db there: imsg prints its Full Disk Access banner when it may not read it.
  const chats = await run(['chats', '--limit', '1', '--json', ...(options.dbPath ? ['--db', checkRemotePath(options.dbPath)] : [])]);
  const output = `${chats.stdout}\n${chats.stderr}`;
  if (chats.code === 0) {
    steps.push({ id: 'full-disk-access', state: 'ok', detail: `imsg read chat.db on ${host}` });
  } else if (PERMISSION_TEXT_PATTERN.test(output) || /unable to open database|cannot open database/i.test(output)) {
    steps.push({ id: 'full-disk-access', state: 'denied', detail: `imsg cannot read chat.db on ${host}: ${lastLines(chats.stdout.split('\n').slice(0, 1).join('\n')) || lastLines(output)}`, fix: remoteFullDiskAccessFix(target) });
  } else {
    steps.push({ id: 'full-disk-access', state: 'unknown', detail: `\`imsg chats\` failed on ${host}: ${lastLines(output) || `exit ${chats.code}`}` });
  }
  return finish();
}

/** Full Disk Access on the far side: for imsg run over SSH it belongs to Remote Login there. */
export function remoteFullDiskAccessFix(target: string): SetupFix {
  return {
    text:
      `On that Mac, let SSH sessions read chat.db: System Settings › General › Sharing › Remote Login (i) › turn on "Allow full disk access for remote users" (older macOS: add /usr/libexec/sshd-keygen-wrapper under Privacy & Security › Full Disk Access). ` +
      `Also make sure ${target.split('@')[0]} has opened Messages and signed in. Then test again.`,
    settingsPath: 'System Settings › General › Sharing › Remote Login › Allow full disk access for remote users',
  };
}

function passedDetail(id: SshStepId, target: string): string {
  const host = sshHost(target);
  if (id === 'connect') return `${host} answered on the SSH port`;
  if (id === 'host-key') return `the host key of ${host} is known`;
  return `logged in as ${target.split('@')[0]} with a key`;
}

function lastLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-2)
    .join(' / ')
    .slice(0, 300);
}

function matching(text: string, pattern: RegExp): string {
  return (text.split('\n').find((line) => pattern.test(line)) ?? text).trim().slice(0, 300);
}

function runSsh(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<SshRun> {
  return new Promise((resolve) => {
    const child = spawn('ssh', args, { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => (spawnError = error));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ...(spawnError ? { spawnError } : {}) });
    });
  });
}
