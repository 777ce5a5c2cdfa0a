// JSON-RPC 2.0 client for `imsg rpc` (spec: imsg-protocol.md §1). One child process, one JSON
// object per line in each direction. imsg answers requests one at a time and in order, and writes
// watch notifications in between; it has no timeouts of its own, so every request here has one.
//
// Besides JSON, an old imsg writes plain text on stdout when it cannot start (pre-0.8.2 Full Disk
// Access failures, §1.5). Such lines are logged, kept in a small tail, and checked against the
// permission pattern, so the caller can tell "no Full Disk Access" from an ordinary crash.
//
// `call()` is the typed way in: the method table of contract/imsg.ts gives each method's params,
// and its result schema checks every answer here, in one place; an answer that does not fit fails
// the call as `bad-result`. `request()` is the untyped transport underneath (tests drive fake
// methods with it).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { imsgResultSchemas, type ImsgMethod, type ImsgParams, type ImsgResult } from '../../contract/imsg';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import { LineSplitter, DEFAULT_MAX_LINE_BYTES } from './line-splitter';
import type { ImsgRpc } from './types';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** `send` can wait for Messages.app to launch or an Automation prompt (spec §1.6). */
export const DEFAULT_SEND_TIMEOUT_MS = 60_000;
export const DEFAULT_STOP_GRACE_MS = 500;

/** Spec §1.5: how every imsg version words a Full Disk Access failure. */
export const PERMISSION_TEXT_PATTERN = /permission\s+error|authorization\s+denied|full\s+disk\s+access|permissiondenied/i;

/** How many non-JSON stdout lines and stderr lines are kept for diagnosis. */
const TAIL_LINES = 40;
/** Past this many unparseable (or repaired) lines per process, further ones are logged at debug level only. */
const LOUD_PARSE_FAILURES = 20;
const LOG_LINE_PREVIEW = 300;

/** `bad-result`: imsg answered, but not in the shape the method table expects. */
export type ImsgRpcErrorKind = 'rpc' | 'timeout' | 'exited' | 'not-running' | 'write-failed' | 'bad-result';

/** Every way a request can fail. `kind` says which; `code`/`data` are set for `rpc` errors. */
export class ImsgRpcError extends Error {
  override readonly name = 'ImsgRpcError';
  constructor(
    message: string,
    readonly kind: ImsgRpcErrorKind,
    readonly method: string,
    readonly code?: number,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export interface ImsgExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES, ENOEXEC…). */
  spawnError?: NodeJS.ErrnoException;
  /** We asked it to stop (stdin closed / signals sent by `stop()`). */
  expected: boolean;
  /** At least one response or notification arrived before the exit. */
  answered: boolean;
  /** Last non-JSON stdout lines (diagnostic text from old versions). */
  stdoutText: string[];
  /** Last stderr lines (SSH wrappers print their failures here). */
  stderrText: string[];
  /** The non-JSON stdout lines that matched the Full Disk Access pattern, joined. */
  permissionText?: string;
  /** `imsg rpc exited (code 1)` / `(signal SIGKILL)` / `failed to start: …`. */
  description: string;
}

export interface ImsgNotification {
  method: string;
  params: unknown;
}

export interface ImsgRpcClientOptions {
  cliPath: string;
  dbPath?: string;
  /** Environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Default per-request timeout (10 s). */
  requestTimeoutMs?: number;
  /** Default timeout for `send*` methods (60 s). */
  sendTimeoutMs?: number;
  maxLineBytes?: number;
  /** Watch notifications (`message`, `error`) and anything else imsg sends without an id. */
  onNotification?: (notification: ImsgNotification) => void;
  /** Called once when the child is gone (after its output has been read). */
  onExit?: (info: ImsgExitInfo) => void;
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: ImsgRpcError) => void;
  timer: NodeJS.Timeout;
}

/** `<cliPath> rpc [--db <dbPath>]` as an argv array (no shell). */
export function rpcArgs(dbPath?: string): string[] {
  return dbPath ? ['rpc', '--db', dbPath] : ['rpc'];
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `imsg rpc exited (signal ${signal})`;
  if (code !== null) return `imsg rpc exited (code ${code})`;
  return 'imsg rpc closed';
}

function preview(text: string): string {
  return text.length > LOG_LINE_PREVIEW ? `${text.slice(0, LOG_LINE_PREVIEW)}… (${text.length} chars)` : text;
}

function pushBounded(list: string[], line: string): void {
  list.push(line.length > 2000 ? line.slice(0, 2000) : line);
  if (list.length > TAIL_LINES) list.shift();
}

export class ImsgRpcClient implements ImsgRpc {
  private readonly options: ImsgRpcClientOptions;
  private readonly log: Logger;
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitInfo: ImsgExitInfo | undefined;
  private exitWaiters: Array<(info: ImsgExitInfo) => void> = [];
  private stopping = false;
  private answered = false;
  private parseFailures = 0;
  private repairedLines = 0;
  private readonly stdoutText: string[] = [];
  private readonly stderrText: string[] = [];
  private readonly permissionLines: string[] = [];

  constructor(options: ImsgRpcClientOptions) {
    this.options = options;
    this.log = options.logger ?? silentLogger;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** True between a successful spawn and the exit. */
  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  get exited(): ImsgExitInfo | undefined {
    return this.exitInfo;
  }

  /** Requests waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Non-JSON stdout text seen so far that looks like a Full Disk Access failure. */
  get permissionText(): string | undefined {
    return this.permissionLines.length > 0 ? this.permissionLines.join('\n') : undefined;
  }

  /** Spawns the child. Resolves once it is running; rejects if it could not be started. */
  start(): Promise<void> {
    if (this.child) return Promise.reject(new Error('imsg rpc client already started'));
    const { cliPath, dbPath } = this.options;
    const child = spawn(cliPath, rpcArgs(dbPath), {
      env: this.options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;

    const stdout = new LineSplitter(
      {
        line: (text, repaired) => {
          if (repaired) this.onRepairedLine(text);
          this.onStdoutLine(text);
        },
        skipped: (_reason, bytes) => this.log.warn(`imsg rpc: skipped an oversized stdout line (${bytes} bytes)`),
      },
      { maxLineBytes: this.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES },
    );
    const stderr = new LineSplitter(
      {
        line: (text) => {
          if (text.trim() === '') return;
          pushBounded(this.stderrText, text);
          this.log.warn(`imsg rpc: ${preview(text)}`);
        },
        skipped: (reason, bytes) => this.log.warn(`imsg rpc: skipped a stderr line (${reason}, ${bytes} bytes)`),
      },
      { maxLineBytes: 64 * 1024 },
    );
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // EPIPE when the child dies while we write: the exit handler reports it.
    child.stdin.on('error', (error) => this.log.debug('imsg rpc: stdin error', { error: error.message }));

    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let finishTimer: NodeJS.Timeout | undefined;
    const finish = (spawnError?: NodeJS.ErrnoException): void => {
      if (this.exitInfo) return;
      if (finishTimer) clearTimeout(finishTimer);
      stdout.end();
      stderr.end();
      this.onExit(exitCode, exitSignal, spawnError);
    };

    return new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (child.pid === undefined) {
          // Never started: there will be no 'exit'.
          finish(error);
          reject(new Error(`imsg rpc failed to start (${cliPath}): ${error.code ?? error.message}`));
          return;
        }
        this.log.warn('imsg rpc: child process error', { error: error.message });
      });
      child.once('exit', (code, signal) => {
        exitCode = code;
        exitSignal = signal;
        // 'close' follows once stdout/stderr are drained, so every line is read before pending
        // requests are failed. A grandchild holding the pipes open must not keep us waiting.
        finishTimer = setTimeout(() => finish(), 1000);
      });
      child.once('close', () => finish());
    });
  }

  /** A typed request: `params` per the method table, the answer checked by its result schema. */
  async call<M extends ImsgMethod>(method: M, params: ImsgParams<M>, options: { timeoutMs?: number } = {}): Promise<ImsgResult<M>> {
    const raw = await this.request(method, params, options);
    return checkResult(method, raw);
  }

  /** An untyped request: resolves with whatever imsg answered. */
  request(method: string, params: object = {}, options: { timeoutMs?: number } = {}): Promise<unknown> {
    const child = this.child;
    if (!child || this.exitInfo || this.stopping) {
      const why = this.exitInfo ? this.exitInfo.description : this.stopping ? 'imsg rpc is stopping' : 'imsg rpc is not running';
      return Promise.reject(new ImsgRpcError(why, this.exitInfo ? 'exited' : 'not-running', method));
    }
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? (method.startsWith('send') ? (this.options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS) : (this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS));
    const line = `${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new ImsgRpcError(`imsg rpc timeout (${method})`, 'timeout', method));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      child.stdin.write(line, (error) => {
        if (!error) return;
        // The child is gone (or going): leave the request pending so the exit handler rejects it
        // with the real reason (exit code, signal, permission text) instead of a bare EPIPE.
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET') return;
        const entry = this.pending.get(id);
        if (!entry) return;
        this.pending.delete(id);
        clearTimeout(entry.timer);
        reject(new ImsgRpcError(`imsg rpc: could not write ${method} request (${error.message})`, 'write-failed', method));
      });
    });
  }

  /** Resolves when the child has exited (immediately if it already has). */
  waitForExit(): Promise<ImsgExitInfo> {
    if (this.exitInfo) return Promise.resolve(this.exitInfo);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /**
   * Closes stdin (imsg exits at EOF), then escalates: SIGTERM after `graceMs`, SIGKILL after another
   * `graceMs`. Pending requests are rejected right away.
   */
  async stop(options: { graceMs?: number } = {}): Promise<ImsgExitInfo | undefined> {
    const child = this.child;
    if (!child) return undefined;
    if (this.exitInfo) return this.exitInfo;
    const graceMs = options.graceMs ?? DEFAULT_STOP_GRACE_MS;
    this.stopping = true;
    this.rejectAll('imsg rpc stopped', 'not-running');
    child.stdin.end();
    const exited = this.waitForExit();
    const within = (ms: number) => Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
    if (await within(graceMs)) return this.exitInfo;
    child.kill('SIGTERM');
    if (await within(graceMs)) return this.exitInfo;
    this.log.warn('imsg rpc: did not exit after SIGTERM; sending SIGKILL', { pid: child.pid });
    child.kill('SIGKILL');
    await within(2000);
    return this.exitInfo;
  }

  private onStdoutLine(text: string): void {
    // Fast path: every real imsg line is a JSON object.
    const first = text.charCodeAt(0);
    if (first === 0x7b /* { */) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        this.onUnparsed(text, false);
        return;
      }
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        this.answered = true;
        this.onFrame(value as Record<string, unknown>);
        return;
      }
    }
    if (text.trim() === '') return;
    this.onUnparsed(text, first !== 0x7b);
  }

  /** A line with invalid UTF-8: decoded with U+FFFD and handled like any other (see line-splitter.ts). */
  private onRepairedLine(text: string): void {
    this.repairedLines += 1;
    const message = `imsg rpc: a stdout line was not valid UTF-8; read it with replacement characters: ${preview(text)}`;
    if (this.repairedLines <= LOUD_PARSE_FAILURES) this.log.warn(message);
    else this.log.debug(message);
  }

  private onUnparsed(text: string, checkPermission: boolean): void {
    pushBounded(this.stdoutText, text);
    if (checkPermission && PERMISSION_TEXT_PATTERN.test(text)) {
      this.permissionLines.push(text.trim());
      this.log.warn(`imsg rpc: ${preview(text)}`);
      return;
    }
    this.parseFailures += 1;
    const message = `imsg rpc: failed to parse stdout line: ${preview(text)}`;
    if (this.parseFailures <= LOUD_PARSE_FAILURES) this.log.warn(message);
    else this.log.debug(message);
  }

  private onFrame(frame: Record<string, unknown>): void {
    const id = frame.id;
    if (typeof id === 'number' && ('result' in frame || 'error' in frame)) {
      const entry = this.pending.get(id);
      if (!entry) {
        this.log.debug('imsg rpc: answer for an unknown or timed-out request', { id });
        return;
      }
      this.pending.delete(id);
      clearTimeout(entry.timer);
      if ('error' in frame) entry.reject(toRpcError(entry.method, frame.error));
      else entry.resolve(frame.result);
      return;
    }
    if (typeof frame.method === 'string' && id === undefined) {
      this.options.onNotification?.({ method: frame.method, params: frame.params });
      return;
    }
    if ('error' in frame) {
      // id:null errors answer a line imsg could not parse, or are the `write failed` fallback.
      this.log.warn('imsg rpc: error without a request id', { error: frame.error as Record<string, unknown> });
      return;
    }
    this.log.debug('imsg rpc: ignoring unexpected frame', { keys: Object.keys(frame).slice(0, 10) });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException): void {
    const description = spawnError ? `imsg rpc failed to start (${this.options.cliPath}): ${spawnError.code ?? spawnError.message}` : describeExit(code, signal);
    const info: ImsgExitInfo = {
      code,
      signal,
      expected: this.stopping,
      answered: this.answered,
      stdoutText: [...this.stdoutText],
      stderrText: [...this.stderrText],
      description,
    };
    if (spawnError) info.spawnError = spawnError;
    const permissionText = this.permissionText;
    if (permissionText) info.permissionText = permissionText;
    this.exitInfo = info;
    this.rejectAll(description, 'exited');
    // The owner (probe or supervisor) decides how loud an exit is; here it is only traced.
    this.log.debug(description, { pid: this.child?.pid, expected: this.stopping });
    for (const waiter of this.exitWaiters) waiter(info);
    this.exitWaiters = [];
    try {
      this.options.onExit?.(info);
    } catch (error) {
      this.log.error('imsg rpc: exit handler threw', { error: String(error) });
    }
  }

  private rejectAll(message: string, kind: ImsgRpcErrorKind): void {
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      clearTimeout(entry.timer);
      entry.reject(new ImsgRpcError(message, kind, entry.method));
    }
  }
}

/** Applies the method's result schema: the one place imsg's answers are checked. */
export function checkResult<M extends ImsgMethod>(method: M, raw: unknown): ImsgResult<M> {
  const parsed = imsgResultSchemas[method].safeParse(raw);
  if (parsed.success) return parsed.data as ImsgResult<M>;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')}: ${issue.message})` : issue ? ` (${issue.message})` : '';
  throw new ImsgRpcError(`imsg answered ${method} with an unexpected result${where}: ${JSON.stringify(raw)?.slice(0, 200)}`, 'bad-result', method);
}

/** `"<message>: code=<n> <data>"` (the wording users see in logs, spec imessage-channel §1 row 1). */
function toRpcError(method: string, raw: unknown): ImsgRpcError {
  const error = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const code = typeof error.code === 'number' ? error.code : undefined;
  const message = typeof error.message === 'string' && error.message !== '' ? error.message : 'imsg rpc error';
  const data = error.data;
  const dataText = data === undefined ? '' : typeof data === 'string' ? ` ${data}` : ` ${JSON.stringify(data)}`;
  const codeText = code === undefined ? '' : `: code=${code}`;
  return new ImsgRpcError(`${message}${codeText}${dataText}`, 'rpc', method, code, data);
}
