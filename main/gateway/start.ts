// The gateway composition: ONE entry point, `startGateway(options)`, used by `clawdbot gateway` (in
// the foreground) and by the Electron main process (in-process). It loads and validates the config
// (an invalid one throws its ConfigError: the gateway never starts on a guess), resolves the token,
// builds the parts — pairing store, agent, iMessage channel — starts the control API and the channel
// concurrently (the server is up in milliseconds; the accounts take as long as imsg needs), and
// wires events: channel health, pairing, access log and log records go to control clients.
//
// Life cycle:
//   - hot reload: the config file is watched; a valid change is applied to the agent and to the
//     changed iMessage accounts only; an invalid one keeps the last good config, sets
//     status.configError and is logged. Changes under `gateway` (port, bind, token) need a restart.
//   - restart (`gateway.restart`, handle.restart()): in-process, not a re-exec — the config is read
//     and validated first (an invalid file refuses the restart and changes nothing), then a
//     `shutdown` event {restartExpectedMs} goes out, every part stops (imsg processes included),
//     and everything is built again from the new config on the same port. Works the same inside
//     the Electron app, where re-exec is not an option.
//   - stop (handle.stop(), SIGTERM/SIGINT unless `signals: false`): `shutdown` event, control
//     server closed, channel stopped (unsubscribe, imsg stopped, in-flight messages drained, resume
//     cursors flushed), transcripts flushed, instance file removed. Signals exit the process after
//     a graceful stop, or after 5 s regardless.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { DEMO_ECHO_MODEL, type GatewayStatus, type LogLevel, type PairingEvent } from '../../contract/gateway-api';
import { createAgent, type Agent } from '../agent/agent';
import { loadConfig, type LoadedConfig } from '../config/load';
import { CONFIG_FILE_NAME, configPathFromEnv, resolveConfigPath, resolveCredentialsDir, resolveStateDir } from '../config/paths';
import { DEFAULT_GATEWAY_PORT } from '../config/schema';
import type { ClawdbotConfig } from '../config/types';
import { watchConfig, type ConfigChange, type ConfigWatcher } from '../config/watch';
import { ImessageChannel, type ChannelTimings } from '../imessage/channel';
import { cliInvocationFromEnv } from '../pairing/messages';
import { PairingStore } from '../pairing/store';
import { checkoutRoot } from '../util/checkout-root';
import { createLogHub, stderrTextSink, type LogHub, type LogSink, type Logger } from '../util/logger';
import { loadOrCreateToken, TOKEN_ENV_VAR, type GatewayToken } from './auth';
import { isLoopbackHost, startControlServer, type ControlServer, type ControlServerLimits } from './control-server';
import { prepareDemo, withDemoAssistant, type DemoOptions, type DemoSetup } from './demo';
import { readInstanceFile, removeInstanceFile, writeInstanceFile } from './instance-file';
import { createGatewayServices, type GatewayServicesImpl } from './services-impl';
import { CLAWDBOT_VERSION } from './version';

/** Overrides gateway.port from the environment (the caller's --port still wins). */
export const PORT_ENV_VAR = 'CLAWDBOT_GATEWAY_PORT';
/** What clients are told to expect in the `shutdown` event of a restart. */
export const RESTART_EXPECTED_MS = 1500;
/** After SIGTERM/SIGINT, exit even if the graceful stop has not finished. */
const FORCED_EXIT_MS = 5000;
/** Expired pairing requests disappear from the pending count at least this often. */
const PENDING_REFRESH_MS = 60_000;

export interface StartGatewayOptions {
  /** Environment for paths, tokens, API keys and imsg children (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Default: $CLAWDBOT_CONFIG_PATH, else `<stateDir>/clawdbot.json`. */
  configPath?: string;
  /** Default: $CLAWDBOT_STATE_DIR, else ~/.clawdbot. */
  stateDir?: string;
  /** Wins over $CLAWDBOT_GATEWAY_PORT and gateway.port (default 18789). 0 = a free port. */
  port?: number;
  /** "loopback" (127.0.0.1), "lan" (0.0.0.0) or an IP; wins over gateway.bind. */
  bind?: string;
  /** Run with a simulated Messages account (see demo.ts); options pick the state dir / simulator. */
  demo?: boolean | DemoOptions;
  /** Log into this hub (the Electron app shares one); default: a new hub with `logSinks`/`logLevel`. */
  logs?: LogHub;
  /** Default: readable lines on stderr. */
  logSinks?: LogSink[];
  logLevel?: LogLevel;
  /** The web UI build; default `out/renderer` of this checkout when built; null serves no UI. */
  staticDir?: string | null;
  /** `false`: leave SIGTERM/SIGINT to the host (Electron, tests). */
  signals?: false;
  /** Origins besides the gateway's own allowed to use the control API (the app's). */
  allowedOrigins?: readonly string[];
  /** Tests: control server limits and imsg supervisor timings. */
  controlLimits?: Partial<ControlServerLimits>;
  channelTimings?: Partial<ChannelTimings>;
}

export interface GatewayHandle {
  /** http://127.0.0.1:<port>: the web UI (append `/#token=<token>` to open it signed in). */
  readonly url: string;
  /** ws://127.0.0.1:<port>/ws */
  readonly wsUrl: string;
  readonly port: number;
  readonly token: string;
  readonly stateDir: string;
  readonly configPath: string;
  /** The demo setup (simulator db, inject command) in demo mode, else null. */
  readonly demo: DemoSetup | null;
  readonly services: GatewayServicesImpl;
  readonly logs: LogHub;
  status(): GatewayStatus;
  /** Graceful stop; idempotent. */
  stop(reason?: string): Promise<void>;
  /** In-process restart with the config as it is now on disk (rejects with ConfigError if invalid). */
  restart(): Promise<void>;
  /** Resolves when the gateway has stopped; rejects if a restart could not bring it back. */
  readonly closed: Promise<void>;
}

export class GatewayStartError extends Error {
  override readonly name = 'GatewayStartError';
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** The parts rebuilt by a restart. */
interface Core {
  config: ClawdbotConfig;
  agent: Agent;
  channel: ImessageChannel;
  server: ControlServer;
  watcher: ConfigWatcher;
  startedAt: string;
  off: (() => void)[];
}

/** "loopback" → 127.0.0.1, "lan" → 0.0.0.0, an IP as it is. */
export function resolveBindHost(bind: string): string {
  if (bind === 'loopback') return '127.0.0.1';
  if (bind === 'lan') return '0.0.0.0';
  if (isIP(bind) !== 0) return bind;
  throw new GatewayStartError(`Invalid bind address "${bind}".`, 'Use "loopback" (127.0.0.1, the default), "lan" (0.0.0.0) or an IP address of this machine.');
}

/** Port precedence: the caller's (--port) > $CLAWDBOT_GATEWAY_PORT > gateway.port > 18789. */
export function resolvePort(explicit: number | undefined, env: NodeJS.ProcessEnv, config: ClawdbotConfig): number {
  if (explicit !== undefined) return explicit;
  const fromEnv = env[PORT_ENV_VAR]?.trim();
  if (fromEnv) {
    const port = Number(fromEnv);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new GatewayStartError(`${PORT_ENV_VAR}="${fromEnv}" is not a port number.`, `Set ${PORT_ENV_VAR} to a number from 1 to 65535, or unset it.`);
    }
    return port;
  }
  return config.gateway.port ?? DEFAULT_GATEWAY_PORT;
}

/** The config path from the environment, else clawdbot.json in the state dir given by the caller or the environment. */
function defaultConfigPath(env: NodeJS.ProcessEnv, stateDir: string | undefined): string {
  if (configPathFromEnv(env) !== undefined || stateDir === undefined) return resolveConfigPath(env);
  return join(stateDir, CONFIG_FILE_NAME);
}

/** The checkout's renderer build (out/renderer), when it has been built. */
function defaultStaticDir(): string | null {
  const root = checkoutRoot();
  const dir = root ? join(root, 'out', 'renderer') : null;
  return dir && existsSync(join(dir, 'index.html')) ? dir : null;
}

export async function startGateway(options: StartGatewayOptions = {}): Promise<GatewayHandle> {
  const bootStarted = performance.now();
  const env = options.env ?? process.env;

  const demo = options.demo ? await prepareDemo({ env, ...(options.stateDir ? { stateDir: options.stateDir } : {}), ...(typeof options.demo === 'object' ? options.demo : {}) }) : null;
  const stateDir = demo?.stateDir ?? options.stateDir ?? resolveStateDir(env);
  const configPath = demo?.configPath ?? options.configPath ?? defaultConfigPath(env, options.stateDir);

  const logs = options.logs ?? createLogHub({ level: options.logLevel ?? 'info', sinks: options.logSinks ?? [stderrTextSink] });
  const log = logs.logger('gateway');

  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig({ path: configPath, env });
    const running = await readInstanceFile(stateDir);
    if (running) {
      throw new GatewayStartError(
        `Another Clawdbot gateway (pid ${running.pid}) is already running with the state dir ${stateDir} at ${running.url}.`,
        'Use it (`clawdbot channels status`), stop it first, or give this one its own CLAWDBOT_STATE_DIR.',
      );
    }
  } catch (error) {
    await demo?.cleanup();
    throw error;
  }
  for (const warning of loaded.warnings) log.warn(`config: ${warning}`);

  const staticDir = options.staticDir === undefined ? defaultStaticDir() : options.staticDir;
  if (staticDir === null && options.staticDir === undefined) log.info('web UI not built (out/renderer is missing): the control API runs without it; build it with `npx electron-vite build`');

  // The demo keeps everything in its own folder, credentials included.
  const credentialsDir = demo ? join(stateDir, 'credentials') : resolveCredentialsDir(stateDir, env);
  const pairing = new PairingStore({ credentialsDir, logger: logs.logger('pairing') });
  let core: Core | undefined;
  let configError: string | null = null;
  let pendingPairing = 0;
  let stopping: Promise<void> | undefined;
  let lifecycle: Promise<unknown> = Promise.resolve();
  let token: GatewayToken | undefined;
  let boundPort: number | undefined;
  /** The latest hot-reload application (config.patch waits for it). */
  let lastApply: Promise<void> = Promise.resolve();

  let settleClosed!: { resolve: () => void; reject: (error: Error) => void };
  const closed = new Promise<void>((resolve, reject) => (settleClosed = { resolve, reject }));
  // A host that only awaits stop() must not see an unhandled rejection.
  closed.catch(() => {});

  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = lifecycle.then(task, task);
    lifecycle = run.catch(() => undefined);
    return run;
  };

  const current = (): Core => {
    if (!core) throw new GatewayStartError('The gateway is not running.');
    return core;
  };

  function status(): GatewayStatus {
    const c = current();
    const agent = c.agent.status;
    return {
      version: CLAWDBOT_VERSION,
      pid: process.pid,
      startedAt: c.startedAt,
      demo: demo !== null,
      bind: c.server.host,
      port: c.server.port,
      configPath,
      stateDir,
      configError,
      model: agent.model,
      // No model at all is a normal state (shown as such); a model that cannot work is an error.
      modelError: agent.lastError?.message ?? (agent.configured || agent.model === null ? null : agent.reason),
      accounts: c.channel.health(),
      pendingPairing,
    };
  }

  const services = createGatewayServices({
    channel: () => current().channel,
    pairing,
    logs,
    configPath,
    env,
    demo: demo?.messages ?? null,
    config: () => ({ config: current().config, error: configError }),
    async reloadConfig() {
      await current().watcher.check();
      await lastApply; // answer config.patch once the change is in force
    },
    async status() {
      await refreshPending();
      return status();
    },
    async requestRestart() {
      await loadConfig({ path: configPath, env }); // throws ConfigError: refuse before stopping anything
      setTimeout(() => {
        restart().catch(() => {
          // restart() already logged it and settled `closed`.
        });
      }, 20).unref();
    },
  });

  function pushHealth(): void {
    if (!core || stopping) return;
    services.emit('health', status());
  }

  async function refreshPending(): Promise<void> {
    try {
      pendingPairing = (await pairing.list()).length;
    } catch (error) {
      log.warn(`pairing: cannot read pending requests: ${(error as Error).message}`);
    }
  }

  // Gateway-wide subscriptions (they survive restarts).
  const offLogs = logs.addSink((record) => services.emit('log', record));
  const onPairing = (event: PairingEvent) => {
    services.emit('pairing', event);
    void refreshPending().then(pushHealth);
  };
  pairing.on('pairing', onPairing);
  const pendingTimer = setInterval(() => {
    const before = pendingPairing;
    void refreshPending().then(() => {
      if (pendingPairing !== before) pushHealth();
    });
  }, PENDING_REFRESH_MS);
  pendingTimer.unref();

  async function boot(config: ClawdbotConfig): Promise<Core> {
    const started = performance.now();
    const host = resolveBindHost(options.bind ?? config.gateway.bind ?? 'loopback');
    // A restart keeps the port it had when the caller asked for "any free port" (0).
    const port = options.port === 0 && boundPort !== undefined ? boundPort : resolvePort(options.port, env, config);
    token = await loadOrCreateToken(stateDir, config.gateway.auth?.token, env[TOKEN_ENV_VAR], logs.logger('gateway'));
    if (!isLoopbackHost(host) && (token.source === 'file' || token.source === 'generated')) {
      throw new GatewayStartError(
        `Refusing to listen on ${host} (reachable from other machines) without an explicit gateway token.`,
        `Set gateway.auth.token in ${configPath} (or ${TOKEN_ENV_VAR}) to a long random value, e.g. the output of \`openssl rand -base64 32\`, or bind to loopback.`,
      );
    }

    const modelAgent = createAgent({ config, env, stateDir, logger: logs.logger('agent') });
    // Demo mode only: without a configured model, the labelled demo assistant answers instead.
    const agent = demo ? withDemoAssistant(modelAgent) : modelAgent;
    const channel = new ImessageChannel({
      config,
      stateDir,
      logger: logs.logger('imessage'),
      pairing,
      agent,
      env,
      simulated: demo !== null,
      cli: cliInvocationFromEnv(env),
      ...(options.channelTimings ? { timings: options.channelTimings } : {}),
    });

    const serverStarting = startControlServer({
      host,
      port,
      token: token.token,
      services,
      version: CLAWDBOT_VERSION,
      logger: logs.logger('gateway'),
      staticDir,
      ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
      ...(options.controlLimits ? { limits: options.controlLimits } : {}),
    });
    const channelStarting = channel.start();
    let server: ControlServer;
    try {
      [server] = await Promise.all([serverStarting, channelStarting]);
    } catch (error) {
      // Whichever half came up is taken down again (no imsg child may outlive a failed start).
      await Promise.allSettled([serverStarting.then((s) => s.close()), channelStarting.then(() => channel.stop(), () => channel.stop())]);
      await agent.close();
      throw error;
    }
    boundPort = server.port;
    const startedAt = new Date().toISOString();
    await writeInstanceFile(stateDir, { pid: process.pid, port: server.port, host: server.host, url: server.url, startedAt, version: CLAWDBOT_VERSION });

    const off = [channel.onHealth(() => pushHealth()), channel.accessLog.on((entry) => services.emit('accessLog', entry))];
    // Changes are applied to this core only (a restart builds a new one with its own watcher).
    const watcher: ConfigWatcher = watchConfig(configPath, {
      initial: config,
      env,
      onChange: (change) => void applyChange(next, change),
      onError: (error) => {
        configError = error.message;
        log.error(`config: the change to ${configPath} was rejected; the last good config stays in force.\n${error.message}`);
        pushHealth();
      },
    });
    const next: Core = { config, agent, channel, server, watcher, startedAt, off };
    await watcher.ready;
    log.info(`Clawdbot gateway ${CLAWDBOT_VERSION} listening on ${server.url} (pid ${process.pid})`, { ms: Math.round(performance.now() - started), demo: demo !== null });
    return next;
  }

  function applyChange(target: Core, change: ConfigChange): Promise<void> {
    lastApply = serialized(async () => {
      if (core !== target || stopping) return;
      configError = null;
      target.config = change.config;
      for (const warning of change.warnings) log.warn(`config: ${warning}`);
      if (change.agentChanged) target.agent.reconfigure(change.config, env);
      if (change.imessageChanged || change.agentChanged) {
        try {
          await target.channel.applyConfig(change.config);
        } catch (error) {
          log.error(`config: could not apply the iMessage settings: ${(error as Error).message}`);
        }
      }
      if (change.gatewayChanged) {
        log.warn('config: gateway settings (port, bind, token) changed; they apply after a restart: `clawdbot gateway restart`');
      }
      log.info('config reloaded', { changedAccounts: change.changedAccounts, agentChanged: change.agentChanged, gatewayChanged: change.gatewayChanged });
      pushHealth();
    }).catch((error: Error) => log.error(`config: could not apply the change: ${error.message}`));
    return lastApply;
  }

  async function shutdownCore(target: Core, shutdown: { reason: string; restartExpectedMs?: number }): Promise<void> {
    target.watcher.close();
    for (const off of target.off) off();
    services.emit('shutdown', shutdown);
    await Promise.all([target.server.close(shutdown), target.channel.stop()]);
    await target.agent.close();
    await removeInstanceFile(stateDir);
  }

  async function restart(): Promise<void> {
    return serialized(async () => {
      if (stopping) throw new GatewayStartError('The gateway is stopping; not restarting.');
      const next = await loadConfig({ path: configPath, env });
      for (const warning of next.warnings) log.warn(`config: ${warning}`);
      log.info('gateway restarting (in-process)');
      const previous = current();
      core = undefined;
      await shutdownCore(previous, { reason: 'gateway restarting', restartExpectedMs: RESTART_EXPECTED_MS });
      configError = null;
      try {
        core = await boot(next.config);
      } catch (error) {
        log.error(`gateway restart failed; the gateway is stopped: ${(error as Error).message}`);
        await finalCleanup();
        settleClosed.reject(error as Error);
        throw error;
      }
      pushHealth();
    });
  }

  async function finalCleanup(): Promise<void> {
    clearInterval(pendingTimer);
    pairing.off('pairing', onPairing);
    offSignals();
    offLogs();
    services.dispose();
    await demo?.cleanup();
  }

  function stop(reason = 'gateway stopping'): Promise<void> {
    stopping ??= serialized(async () => {
      log.info(reason);
      const target = core;
      core = undefined;
      if (target) await shutdownCore(target, { reason });
      await finalCleanup();
      settleClosed.resolve();
    });
    return stopping;
  }

  const offSignals = options.signals === false ? () => {} : installSignalHandlers(stop, log);

  try {
    core = await boot(loaded.config);
  } catch (error) {
    await finalCleanup();
    throw error;
  }
  await refreshPending();
  logStartup(log, status(), performance.now() - bootStarted, demo);

  const live = () => current();
  return {
    get url() {
      return live().server.url;
    },
    get wsUrl() {
      return live().server.wsUrl;
    },
    get port() {
      return live().server.port;
    },
    get token() {
      return token!.token;
    },
    stateDir,
    configPath,
    demo,
    services,
    logs,
    status,
    stop,
    restart,
    closed,
  };
}

function logStartup(log: Logger, status: GatewayStatus, ms: number, demo: DemoSetup | null): void {
  const accounts = status.accounts.map((a) => `${a.accountId}=${a.state}`).join(', ') || 'none';
  log.info(`gateway ready in ${Math.round(ms)} ms`, { accounts, model: status.model, demo: demo !== null });
  if (status.model === null) log.info('no model configured: incoming messages are logged (access log) but not answered; set agents.defaults.model to get replies');
  if (demo) log.info('demo mode: the iMessage account is simulated (imsg simulator); the web UI can receive messages on it', { db: demo.dbPath, inject: demo.injectCommand() });
  if (demo && status.model === DEMO_ECHO_MODEL) log.info(`no model configured: the demo assistant (${DEMO_ECHO_MODEL}, a stand-in that echoes messages, not an AI) answers; set agents.defaults.model for real replies`);
}

function installSignalHandlers(stop: (reason?: string) => Promise<void>, log: Logger): () => void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      log.warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    received = true;
    setTimeout(() => {
      log.error(`graceful stop took longer than ${FORCED_EXIT_MS} ms; exiting`);
      process.exit(1);
    }, FORCED_EXIT_MS).unref();
    stop(`gateway stopping (${signal})`).then(
      () => process.exit(0),
      (error: Error) => {
        log.error(`gateway stop failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}

