// The gateway's ONE entry point, `startGateway(options)`, used by `clawdbot gateway` (in the
// foreground) and by the Electron main process (in-process). It settles where the gateway lives
// (state dir, config path, demo mode, logs, web UI), loads and validates the config (an invalid one
// throws its ConfigError: the gateway never starts on a guess), refuses to start a second gateway
// on the same state dir, then builds the Gateway and boots it.
//
// Where the rest is:
//   start-options.ts   the options, the listen address (bind, port precedence), GatewayStartError
//   gateway.ts         the running gateway across restarts: hot reload, restart, stop, health pushes
//   core.ts            what one boot builds and a restart replaces: agent, channel, control server
//   status.ts          the GatewayStatus it reports, and the start-up log lines
//   services-impl.ts   the control API methods, answered from the running parts
//   control-server.ts  the control API itself (HTTP + WebSocket)
//   signals.ts         SIGTERM/SIGINT → graceful stop
import type { GatewayStatus } from '../../contract/gateway-api';
import { loadConfig, type LoadedConfig } from '../config/load';
import { resolveStateDir } from '../config/paths';
import { createLogHub, stderrTextSink, type LogHub } from '../util/logger';
import { demoLocation, prepareDemo, type DemoOptions, type DemoSetup } from './demo';
import { Gateway } from './gateway';
import { checkRecordedGateway, instanceFilePath } from './instance-file';
import type { GatewayServicesImpl } from './services-impl';
import { defaultConfigPath, defaultStaticDir, GatewayStartError, type StartGatewayOptions } from './start-options';
import { logStartup } from './status';
import { webUiNotBuiltMessage } from './http-routes';

export { RESTART_EXPECTED_MS } from './gateway';
export { GatewayStartError, PORT_ENV_VAR, resolveBindHost, resolvePort, type StartGatewayOptions } from './start-options';

export interface GatewayHandle {
  /** http://127.0.0.1:<port>: the web UI (signInUrl() opens it signed in, once). */
  readonly url: string;
  /** ws://127.0.0.1:<port>/ws */
  readonly wsUrl: string;
  readonly port: number;
  /** The gateway token: whoever has it can act as the person. Never print it: see signInUrl(). */
  readonly token: string;
  /** Where the token is, in words with paths ("the file ~/.clawdbot/gateway.token"). */
  readonly tokenAt: string;
  /** A new one-time link that signs one browser in to the web UI (`<url>/#signin=<code>`). */
  signInUrl(): string;
  /** True when the web UI is served (it is built); else every UI address says how to build it. */
  readonly webUi: boolean;
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

export async function startGateway(options: StartGatewayOptions = {}): Promise<GatewayHandle> {
  const bootStarted = performance.now();
  const env = options.env ?? process.env;

  const demoOptions: DemoOptions | null = options.demo ? { env, ...(options.stateDir ? { stateDir: options.stateDir } : {}), ...(typeof options.demo === 'object' ? options.demo : {}) } : null;
  // Before anything is written (a fresh demo removes its folder): one gateway per state dir.
  await refuseIfRecordedGatewayRuns(demoOptions ? demoLocation(demoOptions) : (options.stateDir ?? resolveStateDir(env)));
  const demo = demoOptions ? await prepareDemo(demoOptions) : null;
  const stateDir = demo?.stateDir ?? options.stateDir ?? resolveStateDir(env);
  const configPath = demo?.configPath ?? options.configPath ?? defaultConfigPath(env, options.stateDir);

  const logs = options.logs ?? createLogHub({ level: options.logLevel ?? 'info', sinks: options.logSinks ?? [stderrTextSink] });
  const log = logs.logger('gateway');

  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig({ path: configPath, env });
  } catch (error) {
    await demo?.cleanup();
    throw error;
  }
  for (const warning of loaded.warnings) log.warn(`config: ${warning}`);

  const staticDir = options.staticDir === undefined ? defaultStaticDir() : options.staticDir;
  if (staticDir === null && options.staticDir === undefined) log.warn(`web UI not built (out/renderer is missing): the control API runs without it; ${webUiNotBuiltMessage()}`);

  const gateway = new Gateway({ options, env, stateDir, configPath, demo, logs, staticDir });
  await gateway.start(loaded.config);
  logStartup(log, gateway.status(), performance.now() - bootStarted, demo);

  return {
    get url() {
      return gateway.url;
    },
    get wsUrl() {
      return gateway.wsUrl;
    },
    get port() {
      return gateway.port;
    },
    get token() {
      return gateway.token;
    },
    get tokenAt() {
      return gateway.tokenAt;
    },
    signInUrl: () => gateway.signInUrl(),
    webUi: staticDir !== null,
    stateDir,
    configPath,
    demo,
    services: gateway.services,
    logs,
    status: () => gateway.status(),
    stop: (reason) => gateway.stop(reason),
    restart: () => gateway.restart(),
    closed: gateway.closed,
  };
}

/**
 * One gateway per state dir. The record of a crashed gateway (its pid a zombie, or reused) does
 * not count: only a gateway that answers on the recorded port, or a live pid whose port hangs.
 */
async function refuseIfRecordedGatewayRuns(stateDir: string): Promise<void> {
  const recorded = await checkRecordedGateway(stateDir);
  const path = instanceFilePath(stateDir);
  if (recorded.state === 'running') {
    throw new GatewayStartError(
      `Another Clawdbot gateway (pid ${recorded.instance.pid}) is already running with the state dir ${stateDir} at ${recorded.instance.url} (recorded in ${path}).`,
      'Use it (`clawdbot channels status`), stop it first, or give this one its own CLAWDBOT_STATE_DIR.',
    );
  }
  if (recorded.state === 'unresponsive') {
    throw new GatewayStartError(
      `${path} records a gateway (pid ${recorded.instance.pid}) on port ${recorded.instance.port} that does not answer; not starting a second one on the same state dir.`,
      `If that gateway is hung, stop it (\`kill ${recorded.instance.pid}\`); if pid ${recorded.instance.pid} is not a gateway at all, delete ${path} and start again.`,
    );
  }
}
