// Where an account goes in the file, as merge patches on the file's current shape.
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors';
import { resolveImessageAccounts } from './accounts';
import { validateConfig } from './validate';
import { applyMergePatch } from './write';
import { accountKeyPath, addAccountPatch, checkAccountId, removeAccountPatch, updateAccountPatch } from './account-edits';

/** The resolved account ids after applying a patch (what the gateway would run). */
function idsAfter(current: Record<string, unknown>, patch: Record<string, unknown>): string[] {
  const next = applyMergePatch(current, patch) as Record<string, unknown>;
  return resolveImessageAccounts(validateConfig(next, { env: {} }).config, {}).filter((a) => a.configured).map((a) => a.accountId);
}

describe('addAccountPatch', () => {
  it('default on a fresh file: the top level of channels.imessage', () => {
    const patch = addAccountPatch({}, 'default', { cliPath: '/opt/homebrew/bin/imsg', dmPolicy: 'pairing' });
    expect(patch).toEqual({ channels: { imessage: { cliPath: '/opt/homebrew/bin/imsg', dmPolicy: 'pairing' } } });
    expect(idsAfter({}, patch)).toEqual(['default']);
  });

  it('another account next to a top-level default keeps the default running, with its name', () => {
    const current = { channels: { imessage: { name: 'Home', cliPath: 'imsg', dmPolicy: 'allowlist', allowFrom: ['+15555550123'] } } };
    const patch = addAccountPatch(current, 'work', { cliPath: '/x/imsg-work' });
    expect(patch).toEqual({ channels: { imessage: { name: null, accounts: { default: { name: 'Home' }, work: { cliPath: '/x/imsg-work' } } } } });
    expect(idsAfter(current, patch)).toEqual(['default', 'work']);
  });

  it('into an existing map; an existing account (any spelling of its key) is refused', () => {
    const current = { channels: { imessage: { accounts: { Work: { cliPath: 'imsg' } } } } };
    expect(addAccountPatch(current, 'home', { name: 'Home' })).toEqual({ channels: { imessage: { accounts: { home: { name: 'Home' } } } } });
    expect(() => addAccountPatch(current, 'work', {})).toThrow(ConfigError);
    expect(() => addAccountPatch({ channels: { imessage: {} } }, 'default', {})).toThrow(/already exists/);
  });

  it('account ids must be normalized', () => {
    expect(() => checkAccountId('Work Mac')).toThrow(/Use "work-mac"/);
    expect(() => checkAccountId('!!!')).toThrow(/no letters or digits/);
    expect(checkAccountId('work_2')).toBe('work_2');
  });
});

describe('updateAccountPatch and removeAccountPatch', () => {
  const current = { channels: { imessage: { dmPolicy: 'pairing', accounts: { default: {}, 'Work': { cliPath: 'imsg', name: 'W' } } } } };

  it('changes the account’s own keys under its key as written; null removes one', () => {
    expect(updateAccountPatch(current, 'work', { name: null, dbPath: '/x/chat.db' })).toEqual({ channels: { imessage: { accounts: { Work: { name: null, dbPath: '/x/chat.db' } } } } });
    expect(updateAccountPatch({ channels: { imessage: { cliPath: 'imsg' } } }, 'default', { enabled: false })).toEqual({ channels: { imessage: { enabled: false } } });
    expect(() => updateAccountPatch(current, 'nope', {})).toThrow(/there is no iMessage account "nope"/);
  });

  it('removes one account; the last one takes the section with it (no implicit default comes back)', () => {
    expect(removeAccountPatch(current, 'work')).toEqual({ channels: { imessage: { accounts: { Work: null } } } });
    expect(removeAccountPatch({ channels: { imessage: { dmPolicy: 'open', accounts: { work: {} } } } }, 'work')).toEqual({ channels: { imessage: null } });
    expect(removeAccountPatch({ channels: { imessage: { cliPath: 'imsg' } } }, 'default')).toEqual({ channels: { imessage: null } });
    expect(() => removeAccountPatch({}, 'default')).toThrow(ConfigError);
  });

  it('key paths point where the field would be written', () => {
    expect(accountKeyPath(current, 'work', 'allowFrom')).toBe('channels.imessage.accounts.Work.allowFrom');
    expect(accountKeyPath({}, 'default', 'cliPath')).toBe('channels.imessage.cliPath');
    expect(accountKeyPath({}, 'work', 'cliPath')).toBe('channels.imessage.accounts.work.cliPath');
  });
});
