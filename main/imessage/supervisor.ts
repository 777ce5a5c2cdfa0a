// Keeps one iMessage account's `imsg rpc` process alive and subscribed, and hands every new message
// to the pipeline exactly once.
//
//   stopped → probing → starting → listening ─┬─ transient failure → backing-off → probing …
//                 │                             └─ fatal failure → failed-fatal (waits for retry()/update)
//                 └─ fatal (no imsg, too old, no Full Disk Access, SSH cannot log in) → failed-fatal
//
// Transient failures (the child exits, a liveness request times out, repeated watch errors) restart
// it with exponential backoff and jitter; the backoff resets after a healthy period. Fatal ones
// never loop: the account waits in failed-fatal with the fix until retry(), updateAccount() or a
// new start(). Each attempt (one imsg process) subscribes from the cursor store's watermark
// (watch.ts), and messages are deduplicated by guid and by the cursor (inbound-delivery.ts), so a
// restart neither loses nor repeats one.
//
// Parts: this file is the state machine (start/stop/retry/update, one attempt, failures and
// backoff, liveness, health); watch.ts is an attempt's subscription; inbound-delivery.ts hands
// messages to the pipeline.
//
// Events (the one emitter, contract/emitter.ts): `state` when the state or the last error changes,
// at once; `activity` for a message in or out, often (a burst is thousands): whoever shows health
// coalesces those (channel.ts).
import type { AccountHealth, ChannelError, ChannelState, ProbeResult } from '../../contract/gateway-api';
import { Emitter } from '../../contract/emitter';
import type { ImsgMethod, ImsgParams, ImsgResult } from '../../contract/imsg';
import type { ResolvedImessageAccount } from '../config/types';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from '../util/backoff';
import type { Logger } from '../util/logger';
import { forgetCliCheck, readCliCheck, writeCliCheck } from './cli-check-cache';
import { CursorStore } from './cursor-store';
import { InboundDelivery, type MessageHandler } from './inbound-delivery';
import { classifyExit, classifyRequestError, DEFAULT_PROBE_TIMEOUT_MS, probeAndConnect, type ImsgFailure } from './probe';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SEND_TIMEOUT_MS, DEFAULT_STOP_GRACE_MS, ImsgRpcError, type ImsgExitInfo, type ImsgRpcClient } from './rpc-client';
import type { ImsgRpc } from './types';
import { AttemptWatch, formatDelay, WatchErrorWindow } from './watch';

export interface SupervisorTimings {
  /** Bound for each probe step before a (re)start. */
  probeTimeoutMs: number;
  requestTimeoutMs: number;
  sendTimeoutMs: number;
  /** While listening, a cheap `chats.list {limit:1}` this often proves imsg still answers. */
  livenessIntervalMs: number;
  livenessTimeoutMs: number;
  backoff: BackoffPolicy;
  /** Listening this long without a failure resets the backoff to its first step. */
  healthyResetMs: number;
  /** stop(): time for imsg to exit after stdin closes, and again after SIGTERM. */
  stopGraceMs: number;
  /** stop(): how long to wait for handlers still running before closing the cursor. */
  drainTimeoutMs: number;
}

export const DEFAULT_SUPERVISOR_TIMINGS: SupervisorTimings = {
  probeTimeoutMs: DEFAULT_PROBE_TIMEOUT_MS,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  sendTimeoutMs: DEFAULT_SEND_TIMEOUT_MS,
  livenessIntervalMs: 30_000,
  livenessTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  backoff: DEFAULT_BACKOFF,
  // Listening this long forgives earlier failures: a process that keeps dying within seconds
  // of starting is a crash loop and keeps backing off; an occasional crash restarts at once.
  healthyResetMs: 10_000,
  stopGraceMs: DEFAULT_STOP_GRACE_MS,
  drainTimeoutMs: 5000,
};

/** The AccountHealth fields the supervisor owns (the gateway adds name, enabled, warnings, …). */
export type SupervisorHealth = Pick<
  AccountHealth,
  'accountId' | 'state' | 'since' | 'pid' | 'restarts' | 'retryAt' | 'lastError' | 'lastProbe' | 'imsgVersion' | 'lastInboundAt' | 'lastOutboundAt' | 'lastRowid' | 'cliPath' | 'dbPath'
> & {
  /** Messages handed to the handler and not settled yet. */
  inFlight: number;
  /** While backing off: the delay chosen before the next attempt (retryAt is when it ends). */
  retryDelayMs: number | null;
};

/** What the supervisor tells its listeners. */
export interface SupervisorEvents {
  /** The state or the last error changed: worth showing at once. */
  state: SupervisorHealth;
  /** Only activity changed (a message handed over or settled, a message sent): frequent. */
  activity: void;
}

export interface AccountSupervisorOptions {
  account: ResolvedImessageAccount;
  stateDir: string;
  logger: Logger;
  /** Called once per new message; not awaited inline (chats are processed in parallel). */
  handler: MessageHandler;
  timings?: Partial<SupervisorTimings>;
  /** Environment of the imsg child processes (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Jitter source for the backoff (tests pass a fixed one). */
  random?: () => number;
  /** Size of the guid dedupe LRU. */
  dedupeSize?: number;
}

/** One attempt (one imsg process); events from older attempts are ignored. */
interface Attempt {
  readonly epoch: number;
  /** Its subscription, once the process passed the probe. */
  watch?: AttemptWatch;
}

export class AccountSupervisor {
  private account: ResolvedImessageAccount;
  private readonly stateDir: string;
  private readonly log: Logger;
  private readonly timings: SupervisorTimings;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly random: () => number;

  private state: ChannelState = 'stopped';
  private since = new Date().toISOString();
  private restarts = 0;
  private retryAt: number | null = null;
  private retryDelayMs: number | null = null;
  private lastError: ChannelError | null = null;
  private lastProbe: ProbeResult | null = null;
  private imsgVersion: string | null = null;
  private lastOutboundAt: string | null = null;
  /** Watermark kept for health while the cursor store is closed (stopped). */
  private lastRowid: number | null = null;

  /** True between start() and stop(). */
  private active = false;
  /** Bumped by start/stop/retry/update: async work of an older epoch stands down. */
  private epoch = 0;
  private current: Attempt | undefined;
  private client: ImsgRpcClient | undefined;
  private cursor: CursorStore | undefined;
  private readonly delivery: InboundDelivery;
  /** `--version`/`rpc --help` already passed for this binary: restarts skip them. */
  private cliChecked: { imsgVersion?: string } | undefined;
  /** `cliChecked` came from the cache of an earlier run and has not been proven by this run yet. */
  private cliCheckedFromCache = false;
  /** Remembering passed checks for the next start (not awaited by the attempt; stop() waits for it). */
  private cliCheckWrite: Promise<void> | undefined;
  /** Consecutive failures: the backoff step. */
  private failures = 0;
  private readonly watchErrors = new WatchErrorWindow();
  private attemptDone: Promise<void> | undefined;
  private clientStopping: Promise<unknown> | undefined;
  private livenessBusy = false;

  private restartTimer: NodeJS.Timeout | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  private healthyTimer: NodeJS.Timeout | undefined;
  private readonly events: Emitter<SupervisorEvents>;

  /**
   * Outbound requests go to the live process, from the moment it passed its checks: while
   * 'starting' too, because rows replayed from the resume point can arrive before imsg answers
   * watch.subscribe (imsg answers in order, so they simply queue behind it). They fail clearly
   * while no process is up.
   */
  readonly rpc: ImsgRpc = {
    call: <M extends ImsgMethod>(method: M, params: ImsgParams<M>, options?: { timeoutMs?: number }): Promise<ImsgResult<M>> => {
      const client = this.client;
      const attempt = this.current;
      if ((this.state !== 'listening' && this.state !== 'starting') || !client) return Promise.reject(new ImsgRpcError(this.notConnectedMessage(), 'not-running', method));
      return client.call(method, params, options).catch((error: unknown) => {
        // imsg answers one request at a time, so a request that times out means imsg is stuck
        // (the liveness check stands aside while requests are pending): restart it.
        // (No attempt while stop() drains: then the timeout only fails this request.)
        if (attempt && error instanceof ImsgRpcError && error.kind === 'timeout') {
          this.fail(attempt, { check: 'rpc-answers', message: `imsg rpc stalled: no answer to ${method} within its timeout`, fatal: false });
        }
        throw error;
      });
    },
  };

  constructor(options: AccountSupervisorOptions) {
    this.account = options.account;
    this.stateDir = options.stateDir;
    this.log = options.logger;
    this.timings = { ...DEFAULT_SUPERVISOR_TIMINGS, ...options.timings };
    this.env = options.env;
    this.random = options.random ?? Math.random;
    this.events = new Emitter<SupervisorEvents>((error, event) => this.log.error(`health listener (${String(event)}) threw`, { error: String(error) }));
    this.delivery = new InboundDelivery({
      handler: options.handler,
      logger: this.log,
      accountId: this.account.accountId,
      cursor: () => this.cursor,
      onActivity: () => this.events.emit('activity', undefined),
      ...(options.dedupeSize !== undefined ? { dedupeSize: options.dedupeSize } : {}),
    });
  }

  get accountId(): string {
    return this.account.accountId;
  }

  health(): SupervisorHealth {
    return {
      accountId: this.account.accountId,
      state: this.state,
      since: this.since,
      pid: this.client?.pid ?? null,
      restarts: this.restarts,
      retryAt: this.retryAt === null ? null : new Date(this.retryAt).toISOString(),
      retryDelayMs: this.retryDelayMs,
      lastError: this.lastError,
      lastProbe: this.lastProbe,
      imsgVersion: this.imsgVersion,
      lastInboundAt: this.delivery.lastInboundAt,
      lastOutboundAt: this.lastOutboundAt,
      lastRowid: this.cursor?.watermark ?? this.lastRowid,
      cliPath: this.account.cliPath,
      dbPath: this.account.dbPath ?? null,
      inFlight: this.delivery.inFlight,
    };
  }

  /** Subscribes to `state` or `activity` events; returns the unsubscribe function. */
  on<E extends keyof SupervisorEvents>(event: E, listener: (payload: SupervisorEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Resolves with the first health snapshot (current or future) that satisfies `predicate`.
   * `activity` events are watched too unless `statesOnly` (cheaper, for waits on the state).
   */
  waitFor(predicate: (health: SupervisorHealth) => boolean, timeoutMs = 30_000, statesOnly = false): Promise<SupervisorHealth> {
    const now = this.health();
    if (predicate(now)) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const offs: Array<() => void> = [];
      const done = () => {
        clearTimeout(timer);
        for (const off of offs) off();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`iMessage ${this.accountId}: timed out after ${timeoutMs} ms waiting for a health change (state: ${this.state})`));
      }, timeoutMs);
      const check = (health: SupervisorHealth) => {
        if (!predicate(health)) return;
        done();
        resolve(health);
      };
      offs.push(this.events.on('state', check));
      if (!statesOnly) offs.push(this.events.on('activity', () => check(this.health())));
    });
  }

  /**
   * Waits until the account listens. False when it stops or fails for good first (a fatal error,
   * a stop, the gateway shutting down), or when `deadline` (epoch ms) passes.
   */
  async waitUntilListening(deadline: number): Promise<boolean> {
    const settled = (state: ChannelState): boolean => state === 'listening' || state === 'stopped' || state === 'failed-fatal';
    try {
      const health = await this.waitFor((h) => settled(h.state), Math.max(0, deadline - Date.now()), true);
      return health.state === 'listening';
    } catch {
      return false;
    }
  }

  /** Starts the account; resolves once the first attempt has settled (listening, backing off or failed). */
  async start(): Promise<void> {
    if (this.active) return this.attemptDone;
    this.active = true;
    const epoch = ++this.epoch;
    const { accountId, enabled, configured } = this.account;
    if (!enabled || !configured) {
      this.log.info(`iMessage ${accountId}: ${enabled ? 'enabled' : 'disabled'}, ${configured ? 'configured' : 'not configured'}, stopped`);
      this.setState('stopped');
      return;
    }
    if (!this.cursor) {
      try {
        this.cursor = await CursorStore.open({ stateDir: this.stateDir, accountId, logger: this.log });
      } catch (error) {
        if (epoch !== this.epoch) return;
        this.enterFatal({
          check: 'database',
          message: `cannot open the resume state in ${this.stateDir}: ${(error as Error).message}`,
          fix: `Check that ${this.stateDir} is writable by the user running the gateway.`,
          fatal: true,
        });
        return;
      }
      if (epoch !== this.epoch) return;
      const report = this.cursor.report;
      if (report.corruptPreservedAt || report.corruptReason) {
        this.log.warn(`iMessage ${accountId}: resume state was unreadable (${report.corruptReason}); kept it as ${report.corruptPreservedAt ?? '(not moved)'}; starting from new messages`);
      }
    }
    if (!this.cliChecked) {
      const cached = await readCliCheck(this.stateDir, accountId, this.account.cliPath, this.env ?? process.env);
      if (epoch !== this.epoch) return;
      if (cached) {
        this.cliChecked = cached;
        this.cliCheckedFromCache = true;
      }
    }
    this.attemptDone = this.runAttempt(epoch);
    return this.attemptDone;
  }

  /** Stops: unsubscribes, waits (boundedly) for running handlers, then stops imsg (close stdin, escalate). */
  async stop(): Promise<void> {
    const wasActive = this.active;
    this.active = false;
    this.epoch += 1;
    const subscription = this.current?.watch?.end();
    this.current = undefined;
    this.clearTimers();
    const client = this.client;
    if (client && subscription !== undefined) {
      await client.call('watch.unsubscribe', { subscription }, { timeoutMs: 1000 }).catch(() => undefined);
    }
    // Messages being handled finish while imsg still runs, so their replies can still be sent
    // (new notifications are ignored: `current` is cleared). Then imsg is stopped.
    await this.delivery.drain(this.timings.drainTimeoutMs);
    this.client = undefined;
    await client?.stop({ graceMs: this.timings.stopGraceMs });
    await this.clientStopping;
    await this.attemptDone;
    await this.cliCheckWrite;
    if (this.cursor) {
      this.lastRowid = this.cursor.watermark;
      await this.cursor.close();
    }
    this.cursor = undefined;
    this.retryAt = null;
    this.retryDelayMs = null;
    if (wasActive) this.log.info(`iMessage ${this.accountId}: stopped`);
    this.setState('stopped');
  }

  /** Tries again now: from failed-fatal or backing-off (re-running every probe check). */
  async retry(): Promise<void> {
    if (!this.active) return this.start();
    if (this.state !== 'failed-fatal' && this.state !== 'backing-off') return;
    const epoch = ++this.epoch;
    this.clearTimers();
    this.failures = 0;
    this.cliChecked = undefined;
    this.retryAt = null;
    this.retryDelayMs = null;
    this.attemptDone = this.runAttempt(epoch);
    return this.attemptDone;
  }

  /**
   * Applies a new configuration for this account. The process is restarted only when something
   * it depends on changed (or it is not healthy); policy changes apply without a restart.
   * Resolves true when the process was restarted.
   */
  async updateAccount(next: ResolvedImessageAccount): Promise<boolean> {
    if (next.accountId !== this.account.accountId) {
      throw new Error(`updateAccount: account id changed from ${this.account.accountId} to ${next.accountId}; create a new supervisor instead`);
    }
    const previous = this.account;
    this.account = next;
    const transportChanged =
      previous.cliPath !== next.cliPath ||
      previous.dbPath !== next.dbPath ||
      previous.includeAttachments !== next.includeAttachments ||
      previous.enabled !== next.enabled ||
      previous.configured !== next.configured;
    if (!transportChanged && (this.state === 'listening' || !this.active)) {
      this.emitState();
      return false;
    }
    const wasActive = this.active;
    await this.stop();
    this.cliChecked = undefined;
    this.failures = 0;
    if (wasActive) await this.start();
    return wasActive;
  }

  /** A message went out through `rpc` (the sender reports it): shown as lastOutboundAt. */
  recordOutbound(): void {
    this.lastOutboundAt = new Date().toISOString();
    this.events.emit('activity', undefined);
  }

  // -------------------------------------------------------------------------------------------
  // One attempt: probe (keeping its rpc process), subscribe, listen
  // -------------------------------------------------------------------------------------------

  private async runAttempt(epoch: number): Promise<void> {
    const attempt: Attempt = { epoch };
    this.current = attempt;
    this.retryAt = null;
    this.retryDelayMs = null;
    this.setState('probing');
    await this.clientStopping;
    const { cliPath, dbPath } = this.account;
    let outcome: Awaited<ReturnType<typeof probeAndConnect>>;
    try {
      outcome = await probeAndConnect({
        cliPath,
        ...(dbPath ? { dbPath } : {}),
        timeoutMs: this.timings.probeTimeoutMs,
        ...(this.env ? { env: this.env } : {}),
        logger: this.log,
        ...(this.cliChecked ? { skipCliChecks: this.cliChecked } : {}),
        client: {
          requestTimeoutMs: this.timings.requestTimeoutMs,
          sendTimeoutMs: this.timings.sendTimeoutMs,
          onNotification: (notification) => {
            if (this.current === attempt) attempt.watch?.onNotification(notification);
          },
          onExit: (info) => this.onClientExit(attempt, info),
        },
      });
    } catch (error) {
      outcome = { result: { ok: false, fatal: false, error: `probe failed: ${(error as Error).message}`, checks: [], durationMs: 0, at: new Date().toISOString() } };
    }
    const { result, client } = outcome;
    if (this.current !== attempt) {
      await client?.stop({ graceMs: this.timings.stopGraceMs });
      return;
    }
    this.lastProbe = result;
    if (result.imsgVersion) this.imsgVersion = result.imsgVersion;
    if (!result.ok || !client) {
      const failure: ImsgFailure = { check: 'rpc-answers', message: result.error ?? 'probe failed', fatal: result.fatal, ...(result.fix ? { fix: result.fix } : {}) };
      this.fail(attempt, failure);
      return;
    }
    if (!this.cliChecked) {
      // Full checks passed: remember them for the next start of the gateway.
      const check = this.imsgVersion ? { imsgVersion: this.imsgVersion } : {};
      this.cliCheckWrite = writeCliCheck(this.stateDir, this.accountId, cliPath, check, this.env ?? process.env).catch((error: unknown) =>
        this.log.debug('could not remember the imsg checks', { error: (error as Error).message }),
      );
    }
    this.cliChecked = this.imsgVersion ? { imsgVersion: this.imsgVersion } : {};
    this.cliCheckedFromCache = false;
    this.client = client;
    attempt.watch = this.watchFor(attempt, client);
    this.setState('starting');
    if (!(await attempt.watch.subscribe())) return;
    this.setState('listening');
    this.log.info(`iMessage ${this.accountId}: enabled, configured, rpc listening`, { pid: client.pid, imsgVersion: this.imsgVersion, sinceRowid: this.cursor?.watermark ?? null });
    this.livenessTimer = setInterval(() => this.checkLiveness(attempt), this.timings.livenessIntervalMs);
    this.healthyTimer = setTimeout(() => {
      this.failures = 0;
    }, this.timings.healthyResetMs);
  }

  private watchFor(attempt: Attempt, client: ImsgRpcClient): AttemptWatch {
    return new AttemptWatch({
      accountId: this.accountId,
      logger: this.log,
      client,
      cursor: () => this.cursor,
      includeAttachments: this.account.includeAttachments,
      backoff: this.timings.backoff,
      random: this.random,
      errors: this.watchErrors,
      isCurrent: () => this.current === attempt,
      deliver: (message) => this.delivery.deliver(message),
      fail: (failure) => this.fail(attempt, failure),
      onError: (error) => {
        this.lastError = error;
        this.emitState();
      },
      onResubscribed: () => this.emitState(),
      failureContext: () => this.failureContext(),
    });
  }

  private onClientExit(attempt: Attempt, info: ImsgExitInfo): void {
    // While probing, the probe itself reports the exit.
    if (this.current !== attempt || this.state === 'probing' || info.expected) return;
    const failure = classifyExit(info, this.failureContext());
    this.fail(attempt, failure);
  }

  private checkLiveness(attempt: Attempt): void {
    const client = this.client;
    if (this.current !== attempt || this.state !== 'listening' || !client || this.livenessBusy) return;
    // Requests in flight (sends) carry their own timeouts and prove or disprove liveness anyway.
    if (client.pendingCount > 0) return;
    this.livenessBusy = true;
    const timeoutMs = this.timings.livenessTimeoutMs;
    client
      .call('chats.list', { limit: 1 }, { timeoutMs })
      .catch((error: unknown) => {
        if (this.current !== attempt) return;
        // (No attempt while stop() drains: then the timeout only fails this request.)
        if (attempt && error instanceof ImsgRpcError && error.kind === 'timeout') {
          this.fail(attempt, { check: 'rpc-answers', message: `imsg rpc stalled: no answer to the liveness check (chats.list) within ${timeoutMs} ms`, fatal: false });
          return;
        }
        if (error instanceof ImsgRpcError && (error.kind === 'exited' || error.kind === 'not-running')) return; // onClientExit handles it
        const failure = classifyRequestError(error, this.failureContext());
        if (failure.fatal) this.fail(attempt, failure);
        else this.log.warn(`iMessage ${this.accountId}: liveness check failed: ${failure.message}`);
      })
      .finally(() => {
        this.livenessBusy = false;
      });
  }

  // -------------------------------------------------------------------------------------------
  // Failures
  // -------------------------------------------------------------------------------------------

  /** The single place an attempt ends badly; later reports about the same attempt are ignored. */
  private fail(attempt: Attempt, failure: ImsgFailure): void {
    if (this.current !== attempt) return;
    this.current = undefined;
    attempt.watch?.end();
    this.clearTimers();
    const client = this.client;
    this.client = undefined;
    if (client) this.clientStopping = client.stop({ graceMs: this.timings.stopGraceMs });
    if (this.cliCheckedFromCache) {
      // The remembered checks may be stale (e.g. a remote imsg replaced behind the same wrapper):
      // check in full from now on.
      this.forgetCliChecks();
    }
    if (failure.fatal) this.enterFatal(failure);
    else this.scheduleRestart(failure);
  }

  private forgetCliChecks(): void {
    this.cliChecked = undefined;
    this.cliCheckedFromCache = false;
    forgetCliCheck(this.stateDir, this.accountId).catch(() => undefined);
  }

  private enterFatal(failure: ImsgFailure): void {
    this.forgetCliChecks();
    this.retryAt = null;
    this.retryDelayMs = null;
    this.lastError = { message: failure.message, fatal: true, at: new Date().toISOString(), ...(failure.fix ? { fix: failure.fix } : {}) };
    this.log.error(`iMessage ${this.accountId}: enabled, configured, failed: ${failure.message}${failure.fix ? `. Fix: ${failure.fix}` : ''}`);
    this.setState('failed-fatal');
  }

  private scheduleRestart(failure: ImsgFailure): void {
    const delay = backoffDelay(this.failures, this.timings.backoff, this.random);
    this.failures += 1;
    this.restarts += 1;
    this.retryAt = Date.now() + delay;
    this.retryDelayMs = delay;
    this.lastError = { message: failure.message, fatal: false, at: new Date().toISOString(), ...(failure.fix ? { fix: failure.fix } : {}) };
    this.log.warn(`iMessage ${this.accountId}: enabled, configured, rpc backing off (retry in ${formatDelay(delay)}): ${failure.message}`);
    const epoch = this.epoch;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (epoch !== this.epoch || !this.active) return;
      this.attemptDone = this.runAttempt(epoch);
    }, delay);
    this.setState('backing-off');
  }

  private notConnectedMessage(): string {
    const base = `iMessage account ${this.accountId} is not connected`;
    if (this.state === 'backing-off' && this.retryAt !== null) return `${base} (state: backing-off, retry in ${formatDelay(Math.max(0, this.retryAt - Date.now()))})`;
    if (this.state === 'failed-fatal' && this.lastError) return `${base} (state: failed-fatal): ${this.lastError.message}${this.lastError.fix ? `. Fix: ${this.lastError.fix}` : ''}`;
    return `${base} (state: ${this.state})`;
  }

  private failureContext(): { cliPath: string; dbPath?: string } {
    return { cliPath: this.account.cliPath, ...(this.account.dbPath ? { dbPath: this.account.dbPath } : {}) };
  }

  private clearTimers(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.restartTimer = undefined;
    this.livenessTimer = undefined;
    this.healthyTimer = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Health
  // -------------------------------------------------------------------------------------------

  private setState(state: ChannelState): void {
    if (state !== this.state) {
      this.state = state;
      this.since = new Date().toISOString();
    }
    this.emitState();
  }

  private emitState(): void {
    if (this.events.listenerCount('state') === 0) return;
    this.events.emit('state', this.health());
  }
}
