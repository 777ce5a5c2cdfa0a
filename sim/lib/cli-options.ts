// A small argv parser with imsg's option-error wording (`Missing required option: --x`,
// `Invalid value for option: --x`). Errors go to stdout with exit code 1, like the real CLI.

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** `list`: repeatable (read with `list()` for comma-splitting or `all()` for raw values). */
export type OptionKind = 'value' | 'flag' | 'list';
export type OptionSpec = Record<string, OptionKind>;

/** Options every imsg command accepts (they have no effect here). */
const GLOBAL: OptionSpec = { db: 'value', json: 'flag', verbose: 'flag', 'log-level': 'value' };
const ALIASES: Record<string, string> = { '-v': 'verbose', '-j': 'json', '--json-output': 'json', '--jsonOutput': 'json' };

export class ParsedOptions {
  constructor(private readonly values: Map<string, string[]>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  string(name: string): string | undefined {
    const list = this.values.get(name);
    return list?.[list.length - 1];
  }

  /** Every value of a repeatable option, as given. */
  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  /** Repeated and/or comma-separated values, trimmed, empties dropped. */
  list(name: string): string[] {
    return (this.values.get(name) ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  }

  /** Integer option (negative allowed); malformed → `Invalid value for option: --name`. */
  int(name: string): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!/^[+-]?\d+$/.test(raw.trim())) throw new CliError(`Invalid value for option: --${name}`);
    return Number(raw.trim());
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw new CliError(`Missing required option: --${name}`);
    return value;
  }
}

export function parseOptions(args: string[], spec: OptionSpec): ParsedOptions {
  const all: OptionSpec = { ...GLOBAL, ...spec };
  const values = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    let name: string;
    let inline: string | undefined;
    if (ALIASES[arg]) name = ALIASES[arg] as string;
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      throw new CliError(`Unexpected argument: ${arg}`);
    }
    const kind = all[name];
    if (!kind) throw new CliError(`Unknown option: --${name}`);
    let value = 'true';
    if (kind !== 'flag') {
      if (inline !== undefined) value = inline;
      else if (i + 1 < args.length) value = args[++i] as string;
      else throw new CliError(`Missing value for option: --${name}`);
    }
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return new ParsedOptions(values);
}

/** `--debounce`: a number with one unit (`ms`, `s`, `m`, `h`; bare = seconds). `2s500ms` is rejected, as in imsg. */
export function parseDuration(raw: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!match) throw new CliError(`Invalid value for option: --${option}`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * factor);
}
