// How the CLI finds and talks to a running gateway.
//
// Where: the instance file `gateway.json` of the state dir (written by the gateway once it listens)
// and, when no gateway of the state dir runs, that of the demo under it (`<stateDir>/demo`, where
// `npm start` runs the demo gateway), so the CLI finds the gateway `npm start` runs without an
// environment variable. A record counts only when the gateway answers on its port (a crashed
// gateway's zombie or reused pid does not: instance-file.ts). A demo gateway is named as such on
// stderr ("demo gateway, simulated Messages"), so the person knows which one they are talking to.
//
// The token comes from the same places that gateway takes it from, in the same order: its config's
// `gateway.auth.token`, env `CLAWDBOT_GATEWAY_TOKEN`, its token file `<stateDir>/gateway.token`.
//
// A gateway that runs but cannot be reached (hung, overloaded, the token refused) is reported as
// such: commands that would change something behind its back (pairing files, a second imsg) refuse
// (`refuseBehindGateway`) instead of quietly falling back.
import { join } from 'node:path';
import WebSocket from 'ws';
import { ControlClientError, createControlClient, type ControlClient } from '../../contract/control-client';
import { CONTROL_WS_PATH } from '../../contract/constants';
import type { ControlResult } from '../../contract/control-api';
import { parseConfigText, readConfigText } from '../config/load';
import { CONFIG_FILE_NAME, resolveConfigPath, resolveStateDir, type Env } from '../config/paths';
import { readToken, TOKEN_ENV_VAR } from '../gateway/auth';
import { demoStateDir } from '../gateway/demo-location';
import { checkRecordedGateway, type GatewayInstance } from '../gateway/instance-file';
import { CLAWDBOT_VERSION } from '../gateway/version';
import { CliError, EXIT_FAILURE } from './output';

export type GatewayLookup =
  | {
      kind: 'running';
      client: ControlClient;
      instance: GatewayInstance;
      hello: ControlResult<'connect'>;
      /** The state dir of the gateway found (the demo's when it is the demo gateway). */
      stateDir: string;
      close(): void;
    }
  /** No gateway answers for the state dir or its demo. */
  | { kind: 'not-running'; stateDir: string }
  /** A gateway runs but did not let us in (not answering, wrong token). */
  | { kind: 'unreachable'; instance: GatewayInstance; stateDir: string; message: string; fix?: string };

export interface ConnectOptions {
  env?: Env;
  /** Default: resolveStateDir(env). Its demo (`<stateDir>/demo`) is looked at too. */
  stateDir?: string;
  /** Default: resolveConfigPath(env). Only read for `gateway.auth.token`. */
  configPath?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Where the CLI says which gateway it talks to when it is the demo (default: stderr). */
  announce?: (line: string) => void;
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

/** A state dir that may hold a running gateway, with the config its gateway reads. */
interface Candidate {
  stateDir: string;
  configPath: string;
}

/** The state dir (and its config), then the demo under it (and the demo's config). */
function candidates(env: Env, options: ConnectOptions): Candidate[] {
  const stateDir = options.stateDir ?? resolveStateDir(env);
  const demo = demoStateDir(stateDir);
  return [
    { stateDir, configPath: options.configPath ?? resolveConfigPath(env) },
    { stateDir: demo, configPath: join(demo, CONFIG_FILE_NAME) },
  ];
}

/** Connects to the gateway of this state dir (or of its demo), if one runs. The caller closes the client. */
export async function connectToGateway(options: ConnectOptions = {}): Promise<GatewayLookup> {
  const env = options.env ?? process.env;
  const announce = options.announce ?? ((line: string) => process.stderr.write(`${line}\n`));
  const places = candidates(env, options);
  for (const place of places) {
    const recorded = await checkRecordedGateway(place.stateDir);
    if (recorded.state === 'none') continue;
    if (recorded.state === 'unresponsive') {
      return {
        kind: 'unreachable',
        instance: recorded.instance,
        stateDir: place.stateDir,
        message: `A gateway runs (pid ${recorded.instance.pid}, recorded in ${recorded.path}) but does not answer at ${recorded.instance.url}.`,
        fix: 'Try again in a moment. If it keeps not answering, look at its log (the terminal or app running it), or stop it and start it again.',
      };
    }
    const lookup = await connect(recorded.instance, place, env, options);
    if (lookup.kind === 'running' && lookup.hello.status.demo) announce(`Using the demo gateway (simulated Messages) at ${lookup.instance.url}; its state dir is ${place.stateDir}.`);
    return lookup;
  }
  return { kind: 'not-running', stateDir: places[0]!.stateDir };
}

async function connect(instance: GatewayInstance, place: Candidate, env: Env, options: ConnectOptions): Promise<GatewayLookup> {
  const { stateDir } = place;
  let token: string | undefined;
  try {
    token = await resolveClientToken(env, stateDir, place.configPath);
  } catch (error) {
    return { kind: 'unreachable', instance, stateDir, message: (error as Error).message };
  }
  if (!token) {
    return {
      kind: 'unreachable',
      instance,
      stateDir,
      message: `A gateway runs (pid ${instance.pid}) but no gateway token was found.`,
      fix: `Set ${TOKEN_ENV_VAR}, or run the CLI as the user that runs the gateway (it reads ${join(stateDir, 'gateway.token')}).`,
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
    return { kind: 'running', client, instance, hello, stateDir, close: () => client.close() };
  } catch (error) {
    client.close();
    const clientError = error as ControlClientError;
    return {
      kind: 'unreachable',
      instance,
      stateDir,
      message: `Gateway not reachable at ${instance.url} (pid ${instance.pid}): ${clientError.message}`,
      ...(clientError.fix ? { fix: clientError.fix } : {}),
    };
  }
}

/**
 * The error for a command that would change things behind the back of a gateway that runs but
 * cannot be reached (the pairing files, a second imsg): it says so instead of falling back.
 */
export function refuseBehindGateway(lookup: Extract<GatewayLookup, { kind: 'unreachable' }>, what: string): CliError {
  return new CliError(
    `${lookup.message}\nNot ${what} behind its back: the gateway (pid ${lookup.instance.pid}) would not know about it.`,
    EXIT_FAILURE,
    lookup.fix ?? `Try again in a moment; if the gateway stays unreachable, stop it (\`kill ${lookup.instance.pid}\`) and run the command again.`,
  );
}
