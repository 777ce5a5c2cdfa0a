// The benchmark's test bench: a temp state dir and simulated chat.db, the instant fake model in
// its own process (so its CPU never counts as the gateway's), optionally the measuring tap
// (bench/imsg-tap.mjs) in front of the simulator, and the real gateway process as users run it
// (`node bin/clawdbot.js gateway --json`), with every stdout log line timestamped on arrival.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccountHealth, HealthResponse, LogRecord } from '../../contract/gateway-api';
import { SimDb, simBinPath } from '../../sim/lib';
import { readInstanceFile } from '../../main/gateway/instance-file';
import { readToken } from '../../main/gateway/auth';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(repoRoot, 'bin', 'clawdbot.js');
const TAP = join(repoRoot, 'bench', 'imsg-tap.mjs');
const MODEL_PROCESS = join(repoRoot, 'test', 'channel', 'fake-model-process.ts');
export const ME = '+15550000000';

/** Extra node arguments for every gateway the benchmark starts (`--profile`: `--cpu-prof …`). */
let defaultNodeArgs: string[] = [];
export function setGatewayNodeArgs(args: string[]): void {
  defaultNodeArgs = args;
}

/**
 * A clock shared by every process on this machine, in ms: CLOCK_MONOTONIC (process.hrtime) is
 * system-wide on Linux and, unlike `performance.timeOrigin + performance.now()`, does not move
 * when the wall clock is adjusted (which made cross-process latencies come out negative on a VM).
 */
export const now = (): number => Number(process.hrtime.bigint()) / 1e6;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TapRecord {
  kind: 'send' | 'message';
  at: number;
  rowid?: number | null;
  chatId?: number | null;
  to?: string | null;
  text?: string;
}

/** Receives the tap's records over a Unix socket and lets the benchmark wait for them. */
class TapListener {
  readonly records: TapRecord[] = [];
  private waiters: { predicate: (r: TapRecord) => boolean; resolve: (r: TapRecord) => void }[] = [];
  private constructor(
    readonly path: string,
    private readonly server: Server,
  ) {}

  static async start(path: string): Promise<TapListener> {
    const server = createServer();
    const listener = new TapListener(path, server);
    server.on('connection', (socket) => {
      let pending = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          listener.add(JSON.parse(pending.slice(0, newline)) as TapRecord);
          pending = pending.slice(newline + 1);
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return listener;
  }

  private add(record: TapRecord): void {
    this.records.push(record);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.predicate(record)) return true;
      waiter.resolve(record);
      return false;
    });
  }

  /** The first record (already seen or future) matching `predicate`. */
  next(predicate: (r: TapRecord) => boolean, timeoutMs = 10_000, from = 0): Promise<TapRecord> {
    const seen = this.records.slice(from).find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tap: nothing matching within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        predicate,
        resolve: (record) => {
          clearTimeout(timer);
          resolve(record);
        },
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface RigOptions {
  /** `channels.imessage` keys besides cliPath/dbPath. */
  imessage?: Record<string, unknown>;
  /** Other top-level config keys (merged over the model config). */
  extra?: Record<string, unknown>;
  /** Put the measuring tap in front of the simulator. */
  tap?: boolean;
  /** The simulator's watch debounce (0 = react at once; 500 = the real imsg). */
  debounceMs?: number;
  /** A fake model answering instantly (default true). */
  model?: boolean;
  /** The program to run as `clawdbot` (default bin/clawdbot.js; experiments compare builds). */
  cli?: string;
}

export interface GatewayRun {
  child: ChildProcess;
  pid: number;
  spawnedAt: number;
  logs: { at: number; record: LogRecord }[];
  /** Resolves with the arrival time of the first log record matching `predicate`. */
  waitForLog(predicate: (record: LogRecord) => boolean, timeoutMs?: number): Promise<{ at: number; record: LogRecord }>;
  exited: Promise<void>;
}

export class BenchRig {
  readonly sim: SimDb;
  private modelChild: ChildProcess | undefined;
  modelUrl: string | undefined;
  tap: TapListener | undefined;
  gateway: GatewayRun | undefined;
  private baseUrl: string | undefined;
  private token: string | undefined;

  private constructor(
    readonly dir: string,
    readonly stateDir: string,
    readonly configPath: string,
    readonly dbPath: string,
    private readonly options: RigOptions,
  ) {
    this.sim = SimDb.create(dbPath, { me: ME });
  }

  static async create(options: RigOptions = {}): Promise<BenchRig> {
    const dir = mkdtempSync(join(tmpdir(), 'clawdbot-bench-'));
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    const rig = new BenchRig(dir, stateDir, join(stateDir, 'clawdbot.json'), join(dir, 'mac', 'Library', 'Messages', 'chat.db'), options);
    // One row from before the gateway: the resume point is real, and it is never answered.
    rig.sim.inject({ from: '+15555559999', text: 'before the gateway' });
    if (options.model !== false) await rig.startModel();
    if (options.tap) rig.tap = await TapListener.start(join(dir, 'tap.sock'));
    rig.writeConfig();
    return rig;
  }

  private async startModel(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', MODEL_PROCESS], { stdio: ['pipe', 'pipe', 'inherit'], cwd: repoRoot });
    this.modelChild = child;
    this.modelUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const line = out.split('\n')[0];
        if (out.includes('\n')) resolve((JSON.parse(line!) as { url: string }).url);
      });
      child.on('exit', () => reject(new Error('the fake model process exited')));
    });
  }

  writeConfig(): void {
    const model = this.modelUrl
      ? {
          agents: { defaults: { model: 'fake/instant' } },
          models: { providers: { fake: { baseUrl: `${this.modelUrl}/v1`, api: 'openai-completions', apiKey: 'test-key', models: [{ id: 'instant' }] } } },
        }
      : {};
    const config = {
      ...model,
      ...this.options.extra,
      channels: { imessage: { cliPath: this.options.tap ? TAP : simBinPath, dbPath: this.dbPath, ...this.options.imessage } },
    };
    writeFileSync(this.configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  }

  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CLAWDBOT_') && !key.startsWith('IMSG_')) env[key] = value;
    return {
      ...env,
      CLAWDBOT_STATE_DIR: this.stateDir,
      CLAWDBOT_CONFIG_PATH: this.configPath,
      IMSG_SIM_DEBOUNCE_MS: String(this.options.debounceMs ?? 0),
      // With the real debounce, the simulator's default 5 s fallback poll (a 1 s poll would pick
      // some messages up before the debounce ends and flatter the figure a user waits).
      IMSG_SIM_POLL_MS: this.options.debounceMs ? '5000' : '1000',
      ...(this.tap ? { IMSG_TAP_TARGET: simBinPath, IMSG_TAP_SOCKET: this.tap.path } : {}),
    };
  }

  /**
   * Spawns `clawdbot gateway --port 0 --json`. `nodeArgs` go to node itself, e.g.
   * `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']` to profile the gateway.
   */
  spawnGateway(extraArgs: string[] = [], nodeArgs: string[] = defaultNodeArgs): GatewayRun {
    const spawnedAt = now();
    const child = spawn(process.execPath, [...nodeArgs, this.options.cli ?? CLI, 'gateway', '--port', '0', '--json', ...extraArgs], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: { at: number; record: LogRecord }[] = [];
    const waiters: { predicate: (r: LogRecord) => boolean; resolve: (entry: { at: number; record: LogRecord }) => void }[] = [];
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const at = now();
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        let record: LogRecord;
        try {
          record = JSON.parse(line) as LogRecord;
        } catch {
          continue;
        }
        const entry = { at, record };
        logs.push(entry);
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i]!.predicate(record)) waiters.splice(i, 1)[0]!.resolve(entry);
        }
      }
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-5000)));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const run: GatewayRun = {
      child,
      pid: child.pid!,
      spawnedAt,
      logs,
      exited,
      waitForLog(predicate, timeoutMs = 20_000) {
        const seen = logs.find((entry) => predicate(entry.record));
        if (seen) return Promise.resolve(seen);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`gateway log: nothing matching within ${timeoutMs} ms\n${logs.slice(-20).map((e) => e.record.msg).join('\n')}\n${stderr}`)), timeoutMs);
          waiters.push({
            predicate,
            resolve: (entry) => {
              clearTimeout(timer);
              resolve(entry);
            },
          });
        });
      },
    };
    this.gateway = run;
    this.baseUrl = undefined;
    return run;
  }

  /** Spawns the gateway and waits until the account listens and the instance file is written. */
  async startGateway(): Promise<GatewayRun> {
    const run = this.spawnGateway();
    await run.waitForLog((r) => r.msg.includes('rpc listening'));
    await run.waitForLog((r) => /^Clawdbot gateway .* listening on /.test(r.msg));
    return run;
  }

  async stopGateway(): Promise<void> {
    const run = this.gateway;
    if (!run) return;
    run.child.kill('SIGTERM');
    await run.exited;
    this.gateway = undefined;
  }

  /** The account's health from GET /health (not rate-limited like the WebSocket). */
  async account(): Promise<AccountHealth> {
    if (!this.baseUrl) {
      const instance = await readInstanceFile(this.stateDir);
      if (!instance) throw new Error('no running gateway');
      this.baseUrl = instance.url;
    }
    this.token ??= (await readToken(this.stateDir))!;
    const response = await fetch(`${this.baseUrl}/health`, { headers: { Authorization: `Bearer ${this.token}` } });
    const body = (await response.json()) as HealthResponse;
    return body.status!.accounts[0]!;
  }

  async uiUrl(): Promise<string> {
    const instance = await readInstanceFile(this.stateDir);
    this.token ??= (await readToken(this.stateDir))!;
    return `${instance!.url}/#token=${encodeURIComponent(this.token)}`;
  }

  async close(): Promise<void> {
    await this.stopGateway().catch(() => undefined);
    if (this.modelChild) {
      this.modelChild.stdin!.end();
      await new Promise((resolve) => this.modelChild!.once('exit', resolve));
    }
    await this.tap?.close();
    this.sim.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
