// The running gateway, across in-process restarts: it owns what outlives a restart (the pairing
// store, the services the control server answers from, the log and pairing subscriptions, the
// pending pairing count, the signal handlers) and the current core (core.ts), and it sequences
// everything that changes the core.
//
//   start      boots the first core from the config startGateway() loaded.
//   hot reload the core's config watcher reports a change; a valid one is applied to the agent and
//              to the changed iMessage accounts only; an invalid one keeps the last good config,
//              sets status.configError and is logged. Changes under `gateway` (port, bind, token)
//              need a restart.
//   restart    (`gateway.restart`, handle.restart()): in-process, not a re-exec — the config is read
//              and validated first (an invalid file refuses the restart and changes nothing), then a
//              `shutdown` event {restartExpectedMs} goes out, the core stops (imsg processes
//              included), and a new one is built from the new config on the same port. Works the
//              same inside the Electron app, where re-exec is not an option.
//   stop       (handle.stop(), SIGTERM/SIGINT unless `signals: false`): `shutdown` event, control
//              server closed, channel stopped (unsubscribe, imsg stopped, in-flight messages
//              drained, resume cursors flushed), transcripts flushed, instance file removed.
//
// Restart, stop and the application of config changes run one at a time, in the order asked
// (one SerialQueue), so a reload never lands on a core that is being torn down.
import { join } from 'node:path';
import type { AccountHealth, GatewayStatus, PairingEvent } from '../../contract/gateway-api';
import type { ConfigError } from '../config/errors';
import { loadConfig } from '../config/load';
import { resolveCredentialsDir } from '../config/paths';
import type { ClawdbotConfig } from '../config/types';
import type { ConfigChange } from '../config/watch';
import { PairingStore } from '../pairing/store';
import type { LogHub, Logger } from '../util/logger';
import { SerialQueue } from '../util/serial-queue';
import { isLoopbackHost } from './addresses';
import { describeTokenLocation, loadOrCreateToken, TOKEN_ENV_VAR, type GatewayToken } from './auth';
import { bootCore, shutdownCore, type Core } from './core';
import type { DemoSetup } from './demo';
import { PendingPairingCount } from './pending-pairing';
import { createGatewayServices, type GatewayServicesImpl } from './services-impl';
import { installSignalHandlers } from './signals';
import { GatewayStartError, resolveBindHost, resolvePort, type StartGatewayOptions } from './start-options';
import { gatewayStatus } from './status';
import { CLAWDBOT_VERSION } from './version';

/** What clients are told to expect in the `shutdown` event of a restart. */
export const RESTART_EXPECTED_MS = 1500;

/** Where the gateway lives, settled by startGateway() before anything is built. */
export interface GatewaySetup {
  options: StartGatewayOptions;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  configPath: string;
  demo: DemoSetup | null;
  logs: LogHub;
  /** The web UI build, or null for none. */
  staticDir: string | null;
}

export class Gateway {
  readonly services: GatewayServicesImpl;
  /** Resolves when the gateway has stopped; rejects if a restart could not bring it back. */
  readonly closed: Promise<void>;
  private settleClosed!: { resolve: () => void; reject: (error: Error) => void };
  private core: Core | undefined;
  /** Error of the last rejected config reload; cleared by a valid one. */
  private configError: string | null = null;
  private stopping: Promise<void> | undefined;
  private readonly lifecycle = new SerialQueue();
  private gatewayToken: GatewayToken | undefined;
  /** The port of the last boot: a restart keeps it when the caller asked for any free port (0). */
  private boundPort: number | undefined;
  /** The latest hot-reload application (config.patch waits for it). */
  private lastApply: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private readonly pairing: PairingStore;
  private readonly pending: PendingPairingCount;
  private readonly offLogs: () => void;
  private readonly offSignals: () => void;

  constructor(private readonly setup: GatewaySetup) {
    const { env, stateDir, configPath, demo, logs } = setup;
    this.log = logs.logger('gateway');
    this.closed = new Promise<void>((resolve, reject) => (this.settleClosed = { resolve, reject }));
    // A host that only awaits stop() must not see an unhandled rejection.
    this.closed.catch(() => {});

    // The demo keeps everything in its own folder, credentials included.
    const credentialsDir = demo ? join(stateDir, 'credentials') : resolveCredentialsDir(stateDir, env);
    this.pairing = new PairingStore({ credentialsDir, logger: logs.logger('pairing') });
    this.services = createGatewayServices({
      channel: () => this.current().channel,
      pairing: this.pairing,
      logs,
      configPath,
      stateDir,
      env,
      demo: demo?.messages ?? null,
      config: () => ({ config: this.current().config, error: this.configError }),
      reloadConfig: async () => {
        await this.current().watcher.check();
        await this.lastApply; // answer config.patch once the change is in force
      },
      status: async () => {
        await this.pending.refresh();
        return this.status();
      },
      requestRestart: async () => {
        await loadConfig({ path: configPath, env }); // throws ConfigError: refuse before stopping anything
        setTimeout(() => {
          this.restart().catch(() => {
            // restart() already logged it and settled `closed`.
          });
        }, 20).unref();
      },
    });

    // Gateway-wide subscriptions (they survive restarts).
    this.offLogs = logs.addSink((record) => this.services.emit('log', record));
    this.pairing.on('pairing', this.onPairing);
    this.pending = new PendingPairingCount(this.pairing, this.log, () => this.pushHealth());
    this.offSignals = setup.options.signals === false ? () => {} : installSignalHandlers((reason) => this.stop(reason), this.log);
  }

  get url(): string {
    return this.current().server.url;
  }

  get wsUrl(): string {
    return this.current().server.wsUrl;
  }

  get port(): number {
    return this.current().server.port;
  }

  /** The token of the last boot (it stays readable after a stop). */
  get token(): string {
    return this.gatewayToken!.token;
  }

  /** Where the token of the last boot comes from, in words with paths (for the person who started it). */
  get tokenAt(): string {
    return describeTokenLocation(this.gatewayToken!, this.setup.configPath);
  }

  /** A new one-time sign-in link for the web UI (sign-in.ts). */
  signInUrl(): string {
    return this.current().server.signInUrl();
  }

  /** `accounts`: the channel's health when the caller already has it (a health push), else read now. */
  status(accounts?: AccountHealth[]): GatewayStatus {
    const { configPath, stateDir, demo } = this.setup;
    return gatewayStatus(this.current(), { configPath, stateDir, demo: demo !== null, configError: this.configError, pendingPairing: this.pending.count, maxPendingPairing: this.pairing.maxPending }, accounts);
  }

  /** Boots the first core; if that fails, everything is released and the error thrown. */
  async start(config: ClawdbotConfig): Promise<void> {
    try {
      this.core = await this.boot(config);
    } catch (error) {
      await this.release();
      throw error;
    }
    await this.pending.refresh();
  }

  /** In-process restart with the config as it is now on disk (rejects with ConfigError if invalid). */
  restart(): Promise<void> {
    return this.lifecycle.run(async () => {
      if (this.stopping) throw new GatewayStartError('The gateway is stopping; not restarting.');
      const { env, configPath, stateDir } = this.setup;
      const next = await loadConfig({ path: configPath, env });
      for (const warning of next.warnings) this.log.warn(`config: ${warning}`);
      this.log.info('gateway restarting (in-process)');
      const previous = this.current();
      this.core = undefined;
      await shutdownCore(previous, { reason: 'gateway restarting', restartExpectedMs: RESTART_EXPECTED_MS }, this.services, stateDir);
      this.configError = null;
      try {
        this.core = await this.boot(next.config);
      } catch (error) {
        this.log.error(`gateway restart failed; the gateway is stopped: ${(error as Error).message}`);
        await this.release();
        this.settleClosed.reject(error as Error);
        throw error;
      }
      this.pushHealth();
    });
  }

  /** Graceful stop; idempotent. */
  stop(reason = 'gateway stopping'): Promise<void> {
    this.stopping ??= this.lifecycle.run(async () => {
      this.log.info(reason);
      const target = this.core;
      this.core = undefined;
      if (target) await shutdownCore(target, { reason }, this.services, this.setup.stateDir);
      await this.release();
      this.settleClosed.resolve();
    });
    return this.stopping;
  }

  private current(): Core {
    if (!this.core) throw new GatewayStartError('The gateway is not running.');
    return this.core;
  }

  /** Token, listen address, then the core; logs how long the boot took. */
  private async boot(config: ClawdbotConfig): Promise<Core> {
    const started = performance.now();
    const { options, env, stateDir, configPath, demo, logs, staticDir } = this.setup;
    const host = resolveBindHost(options.bind ?? config.gateway.bind ?? 'loopback');
    // A restart keeps the port it had when the caller asked for "any free port" (0).
    const port = options.port === 0 && this.boundPort !== undefined ? this.boundPort : resolvePort(options.port, env, config);
    this.gatewayToken = await loadOrCreateToken(stateDir, config.gateway.auth?.token, env[TOKEN_ENV_VAR], logs.logger('gateway'));
    if (!isLoopbackHost(host) && (this.gatewayToken.source === 'file' || this.gatewayToken.source === 'generated')) {
      throw new GatewayStartError(
        `Refusing to listen on ${host} (reachable from other machines) without an explicit gateway token.`,
        `Set gateway.auth.token in ${configPath} (or ${TOKEN_ENV_VAR}) to a long random value, e.g. the output of \`openssl rand -base64 32\`, or bind to loopback.`,
      );
    }
    const core = await bootCore(config, {
      host,
      port,
      token: this.gatewayToken.token,
      tokenAt: (local) => describeTokenLocation(this.gatewayToken!, configPath, local),
      options,
      env,
      stateDir,
      configPath,
      staticDir,
      demo: demo !== null,
      logs,
      pairing: this.pairing,
      services: this.services,
      onHealth: (accounts) => this.pushHealth(accounts),
      onConfigChange: (target, change) => void this.applyChange(target, change),
      onConfigError: (error) => this.rejectConfigChange(error),
    });
    this.boundPort = core.server.port;
    this.log.info(`Clawdbot gateway ${CLAWDBOT_VERSION} listening on ${core.server.url} (pid ${process.pid})`, { ms: Math.round(performance.now() - started), demo: demo !== null });
    return core;
  }

  /** Applies a valid config change to `target`, unless it is no longer the running core. */
  private applyChange(target: Core, change: ConfigChange): Promise<void> {
    const { env } = this.setup;
    this.lastApply = this.lifecycle
      .run(async () => {
        if (this.core !== target || this.stopping) return;
        this.configError = null;
        target.config = change.config;
        for (const warning of change.warnings) this.log.warn(`config: ${warning}`);
        if (change.agentChanged) target.agent.reconfigure(change.config, env);
        if (change.imessageChanged || change.agentChanged) {
          try {
            await target.channel.applyConfig(change.config);
          } catch (error) {
            this.log.error(`config: could not apply the iMessage settings: ${(error as Error).message}`);
          }
        }
        if (change.gatewayChanged) {
          this.log.warn('config: gateway settings (port, bind, token) changed; they apply after a restart: `clawdbot gateway restart`');
        }
        this.log.info('config reloaded', { changedAccounts: change.changedAccounts, agentChanged: change.agentChanged, gatewayChanged: change.gatewayChanged });
        this.pushHealth();
      })
      .catch((error: Error) => this.log.error(`config: could not apply the change: ${error.message}`));
    return this.lastApply;
  }

  private rejectConfigChange(error: ConfigError): void {
    this.configError = error.message;
    this.log.error(`config: the change to ${this.setup.configPath} was rejected; the last good config stays in force.\n${error.message}`);
    this.pushHealth();
  }

  private readonly onPairing = (event: PairingEvent): void => {
    this.services.emit('pairing', event);
    void this.pending.refresh().then(() => this.pushHealth());
  };

  private pushHealth(accounts?: AccountHealth[]): void {
    if (!this.core || this.stopping) return;
    this.services.emit('health', this.status(accounts));
  }

  /** Releases what outlives the cores: subscriptions, timers, signal handlers, the demo's files. */
  private async release(): Promise<void> {
    this.pending.dispose();
    this.pairing.off('pairing', this.onPairing);
    this.offSignals();
    this.offLogs();
    this.services.dispose();
    await this.setup.demo?.cleanup();
  }
}
