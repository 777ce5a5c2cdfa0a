// The setup snapshot (contract/setup.ts): every account's checks (main/imessage/setup-checks.ts)
// plus the model check (main/agent/model-test.ts), composed from the running gateway's parts, and
// the setup actions of the control API (`setup.*`).
//
// The snapshot follows the gateway's health events: whenever an account's state, probe, settings
// or Automation answer changes (a probe, a restart, a config change, a send), it is computed again
// and pushed as a `setup` event if anything in it changed, so a screen never polls. Computing it
// reads chat.db's first bytes once per change of an account (the gateway's own Full Disk Access
// check); everything else is already in memory.
import type { ControlEvents, ValidatedParams } from '../../contract/control-api';
import { DEMO_ECHO_MODEL } from '../../contract/constants';
import type { AccountHealth, GatewayStatus } from '../../contract/gateway-api';
import { REMOTE_PATH_PATTERN, type AccountSetup, type SetupCheck, type SetupSnapshot, type SshTestResult, type SshWrapperResult, type TestSendResult } from '../../contract/setup';
import { resolveModel } from '../agent/model-config';
import { modelCheck, testModel, type ModelTestResult } from '../agent/model-test';
import { imessageKeySource, resolveDefaultAccountId } from '../config/accounts';
import type { ClawdbotConfig } from '../config/types';
import { automationOutcome, type AutomationTracker } from '../imessage/automation';
import type { ImessageChannel } from '../imessage/channel';
import {
  accountLocation,
  accountSetup,
  automationCheck,
  defaultChatDbPath,
  fullDiskAccessCheck,
  locateImsg,
  readChatDbAsGateway,
  type AccountSetupInputs,
  type ChatDbRead,
} from '../imessage/setup-checks';
import { testSshTarget } from '../imessage/ssh-check';
import { readOwnWrapper, WrapperExistsError, writeSshWrapper } from '../imessage/ssh-wrapper';
import { ActionableError } from '../util/actionable-error';
import type { Logger } from '../util/logger';
import { SerialQueue } from '../util/serial-queue';
import { openSettingsPane, type OpenSettingsDeps, type SettingsPane } from './setup-settings';

export const TEST_MESSAGE_TEXT = 'Clawdbot test message: Clawdbot can send iMessages from this account.';
const NOT_SIGNED_IN = /service type = iMessage|Invalid index|-1719/;

/** What the checks need to know about one account: its health, or the config plus a direct probe (CLI). */
export type AccountSetupSource = Pick<AccountHealth, 'accountId' | 'enabled' | 'configured' | 'cliPath' | 'dbPath' | 'remoteHost' | 'lastProbe'> & { simulated?: boolean };

export interface SetupContext {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  config: ClawdbotConfig;
  automation: AutomationTracker;
}

/** Gathers one account's inputs: its own chat.db read (unless given), Automation answer, SSH test. */
export async function setupInputs(source: AccountSetupSource, ctx: SetupContext, given: { ownRead?: ChatDbRead | null; ssh?: SshTestResult | null } = {}): Promise<AccountSetupInputs> {
  const location = accountLocation(source.remoteHost);
  const runs = source.enabled && source.configured;
  const ownRead = location !== 'this-mac' || !runs ? null : (given.ownRead ?? (await readChatDbAsGateway(source.dbPath ?? defaultChatDbPath(ctx.env))));
  const binaryFailed = source.lastProbe?.checks.some((c) => c.id === 'binary' && !c.ok) ?? false;
  const found = location === 'this-mac' && binaryFailed ? await locateImsg(ctx.env) : undefined;
  return {
    account: source,
    location,
    ownRead,
    automation: runs ? await ctx.automation.get(source.accountId) : null,
    ssh: given.ssh ?? null,
    platform: ctx.platform,
    restartNeeded: false,
    cliPathKey: imessageKeySource(ctx.config, source.accountId, 'cliPath'),
    imsgFound: found && found.path !== source.cliPath ? found.path : null,
  };
}

export interface SetupServiceParts {
  channel(): ImessageChannel;
  status(): Promise<GatewayStatus>;
  config(): { config: ClawdbotConfig };
  env: NodeJS.ProcessEnv;
  stateDir: string;
  logger: Logger;
  emit(snapshot: ControlEvents['setup']): void;
  /** Injected in tests: the platform and the way a URL is opened. */
  settings?: OpenSettingsDeps;
  platform?: NodeJS.Platform;
}

export class SetupService {
  private readonly queue = new SerialQueue();
  private queued: Promise<SetupSnapshot> | null = null;
  private latestStatus: GatewayStatus | null = null;
  private lastKey = '';
  private last: { snapshot: SetupSnapshot; text: string } | null = null;
  /** The gateway's own chat.db reads, kept until the account's state, probe or dbPath changes. */
  private readonly ownReads = new Map<string, { key: string; read: ChatDbRead }>();
  private readonly sshTests = new Map<string, { target: string; result: SshTestResult }>();
  private modelTest: ModelTestResult | null = null;
  /** Full Disk Access as first seen by this boot of the gateway, and the accounts where it changed since. */
  private fda = { boot: '', first: new Map<string, string>(), changed: new Set<string>() };

  constructor(private readonly parts: SetupServiceParts) {}

  private get platform(): NodeJS.Platform {
    return this.parts.platform ?? process.platform;
  }

  /** A health event: recompute when anything the checks depend on changed. */
  onStatus(status: GatewayStatus): void {
    let automation = -1;
    try {
      automation = this.parts.channel().automation.revision;
    } catch {
      return; // between cores (restart): the next event comes with the new one
    }
    const accounts = status.accounts.map((a) => [a.accountId, a.enabled, a.configured, a.state, a.lastProbe?.at, a.cliPath, a.dbPath, a.remoteHost].join('|'));
    const key = JSON.stringify([status.startedAt, status.model, status.modelError, automation, accounts]);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.latestStatus = status;
    this.refresh().catch((error: unknown) => this.parts.logger.debug(`setup: could not compute the checks: ${(error as Error).message}`));
  }

  async get(): Promise<SetupSnapshot> {
    return this.last?.snapshot ?? this.refresh(await this.parts.status());
  }

  /** Probes (one account or all), reads chat.db again, tests SSH logins and (for all) the model. */
  async check(accountId?: string): Promise<SetupSnapshot> {
    const channel = this.parts.channel();
    await channel.probe(accountId);
    const status = await this.parts.status();
    const accounts = status.accounts.filter((a) => accountId === undefined || a.accountId === accountId);
    for (const account of accounts) this.ownReads.delete(account.accountId);
    await Promise.all(accounts.map((account) => this.testAccountSsh(account)));
    if (accountId === undefined) await this.runModelTest();
    return this.refresh(await this.parts.status(), true);
  }

  async testModel(): Promise<SetupCheck> {
    await this.runModelTest();
    return (await this.refresh(await this.parts.status(), true)).model;
  }

  /** A test message through the account's one sender; answers `pending` while the macOS prompt is up. */
  async testSend({ accountId, to, text }: ValidatedParams<'setup.testSend'>): Promise<TestSendResult> {
    const channel = this.parts.channel();
    const id = accountId ?? resolveDefaultAccountId(this.parts.config().config);
    const tracker = channel.automation;
    await tracker.get(id);
    let off = () => {};
    const prompt = new Promise<'pending'>((resolve) => {
      off = tracker.onChange((changed) => changed === id && tracker.peek(id)?.state === 'pending' && resolve('pending'));
    });
    const sending = channel.send({ target: to, text: text ?? TEST_MESSAGE_TEXT, accountId: id });
    sending.catch(() => {}); // still running when the answer is `pending`: its end is recorded by the tracker
    const outcome = await Promise.race([sending.then((sent) => ({ sent }), (error: unknown) => ({ error })), prompt]).finally(() => off());
    if (outcome !== 'pending' && 'error' in outcome && outcome.error instanceof ActionableError && outcome.error.code === 'not_found') throw outcome.error;
    const snapshot = await this.refresh(await this.parts.status(), true);
    const account = snapshot.accounts.find((a) => a.accountId === id);
    const automation = account?.checks.find((c) => c.id === 'automation') ?? automationCheck(await this.inputsFor(id));
    if (outcome === 'pending') return { automation };
    if ('sent' in outcome) return { automation, sent: { sentVia: outcome.sent.sentVia, messageIds: outcome.sent.messageIds } };
    if (automationOutcome(outcome.error) === 'denied') return { automation };
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    const fix = NOT_SIGNED_IN.test(message)
      ? 'Messages is not signed in to iMessage on that Mac: open Messages, sign in with your Apple Account, then send again.'
      : outcome.error instanceof ActionableError
        ? outcome.error.fix
        : undefined;
    return { automation, error: { message, ...(fix ? { fix } : {}) } };
  }

  async sshWrapper({ accountId, target, remoteCliPath, replace }: ValidatedParams<'setup.sshWrapper'>): Promise<SshWrapperResult> {
    try {
      const written = await writeSshWrapper({ stateDir: this.parts.stateDir, accountId, target, ...(remoteCliPath ? { remoteCliPath } : {}), ...(replace ? { replace } : {}) });
      return { path: written.path, written: written.written, script: written.script };
    } catch (error) {
      if (!(error instanceof WrapperExistsError)) throw error;
      throw new ActionableError('bad_request', error.message, `Look at ${error.path} first; to replace it (the old one is kept as .bak), call again with replace: true.`, [{ path: 'target', message: error.message }]);
    }
  }

  async testSsh({ target, remoteCliPath }: ValidatedParams<'setup.testSsh'>): Promise<SshTestResult> {
    const result = await testSshTarget({ target, ...(remoteCliPath ? { remoteCliPath } : {}), env: this.parts.env });
    // The test of an account's own target also answers that account's SSH check.
    const status = await this.parts.status();
    for (const account of status.accounts) if (account.remoteHost === target) this.sshTests.set(account.accountId, { target, result });
    await this.refresh(status);
    return result;
  }

  openSettings(pane: SettingsPane): Promise<{ opened: boolean; reason?: string }> {
    return openSettingsPane(pane, this.parts.settings);
  }

  // -------------------------------------------------------------------------------------------

  /** Computes the snapshot (one at a time; calls while one waits share it) and pushes it if it changed. */
  private refresh(status?: GatewayStatus, push = false): Promise<SetupSnapshot> {
    if (status) this.latestStatus = status;
    if (this.queued && !push) return this.queued;
    const run = this.queue.run(async () => {
      if (this.queued === run) this.queued = null;
      const snapshot = await this.compute(this.latestStatus ?? (await this.parts.status()));
      const text = JSON.stringify({ ...snapshot, at: '' });
      const changed = text !== this.last?.text;
      this.last = { snapshot, text };
      if (changed || push) this.parts.emit(snapshot);
      return snapshot;
    });
    this.queued = run;
    return run;
  }

  private async compute(status: GatewayStatus): Promise<SetupSnapshot> {
    if (status.startedAt !== this.fda.boot) this.fda = { boot: status.startedAt, first: new Map(), changed: new Set() };
    const { config } = this.parts.config();
    const accounts = await Promise.all(status.accounts.map((health) => this.accountSetup(health)));
    const model = modelCheck({ resolution: resolveModel(config, this.parts.env), demoAssistant: status.model === DEMO_ECHO_MODEL, lastTest: this.modelTest });
    return { accounts, model, at: new Date().toISOString() };
  }

  private async accountSetup(health: AccountHealth): Promise<AccountSetup> {
    const id = health.accountId;
    const readKey = [health.state, health.lastProbe?.at, health.dbPath].join('|');
    const cached = this.ownReads.get(id);
    const inputs = await this.inputsFor(id, health, cached?.key === readKey ? cached.read : undefined);
    if (inputs.ownRead) this.ownReads.set(id, { key: readKey, read: inputs.ownRead });
    inputs.restartNeeded = this.noteFullDiskAccess(id, fullDiskAccessCheck(inputs).state);
    return accountSetup(inputs);
  }

  private async inputsFor(accountId: string, health?: AccountHealth, ownRead?: ChatDbRead): Promise<AccountSetupInputs> {
    const source = health ?? this.latestStatus?.accounts.find((a) => a.accountId === accountId);
    if (!source) throw new ActionableError('not_found', `No iMessage account "${accountId}"`, 'Use an id from channels.imessage.accounts.');
    const tested = this.sshTests.get(accountId);
    const ssh = tested && tested.target === source.remoteHost ? tested.result : null;
    const ctx: SetupContext = { env: this.parts.env, platform: this.platform, config: this.parts.config().config, automation: this.parts.channel().automation };
    return setupInputs(source, ctx, { ...(ownRead ? { ownRead } : {}), ssh });
  }

  /**
   * Full Disk Access as this boot of the gateway first saw it; a change to or from `denied` since
   * then means the person changed it, and macOS applies that to a running app only after a
   * restart. True until the next boot.
   */
  private noteFullDiskAccess(accountId: string, state: string): boolean {
    if (state === 'unknown' || state === 'not-applicable') return this.fda.changed.has(accountId);
    const first = this.fda.first.get(accountId);
    if (first === undefined) this.fda.first.set(accountId, state);
    else if (first !== state && (first === 'denied' || state === 'denied')) this.fda.changed.add(accountId);
    return this.fda.changed.has(accountId);
  }

  /** For an account with a wrapper this gateway wrote: the step-by-step SSH test of its target. */
  private async testAccountSsh(account: AccountHealth): Promise<void> {
    if (!account.remoteHost || !account.enabled || !account.configured) return;
    const own = await readOwnWrapper(account.cliPath);
    if (!own || own.target !== account.remoteHost) return;
    const dbPath = account.dbPath && REMOTE_PATH_PATTERN.test(account.dbPath) ? account.dbPath : undefined;
    const result = await testSshTarget({ target: own.target, remoteCliPath: own.remoteCliPath, ...(dbPath ? { dbPath } : {}), env: this.parts.env });
    this.sshTests.set(account.accountId, { target: own.target, result });
  }

  private async runModelTest(): Promise<void> {
    const result = await testModel(this.parts.config().config, this.parts.env);
    if (result) this.modelTest = result;
  }
}
