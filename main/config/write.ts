// Changing the config file: from the control API (`config.patch`), the app's settings screens and
// `clawdbot config get|set|unset`.
//
// Guarantees:
// - The result is validated BEFORE anything is written; an invalid result throws ConfigError and
//   the file stays byte-identical.
// - Writes are atomic (temp file + rename), mode 0600, a new folder 0700.
// - The user's file keeps its shape. A file that parses as JSONC (JSON + comments + trailing
//   commas) gets minimal text edits, so comments and formatting survive. A JSON5 file that JSONC
//   cannot read (unquoted keys, single quotes, …) is rewritten with JSON5.stringify, after copying
//   the hand-written original to `<file>.bak`. Keys we do not know are never dropped.
//   A later rewrite never overwrites an earlier backup that holds different text: the next one
//   goes to `<file>.bak-<time>`, so every hand-written version survives.
// - A symlinked config is written through the link: the link stays, its target is replaced
//   atomically (temp file beside the target), and the backup sits beside the target too.
// - Read-modify-write runs under a lock file (`<file>.lock`), so the CLI and a running gateway
//   cannot overwrite each other's changes.
// - A patch nested deeper than MAX_CONFIG_DEPTH is refused before anything recurses into it.
import { promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { applyEdits, findNodeAtLocation, modify, parse as parseJsonc, parseTree, type FormattingOptions, type ParseError } from 'jsonc-parser';
import JSON5 from 'json5';
import { acquireFileLock, FileLockError } from '../util/file-lock';
import { readFileIfExists, writeFileAtomic } from '../util/atomic-file';
import { ConfigError, type ConfigIssue } from './errors';
import { cloneJson, deepEqual, formatKeyPath, getAtPath, isPlainObject, MAX_CONFIG_DEPTH, nestsDeeperThan, parseKeyPath, type KeyPath } from './json-path';
import { parseConfigText, readConfigText, tooDeep } from './load';
import type { Env } from './paths';
import { keyPolicyOf, schemaAt, type ClawdbotConfig } from '../../contract/config';
import { suggest } from '../../contract/suggest';
import { validateConfig } from './validate';

/**
 * A JSON merge patch (RFC 7386): objects merge key by key, `null` deletes a key, anything else
 * replaces. Any keys: the typed form callers of the control API use (contract ConfigPatch) fits, and
 * so do keys the schema does not know (kept in the file, reported by validation).
 */
export type MergePatch = Record<string, unknown>;

export interface WriteResult {
  path: string;
  config: ClawdbotConfig;
  warnings: string[];
  /** How the file was written: created, edited in place (JSONC), or rewritten (JSON5). "unchanged" = nothing to do. */
  format: 'new' | 'jsonc' | 'json5' | 'unchanged';
  /** Set when the previous hand-written file was copied to `<file>.bak`. */
  backupPath?: string;
}

export interface WriteOptions {
  env?: Env;
}

/** One change: set `value` at `path`, or delete the key when `value` is undefined. */
interface Edit {
  path: KeyPath;
  value: unknown;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Deep-merges `patch` into the file (null deletes). Validates first; throws ConfigError if the result is invalid. */
export async function patchConfigFile(path: string, patch: MergePatch, options: WriteOptions = {}): Promise<WriteResult> {
  if (!isPlainObject(patch)) {
    throw new ConfigError([
      { path: '', value: patch, message: 'a config patch must be an object', fix: 'Send an object such as { channels: { imessage: { enabled: false } } }.' },
    ]);
  }
  // Before any recursive step (merge, clone, validation) could run out of stack on it.
  if (nestsDeeperThan(patch, MAX_CONFIG_DEPTH - 1)) throw tooDeep(undefined, 'the patch');
  return editConfigFile(path, (current) => [patchToEdits(current, patch, [])], options);
}

/**
 * Like patchConfigFile, but the patch is worked out from the file as it is under the lock (for
 * changes that depend on the current shape, e.g. adding an account next to the existing ones).
 * `makePatch` may throw ConfigError to refuse the change; nothing is written then.
 */
export async function patchConfigFileWith(path: string, makePatch: (current: Record<string, unknown>) => MergePatch, options: WriteOptions = {}): Promise<WriteResult> {
  return editConfigFile(path, (current) => [patchToEdits(current, makePatch(current), [])], options);
}

/**
 * `clawdbot config set <key> <value>`: the value is parsed as JSON5 when it parses (`true`, `16`,
 * `["+1555…"]`), else taken as text. When the parsed value is rejected but the text is accepted
 * (a token like `12345`), the text is stored. `null` deletes the key.
 */
export async function setConfigValue(
  path: string,
  keyPath: string,
  value: string,
  options: WriteOptions & { force?: boolean } = {},
): Promise<WriteResult & { value: unknown }> {
  const target = toKeyPath(keyPath);
  if (!options.force) {
    const unknown = unknownKeyIssue(target);
    if (unknown) throw new ConfigError([unknown], { file: path });
  }
  const parsed = parseCliValue(value);
  if (nestsDeeperThan(parsed, MAX_CONFIG_DEPTH - target.length)) throw tooDeep(path, 'the value');
  let stored: unknown = parsed;
  const result = await editConfigFile(
    path,
    () => {
      const candidates: Edit[][] = [[{ path: target, value: parsed === null ? undefined : parsed }]];
      if (typeof parsed !== 'string' && parsed !== null) candidates.push([{ path: target, value }]);
      return candidates;
    },
    options,
    (index) => {
      stored = index === 0 ? parsed : value;
    },
  );
  return { ...result, value: stored };
}

/** `clawdbot config unset <key>`. */
export async function unsetConfigValue(path: string, keyPath: string, options: WriteOptions = {}): Promise<WriteResult> {
  const target = toKeyPath(keyPath);
  return editConfigFile(path, () => [[{ path: target, value: undefined }]], options);
}

/** `clawdbot config get <key>`: the value as written in the file (no defaults), undefined when unset. */
export async function getConfigValue(path: string, keyPath: string): Promise<unknown> {
  const target = toKeyPath(keyPath);
  const text = await readConfigText(path);
  if (text === undefined) return undefined;
  return getAtPath(parseConfigText(text, path), target);
}

/** JSON5 when it parses, else the text itself. */
export function parseCliValue(text: string): unknown {
  try {
    return JSON5.parse(text);
  } catch {
    return text;
  }
}

/** RFC 7386 merge: returns a new value; neither argument is modified. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return cloneJson(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    assertSafeKey(key, []);
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------

function toKeyPath(text: string): KeyPath {
  try {
    const path = parseKeyPath(text);
    path.forEach((segment, index) => typeof segment === 'string' && assertSafeKey(segment, path.slice(0, index)));
    return path;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([{ path: text, value: undefined, message: (error as Error).message, fix: 'Write the key as dot.separated.names, with ["…"] around keys that contain dots.' }]);
  }
}

/**
 * The first segment of `path` that the schema does not know (a typo such as `channels.imesage`, or
 * a key Clawdbot ignores), as an issue with the did-you-mean; undefined when every segment is known
 * or lies below a free-form part (records, lists, keys the schema cannot see into).
 */
export function unknownKeyIssue(path: KeyPath): ConfigIssue | undefined {
  const nothingWritten = 'Nothing was written; to write the key anyway, add --force.';
  for (let index = 0; index < path.length; index++) {
    const parent = schemaAt(path.slice(0, index));
    if (!(parent instanceof z.ZodObject)) return undefined;
    const segment = String(path[index]);
    const at = formatKeyPath(path.slice(0, index + 1));
    if (keyPolicyOf(parent).unsupported?.includes(segment)) {
      return { path: at, value: undefined, message: 'is not used by Clawdbot for Mac (it would be ignored)', fix: nothingWritten };
    }
    const known = Object.keys(parent.shape).filter((key) => key !== '$schema');
    if (known.includes(segment)) continue;
    const guess = suggest(segment, known);
    const where = index > 0 ? `in ${formatKeyPath(path.slice(0, index))}` : 'at the top level';
    const hint = guess ? `Did you mean "${formatKeyPath([...path.slice(0, index), guess])}"?` : `Keys allowed ${where}: ${known.join(', ')}.`;
    return { path: at, value: undefined, message: 'unknown key', fix: `${hint} ${nothingWritten}` };
  }
  return undefined;
}

function assertSafeKey(key: string, parent: KeyPath): void {
  if (FORBIDDEN_KEYS.has(key)) {
    throw new ConfigError([{ path: formatKeyPath([...parent, key]), value: undefined, message: `"${key}" cannot be used as a config key`, fix: 'Use a different key name.' }]);
  }
}

/** The smallest set of edits that applies a merge patch, so that untouched parts of the text stay as they are. */
function patchToEdits(current: unknown, patch: MergePatch, prefix: KeyPath): Edit[] {
  const edits: Edit[] = [];
  for (const [key, value] of Object.entries(patch)) {
    assertSafeKey(key, prefix);
    const path = [...prefix, key];
    const existing = isPlainObject(current) ? current[key] : undefined;
    if (value === null) {
      if (existing !== undefined) edits.push({ path, value: undefined });
    } else if (isPlainObject(value) && isPlainObject(existing)) {
      edits.push(...patchToEdits(existing, value, path));
    } else {
      edits.push({ path, value: applyMergePatch(undefined, value) });
    }
  }
  return edits;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Applies edits to a parsed document in place. Throws ConfigError when a path runs through a non-container. */
function applyEditsToValue(root: Record<string, unknown>, edits: readonly Edit[]): void {
  for (const { path, value } of edits) {
    let node: unknown = root;
    for (let i = 0; i < path.length - 1; i++) {
      const segment = path[i]!;
      const nextIsIndex = typeof path[i + 1] === 'number';
      const container = node as Record<string, unknown> | unknown[];
      if (Array.isArray(container) && (typeof segment !== 'number' || segment > container.length)) {
        throw pathError(path.slice(0, i + 1), undefined, `is past the end of the list (length ${container.length})`);
      }
      let child = (container as Record<string | number, unknown>)[segment];
      if (child === undefined) {
        if (nextIsIndex) throw pathError(path.slice(0, i + 1), undefined, 'does not exist, so it has no element to set');
        child = {};
        (container as Record<string | number, unknown>)[segment] = child;
      }
      const ok = nextIsIndex ? Array.isArray(child) : isPlainObject(child);
      if (!ok) throw pathError(path.slice(0, i + 1), child, `is ${describe(child)}, so it cannot hold ${JSON.stringify(path[i + 1])}`);
      node = child;
    }
    const last = path[path.length - 1]!;
    if (Array.isArray(node)) {
      if (typeof last !== 'number' || last > node.length) throw pathError(path, undefined, `is past the end of the list (length ${node.length})`);
      if (value === undefined) node.splice(last, 1);
      else node[last] = value;
    } else if (isPlainObject(node) && typeof last === 'string') {
      if (value === undefined) delete node[last];
      else node[last] = value;
    } else {
      throw pathError(path, undefined, 'is a list index on an object');
    }
  }
}

function pathError(path: KeyPath, value: unknown, message: string): ConfigError {
  const issue: ConfigIssue = { path: formatKeyPath(path), value, message, fix: 'Check the key path (list elements are written [0], [1], …).' };
  return new ConfigError([issue]);
}

function isJsonc(text: string): boolean {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  return errors.length === 0;
}

/** Indentation and line endings as the file already uses them. */
function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /^([ \t]+)\S/m.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent ? indent.length : 2, eol };
}

/**
 * Deletes an object property that sits on lines of its own, together with those lines and its
 * trailing comment. jsonc-parser's own removal cuts from the end of the previous value, which
 * would also delete a comment at the end of the previous line. Returns undefined when the layout
 * is anything else (the caller then uses jsonc-parser's removal).
 */
function removeWholeLines(text: string, path: KeyPath): string | undefined {
  if (typeof path[path.length - 1] !== 'string') return undefined;
  const root = parseTree(text, [], { allowTrailingComma: true });
  const property = root ? findNodeAtLocation(root, path)?.parent : undefined;
  const siblings = property?.parent?.children;
  if (!property || property.type !== 'property' || !siblings) return undefined;

  const start = property.offset;
  const end = property.offset + property.length;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  if (text.slice(lineStart, start).trim() !== '') return undefined;
  // After the property: an optional comma, an optional // comment, then the end of the line.
  const tail = /^[ \t]*(,?)[ \t]*(?:\/\/[^\n]*)?\r?\n/.exec(text.slice(end));
  if (!tail) return undefined;

  let before = text.slice(0, lineStart);
  const index = siblings.indexOf(property);
  if (index === siblings.length - 1 && tail[1] === '' && index > 0) {
    // The file does not use trailing commas: the previous property's comma would now trail.
    const previous = siblings[index - 1]!;
    const previousEnd = previous.offset + previous.length;
    const comma = /^[ \t]*,/.exec(text.slice(previousEnd));
    if (comma) before = text.slice(0, previousEnd) + text.slice(previousEnd + comma[0].length, lineStart);
  }
  return before + text.slice(end + tail[0].length);
}

function renderJson5(value: unknown): string {
  return `${JSON5.stringify(value, null, 2)}\n`;
}

/**
 * The shared read → edit → validate → render → write cycle, under the lock. `plan` returns
 * candidate edit lists in order of preference; the first whose result validates is written
 * (`onChosen` learns which). If none validates, the first candidate's ConfigError is thrown.
 */
async function editConfigFile(
  path: string,
  plan: (current: Record<string, unknown>) => Edit[][],
  options: WriteOptions,
  onChosen?: (index: number) => void,
): Promise<WriteResult> {
  let target: string;
  try {
    target = await writeTarget(path);
    await fs.mkdir(dirname(target), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw ioError(path, error);
  }
  const release = await acquireLock(target);
  try {
    const text = await readConfigText(path);
    const current = text === undefined ? {} : parseConfigText(text, path);
    if (!isPlainObject(current)) {
      throw new ConfigError(
        [{ path: '', value: current, message: `the file must contain one object { … }, not ${describe(current)}`, fix: `Fix ${path} by hand first.` }],
        { file: path },
      );
    }

    let firstError: unknown;
    let chosen: { edits: Edit[]; next: Record<string, unknown>; config: ClawdbotConfig; warnings: string[] } | undefined;
    const candidates = plan(current);
    for (const [index, edits] of candidates.entries()) {
      try {
        const next = cloneJson(current);
        applyEditsToValue(next, edits);
        const { config, warnings } = validateConfig(next, { file: path, env: options.env ?? process.env });
        chosen = { edits, next, config, warnings };
        onChosen?.(index);
        break;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        firstError ??= error;
      }
    }
    if (!chosen) throw firstError;

    const { config, warnings, next, edits } = chosen;
    const base: Omit<WriteResult, 'format'> = { path, config, warnings };
    if (text !== undefined && deepEqual(current, next)) return { ...base, format: 'unchanged' };

    if (text === undefined || text.trim() === '') {
      await writeFileAtomic(target, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 });
      return { ...base, format: 'new' };
    }

    if (isJsonc(text)) {
      const formattingOptions = detectFormatting(text);
      let edited = text;
      for (const edit of edits) {
        edited =
          edit.value === undefined
            ? (removeWholeLines(edited, edit.path) ?? applyEdits(edited, modify(edited, edit.path, undefined, { formattingOptions })))
            : applyEdits(edited, modify(edited, edit.path, edit.value, { formattingOptions }));
      }
      // Belt and braces: only keep the minimal edit if it reads back as exactly the intended config.
      let readBack: unknown;
      try {
        readBack = JSON5.parse(edited);
      } catch {
        readBack = undefined;
      }
      if (deepEqual(readBack, next)) {
        await writeFileAtomic(target, edited, { mode: 0o600, dirMode: 0o700 });
        return { ...base, format: 'jsonc' };
      }
    }

    // Rewrite the whole file. Comments and layout are lost, so the hand-written original is backed
    // up first; when the file is exactly our own earlier output there is nothing to keep.
    const handWritten = text !== renderJson5(current);
    const backupPath = handWritten ? await backupPathFor(target, text) : undefined;
    if (backupPath) await writeFileAtomic(backupPath, text, { mode: 0o600, dirMode: 0o700 });
    await writeFileAtomic(target, renderJson5(next), { mode: 0o600, dirMode: 0o700 });
    return backupPath ? { ...base, format: 'json5', backupPath } : { ...base, format: 'json5' };
  } catch (error) {
    throw error instanceof ConfigError ? error : ioError(path, error);
  } finally {
    await release().catch(() => {});
  }
}

/**
 * The file a write replaces: `path` itself, or — for a symlink — the file it points to (followed to
 * the end, relative links resolved against their folder), so the link is kept. A dangling link's
 * target is created.
 */
async function writeTarget(path: string): Promise<string> {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    let stat;
    try {
      stat = await fs.lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return current;
      throw error;
    }
    if (!stat.isSymbolicLink()) return current;
    current = resolve(dirname(current), await fs.readlink(current));
  }
  throw Object.assign(new Error(`${path}: too many levels of symbolic links`), { code: 'ELOOP' });
}

/**
 * Where the hand-written text goes before a rewrite: `<file>.bak`, unless that already holds other
 * text (an earlier version the person wrote), which is never overwritten: then `<file>.bak-<time>`.
 */
async function backupPathFor(target: string, text: string): Promise<string | undefined> {
  const first = `${target}.bak`;
  const existing = await readFileIfExists(first);
  if (existing === undefined) return first;
  if (existing === text) return undefined; // already kept
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (let n = 0; ; n++) {
    const candidate = `${target}.bak-${stamp}${n > 0 ? `-${n}` : ''}`;
    if ((await readFileIfExists(candidate)) === undefined) return candidate;
  }
}

/** A failed read/write (disk full, permissions) as a ConfigError, so callers handle one error type. */
function ioError(path: string, error: unknown): ConfigError {
  const reason = (error as Error).message;
  const code = (error as NodeJS.ErrnoException).code;
  const fix =
    code === 'EACCES' || code === 'EPERM'
      ? `Make ${dirname(path)} and the file writable by your user (chmod 700 on the folder, 600 on the file).`
      : code === 'ENOSPC'
        ? 'Free some disk space and try again.'
        : code === 'EROFS'
          ? `${dirname(path)} is on a read-only volume; point CLAWDBOT_CONFIG_PATH at a writable location.`
          : 'Check that the folder exists and is writable, then try again.';
  return new ConfigError([{ path: '', value: undefined, message: reason, fix }], {
    kind: 'io',
    file: path,
    message: `Cannot write ${path}: ${reason}\nFix: ${fix}`,
  });
}

async function acquireLock(path: string): Promise<() => Promise<void>> {
  try {
    // The write itself is atomic; a lock lost to a stalled event loop only means another writer
    // may interleave, so a compromised lock is ignored (the default would crash the gateway).
    return await acquireFileLock(path, { staleMs: 10_000, retries: 50, minRetryDelayMs: 10, maxRetryDelayMs: 100 });
  } catch (error) {
    // Only a lock held by someone else means another writer; a lock that cannot be created at
    // all (read-only volume, full disk, permissions) is a write failure and gets that fix.
    if (!(error instanceof FileLockError)) throw ioError(path, error);
    const fix = `Try again. If no other Clawdbot process is running, delete ${path}.lock.`;
    throw new ConfigError([{ path: '', value: undefined, message: `the config file is locked: ${error.message}`, fix }], {
      kind: 'io',
      file: path,
      message: `Cannot write ${path}: another process is changing it (${error.message}).\nFix: ${fix}`,
    });
  }
}
