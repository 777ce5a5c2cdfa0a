// Property-based fuzzing of the config loader (main/config/load.ts + validate.ts): arbitrary
// JSON5-ish text and arbitrary objects must give either a config or a ConfigError whose issues
// each say where, what and how to fix. Never another exception: a broken config file must never
// crash the gateway or the CLI with a stack trace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import JSON5 from 'json5';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatKeyPath } from '../../main/config/json-path';
import { ConfigError, loadConfig, parseConfigText } from '../../main/config/load';
import { validateConfig } from '../../main/config/validate';

const ENV = { HOME: '/Users/fuzz' };

/** Runs `fn`; returns its value, or the ConfigError it threw. Any other exception fails the test. */
function outcome<T>(fn: () => T): { ok: T } | { error: ConfigError } {
  try {
    return { ok: fn() };
  } catch (error) {
    if (error instanceof ConfigError) return { error };
    throw new Error(`expected a value or a ConfigError, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`, { cause: error });
  }
}

function expectWellFormed(error: ConfigError): void {
  expect(error.issues.length).toBeGreaterThan(0);
  for (const issue of error.issues) {
    expect(typeof issue.path).toBe('string');
    expect(issue.message.trim()).not.toBe('');
    expect(issue.fix.trim()).not.toBe('');
    expect(issue.fix).not.toMatch(/undefined|\[object Object\]/);
  }
  expect(error.message.trim()).not.toBe('');
}

// A realistic, valid config to mutate (every section the schema knows).
const BASE = {
  $schema: 'https://example.invalid/schema.json',
  gateway: { port: 18789, bind: 'loopback', mode: 'local', auth: { token: 'secret-token' } },
  channels: {
    imessage: {
      enabled: true,
      cliPath: '/opt/homebrew/bin/imsg',
      dbPath: '~/Library/Messages/chat.db',
      dmPolicy: 'pairing',
      allowFrom: ['+15555550123', 'me@icloud.com'],
      groupPolicy: 'allowlist',
      groupAllowFrom: ['+15555550123'],
      groups: { '42': { requireMention: true, allowFrom: ['+15555550124'] } },
      includeAttachments: false,
      mediaMaxMb: 16,
      textChunkLimit: 4000,
      chunkMode: 'length',
      historyLimit: 50,
      dmHistoryLimit: 20,
      dms: { '+15555550123': { historyLimit: 5 } },
      service: 'auto',
      region: 'US',
      accounts: { work: { name: 'Work', cliPath: '/usr/local/bin/imsg', dmPolicy: 'allowlist', allowFrom: ['+15555550199'] } },
    },
  },
  agents: {
    defaults: { model: { primary: 'local/fast', fallbacks: ['anthropic/claude'] }, timeoutSeconds: 60 },
    list: [{ id: 'main', default: true, name: 'Clawd', identity: { name: 'Clawd', emoji: '🦞' }, groupChat: { mentionPatterns: ['@clawd'] } }],
  },
  models: {
    providers: {
      local: { baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'k', api: 'openai-completions', headers: { 'x-a': 'b' }, models: [{ id: 'fast', name: 'Fast', maxTokens: 1024, input: ['text'] }] },
    },
  },
  messages: { responsePrefix: '🦞', groupChat: { mentionPatterns: ['clawd'], historyLimit: 30 } },
  session: { dmScope: 'per-channel-peer' },
};

type Path = (string | number)[];

/** Every path to a value inside `value` (objects and arrays), including containers. */
function allPaths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => out.push(...allPaths(item, [...prefix, index])));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) out.push(...allPaths(item, [...prefix, key]));
  return out;
}
const BASE_PATHS = allPaths(BASE).filter((path) => path.length > 0);

function setAt(root: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

/** Values of every JSON type plus the troublemakers a config patch over the API could carry. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('', ' ', '*', 'open', 'opn', 'pairing', 'imsg; rm -rf /', '~', '0.0.0.0', 'lan', -1, 0, 0.5, 65536, 1e308, -0, null, true, [], {}, ['*'], [''], [1, 2]),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, undefined),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

describe('parseConfigText (fuzz)', () => {
  it('returns a value or a parse ConfigError with a 1-based position, for arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
        const result = outcome(() => parseConfigText(text, '/cfg/clawdbot.json'));
        if ('error' in result) {
          expect(result.error.kind).toBe('parse');
          expect(result.error.line).toBeGreaterThanOrEqual(1);
          expect(result.error.column).toBeGreaterThanOrEqual(1);
          expect(result.error.message).toMatch(/^Cannot parse \/cfg\/clawdbot\.json:\d+:\d+: /);
          expectWellFormed(result.error);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('handles mutated JSON5 (deleted, inserted, replaced characters, truncation) without crashing', () => {
    const source = fc.oneof(
      fc.constant(JSON5.stringify(BASE, null, 2)),
      fc.constant(JSON.stringify(BASE, null, 2)),
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON5.stringify(value, null, 2)),
    );
    // json5 warns on the console about U+2028 inside strings; that is not what is under test.
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('delete', 'insert', 'replace', 'truncate'), char: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', "'", '/', '*', '\n', '\\', 'x', '0', ' ', '\u2028', '\ufeff', '\u0000') });
    fc.assert(
      fc.property(source, fc.array(edit, { minLength: 1, maxLength: 5 }), (text, edits) => {
        let mutated = text;
        for (const { at, kind, char } of edits) {
          const i = mutated.length === 0 ? 0 : at % mutated.length;
          if (kind === 'delete') mutated = mutated.slice(0, i) + mutated.slice(i + 1);
          else if (kind === 'insert') mutated = mutated.slice(0, i) + char + mutated.slice(i);
          else if (kind === 'replace') mutated = mutated.slice(0, i) + char + mutated.slice(i + 1);
          else mutated = mutated.slice(0, i);
        }
        const parsed = outcome(() => parseConfigText(mutated, '/cfg/clawdbot.json'));
        if ('error' in parsed) {
          expectWellFormed(parsed.error);
          // The code frame points at a real line of the file.
          expect(parsed.error.line!).toBeLessThanOrEqual(mutated.split(/\r?\n/).length + 1);
          return;
        }
        const validated = outcome(() => validateConfig(parsed.ok, { file: '/cfg/clawdbot.json', env: ENV }));
        if ('error' in validated) expectWellFormed(validated.error);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('validateConfig (fuzz)', () => {
  it('accepts the base config (the mutations below start from a valid file)', () => {
    expect(validateConfig(BASE, { env: ENV }).warnings).toEqual([]);
  });

  it('returns a config or a ConfigError for arbitrary values, including non-JSON objects', () => {
    const weird = fc.anything({
      maxDepth: 3,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withNullPrototype: true,
      withSparseArray: true,
      withTypedArray: true,
      withObjectString: true,
      // No BigInt: neither JSON5 files nor JSON over the control API can carry one (with one,
      // errors.ts formatValue throws a TypeError on e.g. [Object.create(null), 0n]; reported).
    });
    fc.assert(
      fc.property(fc.oneof(weird, fc.dictionary(fc.constantFrom('gateway', 'channels', 'agents', 'models', 'messages', 'session', 'plugins', 'gatway'), weird)), (raw) => {
        const result = outcome(() => validateConfig(raw, { env: ENV }));
        if ('error' in result) expectWellFormed(result.error);
      }),
      { numRuns: 2000 },
    );
  });

  it('names the broken key when one value of a valid config is replaced', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BASE_PATHS), anyValue, (path, value) => {
        const raw = setAt(BASE, path, value);
        const result = outcome(() => validateConfig(raw, { env: ENV }));
        if ('ok' in result) return;
        expectWellFormed(result.error);
        // Some issue is about the replaced key, something inside it, or (for a required key
        // inside it / a whole-config check) its parent object.
        const broken = formatKeyPath(path);
        const parent = formatKeyPath(path.slice(0, -1));
        const related = result.error.issues.some((issue) => issue.path.startsWith(broken) || issue.path === parent || broken.startsWith(issue.path) && issue.path !== '');
        expect(related, `${broken} = ${JSON.stringify(value)} → ${result.error.message}`).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent: a validated config validates again to the same config', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BASE_PATHS), anyValue, (path, value) => {
        const result = outcome(() => validateConfig(setAt(BASE, path, value), { env: ENV }));
        if ('error' in result) return;
        const again = validateConfig(structuredClone(result.ok.config), { env: ENV });
        expect(again.config).toEqual(result.ok.config);
      }),
      { numRuns: 2000 },
    );
  });

  it('reports unknown keys anywhere as an error or a warning, never a crash', () => {
    const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'dmPolicyy', 'allowfrom', 'port ', ''));
    fc.assert(
      fc.property(fc.constantFrom(...allPaths(BASE).filter((path) => { const node = path.reduce<unknown>((n, s) => (n as Record<string | number, unknown>)[s], BASE); return node !== null && typeof node === 'object' && !Array.isArray(node); })), key, anyValue, (path, name, value) => {
        const raw = structuredClone(BASE) as Record<string, unknown>;
        const node = path.reduce<Record<string | number, unknown>>((n, s) => n[s] as Record<string | number, unknown>, raw);
        Object.defineProperty(node, name, { value, enumerable: true, configurable: true, writable: true });
        const result = outcome(() => validateConfig(raw, { env: ENV }));
        if ('error' in result) expectWellFormed(result.error);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('loadConfig on real files (fuzz)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fuzz-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives a config or a ConfigError for arbitrary bytes on disk (BOM, NUL, invalid UTF-8)', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.jsonValue({ maxDepth: 3 }).map((value) => new Uint8Array(Buffer.from(`\ufeff${JSON5.stringify({ channels: { imessage: { allowFrom: [value] } } })}`))),
      fc.constant(new Uint8Array(Buffer.from('{ channels: { imessage: { cliPath: "/x/\xff\xfeimsg" } } }', 'latin1'))),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(bytes, async (content) => {
        const path = join(dir, `c${n++}.json`);
        writeFileSync(path, content, { mode: 0o600 });
        try {
          const loaded = await loadConfig({ path, env: ENV });
          expect(loaded.exists).toBe(true);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          expectWellFormed(error);
          expect(error.file).toBe(path);
        }
      }),
      { numRuns: 200 },
    );
  });
});
