// Test harness for the iMessage channel end to end: a temp chat.db driven by the imsg simulator
// (real `imsg rpc` child processes), the fake model server speaking the Anthropic wire format, a
// real pairing store and agent, and the channel under test. Tests inject inbound rows with the
// simulator library and observe what the channel sent with `sent()`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimDb, simBinPath, type InjectOptions, type SentRow } from '../../sim/lib';
import { createAgent, type Agent } from '../../main/agent/agent';
import { validateConfig } from '../../main/config/validate';
import type { ClawdbotConfig } from '../../main/config/types';
import { ImessageChannel, type ChannelTimings, type ImessageChannelOptions } from '../../main/imessage/channel';
import { PairingStore, type PairingStoreOptions } from '../../main/pairing/store';
import { createLogHub, type LogHub } from '../../main/util/logger';
import { startFakeModelServer, type FakeModelServer, type FakeModelServerOptions } from '../support/fake-model-server';

export const ME = '+15550000000';

// Fast where the tests wait on purpose (backoff, stop), generous where a busy machine makes a
// healthy imsg slow: a probe or request that times out here would test the machine, not the code
// (CI has seen a probe pass 5 s with two cores and every suite running).
export const FAST_TIMINGS: Partial<ChannelTimings> = {
  probeTimeoutMs: 20_000,
  requestTimeoutMs: 20_000,
  livenessIntervalMs: 60_000,
  backoff: { initialMs: 50, maxMs: 400, factor: 2, jitter: 0 },
  stopGraceMs: 200,
  drainTimeoutMs: 5000,
  healthThrottleMs: 20,
};

export interface HarnessOptions {
  /** `channels.imessage` (cliPath and dbPath are filled in). */
  imessage?: Record<string, unknown>;
  /** Other top-level config keys (agents, messages, session…). Default: the fake model as the agent's model. */
  extra?: Record<string, unknown>;
  /** No model in the config at all. */
  noModel?: boolean;
  model?: FakeModelServerOptions;
  pairing?: Partial<PairingStoreOptions>;
  channel?: Partial<ImessageChannelOptions>;
  /** Extra environment for the imsg children. */
  env?: Record<string, string>;
}

export interface Harness {
  dir: string;
  dbPath: string;
  stateDir: string;
  sim: SimDb;
  model: FakeModelServer;
  hub: LogHub;
  pairing: PairingStore;
  agent: Agent;
  channel: ImessageChannel;
  config: ClawdbotConfig;
  /** Builds a validated config like the harness's, with other `channels.imessage` / extra keys. */
  makeConfig(imessage: Record<string, unknown>, extra?: Record<string, unknown>): ClawdbotConfig;
  inject(options: InjectOptions): { rowid: number; guid: string; chatId: number };
  /** Outgoing rows written since the harness started (or since `sinceRowid`). */
  sent(sinceRowid?: number): SentRow[];
  /** Waits until `condition` holds (polling), failing with the recent log lines. */
  waitFor(what: string, condition: () => boolean, timeoutMs?: number): Promise<void>;
  logs(): string;
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'channel-'));
  const dbPath = join(dir, 'Library', 'Messages', 'chat.db');
  const stateDir = join(dir, 'state');
  const sim = SimDb.create(dbPath, { me: ME });
  // Rows from before the gateway ever ran: never answered.
  sim.inject({ from: '+15555559999', text: 'an old message from before the gateway' });
  const startRowid = sim.maxRowid();
  const model = await startFakeModelServer({ models: ['claude-test'], ...options.model });
  const hub = createLogHub({ level: 'debug' });
  const env = {
    ...process.env,
    IMSG_SIM_DEBOUNCE_MS: '0',
    IMSG_SIM_POLL_MS: '50',
    IMSG_SIM_HOME: dir,
    ANTHROPIC_API_KEY: 'test-key',
    ...options.env,
  };

  const makeConfig = (imessage: Record<string, unknown>, extra: Record<string, unknown> = options.extra ?? {}): ClawdbotConfig => {
    const modelConfig = options.noModel
      ? {}
      : {
          agents: { defaults: { model: 'anthropic/claude-test' } },
          models: { providers: { anthropic: { baseUrl: model.url } } },
        };
    const raw = {
      ...modelConfig,
      ...extra,
      channels: { imessage: { cliPath: simBinPath, dbPath, ...imessage } },
    };
    return validateConfig(raw, { env }).config;
  };

  const config = makeConfig(options.imessage ?? {});
  const pairing = new PairingStore({ stateDir, ...options.pairing });
  const agent = createAgent({
    config,
    env,
    stateDir,
    logger: hub.logger('agent'),
    http: { timeoutMs: 3000, maxRetries: 2, backoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 } },
  });
  const channel = new ImessageChannel({
    config,
    stateDir,
    logger: hub.logger('imessage'),
    pairing,
    agent,
    env,
    timings: FAST_TIMINGS,
    timezone: 'utc',
    ...options.channel,
  });

  const logs = () =>
    hub
      .tail(400)
      .map((r) => `${r.level} [${r.scope}] ${r.msg}${r.data ? ` ${JSON.stringify(r.data)}` : ''}`)
      .join('\n');

  return {
    dir,
    dbPath,
    stateDir,
    sim,
    model,
    hub,
    pairing,
    agent,
    channel,
    config,
    makeConfig,
    inject: (inject) => sim.inject(inject),
    sent: (sinceRowid = startRowid) => sim.sent({ sinceRowid }),
    async waitFor(what, condition, timeoutMs = 10_000) {
      const started = Date.now();
      while (!condition()) {
        if (Date.now() - started > timeoutMs) {
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- access log ---\n${JSON.stringify(channel.accessLog.tail(20), null, 1)}\n--- log ---\n${logs()}`);
        }
        await sleep(15);
      }
    },
    logs,
    async close() {
      await channel.stop();
      await agent.close();
      await model.close();
      sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
