// The setup checks and account actions of the control API, over the real gateway (in-process, as
// the app hosts it) and the imsg simulator: every state of every check reached with the
// simulator's modes (Full Disk Access denied, an old or missing imsg, Automation denied and
// pending, Messages not signed in or not set up), each with its fix, the `setup` event pushed on
// every change, and accounts added, changed and removed in one validated write.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClientError, createControlClient, type ControlClient } from '../../contract/control-client';
import type { AccountSetup, SetupCheck, SetupSnapshot } from '../../contract/setup';
import { startGateway, type GatewayHandle, type StartGatewayOptions } from '../../main/gateway/start';
import { SimDb } from '../../sim/lib';
import { startFakeModelServer } from '../support/fake-model-server';
import { collect, simBinPath, waitFor, workspace, type Workspace } from './harness';

const FAST = { backoff: { initialMs: 100, maxMs: 400, factor: 2, jitter: 0 }, stopGraceMs: 200, healthThrottleMs: 20, probeTimeoutMs: 5000, automationPendingMs: 300 };

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ws(options?: Parameters<typeof workspace>[0]): Workspace {
  const w = workspace(options);
  cleanups.push(() => w.cleanup());
  return w;
}

async function start(w: Workspace, options: StartGatewayOptions = {}): Promise<{ handle: GatewayHandle; client: ControlClient }> {
  const handle = await startGateway({ env: w.env, port: 0, signals: false, logSinks: [], staticDir: null, channelTimings: FAST, ...options });
  cleanups.push(() => handle.stop());
  const client = createControlClient({ url: handle.wsUrl, token: handle.token, WebSocket, clientName: 'test' });
  cleanups.push(() => client.close());
  await client.ready;
  return { handle, client };
}

function account(snapshot: SetupSnapshot, accountId = 'default'): AccountSetup {
  const found = snapshot.accounts.find((a) => a.accountId === accountId);
  if (!found) throw new Error(`no account ${accountId} in the snapshot: ${JSON.stringify(snapshot.accounts.map((a) => a.accountId))}`);
  return found;
}

function checks(snapshot: SetupSnapshot, accountId = 'default'): Record<SetupCheck['id'], SetupCheck> {
  return Object.fromEntries(account(snapshot, accountId).checks.map((check) => [check.id, check])) as Record<SetupCheck['id'], SetupCheck>;
}

/** The latest `setup` event whose account satisfies `test`. */
function eventWith(events: SetupSnapshot[], test: (c: Record<SetupCheck['id'], SetupCheck>) => boolean, accountId = 'default'): SetupSnapshot | undefined {
  return [...events].reverse().find((snapshot) => snapshot.accounts.some((a) => a.accountId === accountId) && test(checks(snapshot, accountId)));
}

describe('a working account', () => {
  it('imsg, Messages and Full Disk Access ok; a test send makes Automation ok (pushed, remembered)', async () => {
    const w = ws();
    w.sim.inject({ from: '+15555550123', text: 'an earlier conversation' });
    const { client } = await start(w);
    const events = collect(client, 'setup');
    const first = checks(await client.request('setup.check', {}));
    expect(first.imsg).toMatchObject({ state: 'ok', detail: `imsg 0.9.0 at ${simBinPath}, with rpc support` });
    expect(first.messages).toMatchObject({ state: 'ok', detail: 'chat.db is there and imsg lists chats' });
    expect(first['full-disk-access']).toMatchObject({ state: 'ok', detail: 'Clawdbot and imsg both read chat.db' });
    expect(first.automation).toMatchObject({ state: 'unknown', checkedAt: null });
    expect(first.ssh).toMatchObject({ state: 'not-applicable' });

    const result = await client.request('setup.testSend', { to: '+15555550123' });
    expect(result.automation).toMatchObject({ id: 'automation', state: 'ok' });
    expect(result.sent).toEqual({ sentVia: 'iMessage', messageIds: [w.sent().at(-1)!.guid] });
    expect(result).not.toHaveProperty('error');
    expect(w.sent().at(-1)).toMatchObject({ to: '+15555550123', text: 'Clawdbot test message: Clawdbot can send iMessages from this account.' });
    await waitFor('a setup event with Automation ok', () => eventWith(events, (c) => c.automation.state === 'ok'));
    expect((await client.request('setup.get', {})).model).toMatchObject({ state: 'missing', detail: 'no model configured: messages are logged, not answered' });
    await waitFor('Automation remembered in the state dir', () => {
      try {
        return JSON.parse(readFileSync(join(w.stateDir, 'imessage', 'default.automation.json'), 'utf8')).state === 'ok';
      } catch {
        return false;
      }
    });
  });

  it('bad input to a test send is refused before anything is sent', async () => {
    const w = ws();
    const { client } = await start(w);
    for (const to of ['+1555;rm', '$(id)@example.com', '`id`@example.com', 'a b@example.com', 'someone\n@example.com']) {
      const error = await client.request('setup.testSend', { to }).catch((e: unknown) => e);
      expect(error, to).toMatchObject({ code: 'bad_request', issues: [{ path: 'to', message: expect.stringContaining('phone number') }] });
    }
    await expect(client.request('setup.testSend', { to: '+15555550123', accountId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    expect(w.sent()).toEqual([]);
  });
});

describe('imsg', () => {
  it('missing: the brew command; fixed by changing the account, which pushes the new checks', async () => {
    const w = ws({ imessage: { cliPath: '/nonexistent/bin/imsg' } });
    const { client } = await start(w);
    const events = collect(client, 'setup');
    const before = checks(await client.request('setup.get', {}));
    expect(before.imsg).toMatchObject({ state: 'missing', detail: 'imsg not found (/nonexistent/bin/imsg)', fix: { command: 'brew install steipete/tap/imsg' } });
    expect(before.messages.state).toBe('unknown');

    await client.request('accounts.update', { accountId: 'default', changes: { cliPath: simBinPath } });
    await waitFor('the pushed checks with imsg ok', () => eventWith(events, (c) => c.imsg.state === 'ok'));
  });

  it("too old: imsg CLI does not support 'rpc' subcommand, and brew upgrade", async () => {
    const w = ws({ env: { IMSG_SIM_VERSION: '0.2.5' } });
    const { client } = await start(w);
    const imsg = checks(await client.request('setup.get', {})).imsg;
    expect(imsg.state).toBe('missing');
    expect(imsg.detail).toMatch(/^imsg CLI does not support 'rpc' subcommand: /);
    expect(imsg.fix).toMatchObject({ command: 'brew upgrade steipete/tap/imsg' });
  });
});

describe('Messages', () => {
  it('no chat.db: missing (set up Messages); Full Disk Access cannot be told yet', async () => {
    const w = ws();
    const dbPath = join(w.dir, 'nobody', 'Library', 'Messages', 'chat.db');
    w.writeConfig({ channels: { imessage: { cliPath: simBinPath, dbPath } } });
    const { client } = await start(w);
    const c = checks(await client.request('setup.get', {}));
    expect(c.messages).toMatchObject({ state: 'missing', detail: `no chat.db at ${dbPath}: Messages has not been set up for this user` });
    expect(c['full-disk-access']).toMatchObject({ state: 'unknown' });
  });

  it('not signed in (no account, no chats): missing; a test send fails with the sign-in fix', async () => {
    const w = ws();
    const dbPath = join(w.dir, 'signed-out', 'chat.db');
    SimDb.create(dbPath, { signedOut: true }).close();
    w.writeConfig({ channels: { imessage: { cliPath: simBinPath, dbPath } } });
    const { client } = await start(w);
    expect(checks(await client.request('setup.get', {})).messages).toMatchObject({
      state: 'missing',
      detail: 'imsg lists no chats: Messages is not signed in to iMessage (or has never sent or received a message)',
      fix: { text: expect.stringContaining('sign in with your Apple Account') },
    });
    const result = await client.request('setup.testSend', { to: '+15555550123' });
    expect(result.error).toMatchObject({ message: expect.stringContaining('-1719'), fix: expect.stringContaining('not signed in to iMessage') });
    expect(result.automation.state).toBe('unknown');
  });
});

describe('Full Disk Access', () => {
  it('denied by imsg: the deep link and the path in words', async () => {
    const w = ws({ env: { IMSG_SIM_FDA: 'denied' } });
    const { client } = await start(w);
    const snapshot = await client.request('setup.get', {});
    expect(checks(snapshot)['full-disk-access']).toMatchObject({
      state: 'denied',
      detail: expect.stringMatching(/^imsg may not read chat\.db \(imsg cannot read the Messages database \(Full Disk Access denied\): authorization denied/),
      fix: { settingsUrl: 'x-apple.systempreferences:com.apple.preference.security?Privacy_AllFiles', settingsPath: 'System Settings › Privacy & Security › Full Disk Access' },
    });
    expect(account(snapshot).restartNeeded).toBe(false);
    // Off macOS the gateway cannot open System Settings: the screen shows the words instead.
    if (process.platform !== 'darwin') {
      expect(await client.request('setup.openSettings', { pane: 'full-disk-access' })).toMatchObject({ opened: false, reason: expect.stringContaining('System Settings › Privacy & Security › Full Disk Access') });
    }
  });

  it('a change since the gateway started raises "restart needed" until the gateway restarts', async () => {
    const w = ws();
    w.sim.inject({ from: '+15555550123', text: 'hi' });
    // imsg behind a wrapper that is refused chat.db while the flag file exists (the person then grants it).
    const flag = join(w.dir, 'fda-denied');
    writeFileSync(flag, '');
    const cliPath = join(w.dir, 'imsg-fda');
    writeFileSync(cliPath, `#!/bin/sh\nif [ -e '${flag}' ]; then IMSG_SIM_FDA=denied; export IMSG_SIM_FDA; fi\nexec '${simBinPath}' "$@"\n`);
    chmodSync(cliPath, 0o755);
    w.writeConfig({ channels: { imessage: { cliPath, dbPath: w.dbPath } } });
    const { client, handle } = await start(w);
    const { wsUrl, token } = handle;
    expect(checks(await client.request('setup.get', {}))['full-disk-access'].state).toBe('denied');

    rmSync(flag);
    const after = await client.request('setup.check', { accountId: 'default' });
    expect(checks(after)['full-disk-access'].state).toBe('ok');
    expect(account(after).restartNeeded).toBe(true);

    const shutdowns = collect(client, 'shutdown');
    await client.request('gateway.restart', {});
    await waitFor('the shutdown event of the restart', () => shutdowns.length > 0);
    const restarted = await waitFor(
      'the restarted gateway',
      async () => {
        const next = createControlClient({ url: wsUrl, token, WebSocket, clientName: 'test' });
        cleanups.push(() => next.close());
        return next.ready.then(() => next, () => undefined);
      },
      15_000,
    );
    await waitFor('the restarted account listening', async () => (await restarted.request('status', {})).accounts[0]?.state === 'listening', 15_000);
    const fresh = await restarted.request('setup.get', {});
    expect(account(fresh).restartNeeded).toBe(false);
    expect(checks(fresh)['full-disk-access'].state).toBe('ok');
  });
});

describe('Automation', () => {
  it('denied (-1743): the Automation pane and tccutil; still known after the gateway restarts', async () => {
    const w = ws({ env: { IMSG_SIM_AUTOMATION: 'denied' } });
    let { client, handle } = await start(w);
    const result = await client.request('setup.testSend', { to: '+15555550123', text: 'hello' });
    expect(result).not.toHaveProperty('sent');
    expect(result).not.toHaveProperty('error');
    expect(result.automation).toMatchObject({
      state: 'denied',
      detail: expect.stringContaining('Not authorized to send Apple events to Messages. (-1743)'),
      fix: { command: 'tccutil reset AppleEvents', settingsUrl: 'x-apple.systempreferences:com.apple.preference.security?Privacy_Automation', settingsPath: 'System Settings › Privacy & Security › Automation' },
    });
    expect(w.sent()).toEqual([]);
    await handle.stop();
    ({ client, handle } = await start(w));
    expect(checks(await client.request('setup.get', {})).automation.state).toBe('denied');
  });

  it('pending while the macOS prompt is up; the click (the answer file) makes it ok, pushed', async () => {
    const w = ws({ env: {} });
    const answer = join(w.dir, 'automation-answer');
    const { client } = await start(w, { env: { ...w.env, IMSG_SIM_AUTOMATION: 'pending', IMSG_SIM_AUTOMATION_ANSWER: answer } });
    const events = collect(client, 'setup');
    const result = await client.request('setup.testSend', { to: '+15555550123' });
    expect(result).toEqual({ automation: expect.objectContaining({ state: 'pending', detail: 'macOS is asking for permission: click OK in the prompt on this Mac' }) });
    expect(w.sent()).toEqual([]);
    writeFileSync(answer, 'OK');
    await waitFor('a setup event with Automation ok', () => eventWith(events, (c) => c.automation.state === 'ok'));
    expect(w.sent().map((row) => row.to)).toEqual(['+15555550123']);
  });
});

describe('the model', () => {
  it('testModel: a rejected key is denied; with the right key it answers (ok)', async () => {
    const model = await startFakeModelServer({ models: ['claude-test'] });
    cleanups.push(() => model.close());
    const w = ws({ extra: { agents: { defaults: { model: 'anthropic/claude-test' } }, models: { providers: { anthropic: { baseUrl: model.url, apiKey: 'wrong-key' } } } } });
    const { client } = await start(w);
    expect(await client.request('setup.testModel', {})).toMatchObject({ id: 'model', state: 'denied', detail: expect.stringContaining('the API key was rejected') });
    await client.request('config.patch', { patch: { models: { providers: { anthropic: { apiKey: 'test-key' } } } } });
    expect(await client.request('setup.testModel', {})).toMatchObject({ state: 'ok', detail: expect.stringMatching(/^anthropic\/claude-test answered a test request in \d+ ms$/) });
  });
});

describe('accounts', () => {
  it('add → the hot reload starts it (listening, in the checks); update; disable; remove', async () => {
    const w = ws();
    const { client } = await start(w);
    const events = collect(client, 'setup');
    const added = await client.request('accounts.add', { accountId: 'work', account: { name: 'Work Mac', cliPath: simBinPath, dbPath: w.dbPath, dmPolicy: 'open' } });
    expect(added).toEqual({ accountId: 'work', path: w.configPath });
    const status = await client.request('status', {});
    expect(status.accounts.map((a) => [a.accountId, a.state])).toEqual([['default', 'listening'], ['work', 'listening']]);
    await waitFor('the work account in a setup event', () => events.some((s) => s.accounts.some((a) => a.accountId === 'work' && a.checks.find((c) => c.id === 'imsg')?.state === 'ok')));
    const file = JSON.parse(readFileSync(w.configPath, 'utf8'));
    expect(file.channels.imessage.accounts).toEqual({ default: {}, work: { name: 'Work Mac', cliPath: simBinPath, dbPath: w.dbPath, dmPolicy: 'open', allowFrom: ['*'] } });

    await client.request('accounts.update', { accountId: 'work', changes: { name: null, enabled: false } });
    expect((await client.request('status', {})).accounts.find((a) => a.accountId === 'work')).toMatchObject({ enabled: false, state: 'stopped' });
    expect(checks(await client.request('setup.get', {}), 'work').imsg.detail).toBe('not checked: the account is disabled');
    expect(JSON.parse(readFileSync(w.configPath, 'utf8')).channels.imessage.accounts.work).not.toHaveProperty('name');

    expect(await client.request('accounts.remove', { accountId: 'work' })).toEqual({ removed: true, path: w.configPath });
    expect((await client.request('status', {})).accounts.map((a) => a.accountId)).toEqual(['default']);
    await expect(client.request('accounts.remove', { accountId: 'work' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('bad input: every problem by field, nothing written', async () => {
    const w = ws();
    const { client } = await start(w);
    const before = readFileSync(w.configPath, 'utf8');
    const folder = join(w.dir, 'a-folder');
    mkdirSync(folder);
    const error = (await client
      .request('accounts.add', { accountId: 'work', account: { cliPath: folder, allowFrom: ['+15555550123', 'a;b', '$(id)@example.com', '`id`', 'me@example.com\nx'], dbPath: folder } })
      .catch((e: unknown) => e)) as ControlClientError;
    expect(error).toBeInstanceOf(ControlClientError);
    expect(error.code).toBe('bad_request');
    expect(error.issues!.map((issue) => issue.path)).toEqual([
      'channels.imessage.accounts.work.allowFrom[1]',
      'channels.imessage.accounts.work.allowFrom[2]',
      'channels.imessage.accounts.work.allowFrom[3]',
      'channels.imessage.accounts.work.allowFrom[4]',
      'channels.imessage.accounts.work.cliPath',
      'channels.imessage.accounts.work.dbPath',
    ]);
    expect(error.issues![4]).toMatchObject({ message: 'is a folder, not the imsg program', fix: expect.any(String) });

    // Grammar problems are caught by the params schema, also per field.
    for (const target of ['bot@mac;id', 'bot@$(id)', 'bot@`id`', 'bot @mac', 'bot@mac\nid']) {
      const refused = (await client.request('accounts.add', { accountId: 'work', account: { ssh: { target } } }).catch((e: unknown) => e)) as ControlClientError;
      expect(refused.issues, target).toEqual([{ path: 'account.ssh.target', message: expect.stringContaining('an SSH target is user@host') }]);
    }
    const taken = (await client.request('accounts.add', { accountId: 'default', account: {} }).catch((e: unknown) => e)) as ControlClientError;
    expect(taken.issues).toEqual([{ path: 'channels.imessage', message: 'the iMessage account "default" already exists', fix: expect.any(String) }]);
    const openWithout = (await client.request('accounts.add', { accountId: 'work', account: { dmPolicy: 'open', allowFrom: ['+15555550123'] } }).catch((e: unknown) => e)) as ControlClientError;
    expect(openWithout.issues![0]!.path).toBe('channels.imessage.accounts.work.dmPolicy');
    expect(readFileSync(w.configPath, 'utf8')).toBe(before);
    expect((await client.request('status', {})).accounts.map((a) => a.accountId)).toEqual(['default']);
  });

  it('config.patch answers every problem by field too', async () => {
    const w = ws();
    const { client } = await start(w);
    const error = (await client.request('config.patch', { patch: { channels: { imessage: { dmPolicy: 'opn' as never, groupPolicy: 'everyone' as never } } } }).catch((e: unknown) => e)) as ControlClientError;
    expect(error.code).toBe('bad_request');
    expect(error.issues).toEqual([
      { path: 'channels.imessage.dmPolicy', message: expect.stringContaining('must be one of'), fix: expect.stringContaining('"open"') },
      { path: 'channels.imessage.groupPolicy', message: expect.stringContaining('must be one of'), fix: expect.any(String) },
    ]);
  });
});
