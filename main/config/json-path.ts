// Addressing and comparing plain JSON values (what a parsed config file is made of).
//
// Key paths are written the way users see them in errors and type them in `clawdbot config get|set`:
// `channels.imessage.accounts.work.cliPath`, `agents.list[0].id`, `channels.imessage.dms["me@icloud.com"]`.
// A `[n]` segment is an array index; every other segment (even `groups.42`) is an object key.

export type KeySegment = string | number;
export type KeyPath = KeySegment[];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const PLAIN_SEGMENT = /^[A-Za-z0-9_$*-]+$/;

export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (PLAIN_SEGMENT.test(key)) out += out ? `.${key}` : key;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Inverse of formatKeyPath. Throws an Error that shows where the syntax is wrong. */
export function parseKeyPath(text: string): KeyPath {
  const path: KeyPath = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`Invalid key path ${JSON.stringify(text)} at character ${i + 1}: ${why}. Example: channels.imessage.dms["me@icloud.com"].historyLimit`);
  };
  if (!text.trim()) fail('the path is empty');
  while (i < text.length) {
    const ch = text[i];
    if (ch === '[') {
      // [12], ["key"] (JSON string escapes) or ['key'] (no escapes).
      const rest = text.slice(i);
      const match = /^\[\s*(?:(\d+)|("(?:[^"\\]|\\.)*")|'([^']*)')\s*\]/.exec(rest);
      if (!match) fail(rest.includes(']') ? 'expected [<index>] or ["<key>"]' : 'missing "]"');
      const [whole, index, doubleQuoted, singleQuoted] = match!;
      if (index !== undefined) path.push(Number(index));
      else if (doubleQuoted !== undefined) path.push(JSON.parse(doubleQuoted) as string);
      else path.push(singleQuoted!);
      i += whole.length;
      if (i < text.length && text[i] === '.') {
        i += 1;
        if (i >= text.length) fail('the path ends with "."');
      }
    } else {
      let end = i;
      while (end < text.length && text[end] !== '.' && text[end] !== '[') end += 1;
      const key = text.slice(i, end);
      if (!key) fail('empty key');
      path.push(key);
      i = end;
      if (text[i] === '.') {
        i += 1;
        if (i >= text.length) fail('the path ends with "."');
      }
    }
  }
  return path;
}

export function getAtPath(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isPlainObject(node) && typeof segment !== 'symbol' && Object.hasOwn(node, String(segment))) node = node[String(segment)];
    else return undefined;
  }
  return node;
}

/**
 * Deep equality of JSON-like values. Object keys whose value is `undefined` count as absent, so a
 * resolved object that omits a field equals one that spells it out as undefined.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => deepEqual(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
    const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
    if (keysA.length !== keysB.length) return false;
    return keysA.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** A deep copy of a JSON value (structuredClone keeps the plain-object prototypes we rely on). */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}

/**
 * The deepest a config (or a patch of it) may nest. The schema itself needs fewer than 10 levels;
 * the limit leaves room for keys we do not know while keeping every recursive step (merge, clone,
 * compare, validate) far from the call stack's limit.
 */
export const MAX_CONFIG_DEPTH = 32;

/** True when objects/arrays in `value` nest deeper than `max` levels. Iterative: safe on any input. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(node as Record<string, unknown>)) stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}
