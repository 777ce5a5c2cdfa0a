// `clawdbot config get|set|unset|validate`. Writes go through main/config/write.ts (validated first,
// atomic, comments kept, locked against the gateway's own writes); a running gateway picks changes
// up by itself (hot reload).
import { ConfigError, formatValue } from '../../config/errors';
import { loadConfig } from '../../config/load';
import { resolveConfigPath, resolveStateDir } from '../../config/paths';
import { getConfigValue, setConfigValue, unsetConfigValue, type WriteResult } from '../../config/write';
import { readInstanceFile } from '../../gateway/instance-file';
import { displaySafeText } from '../../../contract/display-text';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../output';

export interface ConfigOptions {
  json?: boolean;
  /** `config set`: write a key the schema does not know (it is then ignored, with a warning). */
  force?: boolean;
}

function configFailure(error: unknown, usage: boolean): never {
  if (error instanceof ConfigError) {
    // The message already lists each problem with its key path, value and fix.
    throw new CliError(error.message, error.kind === 'io' ? EXIT_FAILURE : usage ? EXIT_USAGE : EXIT_FAILURE);
  }
  throw error;
}

export async function configGet(key: string, opts: ConfigOptions): Promise<number> {
  const path = resolveConfigPath();
  let value: unknown;
  try {
    value = await getConfigValue(path, key);
  } catch (error) {
    configFailure(error, true);
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ path, key, set: value !== undefined, ...(value !== undefined ? { value } : {}) }, null, 2)}\n`);
    return value === undefined ? EXIT_FAILURE : EXIT_OK;
  }
  if (value === undefined) {
    process.stderr.write(`${key} is not set in ${path} (its default applies).\n`);
    return EXIT_FAILURE;
  }
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
  return EXIT_OK;
}

export async function configSet(key: string, value: string, opts: ConfigOptions): Promise<number> {
  const path = resolveConfigPath();
  let result: WriteResult & { value: unknown };
  try {
    result = await setConfigValue(path, key, value, { force: opts.force === true });
  } catch (error) {
    configFailure(error, true);
  }
  return reportWrite(result, opts, result.value === null ? `Removed ${key} from ${path}.` : `Set ${key} = ${formatValue(result.value)} in ${path}.`);
}

export async function configUnset(key: string, opts: ConfigOptions): Promise<number> {
  const path = resolveConfigPath();
  let result: WriteResult;
  try {
    result = await unsetConfigValue(path, key);
  } catch (error) {
    configFailure(error, true);
  }
  return reportWrite(result, opts, result.format === 'unchanged' ? `${key} was not set in ${path}; nothing changed.` : `Removed ${key} from ${path}.`);
}

async function reportWrite(result: WriteResult, opts: ConfigOptions, summary: string): Promise<number> {
  const gateway = await readInstanceFile(resolveStateDir());
  if (opts.json) {
    const { config: _config, ...rest } = result;
    process.stdout.write(`${JSON.stringify({ ...rest, gatewayRunning: gateway !== undefined }, null, 2)}\n`);
    return EXIT_OK;
  }
  const lines = [summary];
  if (result.backupPath) lines.push(`The previous file was kept as ${result.backupPath} (it could not be edited in place).`);
  for (const warning of result.warnings) lines.push(`Warning: ${warning}`);
  if (gateway && result.format !== 'unchanged') lines.push(`The running gateway (pid ${gateway.pid}) applies it automatically.`);
  process.stdout.write(`${displaySafeText(lines.join('\n'))}\n`);
  return EXIT_OK;
}

/** Exit 0 when valid (or absent: the defaults apply), 1 when not, with every problem listed. */
export async function configValidate(opts: ConfigOptions): Promise<number> {
  const path = resolveConfigPath();
  try {
    const loaded = await loadConfig({ path });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ path, exists: loaded.exists, valid: true, issues: [], warnings: loaded.warnings }, null, 2)}\n`);
    } else {
      // "OK" only when there is nothing to look at: a warning is a setting that does not apply.
      const count = loaded.warnings.length;
      const heading = !loaded.exists
        ? `No config file at ${path}; the defaults apply.`
        : count === 0
          ? `Config OK: ${path}`
          : `Config valid, with ${count} ${count === 1 ? 'warning' : 'warnings'} (these settings do not apply as written): ${path}`;
      const lines = [heading];
      for (const warning of loaded.warnings) lines.push(`Warning: ${warning}`);
      process.stdout.write(`${displaySafeText(lines.join('\n'))}\n`);
    }
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (opts.json) {
      const issues = error.issues.map((issue) => ({ path: issue.path, ...(issue.value !== undefined ? { value: issue.value } : {}), message: issue.message, fix: issue.fix }));
      const position = error.line !== undefined ? { line: error.line, column: error.column } : {};
      process.stdout.write(`${JSON.stringify({ path, exists: true, valid: false, kind: error.kind, ...position, issues, warnings: [] }, null, 2)}\n`);
    } else {
      process.stdout.write(`${error.message}\n`);
    }
    return EXIT_FAILURE;
  }
}
