// The real GatewayServices (services.ts): every control API method answered from the running
// gateway's parts — the iMessage channel, the pairing store, the config file, the log hub — plus
// the event source the control server broadcasts from.
//
// The parts are reached through `GatewayParts` getters because an in-process restart replaces the
// channel and the agent while this object (and the control server's subscriptions) stays.
import type { ControlEvent, ControlEvents } from '../../contract/control-api';
import { Emitter } from '../../contract/emitter';
import type { GatewayStatus, PairingRequest } from '../../contract/gateway-api';
import { ConfigError } from '../config/errors';
import type { ClawdbotConfig } from '../config/types';
import { resolveImessageAccounts } from '../config/accounts';
import type { ImessageChannel } from '../imessage/channel';
import { ImessageSendError } from '../imessage/outbound';
import { APPROVED_NOTICE, formatUnresolvedCode, pairingReplyTarget } from '../pairing/messages';
import { PairingStoreError, type PairingStore } from '../pairing/store';
import type { LogHub } from '../util/logger';
import { DemoInputError, type DemoMessages } from './demo';
import type { GatewayServices } from './services';
import { ActionableError } from '../util/actionable-error';
import type { AccountWriteContext } from './accounts';
import { SetupService } from './setup';

export interface GatewayParts {
  channel(): ImessageChannel;
  pairing: PairingStore;
  logs: LogHub;
  configPath: string;
  /** Where the SSH wrappers (`scripts/`) and the setup state are kept. */
  stateDir: string;
  /** The config in force (the last good one) and the error of the last rejected reload. */
  config(): { config: ClawdbotConfig; error: string | null };
  /** Re-reads the config file now (after our own write) instead of waiting for the watcher. */
  reloadConfig(): Promise<void>;
  status(): Promise<GatewayStatus>;
  /** Checks the config, then restarts the gateway in-process shortly after answering. */
  requestRestart(): Promise<void>;
  env: NodeJS.ProcessEnv;
  /** Demo mode: the simulated Mac's messages (`demo.inject`, `demo.sent`); null otherwise. */
  demo?: DemoMessages | null;
}

export interface GatewayServicesImpl extends GatewayServices {
  emit<E extends ControlEvent>(event: E, payload: ControlEvents[E]): void;
  /** Drops every listener (the gateway is gone for good). */
  dispose(): void;
}

const UNKNOWN_CODE_FIX = 'List pending requests with `clawdbot pairing list imessage` (codes expire after 1 hour).';
const DEMO_ONLY_FIX = 'Start a demo gateway to try it: `clawdbot gateway --demo` (or `npm start` on a machine without imsg).';
const DEFAULT_DEMO_SENT_LIMIT = 20;

/** A rejected config write as the control API answers it: every problem by field (nothing was written). */
function configErrorToActionable(error: ConfigError): ActionableError {
  const issues = error.issues.map((entry) => ({ path: entry.path, message: entry.message, fix: entry.fix }));
  const fix = error.issues.length === 1 ? error.issues[0]!.fix : 'Fix each problem listed (nothing was written).';
  return new ActionableError(error.kind === 'io' ? 'unavailable' : 'bad_request', error.message, fix, issues);
}

export function createGatewayServices(parts: GatewayParts): GatewayServicesImpl {
  // One broken subscriber must not stop the others (the emitter swallows what a listener throws).
  const events = new Emitter<ControlEvents>();

  /** Store problems (a corrupt file, a lock held too long) are the user's to fix, not internal errors. */
  async function pairingCall<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof PairingStoreError) {
        if (error.code === 'invalid-sender') throw new ActionableError('bad_request', error.message);
        throw new ActionableError('unavailable', error.message, error.path ? `Check ${error.path} (a damaged file is kept next to it as .corrupt-<time>).` : undefined);
      }
      throw error;
    }
  }

  /** The notice goes out where the code did: the request's account, into its chat when known. */
  async function notifyApproved(request: PairingRequest): Promise<{ notified: boolean; notifyError?: string }> {
    try {
      const target = pairingReplyTarget({ chatId: request.chatId ?? null, sender: request.id });
      await parts.channel().send({ target, text: APPROVED_NOTICE, ...(request.accountId ? { accountId: request.accountId } : {}) });
      return { notified: true };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      parts.logs.logger('gateway').warn(`pairing: could not notify ${request.id} of the approval: ${message}`);
      return { notified: false, notifyError: message };
    }
  }

  /** Runs a demo method; refused outside demo mode before anything (the simulator) is loaded. */
  async function demoCall<T>(method: string, work: (demo: DemoMessages) => Promise<T>): Promise<T> {
    const demo = parts.demo;
    if (!demo) throw new ActionableError('unavailable', `${method} is only available in demo mode`, DEMO_ONLY_FIX);
    try {
      return await work(demo);
    } catch (error) {
      if (error instanceof DemoInputError) throw new ActionableError('bad_request', `${method}: ${error.message}`);
      // The simulated chat.db is missing, locked or damaged: nothing the request itself got wrong.
      const message = error instanceof Error ? error.message : String(error);
      throw new ActionableError('unavailable', `${method}: the simulated Messages database could not be used: ${message}`, 'Start the demo over: `clawdbot gateway --demo --fresh` (or `npm start -- --fresh`).');
    }
  }

  // The setup checks follow every health event (setup.ts decides whether anything changed).
  const setup = new SetupService({
    channel: () => parts.channel(),
    status: () => parts.status(),
    config: () => parts.config(),
    env: parts.env,
    stateDir: parts.stateDir,
    logger: parts.logs.logger('gateway'),
    emit: (snapshot) => events.emit('setup', snapshot),
  });
  events.on('health', (status) => setup.onStatus(status));

  /**
   * An account write, then the hot reload that probes and starts it; a rejected write answers every
   * problem by field. The writer is loaded on first use, like config.patch's.
   */
  async function accountWrite<T>(work: (accounts: typeof import('./accounts'), ctx: AccountWriteContext) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await work(await import('./accounts'), { configPath: parts.configPath, stateDir: parts.stateDir, env: parts.env });
    } catch (error) {
      if (error instanceof ConfigError) throw configErrorToActionable(error);
      throw error;
    }
    await parts.reloadConfig();
    return result;
  }

  return {
    async status() {
      return parts.status();
    },
    async 'setup.get'() {
      return setup.get();
    },
    async 'setup.check'({ accountId }) {
      return setup.check(accountId);
    },
    async 'setup.testSend'(params) {
      return setup.testSend(params);
    },
    async 'setup.testModel'() {
      return setup.testModel();
    },
    async 'setup.sshWrapper'(params) {
      return setup.sshWrapper(params);
    },
    async 'setup.testSsh'(params) {
      return setup.testSsh(params);
    },
    async 'setup.openSettings'({ pane }) {
      return setup.openSettings(pane);
    },
    async 'accounts.add'({ accountId, account }) {
      const { path } = await accountWrite((accounts, ctx) => accounts.addAccount(ctx, accountId, account));
      return { accountId, path };
    },
    async 'accounts.update'({ accountId, changes }) {
      const { path } = await accountWrite((accounts, ctx) => accounts.updateAccount(ctx, accountId, changes));
      return { accountId, path };
    },
    async 'accounts.remove'({ accountId }) {
      return accountWrite((accounts, ctx) => accounts.removeAccount(ctx, accountId));
    },
    async 'channels.probe'({ accountId }) {
      return { accounts: await parts.channel().probe(accountId) };
    },
    async 'channels.restart'({ accountId }) {
      return { restarted: await parts.channel().restart(accountId) };
    },
    async 'pairing.list'() {
      return { requests: await pairingCall(() => parts.pairing.list()) };
    },
    async 'pairing.approve'({ code, notify }) {
      const approved = await pairingCall(() => parts.pairing.approve(code));
      if (!approved) {
        // Approving twice is not an error: the sender is approved, say so (and notify nobody again).
        const earlier = await pairingCall(() => parts.pairing.resolution(code));
        if (earlier?.outcome === 'approved') return { approved: earlier.request, notified: false, alreadyApproved: true };
        throw new ActionableError('not_found', formatUnresolvedCode(code, earlier), UNKNOWN_CODE_FIX);
      }
      if (!notify) return { approved, notified: false };
      return { approved, ...(await notifyApproved(approved)) };
    },
    async 'pairing.deny'({ code }) {
      const denied = await pairingCall(() => parts.pairing.deny(code));
      if (!denied) throw new ActionableError('not_found', formatUnresolvedCode(code, await pairingCall(() => parts.pairing.resolution(code))), UNKNOWN_CODE_FIX);
      return { denied };
    },
    async 'pairing.denyAll'() {
      return { denied: await pairingCall(() => parts.pairing.denyAll()) };
    },
    async 'pairing.revoke'({ sender }) {
      return { revoked: await pairingCall(() => parts.pairing.revoke(sender)) };
    },
    async 'allowlist.list'() {
      const approved = (await pairingCall(() => parts.pairing.readAllowFrom())).map((id) => ({ id }));
      const configured = new Set<string>();
      for (const account of resolveImessageAccounts(parts.config().config, parts.env as Record<string, string | undefined>)) {
        for (const entry of account.allowFrom) configured.add(entry);
      }
      return { approved, configured: [...configured].sort() };
    },
    async 'accessLog.tail'({ limit }) {
      return { entries: parts.channel().accessLog.tail(limit ?? 200) };
    },
    async 'message.send'(params) {
      try {
        return await parts.channel().send(params);
      } catch (error) {
        if (error instanceof ActionableError) throw error;
        const message = error instanceof Error ? error.message : String(error);
        // imsg failed to deliver (Messages not signed in, Automation denied, the process died).
        if (error instanceof ImessageSendError) throw new ActionableError('unavailable', message, 'Check the account with `clawdbot channels status --probe`.');
        // Everything checked before sending: target syntax, missing text/media, media too large.
        throw new ActionableError('bad_request', message);
      }
    },
    async 'config.get'() {
      const { config, error } = parts.config();
      return { path: parts.configPath, config, error };
    },
    async 'config.patch'({ patch }) {
      try {
        // Loaded on first use: the writer (JSONC editing, file locks) is not needed to start.
        const { patchConfigFile } = await import('../config/write');
        const result = await patchConfigFile(parts.configPath, patch, { env: parts.env });
        await parts.reloadConfig();
        return { path: result.path, config: result.config };
      } catch (error) {
        // Every problem by field, so the settings screens can show each next to its input.
        if (error instanceof ConfigError) throw configErrorToActionable(error);
        throw error;
      }
    },
    async 'logs.tail'({ limit }) {
      return { records: parts.logs.tail(limit ?? 200) };
    },
    async 'gateway.restart'() {
      try {
        await parts.requestRestart();
      } catch (error) {
        if (error instanceof ConfigError) {
          throw new ActionableError('bad_request', `Not restarting: ${error.message}`, 'Fix the config file (see `clawdbot config validate`), then restart again.');
        }
        throw error;
      }
      return { restarting: true };
    },
    async 'demo.inject'(params) {
      return demoCall('demo.inject', (demo) => demo.inject(params));
    },
    async 'demo.sent'({ limit }) {
      return demoCall('demo.sent', async (demo) => ({ messages: await demo.recentSent(limit ?? DEFAULT_DEMO_SENT_LIMIT) }));
    },
    on(event, listener) {
      return events.on(event, listener);
    },
    emit(event, payload) {
      events.emit(event, payload);
    },
    dispose() {
      events.clear();
    },
  };
}
