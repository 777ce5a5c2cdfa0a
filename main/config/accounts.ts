// Turns `channels.imessage` into one ResolvedImessageAccount per account.
//
// Rules (spec feature #5/#6, with the original's quirks removed):
// - Account ids are the keys of `channels.imessage.accounts`, normalized (lower-case
//   `[a-z0-9_-]`, at most 64 characters) and sorted. Two keys that normalize to the same id, or a
//   key with no usable character, are config errors. With no (or an empty) `accounts` map there is
//   one account, `default`, made of the top-level keys.
// - Each account = top-level keys, overridden key by key by the account's own keys (shallow: an
//   account's `groups` map replaces the top-level one). Then IMESSAGE_DEFAULTS fill what is still
//   unset, so a top-level `dmPolicy` reaches every account that does not set its own.
// - `name` is not inherited: it labels one account.
// - `enabled` is false when the top level or the account says `enabled: false` (the top-level
//   switch turns the whole channel off).
// - `configured` is true when the file has a `channels.imessage` section at all. The original
//   derives it from a list of keys, but its schema defaults make any section count, so this is the
//   same result stated plainly. An account with no section is shown as "not configured" and not started.
// - `historyLimit` falls back to `messages.groupChat.historyLimit`, then 50.
// - `~` is expanded in `cliPath` and `dbPath`. `remoteHost` is only the explicit value; detecting
//   it from an SSH wrapper script happens when the channel starts (it needs to read that file).
import { ConfigError, type ConfigIssue } from './errors';
import { formatKeyPath } from './json-path';
import { expandHome, type Env } from './paths';
import { IMESSAGE_DEFAULTS, type ClawdbotConfig, type ImessageAccountConfig } from '../../contract/config';
import type { ResolvedImessageAccount } from './types';

export const DEFAULT_ACCOUNT_ID = 'default';
const MAX_ACCOUNT_ID_LENGTH = 64;

/** Lower-case, runs of other characters become "-", no leading/trailing "-", at most 64. "" if nothing is left. */
export function normalizeAccountId(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_ACCOUNT_ID_LENGTH)
    .replace(/-+$/, '');
}

interface AccountEntry {
  accountId: string;
  /** The key as written in the file; undefined for the implicit `default` account. */
  rawKey?: string;
  own: ImessageAccountConfig;
}

export interface AccountResolution {
  accounts: ResolvedImessageAccount[];
  /** Account-id problems (collisions, ids with no usable character). */
  issues: ConfigIssue[];
}

function accountEntries(config: ClawdbotConfig): { entries: AccountEntry[]; issues: ConfigIssue[] } {
  const map = config.channels?.imessage?.accounts;
  if (!map || Object.keys(map).length === 0) return { entries: [{ accountId: DEFAULT_ACCOUNT_ID, own: {} }], issues: [] };

  const issues: ConfigIssue[] = [];
  const byId = new Map<string, AccountEntry>();
  for (const [rawKey, own] of Object.entries(map)) {
    const path = formatKeyPath(['channels', 'imessage', 'accounts', rawKey]);
    const accountId = normalizeAccountId(rawKey);
    if (!accountId) {
      issues.push({
        path,
        value: rawKey,
        message: 'this account id has no letters or digits',
        fix: 'Rename the account to a short id made of letters, digits, "-" or "_", e.g. "work".',
      });
      continue;
    }
    const previous = byId.get(accountId);
    if (previous) {
      issues.push({
        path,
        value: rawKey,
        message: `account ids ${JSON.stringify(previous.rawKey)} and ${JSON.stringify(rawKey)} both become "${accountId}" (ids are lower-cased, other characters become "-")`,
        fix: `Rename one of the two accounts so that their ids differ.`,
      });
      continue;
    }
    byId.set(accountId, { accountId, rawKey, own });
  }
  const entries = [...byId.values()].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  return { entries, issues };
}

function resolveEntry(config: ClawdbotConfig, entry: AccountEntry, env: Env): ResolvedImessageAccount {
  const section = config.channels?.imessage;
  const { accounts: _accounts, name: topName, ...inherited } = section ?? {};
  const own = entry.own;
  const merged: ImessageAccountConfig = { ...inherited, ...own };
  const d = IMESSAGE_DEFAULTS;

  const account: ResolvedImessageAccount = {
    accountId: entry.accountId,
    enabled: section?.enabled !== false && own.enabled !== false,
    configured: section !== undefined,
    cliPath: expandHome(merged.cliPath ?? d.cliPath, env),
    dmPolicy: merged.dmPolicy ?? d.dmPolicy,
    allowFrom: merged.allowFrom ?? [],
    groupPolicy: merged.groupPolicy ?? d.groupPolicy,
    groups: merged.groups ?? {},
    includeAttachments: merged.includeAttachments ?? d.includeAttachments,
    mediaMaxMb: merged.mediaMaxMb ?? d.mediaMaxMb,
    textChunkLimit: merged.textChunkLimit ?? d.textChunkLimit,
    chunkMode: merged.chunkMode ?? d.chunkMode,
    historyLimit: merged.historyLimit ?? config.messages?.groupChat?.historyLimit ?? d.historyLimit,
    dms: merged.dms ?? {},
    service: merged.service ?? d.service,
    region: merged.region ?? d.region,
  };
  // Optional fields are left out rather than set to undefined, so resolved accounts compare and
  // serialize cleanly.
  const name = entry.rawKey === undefined ? topName : own.name;
  if (name !== undefined) account.name = name;
  if (merged.dbPath !== undefined) account.dbPath = expandHome(merged.dbPath, env);
  if (merged.remoteHost !== undefined) account.remoteHost = merged.remoteHost;
  if (merged.groupAllowFrom !== undefined) account.groupAllowFrom = merged.groupAllowFrom;
  if (merged.dmHistoryLimit !== undefined) account.dmHistoryLimit = merged.dmHistoryLimit;
  return account;
}

/** Resolves every account and reports account-id problems instead of throwing (used by validation). */
export function resolveImessageAccountsWithIssues(config: ClawdbotConfig, env: Env = process.env): AccountResolution {
  const { entries, issues } = accountEntries(config);
  return { accounts: entries.map((entry) => resolveEntry(config, entry, env)), issues };
}

/** One resolved account per configured iMessage account, sorted by id. Throws ConfigError on id problems. */
export function resolveImessageAccounts(config: ClawdbotConfig, env: Env = process.env): ResolvedImessageAccount[] {
  const { accounts, issues } = resolveImessageAccountsWithIssues(config, env);
  if (issues.length > 0) throw new ConfigError(issues);
  return accounts;
}

/** `default` if that account exists, else the first id in sorted order. */
export function resolveDefaultAccountId(config: ClawdbotConfig): string {
  const ids = accountEntries(config).entries.map((entry) => entry.accountId);
  return ids.includes(DEFAULT_ACCOUNT_ID) ? DEFAULT_ACCOUNT_ID : (ids[0] ?? DEFAULT_ACCOUNT_ID);
}

/**
 * Where an account's effective value for `key` comes from: the account's own key if it sets it,
 * else the top-level key. Used to point errors at the line the user has to change.
 */
export function imessageKeySource(config: ClawdbotConfig, accountId: string, key: keyof ImessageAccountConfig): string {
  const entry = accountEntries(config).entries.find((e) => e.accountId === accountId);
  if (entry?.rawKey !== undefined && entry.own[key] !== undefined) {
    return formatKeyPath(['channels', 'imessage', 'accounts', entry.rawKey, key]);
  }
  return formatKeyPath(['channels', 'imessage', key]);
}
