// The decisions of the setup checks, with every input given (the platform included), so each state
// of each check and its fix can be pinned here, on any machine. The end-to-end tests
// (test/gateway/setup.test.ts, test/remote/setup-ssh.test.ts) reach the same states with real processes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProbeCheck, ProbeResult } from '../../contract/gateway-api';
import { SETTINGS_PANES } from '../../contract/setup';
import { accountLocation, accountSetup, readChatDbAsGateway, type AccountSetupInputs, type ChatDbRead } from './setup-checks';

const AT = '2026-01-20T10:00:00.000Z';

function probe(checks: Array<[ProbeCheck['id'], boolean, string]>, extra: Partial<ProbeResult> = {}): ProbeResult {
  const failed = checks.find(([, ok]) => !ok);
  return {
    ok: !failed,
    fatal: false,
    checks: checks.map(([id, ok, detail]) => ({ id, ok, detail })),
    durationMs: 5,
    at: AT,
    ...(failed ? { error: failed[2] } : {}),
    ...extra,
  };
}

const WORKING = probe(
  [
    ['binary', true, 'found /opt/homebrew/bin/imsg'],
    ['rpc-support', true, '`imsg rpc --help` printed the rpc help'],
    ['database', true, 'imsg opened ~/Library/Messages/chat.db'],
    ['rpc-answers', true, 'chats.list answered in 4 ms'],
  ],
  { imsgVersion: '0.9.0', hasChats: true },
);
const OWN_OK: ChatDbRead = { path: '/Users/me/Library/Messages/chat.db', result: 'ok', at: AT };

function inputs(overrides: Partial<AccountSetupInputs> = {}, account: Partial<AccountSetupInputs['account']> = {}): AccountSetupInputs {
  return {
    account: { accountId: 'default', enabled: true, configured: true, cliPath: '/opt/homebrew/bin/imsg', dbPath: null, remoteHost: null, lastProbe: WORKING, ...account },
    location: 'this-mac',
    ownRead: OWN_OK,
    automation: null,
    ssh: null,
    platform: 'darwin',
    restartNeeded: false,
    cliPathKey: 'channels.imessage.cliPath',
    ...overrides,
  };
}

const byId = (input: AccountSetupInputs) => Object.fromEntries(accountSetup(input).checks.map((check) => [check.id, check]));

describe('a working account on this Mac', () => {
  it('imsg, Messages and Full Disk Access ok; Automation unknown until a send; SSH not applicable', () => {
    const checks = byId(inputs());
    expect(checks.imsg).toMatchObject({ state: 'ok', detail: 'imsg 0.9.0 at /opt/homebrew/bin/imsg, with rpc support', checkedAt: AT });
    expect(checks.messages).toMatchObject({ state: 'ok', detail: 'chat.db is there and imsg lists chats' });
    expect(checks['full-disk-access']).toMatchObject({ state: 'ok', detail: 'Clawdbot and imsg both read chat.db' });
    expect(checks.automation).toMatchObject({ state: 'unknown', checkedAt: null, fix: { text: expect.stringContaining('Send a test message') } });
    expect(checks.ssh).toMatchObject({ state: 'not-applicable' });
    expect(accountSetup(inputs())).toMatchObject({ accountId: 'default', location: 'this-mac', restartNeeded: false, remoteHost: null });
  });

  it('Automation: ok, pending (click OK), denied (deep link, tccutil) as the last send left it', () => {
    expect(byId(inputs({ automation: { state: 'ok', detail: 'a message went out through Messages', at: AT } })).automation).toMatchObject({ state: 'ok', checkedAt: AT });
    const pending = byId(inputs({ automation: { state: 'pending', detail: 'waiting', at: AT } })).automation;
    expect(pending).toMatchObject({ state: 'pending', detail: 'macOS is asking for permission: click OK in the prompt on this Mac' });
    const denied = byId(inputs({ automation: { state: 'denied', detail: 'Messages refused the send: Not authorized to send Apple events to Messages. (-1743)', at: AT } })).automation;
    expect(denied).toMatchObject({
      state: 'denied',
      fix: { command: 'tccutil reset AppleEvents', settingsUrl: SETTINGS_PANES.automation.url, settingsPath: 'System Settings › Privacy & Security › Automation' },
    });
  });
});

describe('imsg', () => {
  it('missing: the brew command, or the Homebrew copy that is not on PATH', () => {
    const missing = probe([['binary', false, 'imsg not found (imsg)']]);
    expect(byId(inputs({}, { cliPath: 'imsg', lastProbe: missing })).imsg).toMatchObject({
      state: 'missing',
      detail: 'imsg not found (imsg)',
      fix: { command: 'brew install steipete/tap/imsg' },
    });
    const elsewhere = byId(inputs({ imsgFound: '/opt/homebrew/bin/imsg', cliPathKey: 'channels.imessage.accounts.work.cliPath' }, { cliPath: 'imsg', lastProbe: missing })).imsg;
    expect(elsewhere).toMatchObject({ state: 'missing', fix: { command: 'clawdbot config set channels.imessage.accounts.work.cliPath /opt/homebrew/bin/imsg' } });
  });

  it("too old: the tutorial's exact words and the upgrade command", () => {
    const old = probe([
      ['binary', true, 'found /usr/local/bin/imsg'],
      ['rpc-support', false, "imsg CLI does not support 'rpc' subcommand: `imsg rpc --help` printed \"imsg 0.2.5\" instead of the rpc help"],
    ], { imsgVersion: '0.2.5' });
    const check = byId(inputs({}, { lastProbe: old })).imsg;
    expect(check.state).toBe('missing');
    expect(check.detail).toMatch(/^imsg CLI does not support 'rpc' subcommand/);
    expect(check.detail).toContain('(imsg 0.2.5)');
    expect(check.fix).toMatchObject({ command: 'brew upgrade steipete/tap/imsg' });
  });

  it('not checked yet / disabled / not configured: unknown with the reason', () => {
    expect(byId(inputs({}, { lastProbe: null })).imsg).toMatchObject({ state: 'unknown', detail: 'not checked yet', checkedAt: null });
    expect(byId(inputs({ ownRead: null }, { lastProbe: null, enabled: false })).imsg.detail).toBe('not checked: the account is disabled');
    expect(byId(inputs({ ownRead: null }, { lastProbe: null, configured: false })).imsg.detail).toBe('not checked: the account is not configured');
  });
});

describe('Messages', () => {
  it('no chat.db (the gateway’s own read: ENOENT): missing, and Full Disk Access cannot be told', () => {
    const refused = probe([
      ['binary', true, 'found /opt/homebrew/bin/imsg'],
      ['rpc-support', true, 'ok'],
      ['database', false, 'imsg cannot read the Messages database (Full Disk Access denied): unable to open database file (code: 14)'],
    ]);
    const ownRead: ChatDbRead = { path: '/Users/me/Library/Messages/chat.db', result: 'missing', code: 'ENOENT', at: AT };
    const checks = byId(inputs({ ownRead }, { lastProbe: refused }));
    expect(checks.messages).toMatchObject({ state: 'missing', detail: 'no chat.db at /Users/me/Library/Messages/chat.db: Messages has not been set up for this user' });
    expect(checks.messages.fix?.text).toContain('sign in with your Apple Account');
    expect(checks['full-disk-access']).toMatchObject({ state: 'unknown', detail: 'not known while chat.db does not exist (see Messages)' });
  });

  it('imsg lists no chats: not signed in to iMessage', () => {
    const empty = { ...WORKING, hasChats: false };
    expect(byId(inputs({}, { lastProbe: empty })).messages).toMatchObject({ state: 'missing', detail: expect.stringContaining('not signed in to iMessage') });
    // The demo's simulated account is signed in by construction.
    expect(byId(inputs({}, { lastProbe: empty, simulated: true })).messages).toMatchObject({ state: 'ok' });
  });
});

describe('Full Disk Access', () => {
  const imsgRefused = probe([
    ['binary', true, 'found /opt/homebrew/bin/imsg'],
    ['rpc-support', true, 'ok'],
    ['database', false, 'imsg cannot read the Messages database (Full Disk Access denied): authorization denied (code: 23)'],
  ]);
  const ownRefused: ChatDbRead = { path: '/Users/me/Library/Messages/chat.db', result: 'denied', code: 'EPERM', message: 'operation not permitted', at: AT };

  it('on macOS, either refusal is denied, with the deep link, the path in words and the restart', () => {
    const imsgOnly = byId(inputs({}, { lastProbe: imsgRefused }))['full-disk-access'];
    expect(imsgOnly).toMatchObject({
      state: 'denied',
      fix: { settingsUrl: 'x-apple.systempreferences:com.apple.preference.security?Privacy_AllFiles', settingsPath: 'System Settings › Privacy & Security › Full Disk Access' },
    });
    expect(imsgOnly.detail).toMatch(/^imsg may not read chat\.db/);
    expect(imsgOnly.fix?.text).toContain('then restart Clawdbot');
    expect(byId(inputs({ ownRead: ownRefused }))['full-disk-access'].detail).toBe('Clawdbot may not read chat.db (EPERM reading /Users/me/Library/Messages/chat.db)');
    expect(byId(inputs({ ownRead: ownRefused }, { lastProbe: imsgRefused }))['full-disk-access'].detail).toMatch(/^neither Clawdbot nor imsg may read chat\.db/);
  });

  it('off macOS, the gateway’s refused read is file permissions, not Full Disk Access', () => {
    const linux = byId(inputs({ platform: 'linux', ownRead: { ...ownRefused, code: 'EACCES' } }))['full-disk-access'];
    expect(linux).toMatchObject({ state: 'denied', detail: 'the gateway cannot read /Users/me/Library/Messages/chat.db (EACCES: file permissions)' });
    expect(linux.fix).not.toHaveProperty('settingsUrl');
  });

  it('restart needed: said in the detail and the fix, and flagged on the account', () => {
    const setup = accountSetup(inputs({ restartNeeded: true, ownRead: ownRefused }));
    expect(setup.restartNeeded).toBe(true);
    const check = setup.checks.find((c) => c.id === 'full-disk-access')!;
    expect(check.detail).toContain('restart needed');
    expect(check.fix?.text).toContain('Full Disk Access changed since the gateway started: restart Clawdbot');
  });
});

describe('imsg as another user over SSH', () => {
  const sshProbe = probe([
    ['binary', true, 'found /Users/me/.clawdbot/scripts/imsg-bot'],
    ['rpc-support', true, 'ok'],
    ['database', true, 'imsg opened ~/Library/Messages/chat.db'],
    ['rpc-answers', true, 'ok'],
  ], { imsgVersion: '0.9.0', hasChats: true });

  it('location: a local host name is a dedicated user of this Mac, anything else another Mac', () => {
    const names = ['localhost', '127.0.0.1', '::1', 'studio', 'studio.local'];
    expect(accountLocation(null, names)).toBe('this-mac');
    expect(accountLocation('bot@localhost', names)).toBe('dedicated-user');
    expect(accountLocation('bot@[::1]', names)).toBe('dedicated-user');
    expect(accountLocation('bot@Studio.local', names)).toBe('dedicated-user');
    expect(accountLocation('bot@mac-mini.tail1234.ts.net', names)).toBe('remote-mac');
  });

  it('only imsg’s own view of Full Disk Access applies; the fix is on that Mac (Remote Login)', () => {
    const remote = inputs({ location: 'remote-mac', ownRead: null }, { remoteHost: 'bot@mac-mini', cliPath: '/Users/me/.clawdbot/scripts/imsg-bot', lastProbe: sshProbe });
    const checks = byId(remote);
    expect(checks['full-disk-access']).toMatchObject({ state: 'ok', detail: 'imsg read chat.db as bot@mac-mini' });
    expect(checks.ssh).toMatchObject({ state: 'ok', detail: 'logged in to bot@mac-mini through /Users/me/.clawdbot/scripts/imsg-bot' });
    expect(checks.imsg.detail).toBe('imsg 0.9.0 on bot@mac-mini (through /Users/me/.clawdbot/scripts/imsg-bot), with rpc support');
    expect(accountSetup(remote).remoteHost).toBe('bot@mac-mini');

    const refused = { ...sshProbe, ok: false, checks: sshProbe.checks.map((c) => (c.id === 'database' ? { ...c, ok: false, detail: 'imsg cannot read the Messages database (Full Disk Access denied): authorization denied (code: 23)' } : c)) };
    const denied = byId({ ...remote, account: { ...remote.account, lastProbe: refused } })['full-disk-access'];
    expect(denied.state).toBe('denied');
    expect(denied.fix?.text).toContain('Allow full disk access for remote users');
    expect(denied.fix).not.toHaveProperty('settingsUrl'); // a deep link would open this Mac's settings
  });

  it('Automation denied for a dedicated user: run one send in that user’s session', () => {
    const dedicated = inputs({ location: 'dedicated-user', ownRead: null, automation: { state: 'denied', detail: 'Messages refused the send', at: AT } }, { remoteHost: 'bot@localhost', lastProbe: sshProbe });
    const check = byId(dedicated).automation;
    expect(check).toMatchObject({ state: 'denied', detail: "Messages refused the send (on this Mac, in bot's session)" });
    expect(check.fix?.text).toContain('run one send there in Terminal');
  });

  it('a refused SSH login in the probe, or the step test’s first failure, is the SSH check', () => {
    const loginRefused = probe([
      ['binary', true, 'found /Users/me/.clawdbot/scripts/imsg-bot'],
      ['rpc-support', false, 'SSH login refused for the SSH wrapper /Users/me/.clawdbot/scripts/imsg-bot: Permission denied (publickey).'],
    ]);
    const base = { location: 'remote-mac' as const, ownRead: null };
    expect(byId(inputs(base, { remoteHost: 'bot@mac-mini', lastProbe: loginRefused })).ssh).toMatchObject({ state: 'denied', detail: expect.stringContaining('Permission denied (publickey)') });
    expect(byId(inputs(base, { remoteHost: 'bot@mac-mini', lastProbe: loginRefused })).imsg).toMatchObject({ state: 'unknown' });
    const tested = byId(
      inputs(
        {
          ...base,
          ssh: {
            ok: false,
            remoteHost: 'bot@mac-mini',
            steps: [
              { id: 'target', state: 'ok', detail: 'valid' },
              { id: 'connect', state: 'ok', detail: 'answered' },
              { id: 'host-key', state: 'missing', detail: 'the host key of mac-mini is not known yet', fix: { text: 'Connect once', command: 'ssh bot@mac-mini true' } },
            ],
          },
        },
        { remoteHost: 'bot@mac-mini', lastProbe: null },
      ),
    ).ssh;
    expect(tested).toMatchObject({ state: 'missing', detail: 'host-key: the host key of mac-mini is not known yet', fix: { command: 'ssh bot@mac-mini true' } });
  });
});

describe('readChatDbAsGateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chatdb-read-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ok for a readable file, missing for none (ENOENT, ENOTDIR), error for a folder', async () => {
    const file = join(dir, 'chat.db');
    writeFileSync(file, 'SQLite format 3\0');
    expect(await readChatDbAsGateway(file)).toMatchObject({ result: 'ok', path: file });
    expect(await readChatDbAsGateway(join(dir, 'nope.db'))).toMatchObject({ result: 'missing', code: 'ENOENT' });
    expect(await readChatDbAsGateway(join(file, 'below'))).toMatchObject({ result: 'missing', code: 'ENOTDIR' });
    expect(await readChatDbAsGateway(dir)).toMatchObject({ result: 'error', code: 'EISDIR' });
  });
});
