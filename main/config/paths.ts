// Where Clawdbot keeps its state and its config file. Every function takes the environment as a
// parameter (default `process.env`) so that tests and the demo mode can point everything at a
// temp directory without touching the user's real `~/.clawdbot`.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export type Env = Record<string, string | undefined>;

export const STATE_DIR_ENV = 'CLAWDBOT_STATE_DIR';
export const CONFIG_PATH_ENV = 'CLAWDBOT_CONFIG_PATH';
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

/** `$CLAWDBOT_STATE_DIR`, else `~/.clawdbot`. Holds the config, credentials (pairing) and caches. */
export function resolveStateDir(env: Env = process.env): string {
  return envPath(env[STATE_DIR_ENV], env) ?? join(homeDir(env), '.clawdbot');
}

/** `$CLAWDBOT_CONFIG_PATH`, else `<stateDir>/clawdbot.json`. */
export function resolveConfigPath(env: Env = process.env): string {
  return envPath(env[CONFIG_PATH_ENV], env) ?? join(resolveStateDir(env), CONFIG_FILE_NAME);
}
