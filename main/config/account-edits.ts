// Adding, changing and removing one iMessage account in the config file, as merge patches worked
// out from the file's current shape (write.ts patchConfigFileWith applies them under the lock,
// validated, keeping comments).
//
// Where an account lives (accounts.ts): with no `channels.imessage.accounts` map, the top level of
// `channels.imessage` is the one account, `default`; with a map, each key is an account and the
// top level holds what they share. So:
//   - adding `default` to a file without a map writes the top level;
//   - adding another account to a file whose top level already is the `default` account also adds
//     `accounts.default: {}` (its `name` moved there), so that account keeps running;
//   - removing the last account removes the `channels.imessage` section (otherwise its shared
//     top-level keys would come back as an implicit `default` account nobody asked for).
import { ConfigError } from './errors';
import { formatKeyPath, isPlainObject } from './json-path';
import { DEFAULT_ACCOUNT_ID, normalizeAccountId } from './accounts';
import type { MergePatch } from './write';

/** The keys an account form edits (contract/control-api.ts accountFields, without `ssh`). */
export interface AccountFields {
  name?: string;
  enabled?: boolean;
  cliPath?: string;
  dbPath?: string;
  remoteHost?: string;
  dmPolicy?: string;
  allowFrom?: string[];
  groupPolicy?: string;
  groupAllowFrom?: string[];
}

/** Changes to an account: a value sets the key, null removes it. */
export type AccountChanges = { [K in keyof AccountFields]?: AccountFields[K] | null };

/** Where an account is in the file. */
export interface AccountPlace {
  /** It exists (for `default` without a map: the `channels.imessage` section exists). */
  exists: boolean;
  /** Key path of the object holding its own keys: `channels.imessage` or `channels.imessage.accounts.<key>`. */
  keyPath: string[];
  /** Whether the file has a non-empty accounts map. */
  hasMap: boolean;
}

function section(current: Record<string, unknown>): Record<string, unknown> | undefined {
  const channels = current.channels;
  if (!isPlainObject(channels)) return undefined;
  return isPlainObject(channels.imessage) ? channels.imessage : undefined;
}

function accountMap(current: Record<string, unknown>): Record<string, unknown> | undefined {
  const map = section(current)?.accounts;
  return isPlainObject(map) && Object.keys(map).length > 0 ? map : undefined;
}

/** Account ids are written normalized; anything else is refused with the id to use. */
export function checkAccountId(accountId: string): string {
  const normalized = normalizeAccountId(accountId);
  if (normalized === accountId) return accountId;
  throw new ConfigError([
    {
      path: 'accountId',
      value: accountId,
      message: normalized ? `account ids are lower-case letters, digits, "-" and "_"` : 'this account id has no letters or digits',
      fix: normalized ? `Use "${normalized}".` : 'Use a short id such as "work".',
    },
  ]);
}

export function findAccount(current: Record<string, unknown>, accountId: string): AccountPlace {
  const map = accountMap(current);
  if (map) {
    const rawKey = Object.keys(map).find((key) => normalizeAccountId(key) === accountId);
    return { exists: rawKey !== undefined, keyPath: ['channels', 'imessage', 'accounts', rawKey ?? accountId], hasMap: true };
  }
  if (accountId === DEFAULT_ACCOUNT_ID) return { exists: section(current) !== undefined, keyPath: ['channels', 'imessage'], hasMap: false };
  return { exists: false, keyPath: ['channels', 'imessage', 'accounts', accountId], hasMap: false };
}

/** Nests `value` under `path` as a merge patch. */
function at(path: readonly string[], value: unknown): MergePatch {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as MergePatch;
}

function merge(a: MergePatch, b: MergePatch): MergePatch {
  const out: MergePatch = { ...a };
  for (const [key, value] of Object.entries(b)) out[key] = isPlainObject(out[key]) && isPlainObject(value) ? merge(out[key] as MergePatch, value as MergePatch) : value;
  return out;
}

function notFound(accountId: string): ConfigError {
  return new ConfigError([{ path: 'accountId', value: accountId, message: `there is no iMessage account "${accountId}"`, fix: 'Use an id from channels.imessage.accounts (or add the account first).' }]);
}

/** Adds the account; refuses one that exists. */
export function addAccountPatch(current: Record<string, unknown>, accountId: string, fields: AccountFields): MergePatch {
  checkAccountId(accountId);
  const place = findAccount(current, accountId);
  if (place.exists) {
    throw new ConfigError([
      { path: formatKeyPath(place.keyPath), value: accountId, message: `the iMessage account "${accountId}" already exists`, fix: 'Change it instead (accounts.update, or the account’s settings), or pick another id.' },
    ]);
  }
  const own = withoutUndefined(fields);
  const top = section(current);
  if (!place.hasMap && accountId !== DEFAULT_ACCOUNT_ID && top !== undefined) {
    // The top level is the `default` account today: keep it as one, with its name.
    const keepDefault: MergePatch = typeof top.name === 'string' ? { name: top.name } : {};
    return merge(at(['channels', 'imessage'], { ...(typeof top.name === 'string' ? { name: null } : {}), accounts: { [DEFAULT_ACCOUNT_ID]: keepDefault } }), at(place.keyPath, own));
  }
  return at(place.keyPath, own);
}

/** Changes the account's own keys (null removes one, so it inherits the shared value again). */
export function updateAccountPatch(current: Record<string, unknown>, accountId: string, changes: AccountChanges): MergePatch {
  const place = findAccount(current, accountId);
  if (!place.exists) throw notFound(accountId);
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) if (value !== undefined) patch[key] = value;
  return at(place.keyPath, patch);
}

/** Removes the account; the last one takes the `channels.imessage` section with it. */
export function removeAccountPatch(current: Record<string, unknown>, accountId: string): MergePatch {
  const place = findAccount(current, accountId);
  if (!place.exists) throw notFound(accountId);
  const map = accountMap(current);
  if (!place.hasMap || (map && Object.keys(map).length === 1)) return at(['channels', 'imessage'], null);
  return at(place.keyPath, null);
}

/** The config key path of one of the account's fields, where it would be written. */
export function accountKeyPath(current: Record<string, unknown>, accountId: string, field: string): string {
  return formatKeyPath([...findAccount(current, accountId).keyPath, field]);
}

function withoutUndefined(fields: AccountFields): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

