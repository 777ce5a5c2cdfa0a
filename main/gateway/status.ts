// What the gateway reports about itself: the GatewayStatus of `status`, `health` events and the
// authenticated /health, and the lines it logs once it is ready.
import { describeModelStatus } from '../../contract/model-status';
import type { AccountHealth, GatewayStatus } from '../../contract/gateway-api';
import type { Logger } from '../util/logger';
import type { Core } from './core';
import type { DemoSetup } from './demo';
import { CLAWDBOT_VERSION } from './version';

/** What the status needs besides the running core. */
export interface StatusFacts {
  configPath: string;
  stateDir: string;
  demo: boolean;
  /** Error of the last rejected config reload (null once a valid config is in force again). */
  configError: string | null;
  pendingPairing: number;
  /** The pairing store's cap on pending requests. */
  maxPendingPairing: number;
}

export function gatewayStatus(core: Core, facts: StatusFacts, accounts: AccountHealth[] = core.channel.health()): GatewayStatus {
  const agent = core.agent.status;
  return {
    now: new Date().toISOString(),
    version: CLAWDBOT_VERSION,
    pid: process.pid,
    startedAt: core.startedAt,
    demo: facts.demo,
    bind: core.server.host,
    port: core.server.port,
    configPath: facts.configPath,
    stateDir: facts.stateDir,
    configError: facts.configError,
    model: agent.model,
    // No model at all is a normal state (shown as such); a model that cannot work is an error.
    modelError: agent.lastError?.message ?? (agent.configured || agent.model === null ? null : agent.reason),
    accounts,
    pendingPairing: facts.pendingPairing,
    maxPendingPairing: facts.maxPendingPairing,
  };
}

/** The lines a person starting the gateway reads: how long it took, what runs, what is missing. */
export function logStartup(log: Logger, status: GatewayStatus, ms: number, demo: DemoSetup | null): void {
  const accounts = status.accounts.map((a) => `${a.accountId}=${a.state}`).join(', ') || 'none';
  log.info(`gateway ready in ${Math.round(ms)} ms`, { accounts, model: status.model, demo: demo !== null });
  // The same words as `channels status`, `doctor` and the web UI (contract/model-status.ts).
  const model = describeModelStatus(status);
  const line = `model: ${model.summary}${model.fix ? `. ${model.fix}` : ''}`;
  if (model.state === 'error') log.warn(line);
  else log.info(line);
  if (demo) log.info('demo mode: the iMessage account is simulated (imsg simulator); the web UI can receive messages on it', { db: demo.dbPath, inject: demo.injectCommand() });
}
