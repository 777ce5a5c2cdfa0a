// Small changes to the config as merge patches (`config.patch`): where a key lives (an account's
// own value, or the top level it inherits from) and the patch that changes it there. Lists are
// replaced as a whole, so each patch carries the full new list.
import type { ClawdbotConfig, ConfigPatch, ImessageAccountConfig, ImessageSectionConfig } from '../../contract/config';

export function imessageSection(config: ClawdbotConfig | undefined): ImessageSectionConfig {
  return config?.channels?.imessage ?? {};
}

/** The key of `channels.imessage.accounts` for an account id (ids are the lower-cased keys). */
export function accountKey(config: ClawdbotConfig | undefined, accountId: string): string | undefined {
  const accounts = imessageSection(config).accounts ?? {};
  return Object.keys(accounts).find((key) => key === accountId) ?? Object.keys(accounts).find((key) => key.trim().toLowerCase() === accountId);
}

export function accountOwn(config: ClawdbotConfig | undefined, accountId: string): ImessageAccountConfig | undefined {
  const key = accountKey(config, accountId);
  return key === undefined ? undefined : imessageSection(config).accounts?.[key];
}

type ListKey = 'allowFrom' | 'groupAllowFrom';

/** A patch of the imessage section (top level, or one account's own keys). */
function imessagePatch(accountKeyName: string | undefined, keys: Record<string, unknown>): ConfigPatch {
  const imessage = accountKeyName === undefined ? keys : { accounts: { [accountKeyName]: keys } };
  return { channels: { imessage } } as ConfigPatch;
}

/**
 * Adds `entry` to a sender list of the account: to the account's own list when it has one (the
 * account does not inherit the top-level list then), else to the top-level list it inherits.
 */
export function addToList(config: ClawdbotConfig | undefined, accountId: string, key: ListKey, entry: string): ConfigPatch {
  const own = accountOwn(config, accountId);
  const where = own?.[key] !== undefined ? accountKey(config, accountId) : undefined;
  const current = (where !== undefined ? own?.[key] : imessageSection(config)[key]) ?? [];
  return imessagePatch(where, { [key]: current.includes(entry) ? current : [...current, entry] });
}

/** Adds a group chat to the allowed groups (`groups.<chat_id>`), where the account reads them. */
export function addGroup(config: ClawdbotConfig | undefined, accountId: string, chatId: number): ConfigPatch {
  const own = accountOwn(config, accountId);
  const where = own?.groups !== undefined ? accountKey(config, accountId) : undefined;
  return imessagePatch(where, { groups: { [String(chatId)]: {} } });
}

/** Adds a sender to one group chat's own list (`groups.<chat_id>.allowFrom`). */
export function addToGroupList(config: ClawdbotConfig | undefined, accountId: string, chatId: number, entry: string): ConfigPatch {
  const own = accountOwn(config, accountId);
  const where = own?.groups !== undefined ? accountKey(config, accountId) : undefined;
  const groups = (where !== undefined ? own?.groups : imessageSection(config).groups) ?? {};
  const current = groups[String(chatId)]?.allowFrom ?? [];
  return imessagePatch(where, { groups: { [String(chatId)]: { allowFrom: current.includes(entry) ? current : [...current, entry] } } });
}

/** `agents.defaults.model` as "provider/model", whichever form the file uses. */
export function configuredModel(config: ClawdbotConfig | undefined): string | null {
  return config?.agents?.defaults?.model?.primary ?? null;
}

/** Lists compared as sets of trimmed entries (a patch is sent only for a real change). */
export function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const left = (a ?? []).map((x) => x.trim());
  const right = (b ?? []).map((x) => x.trim());
  return left.length === right.length && left.every((x, i) => x === right[i]);
}
