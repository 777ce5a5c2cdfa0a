// Test support for the gateway and the `clawdbot` CLI as users run them: a temp state dir with a
// config whose iMessage account is the imsg simulator over a temp chat.db, the built CLI
// (`node bin/clawdbot.js …`) run as a child process, and a gateway process in the foreground.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createControlClient, type ControlClient } from '../../contract/control-client';
import type { ControlEvents } from '../../contract/control-api';
import { SimDb, simBinPath, type SentRow } from '../../sim/lib';
import { readInstanceFile, type GatewayInstance } from '../../main/gateway/instance-file';
import { readToken } from '../../main/gateway/auth';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const cliPath = join(repoRoot, 'bin', 'clawdbot.js');
export const ME = '+15550000000';
export { simBinPath };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Workspace {
  dir: string;
  stateDir: string;
  configPath: string;
  dbPath: string;
  sim: SimDb;
  /** Environment for CLI and gateway children: this state dir, a fast simulator, no inherited CLAWDBOT_* / IMSG_*. */
  env: NodeJS.ProcessEnv;
  /** Writes the config file (JSON). Default: `channels.imessage` = the simulator account. */
  writeConfig(config?: Record<string, unknown>): void;
  sent(sinceRowid?: number): SentRow[];
  cleanup(): void;
}

/** A temp state dir (0700) with a simulator chat.db and a config using it. */
export function workspace(options: { imessage?: Record<string, unknown>; extra?: Record<string, unknown>; env?: Record<string, string> } = {}): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'clawdbot-cli-'));
  const stateDir = join(dir, 'state');
  const configPath = join(stateDir, 'clawdbot.json');
  const dbPath = join(dir, 'mac', 'Library', 'Messages', 'chat.db');
  const sim = SimDb.create(dbPath, { me: ME });
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('CLAWDBOT_') && !key.startsWith('IMSG_')) env[key] = value;
  }
  Object.assign(env, { CLAWDBOT_STATE_DIR: stateDir, IMSG_SIM_DEBOUNCE_MS: '0', IMSG_SIM_POLL_MS: '100' }, options.env);

  const ws: Workspace = {
    dir,
    stateDir,
    configPath,
    dbPath,
    sim,
    env,
    writeConfig(config = { channels: { imessage: { cliPath: simBinPath, dbPath, ...options.imessage } }, ...options.extra }) {
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    },
    sent: (sinceRowid) => sim.sent(sinceRowid === undefined ? {} : { sinceRowid }),
    cleanup() {
      sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  ws.writeConfig();
  return ws;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/clawdbot.js <args>` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`clawdbot ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface GatewayProcess {
  child: ChildProcess;
  instance: GatewayInstance;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** A control client with the gateway's token (closed by stop()). */
  client(): Promise<ControlClient>;
  /** SIGTERM (default) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `clawdbot gateway --port 0 …` (no `--port 0` when `args` has a --port or `defaultPort`
 * is false) and waits until its instance file appears.
 */
export async function startGatewayProcess(
  ws: Workspace,
  args: string[] = [],
  options: { timeoutMs?: number; anyPort?: boolean; env?: NodeJS.ProcessEnv; /** Another bin/clawdbot.js (a copy of the checkout). */ cli?: string } = {},
): Promise<GatewayProcess> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const portArgs = args.includes('--port') || options.anyPort === false ? [] : ['--port', '0'];
  const child = spawn(process.execPath, [options.cli ?? cliPath, 'gateway', ...portArgs, ...args], { env: options.env ?? ws.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));

  const deadline = Date.now() + timeoutMs;
  let instance: GatewayInstance | undefined;
  while (!instance) {
    if (gone) throw new Error(`the gateway exited during start-up\nstdout: ${out}\nstderr: ${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the gateway did not start within ${timeoutMs} ms\nstderr: ${err}`);
    }
    const found = await readInstanceFile(ws.stateDir);
    if (found && found.pid === child.pid) instance = found;
    else await sleep(50);
  }
  const clients: ControlClient[] = [];
  return {
    child,
    instance,
    stdout: () => out,
    stderr: () => err,
    exited,
    async client() {
      const token = await readToken(ws.stateDir);
      const client = createControlClient({ url: `${instance.url.replace(/^http/, 'ws')}/ws`, token: token!, WebSocket, clientName: 'test' });
      clients.push(client);
      await client.ready;
      return client;
    },
    async stop(signal = 'SIGTERM') {
      if (!gone) child.kill(signal);
      const exit = await exited;
      for (const client of clients) client.close();
      return exit;
    },
  };
}

/** Polls until `check` returns a value (not undefined/false), failing with `what` after the timeout. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(40);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Records every `event` the client receives, in order. */
export function collect<E extends keyof ControlEvents>(client: ControlClient, event: E): ControlEvents[E][] {
  const seen: ControlEvents[E][] = [];
  client.on(event, (payload) => seen.push(payload));
  return seen;
}
