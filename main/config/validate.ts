// Validation of a parsed config object: the zod schema of contract/config.ts (types, enums, ranges,
// the field checks of contract/config-checks.ts, unknown keys by the policy each section declares
// there), then the checks that need the whole config (dmPolicy "open" needing "*" on each resolved
// account, account-id collisions, mention patterns). Every problem becomes a ConfigIssue with the
// key path, the value and a fix; zod's own wording never reaches the user.
import { z } from 'zod';
import { imessageKeySource, resolveImessageAccountsWithIssues } from './accounts';
import { ConfigError, type ConfigIssue } from './errors';
import { cloneJson, formatKeyPath, getAtPath, isPlainObject, type KeyPath } from './json-path';
import type { Env } from './paths';
import { ConfigSchema, IMESSAGE_DEFAULTS, keyPolicyOf, schemaAt, type ClawdbotConfig } from '../../contract/config';
import { DEFAULT_GATEWAY_PORT } from '../../contract/constants';
import { suggest } from '../../contract/suggest';

export interface ValidatedConfig {
  config: ClawdbotConfig;
  /** One line each: ignored keys, patterns that cannot work, … */
  warnings: string[];
}

export interface ValidateOptions {
  /** Named in the error message. */
  file?: string;
  /** For `~` expansion while resolving accounts (default process.env). */
  env?: Env;
}

/** Validates a parsed config file. Throws ConfigError listing every problem found. */
export function validateConfig(raw: unknown, options: ValidateOptions = {}): ValidatedConfig {
  const fail = (issues: ConfigIssue[]): never => {
    throw new ConfigError(issues, options.file === undefined ? {} : { file: options.file });
  };
  if (!isPlainObject(raw)) {
    return fail([
      {
        path: '',
        value: raw,
        message: `the file must contain one object { … }, not ${describeType(raw)}`,
        fix: 'Wrap the settings in braces, e.g. { channels: { imessage: { enabled: true } } }.',
      },
    ]);
  }

  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];

  let result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    // Unknown keys are either ignorable (warning) or typos (error). Either way, drop them and
    // validate the rest, so that one run reports every problem in the file.
    const unknownKeys: KeyPath[] = [];
    let otherIssues = false;
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const parent = issue.path.map(toSegment);
        for (const key of issue.keys) {
          const verdict = classifyUnknownKey(parent, key, raw);
          if (verdict.kind === 'warn') warnings.push(verdict.warning);
          else issues.push(verdict.issue);
          unknownKeys.push([...parent, key]);
        }
      } else {
        issues.push(translateIssue(issue, raw));
        otherIssues = true;
      }
    }
    if (otherIssues) return fail(issues);
    const known = cloneJson(raw);
    for (const path of unknownKeys) deleteAtPath(known, path);
    result = ConfigSchema.safeParse(known);
    if (!result.success) return fail([...issues, ...result.error.issues.map((issue) => translateIssue(issue, known))]);
  }

  // Checks that need the whole (type-valid) config.
  const config = result.data as ClawdbotConfig;
  const semantic = checkSemantics(config, options.env ?? process.env);
  issues.push(...semantic.issues);
  if (issues.length > 0) return fail(issues);
  return { config, warnings: [...warnings, ...semantic.warnings] };
}

// ---------------------------------------------------------------------------------------------
// Unknown keys
// ---------------------------------------------------------------------------------------------

type UnknownKeyVerdict = { kind: 'warn'; warning: string } | { kind: 'error'; issue: ConfigIssue };

function classifyUnknownKey(parent: KeyPath, key: string, raw: unknown): UnknownKeyVerdict {
  const path = formatKeyPath([...parent, key]);
  const objectSchema = schemaAt(parent);
  const policy = objectSchema ? keyPolicyOf(objectSchema) : {};
  const known = objectSchema instanceof z.ZodObject ? Object.keys(objectSchema.shape) : [];
  const suggestion = suggest(key, known);
  const note = policy.note ?? 'not supported by Clawdbot for Mac';

  if (policy.unsupported?.includes(key)) return { kind: 'warn', warning: `${path}: ${note}; ignored.` };
  if (policy.otherKeys === 'warn') {
    const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
    return { kind: 'warn', warning: `${path}: ${note}; ignored${hint}.` };
  }
  const where = parent.length > 0 ? `in ${formatKeyPath(parent)}` : 'at the top level';
  return {
    kind: 'error',
    issue: {
      path,
      value: getAtPath(raw, [...parent, key]),
      message: `unknown key`,
      fix: suggestion
        ? `Did you mean "${suggestion}"? Rename the key to "${suggestion}".`
        : `Remove it. Keys allowed ${where}: ${known.filter((k) => k !== '$schema').join(', ')}.`,
    },
  };
}

function deleteAtPath(root: unknown, path: KeyPath): void {
  const parent = getAtPath(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isPlainObject(parent) && typeof last === 'string') delete parent[last];
}

// ---------------------------------------------------------------------------------------------
// zod issue → ConfigIssue
// ---------------------------------------------------------------------------------------------

/** Example values used in fixes, by the last key of the path. */
const EXAMPLES: Record<string, unknown> = {
  ...IMESSAGE_DEFAULTS,
  cliPath: '/opt/homebrew/bin/imsg',
  dbPath: '~/Library/Messages/chat.db',
  remoteHost: 'bot@mac-mini.local',
  allowFrom: ['+15555550123', 'me@icloud.com'],
  groupAllowFrom: ['+15555550123'],
  dmHistoryLimit: 20,
  port: DEFAULT_GATEWAY_PORT,
  bind: 'loopback',
  token: 'a-long-random-string',
  primary: 'anthropic/claude-opus-4-5',
  model: 'anthropic/claude-opus-4-5',
  mentionPatterns: ['@clawd'],
  baseUrl: 'http://127.0.0.1:11434/v1',
  maxTokens: 4096,
  timeoutSeconds: 60,
};

const EXPECTED_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object { … }',
  array: 'a list [ … ]',
  record: 'an object { … }',
};

function toSegment(segment: PropertyKey): string | number {
  return typeof segment === 'number' ? segment : String(segment);
}

/** ", e.g. <value>" for keys we have an example for ("" otherwise); for a list element, one element. */
function exampleFor(path: KeyPath): string {
  const lastKey = [...path].reverse().find((segment): segment is string => typeof segment === 'string');
  if (lastKey === undefined || !Object.hasOwn(EXAMPLES, lastKey)) return '';
  let example = EXAMPLES[lastKey];
  if (typeof path[path.length - 1] === 'number' && Array.isArray(example)) example = example[0];
  return `, e.g. ${JSON.stringify(example)}`;
}

/** Valid ranges stated in full where a bare "at least 1" would undersell them. */
const RANGES: Record<string, string> = { port: 'a whole number from 1 to 65535' };

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  return `a ${typeof value}`;
}

function quoteList(values: readonly unknown[]): string {
  const quoted = values.map((v) => JSON.stringify(v));
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

function translateIssue(issue: z.core.$ZodIssue, raw: unknown): ConfigIssue {
  const segments = issue.path.map(toSegment);
  const path = formatKeyPath(segments);
  const value = getAtPath(raw, segments);
  const example = exampleFor(segments);

  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      if (value === undefined) {
        return { path, value, message: 'is required', fix: `Add ${path}${example || ` (${expected})`}.` };
      }
      if (issue.expected === 'int' && typeof value === 'number') {
        const range = RANGES[String(segments[segments.length - 1])] ?? 'a whole number';
        return { path, value, message: 'must be a whole number', fix: `Set ${path} to ${range}${example}.` };
      }
      return { path, value, message: `must be ${expected}, not ${describeType(value)}`, fix: `Set ${path} to ${expected}${example}.` };
    }
    case 'invalid_value': {
      const allowed = issue.values;
      const guess = typeof value === 'string' ? suggest(value, allowed.map(String)) : undefined;
      return {
        path,
        value,
        message: `must be one of ${quoteList(allowed)}`,
        fix: guess ? `Did you mean "${guess}"? Set ${path} to "${guess}".` : `Set ${path} to one of ${quoteList(allowed)}.`,
      };
    }
    case 'too_small': {
      const range = RANGES[String(segments[segments.length - 1])];
      if (range) return { path, value, message: `must be ${range}`, fix: `Set ${path} to ${range}${example}.` };
      if (issue.origin === 'string') return { path, value, message: 'must not be empty', fix: `Set ${path} to a value${example}, or remove the key.` };
      const min = Number(issue.minimum);
      const bound = issue.inclusive ? (min === 0 ? '0 or more' : `at least ${min}`) : min === 0 ? 'greater than 0' : `greater than ${min}`;
      const zeroNote = issue.inclusive && min === 0 ? ' (0 turns it off)' : '';
      return { path, value, message: `must be ${bound}`, fix: `Set ${path} to a number ${bound}${zeroNote}${example}.` };
    }
    case 'too_big': {
      const range = RANGES[String(segments[segments.length - 1])];
      if (range) return { path, value, message: `must be ${range}`, fix: `Set ${path} to ${range}${example}.` };
      const max = Number(issue.maximum);
      return { path, value, message: `must be at most ${max}`, fix: `Set ${path} to a number no greater than ${max}${example}.` };
    }
    case 'invalid_union': {
      const expected = new Set<string>();
      for (const branch of issue.errors) for (const sub of branch) if (sub.code === 'invalid_type') expected.add(sub.expected);
      const names = [...expected].map((e) => EXPECTED_NAMES[e] ?? e);
      return {
        path,
        value,
        message: `must be ${names.join(' or ') || 'a different kind of value'}, not ${describeType(value)}`,
        fix: `Set ${path} to ${names[0] ?? 'a valid value'}${example || (expected.has('string') ? ', e.g. "+15555550123"' : '')}.`,
      };
    }
    case 'custom': {
      // From the field checks in contract/config-checks.ts, which carry their own fix.
      const params = (issue.params ?? {}) as { fix?: string; value?: unknown };
      const shown = Object.hasOwn(params, 'value') ? params.value : value;
      return { path, value: shown, message: issue.message, fix: params.fix ?? `Correct ${path}.` };
    }
    default:
      return { path, value, message: issue.message, fix: `Correct ${path || 'the file'} (see the config reference).` };
  }
}

// ---------------------------------------------------------------------------------------------
// Checks beyond types
// ---------------------------------------------------------------------------------------------

function checkMentionPatterns(patterns: readonly string[] | undefined, prefix: KeyPath, warnings: string[]): void {
  patterns?.forEach((pattern, index) => {
    const path = formatKeyPath([...prefix, index]);
    if (pattern.trim() === '') {
      warnings.push(`${path}: an empty pattern matches every message, so mention gating does nothing; remove it.`);
      return;
    }
    try {
      new RegExp(pattern, 'i');
    } catch (error) {
      warnings.push(`${path}: ${JSON.stringify(pattern)} is not a valid regular expression (${(error as Error).message}); it is ignored.`);
    }
  });
}

function checkSemantics(config: ClawdbotConfig, env: Env): { issues: ConfigIssue[]; warnings: string[] } {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];

  const imessage = config.channels?.imessage;
  const { accounts, issues: idIssues } = resolveImessageAccountsWithIssues(config, env);
  issues.push(...idIssues);
  if (imessage) {
    for (const account of accounts) {
      if (account.dmPolicy !== 'open' || account.allowFrom.includes('*')) continue;
      const policyPath = imessageKeySource(config, account.accountId, 'dmPolicy');
      const allowPath = imessageKeySource(config, account.accountId, 'allowFrom');
      if (issues.some((issue) => issue.path === policyPath)) continue; // one report per setting
      issues.push({
        path: policyPath,
        value: 'open',
        message: `"open" lets anyone message the assistant, so it requires ${allowPath} to include "*"${accounts.length > 1 ? ` (account "${account.accountId}")` : ''}`,
        fix: `Add "*" to ${allowPath} to confirm that everyone may message it, or set ${policyPath} to "pairing" to approve senders one by one.`,
      });
    }
  }

  checkMentionPatterns(config.messages?.groupChat?.mentionPatterns, ['messages', 'groupChat', 'mentionPatterns'], warnings);
  config.agents?.list?.forEach((agent, index) => {
    checkMentionPatterns(agent.groupChat?.mentionPatterns, ['agents', 'list', index, 'groupChat', 'mentionPatterns'], warnings);
  });

  return { issues, warnings };
}
