// The running parts of one enabled iMessage account, wired together:
//
//   supervisor (supervisor.ts)  keeps `imsg rpc` alive and subscribed, hands each new row to …
//   pipeline   (pipeline.ts)    … which decides and answers through …
//   sender     (sender.ts)      … the one owner of this account's sends, which uses the
//                                 supervisor's guarded rpc and waits for it across restarts.
//
// The channel (channel.ts) owns one AccountRuntime per running account; the control API's sends
// use the same sender as the replies.
import type { Agent } from '../agent/agent';
import type { ResolvedImessageAccount } from '../config/types';
import type { CliInvocation } from '../pairing/messages';
import type { PairingStore } from '../pairing/store';
import type { Logger } from '../util/logger';
import type { ConcurrencyLimit } from '../util/serial-queue';
import type { AccessLog } from './access-log';
import type { AutomationTracker } from './automation';
import { prepareInboundAttachments } from './attachments';
import type { MentionMatcher } from './mention';
import { InboundPipeline } from './pipeline';
import { AccountSender } from './sender';
import { AccountSupervisor, type SupervisorTimings } from './supervisor';

/** What every account's parts share (given by the channel). */
export interface AccountRuntimeContext {
  stateDir: string;
  pairing: PairingStore;
  agent: Agent;
  accessLog: AccessLog;
  /** Bounds concurrent model calls across all accounts. */
  limit: ConcurrencyLimit;
  timings?: Partial<SupervisorTimings>;
  /** Watches the account's sends for the Automation permission (setup checks). */
  automation?: AutomationTracker;
  /** Environment of imsg child processes. */
  env?: NodeJS.ProcessEnv;
  cli?: CliInvocation;
  timezone?: string;
}

export class AccountRuntime {
  readonly supervisor: AccountSupervisor;
  readonly sender: AccountSender;
  readonly pipeline: InboundPipeline;

  constructor(account: ResolvedImessageAccount, mention: MentionMatcher, logger: Logger, context: AccountRuntimeContext) {
    const { stateDir } = context;
    this.supervisor = new AccountSupervisor({
      account,
      stateDir,
      logger,
      handler: (message, delivery) => this.pipeline.handle(message, delivery),
      ...(context.timings ? { timings: context.timings } : {}),
      ...(context.env ? { env: context.env } : {}),
    });
    this.sender = new AccountSender({
      account: () => this.pipeline.account,
      rpc: context.automation ? context.automation.observe(account.accountId, this.supervisor.rpc) : this.supervisor.rpc,
      waitUntilListening: (deadline) => this.supervisor.waitUntilListening(deadline),
      imsgVersion: () => this.supervisor.health().imsgVersion,
      stateDir,
      logger,
      onSent: () => this.supervisor.recordOutbound(),
    });
    this.pipeline = new InboundPipeline({
      account,
      pairing: context.pairing,
      agent: context.agent,
      accessLog: context.accessLog,
      logger,
      mention,
      limit: context.limit,
      sender: this.sender,
      // The imsg children's environment says whose home (and which simulator home) `~` means.
      prepareAttachments: (message) => prepareInboundAttachments(message, this.pipeline.account, { stateDir, logger, ...(context.env ? { env: context.env } : {}) }),
      ...(context.cli ? { cli: context.cli } : {}),
      ...(context.timezone ? { timezone: context.timezone } : {}),
    });
  }

  get account(): ResolvedImessageAccount {
    return this.pipeline.account;
  }

  start(): Promise<void> {
    return this.supervisor.start();
  }

  /** Stops imsg (letting messages being handled finish first), then waits for the pipeline to settle. */
  async stop(): Promise<void> {
    await this.supervisor.stop();
    await this.pipeline.idle();
  }

  /** New mention patterns (agents / messages config) for an account whose own settings did not change. */
  updateMention(mention: MentionMatcher): void {
    this.pipeline.update(this.pipeline.account, mention);
  }

  /** New settings for this account; resolves true when its imsg process was restarted. */
  update(account: ResolvedImessageAccount, mention: MentionMatcher): Promise<boolean> {
    this.pipeline.update(account, mention);
    return this.supervisor.updateAccount(account);
  }
}
