// How the CLI finds and talks to a running gateway: the instance file `<stateDir>/gateway.json`
// (written by the gateway once it listens; a stale one from a crashed gateway is ignored) says
// where, and the token comes from the same places the gateway takes it from, in the same order:
// config `gateway.auth.token`, env `CLAWDBOT_GATEWAY_TOKEN`, the token file `<stateDir>/gateway.token`.
import WebSocket from 'ws';
import { ControlClientError, createControlClient, type ControlClient } from '../../contract/control-client';
import { CONTROL_WS_PATH } from '../../contract/constants';
import type { ControlResult } from '../../contract/control-api';
import { parseConfigText, readConfigText } from '../config/load';
import { resolveConfigPath, resolveStateDir, type Env } from '../config/paths';
import { readToken, TOKEN_ENV_VAR } from '../gateway/auth';
import { readInstanceFile, type GatewayInstance } from '../gateway/instance-file';
import { CLAWDBOT_VERSION } from '../gateway/version';

export type GatewayLookup =
  | { kind: 'running'; client: ControlClient; instance: GatewayInstance; hello: ControlResult<'connect'>; close(): void }
  /** No instance file, or it names a process that is gone. */
  | { kind: 'not-running'; stateDir: string }
  /** A gateway is recorded as running but did not let us in (wrong token, not answering). */
  | { kind: 'unreachable'; instance: GatewayInstance; message: string; fix?: string };

export interface ConnectOptions {
  env?: Env;
  /** Default: resolveStateDir(env). */
  stateDir?: string;
  /** Default: resolveConfigPath(env). Only read for `gateway.auth.token`. */
  configPath?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export const GATEWAY_START_HINT = 'Start it with `clawdbot gateway` (or open the Clawdbot app).';

/** `http://127.0.0.1:18789` → `ws://127.0.0.1:18789/ws`. */
export function wsUrlFor(instance: Pick<GatewayInstance, 'url'>): string {
  return `${instance.url.replace(/^http/, 'ws').replace(/\/+$/, '')}${CONTROL_WS_PATH}`;
}

/**
 * `gateway.auth.token` as written in the config file, without validating the rest of the file: a
 * CLI command that only talks to the gateway must not fail because of an unrelated config typo.
 */
async function configToken(configPath: string): Promise<string | undefined> {
  try {
    const text = await readConfigText(configPath);
    if (text === undefined) return undefined;
    const raw = parseConfigText(text, configPath) as { gateway?: { auth?: { token?: unknown } } } | null;
    const token = raw?.gateway?.auth?.token;
    return typeof token === 'string' && token.trim() !== '' ? token.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The token the gateway of this state dir uses, or undefined when none can be found. */
export async function resolveClientToken(env: Env, stateDir: string, configPath: string): Promise<string | undefined> {
  return (await configToken(configPath)) ?? (env[TOKEN_ENV_VAR]?.trim() || undefined) ?? (await readToken(stateDir));
}

/** Connects to the gateway of this state dir, if one runs. The caller closes the client. */
export async function connectToGateway(options: ConnectOptions = {}): Promise<GatewayLookup> {
  const env = options.env ?? process.env;
  const stateDir = options.stateDir ?? resolveStateDir(env);
  const instance = await readInstanceFile(stateDir);
  if (!instance) return { kind: 'not-running', stateDir };

  let token: string | undefined;
  try {
    token = await resolveClientToken(env, stateDir, options.configPath ?? resolveConfigPath(env));
  } catch (error) {
    return { kind: 'unreachable', instance, message: (error as Error).message };
  }
  if (!token) {
    return {
      kind: 'unreachable',
      instance,
      message: `A gateway runs (pid ${instance.pid}) but no gateway token was found.`,
      fix: `Set ${TOKEN_ENV_VAR}, or run the CLI as the user that runs the gateway (it reads ${stateDir}/gateway.token).`,
    };
  }

  const client = createControlClient({
    url: wsUrlFor(instance),
    token,
    WebSocket,
    clientName: 'cli',
    clientVersion: CLAWDBOT_VERSION,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
  });
  try {
    const hello = await client.ready;
    return { kind: 'running', client, instance, hello, close: () => client.close() };
  } catch (error) {
    client.close();
    const clientError = error as ControlClientError;
    return {
      kind: 'unreachable',
      instance,
      message: `Gateway not reachable at ${instance.url} (pid ${instance.pid}): ${clientError.message}`,
      ...(clientError.fix ? { fix: clientError.fix } : {}),
    };
  }
}
