// The iMessage channel: every configured account of `channels.imessage`, each with its own
// supervised `imsg rpc` process (supervisor.ts) feeding its inbound pipeline (pipeline.ts), plus
// what the accounts share: the pairing store, the agent, the access log, the logger and the bound
// on concurrent model calls. This is the one object the gateway composition talks to for iMessage:
// start/stop, hot reload, health, probe, restart and outbound sends.
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
import type { AccountHealth, ChannelState, ProbeResult, SendMessageParams, SendMessageResult } from '../../contract/gateway-api';
import type { Agent } from '../agent/agent';
import { normalizeAgentId } from '../agent/model-config';
import { resolveDefaultAccountId, resolveImessageAccounts } from '../config/accounts';
import { deepEqual } from '../config/json-path';
import type { ClawdbotConfig, ResolvedImessageAccount } from '../config/types';
import { ActionableError } from '../util/actionable-error';
import type { CliInvocation } from '../pairing/messages';
import type { PairingStore } from '../pairing/store';
import type { Logger } from '../util/logger';
import { compileAccessPolicy } from './access-policy';
import { AccessLog } from './access-log';
import { prepareInboundAttachments } from './attachments';
import { compileMentionMatcher, type MentionMatcher } from './mention';
import { ImessageSendError, sendImessage, type SendImessageResult } from './outbound';
import { ConcurrencyLimit, DEFAULT_MAX_CONCURRENT_REPLIES, InboundPipeline } from './pipeline';
import { probeImsg } from './probe';
import { sendSurvivingRestarts } from './resend';
import { resolveRemoteHost } from './remote-host';
import { AccountSupervisor, type SupervisorHealth, type SupervisorTimings } from './supervisor';

export const OPEN_GROUPS_WARNING =
  'groupPolicy="open" allows any member of any group to trigger the assistant. Set groupPolicy="allowlist" and groupAllowFrom to restrict senders.';

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
  timings?: Partial<SupervisorTimings>;
  /** Health pushes for activity-only changes are at most this frequent (state changes are immediate). Default 1000 ms. */
  healthThrottleMs?: number;
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
  supervisor?: AccountSupervisor;
  pipeline?: InboundPipeline;
  offHealth?: () => void;
  /** Result of an explicit probe(), newer than the supervisor's own. */
  lastProbe?: ProbeResult;
  /** When the account entered its not-running state (disabled / not configured). */
  since: string;
}

type HealthListener = (accounts: AccountHealth[]) => void;

export class ImessageChannel {
  readonly accessLog: AccessLog;
  private readonly opts: ImessageChannelOptions;
  private readonly log: Logger;
  private readonly limit: ConcurrencyLimit;
  private config: ClawdbotConfig;
  private mention: MentionMatcher;
  private readonly slots = new Map<string, AccountSlot>();
  private started = false;
  private readonly listeners = new Set<HealthListener>();
  private healthTimer: NodeJS.Timeout | undefined;
  private lastPushedStates = '';
  /** Serializes start/stop/applyConfig/restart so they never interleave. */
  private lifecycle: Promise<unknown> = Promise.resolve();

  constructor(options: ImessageChannelOptions) {
    this.opts = options;
    this.log = options.logger;
    this.accessLog = options.accessLog ?? new AccessLog();
    this.limit = new ConcurrencyLimit(options.maxConcurrentReplies ?? DEFAULT_MAX_CONCURRENT_REPLIES);
    this.config = options.config;
    this.mention = this.compileMention(options.config);
  }

  /** Starts every enabled and configured account; resolves once each has settled or startTimeoutMs passed. */
  start(): Promise<void> {
    return this.serialized(async () => {
      if (this.started) return;
      this.started = true;
      const accounts = this.resolveAccounts(this.config);
      await this.withStartTimeout(Promise.all(accounts.map((account) => this.addAccount(account))));
      this.pushHealth(true);
    });
  }

  /** Graceful: unsubscribes, stops imsg, waits for messages being handled, flushes resume cursors. */
  stop(): Promise<void> {
    return this.serialized(async () => {
      this.started = false;
      await Promise.all([...this.slots.values()].map((slot) => this.stopSlot(slot)));
      this.slots.clear();
      if (this.healthTimer) clearTimeout(this.healthTimer);
      this.healthTimer = undefined;
    });
  }

  /** Hot reload: only accounts whose settings changed are touched. */
  applyConfig(config: ClawdbotConfig): Promise<ApplyConfigResult> {
    return this.serialized(async () => {
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
        slot.pipeline?.update(slot.account, this.mention);
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

  /** Health pushes: immediately when an account's state changes, else at most once per throttle period. */
  onHealth(listener: HealthListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
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
    return this.serialized(async () => {
      let slots: AccountSlot[];
      if (accountId === undefined) {
        slots = [...this.slots.values()].filter((s) => s.supervisor);
      } else {
        const slot = this.slotOrThrow(accountId);
        if (!slot.supervisor) {
          throw new ActionableError('unavailable', `iMessage account ${accountId} is ${notRunningReason(slot.account)}`, notRunningFix(slot.account));
        }
        slots = [slot];
      }
      await this.withStartTimeout(
        Promise.all(
          slots.map(async (slot) => {
            const supervisor = slot.supervisor!;
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

  /** Sends through the live imsg process of the account (the default account when omitted). */
  async send(params: SendMessageParams): Promise<SendMessageResult> {
    const accountId = params.accountId ?? resolveDefaultAccountId(this.config);
    const slot = this.slotOrThrow(accountId);
    const supervisor = slot.supervisor;
    if (!supervisor) throw new ActionableError('unavailable', `iMessage account ${accountId} is ${notRunningReason(slot.account)}`, notRunningFix(slot.account));
    const health = supervisor.health();
    if (health.state !== 'listening') {
      throw new ActionableError(
        'unavailable',
        `iMessage account ${accountId} is not connected (state: ${health.state})${health.lastError ? `: ${health.lastError.message}` : ''}`,
        health.lastError?.fix ?? 'Check the account with `clawdbot channels status --probe`.',
      );
    }
    let result: SendImessageResult;
    try {
      result = await sendImessage(supervisor.rpc, slot.account, {
        target: params.target,
        stateDir: this.opts.stateDir,
        logger: this.log.child(accountId),
        ...(params.text !== undefined ? { text: params.text } : {}),
        ...(params.media !== undefined ? { media: params.media } : {}),
        ...(params.service !== undefined ? { service: params.service } : {}),
      });
    } catch (error) {
      if (error instanceof ImessageSendError) {
        if (error.sent > 0) supervisor.recordOutbound();
        throw new ActionableError('unavailable', error.message, 'Check the account with `clawdbot channels status --probe`; the recipient may not be reachable over the chosen service.');
      }
      // Nothing was sent: the target, text or media is wrong.
      throw new ActionableError('bad_request', error instanceof Error ? error.message : String(error));
    }
    supervisor.recordOutbound();
    return { accountId, chunks: result.chunks, messageIds: result.messageIds };
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
      this.log.info(`iMessage ${account.accountId}: ${account.enabled ? 'enabled' : 'disabled'}, ${account.configured ? 'configured' : 'not configured'}, stopped`);
      return;
    }
    this.createRunningParts(slot);
    await slot.supervisor!.start();
  }

  private createRunningParts(slot: AccountSlot): void {
    const logger = this.log.child(slot.account.accountId);
    let supervisor: AccountSupervisor | undefined;
    const pipeline: InboundPipeline = new InboundPipeline({
      account: slot.account,
      pairing: this.opts.pairing,
      agent: this.opts.agent,
      accessLog: this.accessLog,
      logger,
      mention: this.mention,
      limit: this.limit,
      send: (target, text): Promise<SendImessageResult> =>
        sendSurvivingRestarts(text, {
          target,
          account: pipeline.account,
          rpc: supervisor!.rpc,
          send: (part) => sendImessage(supervisor!.rpc, pipeline.account, { target, text: part, stateDir: this.opts.stateDir, logger }),
          waitUntilListening: (deadline) => supervisor!.waitUntilListening(deadline),
          logger,
        }),
      onOutbound: () => supervisor?.recordOutbound(),
      prepareAttachments: (message) => prepareInboundAttachments(message, pipeline.account, { stateDir: this.opts.stateDir, logger }),
      ...(this.opts.cli ? { cli: this.opts.cli } : {}),
      ...(this.opts.timezone ? { timezone: this.opts.timezone } : {}),
    });
    supervisor = new AccountSupervisor({
      account: slot.account,
      stateDir: this.opts.stateDir,
      logger,
      handler: (message, context) => pipeline.handle(message, context),
      ...(this.opts.timings ? { timings: this.opts.timings } : {}),
      ...(this.opts.env ? { env: this.opts.env } : {}),
    });
    slot.supervisor = supervisor;
    slot.pipeline = pipeline;
    slot.offHealth = supervisor.onHealthChange(() => this.pushHealth(false));
  }

  /** Returns whether the account's imsg process was (re)started. */
  private async updateSlot(slot: AccountSlot, configured: ResolvedImessageAccount): Promise<boolean> {
    const account = await this.withRemoteHost(configured);
    const wasRunning = slot.supervisor !== undefined;
    const runs = account.enabled && account.configured;
    slot.configured = configured;
    slot.account = account;
    if (wasRunning && !runs) {
      await this.stopSlot(slot);
      slot.since = new Date().toISOString();
      this.log.info(`iMessage ${account.accountId}: ${account.enabled ? 'enabled' : 'disabled'}, ${account.configured ? 'configured' : 'not configured'}, stopped`);
      return false;
    }
    if (!wasRunning && runs) {
      this.createRunningParts(slot);
      await slot.supervisor!.start();
      return true;
    }
    if (!runs) return false;
    slot.pipeline!.update(account, this.mention);
    return slot.supervisor!.updateAccount(account);
  }

  private async stopSlot(slot: AccountSlot): Promise<void> {
    slot.offHealth?.();
    const supervisor = slot.supervisor;
    slot.supervisor = undefined;
    slot.offHealth = undefined;
    if (supervisor) await supervisor.stop();
    await slot.pipeline?.idle();
    slot.pipeline = undefined;
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
    const { account } = slot;
    const simulated = typeof this.opts.simulated === 'function' ? this.opts.simulated(account.accountId) : this.opts.simulated === true;
    const base = {
      accountId: account.accountId,
      ...(account.name !== undefined ? { name: account.name } : {}),
      enabled: account.enabled,
      configured: account.configured,
      simulated,
      remoteHost: account.remoteHost ?? null,
      warnings: this.warnings(slot),
    };
    const running: SupervisorHealth | undefined = slot.supervisor?.health();
    if (!running) {
      const reason = notRunningReason(account);
      return {
        ...base,
        state: 'stopped',
        since: slot.since,
        pid: null,
        restarts: 0,
        retryAt: null,
        lastError: { message: reason, fatal: false, at: slot.since, fix: notRunningFix(account) },
        lastInboundAt: null,
        lastOutboundAt: null,
        lastProbe: slot.lastProbe ?? null,
        imsgVersion: slot.lastProbe?.imsgVersion ?? null,
        cliPath: account.cliPath,
        dbPath: account.dbPath ?? null,
        lastRowid: null,
      };
    }
    const { inFlight: _inFlight, ...health } = running;
    const lastProbe = newerProbe(health.lastProbe, slot.lastProbe);
    return { ...base, ...health, lastProbe };
  }

  private warnings(slot: AccountSlot): string[] {
    const { account } = slot;
    if (!account.enabled || !account.configured) return [];
    const out: string[] = [];
    const policy = compileAccessPolicy(account);
    for (const [key, matcher] of [['allowFrom', policy.dmAllow], ['groupAllowFrom', policy.groupAllow]] as const) {
      if (key === 'groupAllowFrom' && account.groupAllowFrom === undefined) continue;
      for (const { entry, problem } of matcher.invalid) out.push(`${key} entry ${JSON.stringify(entry)} is ignored: ${problem}`);
    }
    if (account.groupPolicy !== 'disabled') {
      // Mention problems matter only where a mention is required (the default for every group).
      if (account.groups['*']?.requireMention !== false || Object.values(account.groups).some((g) => g.requireMention === true)) {
        for (const warning of this.mention.warnings) out.push(warning);
      }
      if (account.groupPolicy === 'open') out.push(OPEN_GROUPS_WARNING);
    }
    // The agent is shared, but "why is nobody answered" belongs next to the account too.
    const agent = this.opts.agent.status;
    if (!agent.configured) out.push(`messages are not answered: ${agent.reason ?? 'no model configured'}`);
    else if (agent.lastError) out.push(`model error (${agent.lastError.kind}): ${agent.lastError.message}`);
    const storeError = this.opts.pairing.allowFromError;
    if (storeError) out.push(`approved senders could not be read: ${storeError.message}`);
    if (slot.pipeline) out.push(...slot.pipeline.warnings);
    return out;
  }

  private pushHealth(force: boolean): void {
    if (this.listeners.size === 0) return;
    const states = [...this.slots.values()].map((s) => `${s.account.accountId}:${s.supervisor?.health().state ?? 'stopped'}`).join(',');
    if (force || states !== this.lastPushedStates) {
      this.emitHealth(states);
      return;
    }
    if (this.healthTimer) return;
    this.healthTimer = setTimeout(() => this.emitHealth(), this.opts.healthThrottleMs ?? 1000);
    this.healthTimer.unref();
  }

  private emitHealth(states?: string): void {
    if (this.healthTimer) clearTimeout(this.healthTimer);
    this.healthTimer = undefined;
    const accounts = this.health();
    this.lastPushedStates = states ?? accounts.map((a) => `${a.accountId}:${a.state}`).join(',');
    for (const listener of this.listeners) {
      try {
        listener(accounts);
      } catch (error) {
        this.log.error('iMessage health listener threw', { error: String(error) });
      }
    }
  }

  // -------------------------------------------------------------------------------------------

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lifecycle.then(task, task);
    this.lifecycle = run.catch(() => undefined);
    return run;
  }

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
      const waiting = [...this.slots.values()].filter((s) => isSettling(s.supervisor?.health().state)).map((s) => s.account.accountId);
      this.log.warn(`iMessage: still starting after ${timeoutMs} ms: ${waiting.join(', ') || '(none)'}; continuing in the background`);
    }
  }
}

function isSettling(state: ChannelState | undefined): boolean {
  return state === 'probing' || state === 'starting';
}

function notRunningReason(account: ResolvedImessageAccount): string {
  return !account.enabled ? 'disabled' : 'not configured';
}

function notRunningFix(account: ResolvedImessageAccount): string {
  return !account.enabled
    ? `Set channels.imessage${account.accountId === 'default' ? '' : `.accounts.${account.accountId}`}.enabled to true.`
    : 'Add a channels.imessage section to the config (e.g. { "channels": { "imessage": { "cliPath": "imsg" } } }).';
}

function newerProbe(a: ProbeResult | null, b: ProbeResult | undefined): ProbeResult | null {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b.at) >= Date.parse(a.at) ? b : a;
}

