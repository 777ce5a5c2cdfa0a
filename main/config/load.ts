// Reading the config file: JSON5 text → object → validated config. A missing file is not an
// error (the defaults apply); anything else that is wrong throws a ConfigError that says where and
// how to fix it. Whether an invalid config stops the gateway is the caller's decision.
import { promises as fs } from 'node:fs';
import JSON5 from 'json5';
import { ConfigError } from './errors';
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

/** The file's text, or undefined when it does not exist. Other read failures throw ConfigError (kind "io"). */
export async function readConfigText(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (error) {
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
  try {
    return JSON5.parse(text.replace(/^\uFEFF/, ''));
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
