import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from './errors';
import { validateConfig } from './validate';

/** The ConfigError thrown for `raw` (fails the test when it validates). */
function errorOf(raw: unknown): ConfigError {
  try {
    validateConfig(raw, { file: '/cfg/clawdbot.json' });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

function issueAt(error: ConfigError, path: string): ConfigIssue {
  const issue = error.issues.find((i) => i.path === path);
  if (!issue) throw new Error(`no issue at ${path}; got: ${error.issues.map((i) => i.path).join(', ')}`);
  return issue;
}

const imessage = (section: Record<string, unknown>) => ({ channels: { imessage: section } });

describe('validateConfig: defaults', () => {
  it('an empty file gets the gateway and session defaults and nothing else', () => {
    const { config, warnings } = validateConfig({});
    expect(config).toEqual({ gateway: { port: 18789, bind: 'loopback' }, session: { dmScope: 'per-channel-peer' } });
    expect(warnings).toEqual([]);
  });

  it('does not inject iMessage defaults into the section or its accounts', () => {
    const { config } = validateConfig(imessage({ dmPolicy: 'allowlist', accounts: { work: { cliPath: '/x/imsg' } } }));
    expect(config.channels?.imessage).toEqual({ dmPolicy: 'allowlist', accounts: { work: { cliPath: '/x/imsg' } } });
  });

  it('normalizes a plain-string model to { primary } and stringifies allowFrom numbers', () => {
    const { config } = validateConfig({
      agents: { defaults: { model: 'anthropic/claude-opus-4-5' } },
      ...imessage({ allowFrom: [15555550123, ' +15555550124 ', ''] }),
    });
    expect(config.agents?.defaults?.model).toEqual({ primary: 'anthropic/claude-opus-4-5' });
    expect(config.channels?.imessage?.allowFrom).toEqual(['15555550123', '+15555550124']);
  });

  it('accepts the spec minimal config', () => {
    const { config, warnings } = validateConfig({
      gateway: { mode: 'local', port: 18789, bind: 'loopback', auth: { token: 'secret' } },
      agents: { defaults: { model: { primary: 'anthropic/claude-opus-4-5' }, workspace: '~/clawd' } },
      channels: { imessage: { enabled: true, cliPath: '/opt/homebrew/bin/imsg', dbPath: '~/Library/Messages/chat.db', dmPolicy: 'pairing' } },
      messages: { groupChat: { mentionPatterns: ['@clawd'] } },
    });
    expect(config.gateway).toEqual({ mode: 'local', port: 18789, bind: 'loopback', auth: { token: 'secret' } });
    expect(warnings).toEqual(['agents.defaults.workspace: not used by Clawdbot for Mac; ignored.']);
  });

  it('accepts "lan" and IP addresses for gateway.bind', () => {
    expect(validateConfig({ gateway: { bind: 'lan' } }).config.gateway.bind).toBe('lan');
    expect(validateConfig({ gateway: { bind: '100.64.0.7' } }).config.gateway.bind).toBe('100.64.0.7');
    expect(validateConfig({ gateway: { bind: '::1' } }).config.gateway.bind).toBe('::1');
  });
});

describe('validateConfig: errors name the key, the value and the fix', () => {
  it('unknown dmPolicy with a did-you-mean', () => {
    const error = errorOf(imessage({ dmPolicy: 'opne' }));
    expect(error.issues).toEqual([
      {
        path: 'channels.imessage.dmPolicy',
        value: 'opne',
        message: 'must be one of "pairing", "allowlist", "open" or "disabled"',
        fix: 'Did you mean "open"? Set channels.imessage.dmPolicy to "open".',
      },
    ]);
    expect(error.message).toBe(
      [
        'Invalid config at /cfg/clawdbot.json (1 problem):',
        '- channels.imessage.dmPolicy = "opne": must be one of "pairing", "allowlist", "open" or "disabled"',
        '  Fix: Did you mean "open"? Set channels.imessage.dmPolicy to "open".',
      ].join('\n'),
    );
  });

  it('an enum value with nothing close lists the choices', () => {
    const issue = issueAt(errorOf(imessage({ groupPolicy: 'everyone' })), 'channels.imessage.groupPolicy');
    expect(issue.fix).toBe('Set channels.imessage.groupPolicy to one of "allowlist", "open" or "disabled".');
  });

  it('dmPolicy "open" without "*" in allowFrom', () => {
    const error = errorOf(imessage({ dmPolicy: 'open', allowFrom: ['+15555550123'] }));
    const issue = issueAt(error, 'channels.imessage.dmPolicy');
    expect(issue.value).toBe('open');
    expect(issue.message).toContain('requires channels.imessage.allowFrom to include "*"');
    expect(issue.fix).toBe(
      'Add "*" to channels.imessage.allowFrom to confirm that everyone may message it, or set channels.imessage.dmPolicy to "pairing" to approve senders one by one.',
    );
    expect(validateConfig(imessage({ dmPolicy: 'open', allowFrom: ['*'] })).config.channels?.imessage?.dmPolicy).toBe('open');
  });

  it('dmPolicy "open" is checked on the merged account and points at the account that breaks it', () => {
    const error = errorOf(imessage({ dmPolicy: 'open', allowFrom: ['*'], accounts: { home: {}, work: { allowFrom: ['+1555'] } } }));
    expect(error.issues).toHaveLength(1);
    const issue = issueAt(error, 'channels.imessage.dmPolicy');
    expect(issue.message).toContain('channels.imessage.accounts.work.allowFrom');
    expect(issue.message).toContain('(account "work")');

    const own = errorOf(imessage({ accounts: { Work: { dmPolicy: 'open' } } }));
    expect(own.issues.map((i) => i.path)).toEqual(['channels.imessage.accounts.Work.dmPolicy']);
  });

  it.each([
    ['imsg; rm -rf /', 'contains the shell character ";"'],
    ['imsg | tee log', 'contains the shell character "|"'],
    ['imsg && x', 'contains the shell character "&"'],
    ['$HOME/imsg', 'contains the shell character "$"'],
    ['`imsg`', 'contains the shell character "`"'],
    ['imsg > out', 'contains the shell character ">"'],
    ['imsg\nrpc', 'contains a line break'],
    ['ssh host imsg', 'is neither a command name (like "imsg") nor a path to an executable'],
    ['-imsg', 'is neither a command name (like "imsg") nor a path to an executable'],
  ])('unsafe cliPath %j', (cliPath, message) => {
    const issue = issueAt(errorOf(imessage({ cliPath })), 'channels.imessage.cliPath');
    expect(issue).toMatchObject({ value: cliPath, message });
    expect(issue.fix).toContain('wrapper script');
  });

  it('accepts command names and paths with spaces', () => {
    for (const cliPath of ['imsg', 'imsg-2.0', '/Applications/My Tools/imsg', '~/bin/imsg-bot', './imsg']) {
      expect(validateConfig(imessage({ cliPath })).config.channels?.imessage?.cliPath).toBe(cliPath);
    }
  });

  it.each([
    ['mediaMaxMb', 0, 'must be greater than 0', 'Set channels.imessage.mediaMaxMb to a number greater than 0, e.g. 16.'],
    ['mediaMaxMb', -5, 'must be greater than 0', 'Set channels.imessage.mediaMaxMb to a number greater than 0, e.g. 16.'],
    ['textChunkLimit', 0, 'must be greater than 0', 'Set channels.imessage.textChunkLimit to a number greater than 0, e.g. 4000.'],
    ['textChunkLimit', 12.5, 'must be a whole number', 'Set channels.imessage.textChunkLimit to a whole number, e.g. 4000.'],
    ['historyLimit', -1, 'must be 0 or more', 'Set channels.imessage.historyLimit to a number 0 or more (0 turns it off), e.g. 50.'],
    ['dmHistoryLimit', -3, 'must be 0 or more', 'Set channels.imessage.dmHistoryLimit to a number 0 or more (0 turns it off), e.g. 20.'],
  ])('limit %s = %j', (key, value, message, fix) => {
    expect(issueAt(errorOf(imessage({ [key]: value })), `channels.imessage.${key}`)).toEqual({ path: `channels.imessage.${key}`, value, message, fix });
  });

  it('historyLimit 0 is allowed (it disables the buffer)', () => {
    expect(validateConfig(imessage({ historyLimit: 0 })).config.channels?.imessage?.historyLimit).toBe(0);
  });

  it.each([
    [18789.5, 'must be a whole number'],
    [0, 'must be a whole number from 1 to 65535'],
    [70000, 'must be a whole number from 1 to 65535'],
    ['18789', 'must be a number, not text'],
  ])('gateway.port %j', (port, message) => {
    const issue = issueAt(errorOf({ gateway: { port } }), 'gateway.port');
    expect(issue).toMatchObject({ value: port, message });
    expect(issue.fix).toMatch(/^Set gateway\.port to a (whole )?number.*e\.g\. 18789\.$/);
  });

  it('per-account errors name channels.imessage.accounts.<id>.…', () => {
    const error = errorOf(imessage({ accounts: { Work: { dmPolicy: 'allowList', textChunkLimit: -1, cliPath: 'a;b' } } }));
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      'channels.imessage.accounts.Work.cliPath',
      'channels.imessage.accounts.Work.dmPolicy',
      'channels.imessage.accounts.Work.textChunkLimit',
    ]);
    expect(issueAt(error, 'channels.imessage.accounts.Work.dmPolicy').fix).toContain('Did you mean "allowlist"?');
  });

  it('account ids that collide after normalization', () => {
    const error = errorOf(imessage({ accounts: { Work: {}, 'WORK ': {} } }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.path).toBe('channels.imessage.accounts["WORK "]');
    expect(error.issues[0]!.message).toContain('both become "work"');
  });

  it('unknown keys in strict sections are errors with a did-you-mean', () => {
    const error = errorOf({ ...imessage({ alowFrom: ['+1'] }), gatway: {} });
    expect(issueAt(error, 'channels.imessage.alowFrom')).toEqual({
      path: 'channels.imessage.alowFrom',
      value: ['+1'],
      message: 'unknown key',
      fix: 'Did you mean "allowFrom"? Rename the key to "allowFrom".',
    });
    expect(issueAt(error, 'gatway').fix).toBe('Did you mean "gateway"? Rename the key to "gateway".');
  });

  it('an unknown key with nothing close lists the allowed keys', () => {
    const issue = issueAt(errorOf({ gateway: { whatever: 1 } }), 'gateway.whatever');
    expect(issue.fix).toBe('Remove it. Keys allowed in gateway: port, bind, mode, auth.');
  });

  it('type errors say what was expected and what was found', () => {
    const error = errorOf({ ...imessage({ enabled: 'yes', allowFrom: '+1555', groups: { '42': { requireMention: 'no' } } }) });
    expect(issueAt(error, 'channels.imessage.enabled').message).toBe('must be true or false, not text');
    expect(issueAt(error, 'channels.imessage.allowFrom')).toMatchObject({
      message: 'must be a list [ … ], not text',
      fix: 'Set channels.imessage.allowFrom to a list [ … ], e.g. ["+15555550123","me@icloud.com"].',
    });
    expect(issueAt(error, 'channels.imessage.groups.42.requireMention').message).toBe('must be true or false, not text');
  });

  it('allowFrom entries must be strings or numbers', () => {
    const issue = issueAt(errorOf(imessage({ allowFrom: ['+1', { handle: 'x' }] })), 'channels.imessage.allowFrom[1]');
    expect(issue).toMatchObject({ message: 'must be a string or a number, not an object', fix: 'Set channels.imessage.allowFrom[1] to a string, e.g. "+15555550123".' });
  });

  it('groups keys must be chat ids or "*"', () => {
    const issue = issueAt(errorOf(imessage({ groups: { 'Family chat': {} } })), 'channels.imessage.groups["Family chat"]');
    expect(issue).toMatchObject({ value: 'Family chat', message: 'group keys must be a numeric chat_id or "*"' });
  });

  it('remoteHost must look like an SSH destination (no option injection into scp)', () => {
    expect(issueAt(errorOf(imessage({ remoteHost: '-oProxyCommand=sh' })), 'channels.imessage.remoteHost').message).toContain('user@host');
    expect(validateConfig(imessage({ remoteHost: 'bot@192.168.64.3' })).config.channels?.imessage?.remoteHost).toBe('bot@192.168.64.3');
  });

  it('gateway.bind: unsupported modes are rejected with a fix', () => {
    expect(issueAt(errorOf({ gateway: { bind: 'lopback' } }), 'gateway.bind').fix).toBe('Did you mean "loopback"? Set gateway.bind to "loopback".');
    expect(issueAt(errorOf({ gateway: { bind: 'tailnet' } }), 'gateway.bind').fix).toContain('Tailscale 100.x address');
  });

  it('the whole file must be an object', () => {
    expect(errorOf([1, 2]).issues[0]).toMatchObject({ path: '', message: 'the file must contain one object { … }, not a list' });
  });

  it('reports every problem of the file at once (unknown keys do not hide value errors)', () => {
    const error = errorOf({ foo: 1, ...imessage({ dmPolicy: 'x', mediaMaxMb: 0 }), gateway: { port: -1 } });
    expect(error.issues.map((i) => i.path).sort()).toEqual(['channels.imessage.dmPolicy', 'channels.imessage.mediaMaxMb', 'foo', 'gateway.port']);
    expect(error.message.split('\n')[0]).toBe('Invalid config at /cfg/clawdbot.json (4 problems):');
  });
});

describe('validateConfig: keys of the original we do not implement', () => {
  it('are accepted with one warning line each and left out of the config', () => {
    const { config, warnings } = validateConfig({
      plugins: { enabled: true },
      cron: {},
      channels: { whatsapp: { enabled: true }, telegram: {}, imessage: { configWrites: true, groups: { '7': { tools: {} } } } },
      gateway: { controlUi: { enabled: true }, auth: { token: 't', password: 'p' } },
      agents: { defaults: { workspace: '~/clawd', modle: 'x' } },
      session: { identityLinks: {} },
    });
    expect(warnings.sort()).toEqual(
      [
        'plugins: not supported by Clawdbot for Mac; ignored.',
        'cron: not supported by Clawdbot for Mac; ignored.',
        'channels.whatsapp: Clawdbot for Mac only has the iMessage channel; ignored.',
        'channels.telegram: Clawdbot for Mac only has the iMessage channel; ignored.',
        'channels.imessage.configWrites: not supported by Clawdbot for Mac; ignored.',
        'channels.imessage.groups.7.tools: not supported by Clawdbot for Mac; ignored.',
        'gateway.controlUi: not supported by Clawdbot for Mac; ignored.',
        'gateway.auth.password: not supported by Clawdbot for Mac (token auth only); ignored.',
        'agents.defaults.workspace: not used by Clawdbot for Mac; ignored.',
        'agents.defaults.modle: not used by Clawdbot for Mac; ignored (did you mean "model"?).',
        'session.identityLinks: not used by Clawdbot for Mac; ignored.',
      ].sort(),
    );
    expect(config).not.toHaveProperty('plugins');
    expect(config.channels).toEqual({ imessage: { groups: { '7': {} } } });
    expect(config.gateway.auth).toEqual({ token: 't' });
  });

  it('warns about mention patterns that cannot work', () => {
    const { warnings } = validateConfig({ messages: { groupChat: { mentionPatterns: ['@clawd', '(', ' '] } } });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^messages\.groupChat\.mentionPatterns\[1\]: "\(" is not a valid regular expression/);
    expect(warnings[1]).toMatch(/^messages\.groupChat\.mentionPatterns\[2\]: an empty pattern matches every message/);
  });
});
