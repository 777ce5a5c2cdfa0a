// The one error type for everything that can be wrong with the config file: unreadable, not
// JSON5, or not a valid Clawdbot config. Each issue names the key path, the value found and the
// fix, so the CLI, the gateway log and the app can show it without knowing what went wrong.

export interface ConfigIssue {
  /** Key path as the user writes it, e.g. `channels.imessage.dmPolicy` ("" = the whole file). */
  path: string;
  /** The offending value as found in the file (undefined when missing). */
  value: unknown;
  /** What is wrong, without the path or value (those are separate fields). */
  message: string;
  /** What to do about it, as one sentence. */
  fix: string;
}

/** `parse`: not JSON5. `invalid`: parsed but rejected by validation. `io`: could not be read or written. */
export type ConfigErrorKind = 'parse' | 'invalid' | 'io';

export interface ConfigErrorOptions {
  kind?: ConfigErrorKind;
  /** The config file, when the error is about one. */
  file?: string;
  /** 1-based position of a parse error. */
  line?: number;
  column?: number;
  /** A ready-made message (parse and io errors); default: the issue list. */
  message?: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly kind: ConfigErrorKind;
  readonly issues: ConfigIssue[];
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;

  constructor(issues: ConfigIssue[], options: ConfigErrorOptions = {}) {
    super(options.message ?? formatIssues(issues, options.file));
    this.kind = options.kind ?? 'invalid';
    this.issues = issues;
    if (options.file !== undefined) this.file = options.file;
    if (options.line !== undefined) this.line = options.line;
    if (options.column !== undefined) this.column = options.column;
  }
}

/** A short rendering of a config value for messages: JSON, cut at 80 characters. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * ```
 * Invalid config at /Users/me/.clawdbot/clawdbot.json (1 problem):
 * - channels.imessage.dmPolicy = "opn": must be one of "pairing", "allowlist", "open", "disabled".
 *   Fix: did you mean "open"? Set channels.imessage.dmPolicy to "open".
 * ```
 */
export function formatIssues(issues: readonly ConfigIssue[], file?: string): string {
  const count = `${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}`;
  const lines = [`Invalid config${file ? ` at ${file}` : ''} (${count}):`];
  for (const issue of issues) {
    const where = issue.path || '(whole file)';
    const value = issue.value === undefined ? '' : ` = ${formatValue(issue.value)}`;
    lines.push(`- ${where}${value}: ${issue.message}`);
    lines.push(`  Fix: ${issue.fix}`);
  }
  return lines.join('\n');
}
