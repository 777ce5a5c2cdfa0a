// Helpers for tests that drive the real simulator executable (sim/bin/imsg): a temp
// chat.db, a JSON-RPC session over the child's stdio, and one-shot command runs.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimDb, simBinPath } from '../../sim/lib';

export { simBinPath };

/** Environment for a simulator child: the caller's env minus any IMSG_* settings, plus fast test timings. */
export function simEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('IMSG_')) env[key] = value;
  return { ...env, IMSG_SIM_DEBOUNCE_MS: '0', IMSG_SIM_POLL_MS: '250', ...extra };
}

export interface TempDb {
  dir: string;
  dbPath: string;
  db: SimDb;
  cleanup(): void;
}

/** A fresh chat.db in its own temp folder (attachments land under that folder too). */
export function tempDb(options: { me?: string } = {}): TempDb {
  const dir = mkdtempSync(join(tmpdir(), 'imsg-sim-test-'));
  const dbPath = join(dir, 'chat.db');
  const db = SimDb.create(dbPath, { me: options.me ?? '+15550000000' });
  return {
    dir,
    dbPath,
    db,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the simulator once to completion (optionally feeding stdin). */
export function runSim(args: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(simBinPath, args, { env: simEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`imsg ${args.join(' ')} did not finish in ${options.timeoutMs ?? 10_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 10_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

// Parsed output line of `imsg rpc`.
export interface RpcLine {
  jsonrpc?: string;
  id?: unknown;
  result?: any;
  error?: { code: number; message: string; data?: string };
  method?: string;
  params?: any;
}

/** A running `imsg rpc` child with a line reader on its stdout. */
export class RpcSession {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every stdout line, parsed when it is JSON (non-JSON lines are in `noise`). */
  readonly received: RpcLine[] = [];
  readonly noise: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private buffer = Buffer.alloc(0);
  private readonly bySubscription = new Map<number, any[]>();
  private readonly allMessages: any[] = [];
  private nextId = 1;
  private waiters: Array<() => void> = [];

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(simBinPath, ['rpc', ...args], { env: simEnv(env) });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.child.stdin.on('error', () => {}); // the child may die before reading everything (crash tests)
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => {
      this.wake();
      resolve({ code, signal });
    }));
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (let nl = this.buffer.indexOf(0x0a); nl !== -1; nl = this.buffer.indexOf(0x0a)) {
      const line = this.buffer.subarray(0, nl).toString('utf8');
      this.buffer = this.buffer.subarray(nl + 1);
      try {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && ('id' in parsed || 'method' in parsed)) {
          const rpcLine = parsed as RpcLine;
          this.received.push(rpcLine);
          if (rpcLine.method === 'message') {
            const sub = Number(rpcLine.params?.subscription);
            const list = this.bySubscription.get(sub) ?? [];
            list.push(rpcLine.params.message);
            this.bySubscription.set(sub, list);
            this.allMessages.push(rpcLine.params.message);
          }
        } else {
          this.noise.push(line);
        }
      } catch {
        this.noise.push(line);
      }
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  /** Writes one raw line to stdin. */
  writeLine(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Sends a request with a fresh numeric id; returns the id. */
  send(method: string, params?: Record<string, unknown>): number {
    const id = this.nextId++;
    this.writeLine(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params !== undefined && { params }) }));
    return id;
  }

  /** Sends a request and waits for its response. */
  async request(method: string, params?: Record<string, unknown>, timeoutMs = 5000): Promise<RpcLine> {
    const id = this.send(method, params);
    return this.response(id, timeoutMs);
  }

  response(id: unknown, timeoutMs = 5000): Promise<RpcLine> {
    return this.waitFor((line) => 'id' in line && line.method === undefined && JSON.stringify(line.id) === JSON.stringify(id), timeoutMs);
  }

  /** Resolves with the first received line (old or new) matching `predicate`. */
  async waitFor(predicate: (line: RpcLine) => boolean, timeoutMs = 5000): Promise<RpcLine> {
    const deadline = Date.now() + timeoutMs;
    let checked = 0;
    for (;;) {
      // Lines only get appended, so each wake-up checks just the new ones.
      for (; checked < this.received.length; checked++) {
        const line = this.received[checked] as RpcLine;
        if (predicate(line)) return line;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`imsg rpc exited while waiting; stderr: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms; received ${this.received.length} lines; last: ${JSON.stringify(this.received.slice(-3))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** `message` notifications received so far (optionally for one subscription). */
  messages(subscription?: number): any[] {
    return subscription === undefined ? this.allMessages : (this.bySubscription.get(subscription) ?? []);
  }

  /** Waits until at least `count` message notifications arrived (for `subscription`, if given). */
  async waitForMessages(count: number, subscription?: number, timeoutMs = 5000): Promise<any[]> {
    if (this.messages(subscription).length < count) {
      await this.waitFor(() => this.messages(subscription).length >= count, timeoutMs);
    }
    return this.messages(subscription);
  }

  /** Closes stdin (EOF) and waits for the exit. */
  async close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
