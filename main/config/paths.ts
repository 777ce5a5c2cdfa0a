// Where Clawdbot keeps its state and its config file. Every function takes the environment as a
// parameter (default `process.env`) so that tests and the demo mode can point everything at a
// temp directory without touching the user's real `~/.clawdbot`.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export type Env = Record<string, string | undefined>;

export const STATE_DIR_ENV = 'CLAWDBOT_STATE_DIR';
export const CONFIG_PATH_ENV = 'CLAWDBOT_CONFIG_PATH';
/** Overrides the credentials folder alone (pairing requests and approved senders). */
export const CREDENTIALS_DIR_ENV = 'CLAWDBOT_OAUTH_DIR';
/** The names the upstream project used after its rename; honoured when ours are not set. */
const STATE_DIR_ALIAS = 'MOLTBOT_STATE_DIR';
const CONFIG_PATH_ALIAS = 'MOLTBOT_CONFIG_PATH';
export const CONFIG_FILE_NAME = 'clawdbot.json';

/** `$HOME` when set (so tests can fake it), else the OS account's home directory. */
export function homeDir(env: Env = process.env): string {
  return env.HOME || homedir();
}

/** Expands a leading `~` or `~/`; anything else (including `~user/…`) is returned unchanged. */
export function expandHome(path: string, env: Env = process.env): string {
  if (path === '~') return homeDir(env);
  if (path.startsWith('~/')) return join(homeDir(env), path.slice(2));
  return path;
}

/** An override from the environment: `~` expanded, relative paths made absolute (against the cwd). */
function envPath(value: string | undefined, env: Env): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? resolve(expandHome(trimmed, env)) : undefined;
}

/** The state dir the environment asks for ($CLAWDBOT_STATE_DIR, else $MOLTBOT_STATE_DIR), if any. */
export function stateDirFromEnv(env: Env = process.env): string | undefined {
  return envPath(env[STATE_DIR_ENV], env) ?? envPath(env[STATE_DIR_ALIAS], env);
}

/** The config file the environment asks for ($CLAWDBOT_CONFIG_PATH, else $MOLTBOT_CONFIG_PATH), if any. */
export function configPathFromEnv(env: Env = process.env): string | undefined {
  return envPath(env[CONFIG_PATH_ENV], env) ?? envPath(env[CONFIG_PATH_ALIAS], env);
}

/** The state dir from the environment, else `~/.clawdbot`. Holds the config, credentials (pairing) and caches. */
export function resolveStateDir(env: Env = process.env): string {
  return stateDirFromEnv(env) ?? join(homeDir(env), '.clawdbot');
}

/** The config file from the environment, else `<stateDir>/clawdbot.json`. */
export function resolveConfigPath(env: Env = process.env): string {
  return configPathFromEnv(env) ?? join(resolveStateDir(env), CONFIG_FILE_NAME);
}

/** `$CLAWDBOT_OAUTH_DIR`, else `<stateDir>/credentials`: where the pairing files live. */
export function resolveCredentialsDir(stateDir: string, env: Env = process.env): string {
  return envPath(env[CREDENTIALS_DIR_ENV], env) ?? join(stateDir, 'credentials');
}
