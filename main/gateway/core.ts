// The core: the parts one boot builds from one config, and an in-process restart tears down and
// builds again — the agent, the iMessage channel, the control server, the instance file and the
// config watcher. What outlives a restart (pairing store, services, log hub, the token) belongs to
// the Gateway (gateway.ts), which hands it in.
//
// The control server binds first (a few milliseconds), then the channel starts: a taken port stops
// the boot before any imsg is started. If the channel fails to start, the server is closed again,
// so no half-started gateway is left listening.
import type { AccountHealth } from '../../contract/gateway-api';
import type { ConfigError } from '../config/errors';
import type { ClawdbotConfig } from '../config/types';
import { watchConfig, type ConfigChange, type ConfigWatcher } from '../config/watch';
import { createAgent, type Agent } from '../agent/agent';
import { ImessageChannel } from '../imessage/channel';
import { cliInvocationFromEnv } from '../pairing/messages';
import type { PairingStore } from '../pairing/store';
import type { LogHub } from '../util/logger';
import { startControlServer, type ControlServer } from './control-server';
import { withDemoAssistant } from './demo';
import { removeInstanceFile, writeInstanceFile } from './instance-file';
import type { GatewayServicesImpl } from './services-impl';
import type { StartGatewayOptions } from './start-options';
import { CLAWDBOT_VERSION } from './version';

/** The parts rebuilt by a restart. */
export interface Core {
  /** The config in force: the one booted with, then each valid hot reload. */
  config: ClawdbotConfig;
  agent: Agent;
  channel: ImessageChannel;
  server: ControlServer;
  watcher: ConfigWatcher;
  startedAt: string;
  /** Unsubscribes what this core wired into the services. */
  off: (() => void)[];
}

/** What a boot needs besides the config: the gateway's long-lived parts and where to listen. */
export interface CoreParts {
  host: string;
  port: number;
  token: string;
  /** Where the token is, in words (the web UI's sign-in page). */
  tokenAt(local: boolean): string;
  options: Pick<StartGatewayOptions, 'allowedOrigins' | 'controlLimits' | 'channelTimings'>;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  configPath: string;
  staticDir: string | null;
  demo: boolean;
  logs: LogHub;
  pairing: PairingStore;
  services: GatewayServicesImpl;
  /** Channel health changed (the accounts' health as the channel just computed it). */
  onHealth(accounts: AccountHealth[]): void;
  /** A valid change of the config file, to apply to this core. */
  onConfigChange(core: Core, change: ConfigChange): void;
  /** An invalid change of the config file (the core keeps its config). */
  onConfigError(error: ConfigError): void;
}

export async function bootCore(config: ClawdbotConfig, parts: CoreParts): Promise<Core> {
  const { options, env, stateDir, configPath, logs, services } = parts;
  const modelAgent = createAgent({ config, env, stateDir, logger: logs.logger('agent') });
  // Demo mode only: without a configured model, the labelled demo assistant answers instead.
  const agent = parts.demo ? withDemoAssistant(modelAgent) : modelAgent;
  const channel = new ImessageChannel({
    config,
    stateDir,
    logger: logs.logger('imessage'),
    pairing: parts.pairing,
    agent,
    env,
    simulated: parts.demo,
    cli: cliInvocationFromEnv(env),
    ...(options.channelTimings ? { timings: options.channelTimings } : {}),
  });

  let server: ControlServer;
  try {
    server = await startControlServer({
      host: parts.host,
      port: parts.port,
      token: parts.token,
      services,
      version: CLAWDBOT_VERSION,
      logger: logs.logger('gateway'),
      staticDir: parts.staticDir,
      tokenAt: parts.tokenAt,
      ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
      ...(options.controlLimits ? { limits: options.controlLimits } : {}),
    });
  } catch (error) {
    await agent.close();
    throw error;
  }
  try {
    await channel.start();
  } catch (error) {
    // No imsg child may outlive a failed start, and no server may stay up without its channel.
    await Promise.allSettled([channel.stop(), server.close()]);
    await agent.close();
    throw error;
  }
  const startedAt = new Date().toISOString();
  await writeInstanceFile(stateDir, { pid: process.pid, port: server.port, host: server.host, url: server.url, startedAt, version: CLAWDBOT_VERSION });

  const off = [channel.onHealth((accounts) => parts.onHealth(accounts)), channel.accessLog.on((entry) => services.emit('accessLog', entry))];
  // Changes are applied to this core only (a restart builds a new one with its own watcher).
  const watcher: ConfigWatcher = watchConfig(configPath, {
    initial: config,
    env,
    onChange: (change) => parts.onConfigChange(core, change),
    onError: (error) => parts.onConfigError(error),
  });
  const core: Core = { config, agent, channel, server, watcher, startedAt, off };
  await watcher.ready;
  return core;
}

/** Stops one core: clients get `shutdown`, then the server, the channel (imsg included) and the agent stop. */
export async function shutdownCore(core: Core, shutdown: { reason: string; restartExpectedMs?: number }, services: GatewayServicesImpl, stateDir: string): Promise<void> {
  core.watcher.close();
  for (const off of core.off) off();
  services.emit('shutdown', shutdown);
  await Promise.all([core.server.close(shutdown), core.channel.stop()]);
  await core.agent.close();
  await removeInstanceFile(stateDir);
}
