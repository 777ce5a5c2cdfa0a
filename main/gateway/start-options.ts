// What a host can tell startGateway() (the CLI's flags, the app's settings, tests' overrides), and
// how the listen address follows from it, the environment and the config.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isIpAddress } from '../../contract/config-checks';
import { DEFAULT_GATEWAY_PORT } from '../../contract/constants';
import type { LogLevel } from '../../contract/gateway-api';
import { CONFIG_FILE_NAME, configPathFromEnv, resolveConfigPath } from '../config/paths';
import type { ClawdbotConfig } from '../config/types';
import type { ChannelTimings } from '../imessage/channel';
import { checkoutRoot } from '../util/checkout-root';
import type { LogHub, LogSink } from '../util/logger';
import type { ControlServerLimits } from './control-server';
import type { DemoOptions } from './demo';

/** Overrides gateway.port from the environment (the caller's --port still wins). */
export const PORT_ENV_VAR = 'CLAWDBOT_GATEWAY_PORT';

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

export class GatewayStartError extends Error {
  override readonly name = 'GatewayStartError';
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** "loopback" → 127.0.0.1, "lan" → 0.0.0.0, an IP as it is. */
export function resolveBindHost(bind: string): string {
  if (bind === 'loopback') return '127.0.0.1';
  if (bind === 'lan') return '0.0.0.0';
  if (isIpAddress(bind)) return bind;
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
export function defaultConfigPath(env: NodeJS.ProcessEnv, stateDir: string | undefined): string {
  if (configPathFromEnv(env) !== undefined || stateDir === undefined) return resolveConfigPath(env);
  return join(stateDir, CONFIG_FILE_NAME);
}

/** The checkout's renderer build (out/renderer), when it has been built. */
export function defaultStaticDir(): string | null {
  const root = checkoutRoot();
  const dir = root ? join(root, 'out', 'renderer') : null;
  return dir && existsSync(join(dir, 'index.html')) ? dir : null;
}
