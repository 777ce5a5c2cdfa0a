// The iMessage channel: every configured account of `channels.imessage`, each running as an
// AccountRuntime (account-runtime.ts: its supervised `imsg rpc`, its inbound pipeline and its
// sender), plus what the accounts share: the pairing store, the agent, the access log, the logger
// and the bound on concurrent model calls. This is the one object the gateway composition talks to
// for iMessage: start/stop, hot reload, health, probe, restart and outbound sends.
//
// Accounts that are disabled or not configured are not started; they still appear in health()
// as `stopped` with `lastError` saying why ("disabled", "not configured").
//
// Hot reload (applyConfig): accounts are compared by their resolved settings. An added account is
// started, a removed one stopped. A changed one keeps its imsg process when only policy changed
// (allowlists, groups, chunking…: applied in place, queued messages are not lost) and is
// restarted when its transport changed (cliPath, dbPath, includeAttachments, enabled). Mention
// patterns (agents / messages config) are recompiled for every account. The agent itself is
// reconfigured by the gateway composition (it is shared with other parts of the gateway).
//
// Health pushes: one coalescer here (timings.healthThrottleMs, default 100 ms) for activity (a
// burst of thousands of messages becomes a handful of pushes); a state change, or the end of a
// start/reload/restart, is pushed at once.
import type { AccountHealth, ChannelState, ProbeResult, SendMessageParams, SendMessageResult } from '../../contract/gateway-api';
import { Emitter } from '../../contract/emitter';
import type { Agent } from '../agent/agent';
import { normalizeAgentId } from '../agent/model-config';
import { resolveDefaultAccountId, resolveImessageAccounts } from '../config/accounts';
import { deepEqual } from '../config/json-path';
import type { ClawdbotConfig, ResolvedImessageAccount } from '../config/types';
import type { CliInvocation } from '../pairing/messages';
import type { PairingStore } from '../pairing/store';
import { ActionableError } from '../util/actionable-error';
import { createCoalescer, type Coalescer } from '../util/coalesce';
import type { Logger } from '../util/logger';
import { ConcurrencyLimit, SerialQueue } from '../util/serial-queue';
import { accountHealth, configWarnings, notRunningFix, notRunningReason, runtimeWarnings } from './account-health';
import { AccessLog, accessLogPath } from './access-log';
import { AccountRuntime, type AccountRuntimeContext } from './account-runtime';
import { AutomationTracker } from './automation';
import { compileMentionMatcher, type MentionMatcher } from './mention';
import { ImessageSendError } from './outbound';
import { DEFAULT_MAX_CONCURRENT_REPLIES } from './pipeline';
import { probeImsg } from './probe';
import { parseUserTarget, TargetError } from './targets';
import { resolveRemoteHost } from './remote-host';
import type { SupervisorTimings } from './supervisor';

/** The supervisor's timings plus the channel's health coalescing. */
export interface ChannelTimings extends SupervisorTimings {
  /** Activity-only health changes (messages in and out) are pushed at most this often; state changes at once. */
  healthThrottleMs: number;
  /** A send still running after this long means the macOS Automation prompt is up (automation.ts). */
  automationPendingMs: number;
}

export const DEFAULT_HEALTH_THROTTLE_MS = 100;

const SEND_FIX = 'Check the account with `clawdbot channels status --probe`; the recipient may not be reachable over the chosen service.';

export interface ImessageChannelOptions {
  config: ClawdbotConfig;
  stateDir: string;
  /** Parent logger; each account logs under `imessage:<accountId>`. */
  logger: Logger;
  pairing: PairingStore;
  agent: Agent;
  /** Shared access log (created when not given). */
  accessLog?: AccessLog;
  /** Environment of imsg child processes and for `~` expansion (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Marks accounts backed by the imsg simulator (demo mode) in their health. */
  simulated?: boolean | ((accountId: string) => boolean);
  timings?: Partial<ChannelTimings>;
  /** start() resolves after this even if an account is still probing (it keeps going). Default 15 s. */
  startTimeoutMs?: number;
  /** Bound on concurrent model calls across all accounts (default 32). */
  maxConcurrentReplies?: number;
  /** How the pairing reply names the CLI. */
  cli?: CliInvocation;
  /** Envelope time zone for the agent (`local` default, `utc`, IANA name). */
  timezone?: string;
}

export interface ApplyConfigResult {
  /** Accounts whose imsg process was (re)started because their transport or enablement changed. */
  restarted: string[];
  added: string[];
  removed: string[];
}

/** One account: its resolved settings and, while enabled and configured, its running parts. */
interface AccountSlot {
  /** As resolved from the config (before remoteHost detection); compared on reload. */
  configured: ResolvedImessageAccount;
  /** With the detected remoteHost filled in. */
  account: ResolvedImessageAccount;
  running?: AccountRuntime;
  offHealth?: () => void;
  /** Result of an explicit probe(), newer than the supervisor's own. */
  lastProbe?: ProbeResult;
  /** When the account entered its not-running state (disabled / not configured). */
  since: string;
  /** configWarnings() of `account` under `mention`, kept until either changes (health is built often). */
  configWarnings?: { account: ResolvedImessageAccount; mention: MentionMatcher; warnings: string[] };
}

export class ImessageChannel {
  readonly accessLog: AccessLog;
  /** What each account's sends said about the Automation permission (the setup checks read it). */
  readonly automation: AutomationTracker;
  private readonly opts: ImessageChannelOptions;
  private readonly log: Logger;
  private readonly runtime: AccountRuntimeContext;
  private config: ClawdbotConfig;
  private mention: MentionMatcher;
  private readonly slots = new Map<string, AccountSlot>();
  private started = false;
  private readonly healthEvents: Emitter<{ health: AccountHealth[] }>;
  private readonly healthPush: Coalescer;
  /** start/stop/applyConfig/restart, one at a time: they never interleave. */
  private readonly lifecycle = new SerialQueue();

  constructor(options: ImessageChannelOptions) {
    this.opts = options;
    this.log = options.logger;
    this.accessLog =
      options.accessLog ??
      new AccessLog({
        file: accessLogPath(options.stateDir),
        onFileError: (error) => this.log.warn(`access log: cannot use ${accessLogPath(options.stateDir)} (${error.message}); it is kept in memory only`),
      });
    this.config = options.config;
    this.mention = this.compileMention(options.config);
    const { healthThrottleMs, automationPendingMs, ...supervisorTimings } = options.timings ?? {};
    this.automation = new AutomationTracker({
      stateDir: options.stateDir,
      logger: this.log,
      ...(automationPendingMs !== undefined ? { pendingAfterMs: automationPendingMs } : {}),
    });
    this.runtime = {
      stateDir: options.stateDir,
      pairing: options.pairing,
      agent: options.agent,
      accessLog: this.accessLog,
      limit: new ConcurrencyLimit(options.maxConcurrentReplies ?? DEFAULT_MAX_CONCURRENT_REPLIES),
      timings: supervisorTimings,
      automation: this.automation,
      ...(options.env ? { env: options.env } : {}),
      ...(options.cli ? { cli: options.cli } : {}),
      ...(options.timezone ? { timezone: options.timezone } : {}),
    };
    this.healthEvents = new Emitter((error) => this.log.error('iMessage health listener threw', { error: String(error) }));
    this.healthPush = createCoalescer(healthThrottleMs ?? DEFAULT_HEALTH_THROTTLE_MS, () => this.healthEvents.emit('health', this.health()));
    // A new Automation answer changes the setup checks, which follow health pushes.
    this.automation.onChange(() => this.pushHealth(true));
  }

  /** Starts every enabled and configured account; resolves once each has settled or startTimeoutMs passed. */
  start(): Promise<void> {
    return this.lifecycle.run(async () => {
      if (this.started) return;
      this.started = true;
      const accounts = this.resolveAccounts(this.config);
      // Earlier runs' decisions are read back while the accounts start (both wait on I/O).
      await Promise.all([this.accessLog.restore(), this.withStartTimeout(Promise.all(accounts.map((account) => this.addAccount(account))))]);
      this.pushHealth(true);
    });
  }

  /** Graceful: unsubscribes, stops imsg, waits for messages being handled, flushes resume cursors. */
  stop(): Promise<void> {
    return this.lifecycle.run(async () => {
      this.started = false;
      await Promise.all([...this.slots.values()].map((slot) => this.stopSlot(slot)));
      this.slots.clear();
      this.healthPush.cancel();
      await this.accessLog.flush(); // the next start (or restart) reads it back
    });
  }

  /** Hot reload: only accounts whose settings changed are touched. */
  applyConfig(config: ClawdbotConfig): Promise<ApplyConfigResult> {
    return this.lifecycle.run(async () => {
      const result: ApplyConfigResult = { restarted: [], added: [], removed: [] };
      const next = this.resolveAccounts(config);
      this.config = config;
      this.mention = this.compileMention(config);
      if (!this.started) {
        return result;
      }
      const nextIds = new Set(next.map((account) => account.accountId));
      const work: Promise<void>[] = [];
      for (const [id, slot] of this.slots) {
        if (nextIds.has(id)) continue;
        result.removed.push(id);
        this.slots.delete(id);
        work.push(this.stopSlot(slot));
      }
      for (const account of next) {
        const slot = this.slots.get(account.accountId);
        if (!slot) {
          result.added.push(account.accountId);
          work.push(this.addAccount(account));
          continue;
        }
        slot.running?.updateMention(this.mention);
        if (deepEqual(slot.configured, account)) continue;
        work.push(
          this.updateSlot(slot, account).then((restarted) => {
            if (restarted) result.restarted.push(account.accountId);
          }),
        );
      }
      await this.withStartTimeout(Promise.all(work));
      for (const list of [result.restarted, result.added, result.removed]) list.sort();
      this.log.info('iMessage configuration applied', { ...result });
      this.pushHealth(true);
      return result;
    });
  }

  /** Health of every account, sorted by id. */
  health(): AccountHealth[] {
    return [...this.slots.values()].sort((a, b) => (a.account.accountId < b.account.accountId ? -1 : 1)).map((slot) => this.slotHealth(slot));
  }

  /** Health pushes: at once when an account's state changes, else coalesced (timings.healthThrottleMs). */
  onHealth(listener: (accounts: AccountHealth[]) => void): () => void {
    return this.healthEvents.on('health', listener);
  }

  /**
   * Runs the full probe (binary, rpc support, database, an rpc answer) for one account, or for
   * every enabled and configured one. Runs beside the live process; it does not disturb it.
   */
  async probe(accountId?: string): Promise<{ accountId: string; probe: ProbeResult }[]> {
    const slots = accountId === undefined ? [...this.slots.values()].filter((s) => s.account.enabled && s.account.configured) : [this.slotOrThrow(accountId)];
    const results = await Promise.all(
      slots.map(async (slot) => {
        const { cliPath, dbPath } = slot.account;
        const probe = await probeImsg({
          cliPath,
          ...(dbPath ? { dbPath } : {}),
          ...(this.opts.env ? { env: this.opts.env } : {}),
          ...(this.opts.timings?.probeTimeoutMs ? { timeoutMs: this.opts.timings.probeTimeoutMs } : {}),
          logger: this.log.child(slot.account.accountId),
        });
        slot.lastProbe = probe;
        return { accountId: slot.account.accountId, probe };
      }),
    );
    this.pushHealth(false);
    return results.sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  }

  /**
   * Restarts one account's imsg process, or every running account's. A failed-fatal account gets
   * a fresh attempt with every check re-run. Returns the ids restarted.
   */
  restart(accountId?: string): Promise<string[]> {
    return this.lifecycle.run(async () => {
      let slots: AccountSlot[];
      if (accountId === undefined) {
        slots = [...this.slots.values()].filter((s) => s.running);
      } else {
        const slot = this.slotOrThrow(accountId);
        if (!slot.running) throw notRunningError(slot.account);
        slots = [slot];
      }
      await this.withStartTimeout(
        Promise.all(
          slots.map(async (slot) => {
            const supervisor = slot.running!.supervisor;
            const state = supervisor.health().state;
            if (state === 'failed-fatal' || state === 'backing-off') {
              await supervisor.retry();
            } else {
              await supervisor.stop();
              await supervisor.start();
            }
          }),
        ),
      );
      this.pushHealth(true);
      return slots.map((s) => s.account.accountId).sort();
    });
  }

  /**
   * Sends through the account's sender (the default account when omitted), behind any reply it is
   * sending: accepted while the account is starting or listening; an account that is down fails
   * at once with its state and the fix. A send interrupted by an imsg restart is resumed.
   */
  async send(params: SendMessageParams): Promise<SendMessageResult> {
    const accountId = params.accountId ?? resolveDefaultAccountId(this.config);
    const slot = this.slotOrThrow(accountId);
    const running = slot.running;
    if (!running) throw notRunningError(slot.account);
    const health = running.supervisor.health();
    if (health.state !== 'listening' && health.state !== 'starting') {
      throw new ActionableError(
        'unavailable',
        `iMessage account ${accountId} is not connected (state: ${health.state})${health.lastError ? `: ${health.lastError.message}` : ''}`,
        health.lastError?.fix ?? 'Check the account with `clawdbot channels status --probe`.',
      );
    }
    try {
      // A target from outside is checked against its grammar before anything is queued or sent.
      const target = parseUserTarget(params.target, { region: running.account.region });
      const result = await running.sender.send({
        target,
        ...(params.text !== undefined ? { text: params.text } : {}),
        ...(params.media !== undefined ? { media: params.media } : {}),
        ...(params.service !== undefined ? { service: params.service } : {}),
      });
      return { accountId, chunks: result.chunks, messageIds: result.messageIds, sentVia: result.sentVia };
    } catch (error) {
      if (error instanceof TargetError) throw new ActionableError('bad_request', error.message, error.fix);
      if (error instanceof ImessageSendError) throw new ActionableError('unavailable', error.message, SEND_FIX);
      // Nothing was sent: the target, text or media is wrong.
      throw new ActionableError('bad_request', error instanceof Error ? error.message : String(error));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Accounts
  // -------------------------------------------------------------------------------------------

  private resolveAccounts(config: ClawdbotConfig): ResolvedImessageAccount[] {
    return resolveImessageAccounts(config, (this.opts.env ?? process.env) as Record<string, string | undefined>);
  }

  private async addAccount(configured: ResolvedImessageAccount): Promise<void> {
    // Listed at once (health, a stop() that comes early), completed after remoteHost detection.
    const slot: AccountSlot = { configured, account: configured, since: new Date().toISOString() };
    this.slots.set(configured.accountId, slot);
    const account = await this.withRemoteHost(configured);
    if (this.slots.get(configured.accountId) !== slot || slot.configured !== configured || !this.started) return;
    slot.account = account;
    if (!account.enabled || !account.configured) {
      this.logStopped(account);
      return;
    }
    await this.run(slot);
  }

  /** Creates and starts the account's running parts. */
  private async run(slot: AccountSlot): Promise<void> {
    const running = new AccountRuntime(slot.account, this.mention, this.log.child(slot.account.accountId), this.runtime);
    slot.running = running;
    const offState = running.supervisor.on('state', () => this.pushHealth(true));
    const offActivity = running.supervisor.on('activity', () => this.pushHealth(false));
    slot.offHealth = () => {
      offState();
      offActivity();
    };
    await running.start();
  }

  /** Returns whether the account's imsg process was (re)started. */
  private async updateSlot(slot: AccountSlot, configured: ResolvedImessageAccount): Promise<boolean> {
    const account = await this.withRemoteHost(configured);
    const wasRunning = slot.running !== undefined;
    const runs = account.enabled && account.configured;
    slot.configured = configured;
    slot.account = account;
    if (wasRunning && !runs) {
      await this.stopSlot(slot);
      slot.since = new Date().toISOString();
      this.logStopped(account);
      return false;
    }
    if (!wasRunning && runs) {
      await this.run(slot);
      return true;
    }
    if (!runs) return false;
    return slot.running!.update(account, this.mention);
  }

  private async stopSlot(slot: AccountSlot): Promise<void> {
    slot.offHealth?.();
    const running = slot.running;
    slot.running = undefined;
    slot.offHealth = undefined;
    await running?.stop();
  }

  private logStopped(account: ResolvedImessageAccount): void {
    this.log.info(`iMessage ${account.accountId}: ${account.enabled ? 'enabled' : 'disabled'}, ${account.configured ? 'configured' : 'not configured'}, stopped`);
  }

  private async withRemoteHost(account: ResolvedImessageAccount): Promise<ResolvedImessageAccount> {
    if (account.remoteHost !== undefined || !account.enabled || !account.configured) return account;
    const env = this.opts.env ?? process.env;
    const detected = await resolveRemoteHost(account, { ...(env.HOME ? { home: env.HOME } : {}), ...(env.PATH ? { pathEnv: env.PATH } : {}) });
    if (!detected) return account;
    this.log.child(account.accountId).info(`imessage: detected remoteHost=${detected} from cliPath`, { cliPath: account.cliPath });
    return { ...account, remoteHost: detected };
  }

  private compileMention(config: ClawdbotConfig): MentionMatcher {
    const agentId = this.opts.agent.settings.agentId;
    const entry = config.agents?.list?.find((candidate) => normalizeAgentId(candidate.id) === agentId);
    const sources: Parameters<typeof compileMentionMatcher>[0] = {};
    if (entry?.groupChat?.mentionPatterns !== undefined) sources.agentPatterns = entry.groupChat.mentionPatterns;
    if (config.messages?.groupChat?.mentionPatterns !== undefined) sources.messagePatterns = config.messages.groupChat.mentionPatterns;
    if (entry?.identity) sources.identity = entry.identity;
    return compileMentionMatcher(sources);
  }

  private slotOrThrow(accountId: string): AccountSlot {
    const slot = this.slots.get(accountId);
    if (slot) return slot;
    const known = [...this.slots.keys()].sort();
    throw new ActionableError(
      'not_found',
      `No iMessage account "${accountId}"${known.length > 0 ? ` (accounts: ${known.join(', ')})` : ''}`,
      'Use an account id from channels.imessage.accounts, or omit it for the default account.',
    );
  }

  // -------------------------------------------------------------------------------------------
  // Health
  // -------------------------------------------------------------------------------------------

  private slotHealth(slot: AccountSlot): AccountHealth {
    const { account, running } = slot;
    const simulated = typeof this.opts.simulated === 'function' ? this.opts.simulated(account.accountId) : this.opts.simulated === true;
    let kept = slot.configWarnings;
    if (kept?.account !== account || kept.mention !== this.mention) {
      kept = slot.configWarnings = { account, mention: this.mention, warnings: configWarnings(account, this.mention) };
    }
    const warnings = [...kept.warnings, ...runtimeWarnings({ account, agent: this.opts.agent, pairing: this.opts.pairing, pipelineWarnings: running?.pipeline.warnings ?? [] })];
    return accountHealth({ account, simulated, running: running?.supervisor.health(), lastProbe: slot.lastProbe, since: slot.since, warnings });
  }

  /** `immediate`: a state changed or a lifecycle call finished; else only activity (coalesced). */
  private pushHealth(immediate: boolean): void {
    if (this.healthEvents.listenerCount('health') === 0) return;
    if (immediate) this.healthPush.now();
    else this.healthPush.schedule();
  }

  // -------------------------------------------------------------------------------------------

  /** Bounds how long a lifecycle call waits for accounts that are still probing (they go on in the background). */
  private async withStartTimeout(work: Promise<unknown>): Promise<void> {
    const timeoutMs = this.opts.startTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    const outcome = await Promise.race([work.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const waiting = [...this.slots.values()].filter((s) => isSettling(s.running?.supervisor.health().state)).map((s) => s.account.accountId);
      this.log.warn(`iMessage: still starting after ${timeoutMs} ms: ${waiting.join(', ') || '(none)'}; continuing in the background`);
    }
  }
}

function isSettling(state: ChannelState | undefined): boolean {
  return state === 'probing' || state === 'starting';
}

function notRunningError(account: ResolvedImessageAccount): ActionableError {
  return new ActionableError('unavailable', `iMessage account ${account.accountId} is ${notRunningReason(account)}`, notRunningFix(account));
}
