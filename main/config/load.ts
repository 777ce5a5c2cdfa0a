// Reading the config file: JSON5 text → object → validated config. A missing file is not an
// error (the defaults apply); anything else that is wrong throws a ConfigError that says where and
// how to fix it. Whether an invalid config stops the gateway is the caller's decision.
import { constants, promises as fs } from 'node:fs';
import JSON5 from 'json5';
import { ConfigError } from './errors';
import { MAX_CONFIG_DEPTH, nestsDeeperThan } from './json-path';
import { resolveConfigPath, type Env } from './paths';
import type { ClawdbotConfig } from '../../contract/config';
import { validateConfig } from './validate';

export { ConfigError, type ConfigIssue } from './errors';

export interface LoadedConfig {
  config: ClawdbotConfig;
  warnings: string[];
  /** The file that was read (or would have been). */
  path: string;
  exists: boolean;
}

export interface LoadConfigOptions {
  /** Default: resolveConfigPath(env). */
  path?: string;
  env?: Env;
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const path = options.path ?? resolveConfigPath(env);
  const text = await readConfigText(path);
  if (text === undefined) {
    return { ...validateConfig({}, { file: path, env }), path, exists: false };
  }
  const raw = parseConfigText(text, path);
  const { config, warnings } = validateConfig(raw, { file: path, env });
  const permissionWarning = await loosePermissionsWarning(path);
  return { config, warnings: permissionWarning ? [...warnings, permissionWarning] : warnings, path, exists: true };
}

/**
 * The largest config file read. Real ones are a few KB; parsing is synchronous (about 0.1 s per
 * MB), so a runaway file must not block the gateway's event loop.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** What a non-regular file is, for the error. */
function kindOf(stat: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a file';
}

/**
 * The file's text, or undefined when it does not exist. Other read failures throw ConfigError
 * (kind "io"), and so do a path that is not a regular file (a FIFO would stall the read until a
 * writer appears: opened non-blocking, checked, refused) and a file larger than MAX_CONFIG_BYTES.
 */
export async function readConfigText(path: string): Promise<string | undefined> {
  let handle: fs.FileHandle | undefined;
  try {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; regular files ignore it.
    handle = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = await handle.stat();
    if (!stat.isFile()) {
      const fix = `Point CLAWDBOT_CONFIG_PATH at a regular file, or replace ${path} with one.`;
      const what = stat.isDirectory() ? `${path} is a directory` : `${path} is not a regular file (${kindOf(stat)})`;
      throw new ConfigError([{ path: '', value: undefined, message: what, fix }], { kind: 'io', file: path, message: `Cannot read config file ${what}.
Fix: ${fix}` });
    }
    if (stat.size > MAX_CONFIG_BYTES) {
      const what = `${path} is ${(stat.size / 1024 / 1024).toFixed(1)} MB; a config file may be at most ${MAX_CONFIG_BYTES / 1024} KB`;
      const fix = 'Remove what does not belong in the config (a config is a few KB), or restore it from a backup.';
      throw new ConfigError([{ path: '', value: undefined, message: what, fix }], { kind: 'io', file: path, message: `Cannot read config file: ${what}.
Fix: ${fix}` });
    }
    return await handle.readFile('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const fix =
      code === 'EACCES' || code === 'EPERM'
        ? `Make the file readable by your user: chmod 600 ${JSON.stringify(path)}.`
        : code === 'EISDIR'
          ? `${path} is a directory; point CLAWDBOT_CONFIG_PATH at a file.`
          : 'Check that the file and its folder are accessible.';
    const message = `Cannot read config file ${path}: ${(error as Error).message}\nFix: ${fix}`;
    throw new ConfigError([{ path: '', value: undefined, message: (error as Error).message, fix }], { kind: 'io', file: path, message });
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * Parses JSON5 text. An empty file counts as `{}`. A syntax error becomes a ConfigError with
 * kind "parse", its 1-based line/column, and a message that shows the offending line:
 * ```
 * Cannot parse /Users/me/.clawdbot/clawdbot.json:3:9: invalid character 'x'
 *     3 |   port: x,
 *       |         ^
 * Fix: …
 * ```
 */
export function parseConfigText(text: string, path?: string): unknown {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON5.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const err = error as Error & { lineNumber?: number; columnNumber?: number };
    const line = err.lineNumber ?? 1;
    const column = err.columnNumber ?? 1;
    // json5 says "JSON5: invalid character 'x' at 3:9"; keep only the reason.
    const reason = err.message.replace(/^JSON5:\s*/, '').replace(/\s+at \d+:\d+$/, '');
    const where = `${path ?? '<config>'}:${line}:${column}`;
    const fix = `Correct the JSON5 syntax at line ${line}, column ${column} (often a missing comma, an unclosed brace, bracket or quote).`;
    const message = [`Cannot parse ${where}: ${reason}`, ...codeFrame(text, line, column), `Fix: ${fix}`].join('\n');
    const options = { kind: 'parse' as const, line, column, message, ...(path === undefined ? {} : { file: path }) };
    throw new ConfigError([{ path: '', value: undefined, message: `${reason} at line ${line}, column ${column}`, fix }], options);
  }
  if (nestsDeeperThan(parsed, MAX_CONFIG_DEPTH)) throw tooDeep(path);
  return parsed;
}

/** A config or patch nested deeper than MAX_CONFIG_DEPTH (refused before anything recurses into it). */
export function tooDeep(path: string | undefined, what = 'the config'): ConfigError {
  return new ConfigError(
    [{ path: '', value: undefined, message: `${what} is nested more than ${MAX_CONFIG_DEPTH} levels deep`, fix: `No Clawdbot setting is nested that deep; remove the deeply nested part.` }],
    path === undefined ? {} : { file: path },
  );
}

function codeFrame(text: string, line: number, column: number): string[] {
  const source = text.split(/\r?\n/)[line - 1];
  if (source === undefined) return [];
  const gutter = String(line).padStart(5);
  const shown = source.length > 120 ? source.slice(0, 120) : source;
  return [`${gutter} | ${shown}`, `${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, column - 1))}^`];
}

/** The config may hold the gateway token and API keys: say so if other users can read it. */
async function loosePermissionsWarning(path: string): Promise<string | undefined> {
  if (process.platform === 'win32') return undefined;
  try {
    const { mode } = await fs.stat(path);
    if ((mode & 0o077) === 0) return undefined;
    return `${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); it may hold tokens and API keys. Run: chmod 600 ${JSON.stringify(path)}`;
  } catch {
    return undefined;
  }
}
