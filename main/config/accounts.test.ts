import { describe, expect, it } from 'vitest';
import { normalizeAccountId, resolveDefaultAccountId, resolveImessageAccounts } from './accounts';
import { ConfigError } from './errors';
import type { ResolvedImessageAccount } from './types';
import { validateConfig } from './validate';

const env = { HOME: '/Users/ann' };
const resolve = (raw: unknown) => resolveImessageAccounts(validateConfig(raw, { env }).config, env);
const byId = (accounts: ResolvedImessageAccount[], id: string) => {
  const account = accounts.find((a) => a.accountId === id);
  if (!account) throw new Error(`no account ${id}`);
  return account;
};

describe('resolveImessageAccounts', () => {
  it('without a channels.imessage section: one "default" account, enabled but not configured, all defaults', () => {
    expect(resolve({})).toEqual([
      {
        accountId: 'default',
        enabled: true,
        configured: false,
        cliPath: 'imsg',
        dmPolicy: 'pairing',
        allowFrom: [],
        groupPolicy: 'allowlist',
        groups: {},
        includeAttachments: false,
        mediaMaxMb: 16,
        textChunkLimit: 4000,
        chunkMode: 'length',
        historyLimit: 50,
        dms: {},
        service: 'auto',
        region: 'US',
      },
    ]);
  });

  it('any channels.imessage section makes the account configured', () => {
    const [account] = resolve({ channels: { imessage: {} } });
    expect(account).toMatchObject({ accountId: 'default', configured: true, enabled: true });
  });

  it('top-level values reach the default account, with ~ expanded in cliPath and dbPath', () => {
    const [account] = resolve({
      channels: {
        imessage: {
          name: 'Home Mac',
          cliPath: '~/bin/imsg-bot',
          dbPath: '~/Library/Messages/chat.db',
          remoteHost: 'bot@mac-mini',
          dmPolicy: 'allowlist',
          allowFrom: ['+15555550123'],
          groupAllowFrom: ['+15555550124'],
          dmHistoryLimit: 10,
          service: 'sms',
        },
      },
    });
    expect(account).toMatchObject({
      name: 'Home Mac',
      cliPath: '/Users/ann/bin/imsg-bot',
      dbPath: '/Users/ann/Library/Messages/chat.db',
      remoteHost: 'bot@mac-mini',
      dmPolicy: 'allowlist',
      allowFrom: ['+15555550123'],
      groupAllowFrom: ['+15555550124'],
      dmHistoryLimit: 10,
      service: 'sms',
    });
  });

  it('accounts: the account wins key by key; top-level dmPolicy/groupPolicy apply where the account is silent', () => {
    const accounts = resolve({
      channels: {
        imessage: {
          dmPolicy: 'allowlist',
          groupPolicy: 'disabled',
          allowFrom: ['+1555000'],
          textChunkLimit: 2000,
          groups: { '1': { requireMention: false } },
          accounts: {
            home: {},
            work: { dmPolicy: 'pairing', cliPath: '/opt/imsg-work', groups: { '2': {} } },
          },
        },
      },
    });
    expect(accounts.map((a) => a.accountId)).toEqual(['home', 'work']);
    // The original injects schema defaults into each account, which would make these "pairing"/"allowlist".
    expect(byId(accounts, 'home')).toMatchObject({ dmPolicy: 'allowlist', groupPolicy: 'disabled', textChunkLimit: 2000, cliPath: 'imsg' });
    expect(byId(accounts, 'home').groups).toEqual({ '1': { requireMention: false } });
    const work = byId(accounts, 'work');
    expect(work).toMatchObject({ dmPolicy: 'pairing', groupPolicy: 'disabled', allowFrom: ['+1555000'], cliPath: '/opt/imsg-work' });
    // An account's groups map replaces the top-level one (no merge of chat entries).
    expect(work.groups).toEqual({ '2': {} });
  });

  it('once accounts exist only they run (no implicit default), sorted by id', () => {
    const accounts = resolve({ channels: { imessage: { accounts: { zeta: {}, Alpha: {} } } } });
    expect(accounts.map((a) => a.accountId)).toEqual(['alpha', 'zeta']);
  });

  it('an empty accounts map means the default account', () => {
    expect(resolve({ channels: { imessage: { accounts: {} } } }).map((a) => a.accountId)).toEqual(['default']);
  });

  it('enabled: the top-level switch turns every account off; an account can turn itself off', () => {
    const off = resolve({ channels: { imessage: { enabled: false, accounts: { a: { enabled: true }, b: {} } } } });
    expect(off.map((a) => a.enabled)).toEqual([false, false]);
    const one = resolve({ channels: { imessage: { accounts: { a: { enabled: false }, b: {} } } } });
    expect(one.map((a) => [a.accountId, a.enabled])).toEqual([
      ['a', false],
      ['b', true],
    ]);
  });

  it('name labels one account and is not inherited', () => {
    const accounts = resolve({ channels: { imessage: { name: 'Top', accounts: { a: { name: 'Work phone' }, b: {} } } } });
    expect(byId(accounts, 'a').name).toBe('Work phone');
    expect(byId(accounts, 'b')).not.toHaveProperty('name');
  });

  it('historyLimit: account, then channel, then messages.groupChat.historyLimit, then 50', () => {
    const raw = (imessage: Record<string, unknown>, groupChat?: number) => ({
      channels: { imessage },
      ...(groupChat === undefined ? {} : { messages: { groupChat: { historyLimit: groupChat } } }),
    });
    expect(resolve(raw({}))[0]!.historyLimit).toBe(50);
    expect(resolve(raw({}, 20))[0]!.historyLimit).toBe(20);
    expect(resolve(raw({ historyLimit: 0 }, 20))[0]!.historyLimit).toBe(0);
    expect(resolve(raw({ historyLimit: 5, accounts: { a: { historyLimit: 7 }, b: {} } }, 20)).map((a) => a.historyLimit)).toEqual([7, 5]);
  });

  it('throws a ConfigError when two account keys normalize to the same id', () => {
    // validateConfig would reject this too; resolve directly from an unvalidated-but-typed object.
    const config = { gateway: { port: 18789, bind: 'loopback' }, session: { dmScope: 'main' as const }, channels: { imessage: { accounts: { Work: {}, work: {} } } } };
    expect(() => resolveImessageAccounts(config, env)).toThrow(ConfigError);
    expect(() => resolveImessageAccounts(config, env)).toThrow(/both become "work"/);
  });
});

describe('normalizeAccountId', () => {
  it.each([
    ['Work', 'work'],
    ['  My Mac  ', 'my-mac'],
    ['bot@home.lan', 'bot-home-lan'],
    ['--x--', 'x'],
    ['a_b-c', 'a_b-c'],
    ['ÄÖÜ', ''],
    ['x'.repeat(80), 'x'.repeat(64)],
    [`${'a'.repeat(63)} b`, 'a'.repeat(63)],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeAccountId(raw)).toBe(expected);
  });
});

describe('resolveDefaultAccountId', () => {
  const config = (raw: unknown) => validateConfig(raw, { env }).config;
  it('is "default" without accounts, "default" when listed, else the first id', () => {
    expect(resolveDefaultAccountId(config({}))).toBe('default');
    expect(resolveDefaultAccountId(config({ channels: { imessage: { accounts: { zed: {}, Default: {} } } } }))).toBe('default');
    expect(resolveDefaultAccountId(config({ channels: { imessage: { accounts: { zed: {}, bob: {} } } } }))).toBe('bob');
  });
});
