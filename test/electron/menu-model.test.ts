// The tray menu for each state, printed as text (test/electron/snapshots/menu-*.txt): what a
// person sees in the menu bar, readable in review. Plus the line formatting it is built from.
import { describe, expect, it } from 'vitest';
import { accountEntries, ago, buildMenuModel, clip, duration } from '../../main/electron/menu-model';
import { account, appState, iso, menuText, NOW, pairingRequest, probe, status } from './support/fixtures';

const snapshot = (name: string) => `./snapshots/menu-${name}.txt`;
const menu = (state: Parameters<typeof buildMenuModel>[0]) => `${menuText(buildMenuModel(state, NOW))}\n`;

describe('tray menu, one snapshot per state', () => {
  it('no iMessage account yet', async () => {
    await expect(menu(appState({ status: status([]) }))).toMatchFileSnapshot(snapshot('no-accounts'));
  });

  it('listening, with the last message 2 min ago', async () => {
    const state = appState({ status: status([account({ lastInboundAt: iso(-2 * 60_000) })]) });
    await expect(menu(state)).toMatchFileSnapshot(snapshot('listening'));
  });

  it('backing off, with the countdown to the next try', async () => {
    const backingOff = account({
      state: 'backing-off',
      retryAt: iso(8_000),
      restarts: 3,
      lastError: { message: 'imsg rpc exited with code 1', fatal: false, at: iso(-1000) },
    });
    await expect(menu(appState({ status: status([backingOff]) }))).toMatchFileSnapshot(snapshot('backing-off'));
  });

  it('failed for want of Full Disk Access, with the fix and the way to it', async () => {
    const failed = account({
      state: 'failed-fatal',
      lastError: { message: 'imsg cannot read the Messages database (Full Disk Access denied): authorization denied', fix: 'Grant Full Disk Access…', fatal: true, at: iso(-1000) },
      lastProbe: probe({ ok: false, detail: 'authorization denied (code 23)' }),
    });
    await expect(menu(appState({ status: status([failed]) }))).toMatchFileSnapshot(snapshot('failed-full-disk-access'));
  });

  it('failed with imsg missing, with its fix text', async () => {
    const failed = account({ state: 'failed-fatal', lastError: { message: 'imsg not found (/opt/homebrew/bin/imsg)', fix: 'Install imsg with `brew install steipete/tap/imsg`.', fatal: true, at: iso(-1000) } });
    await expect(menu(appState({ status: status([failed]) }))).toMatchFileSnapshot(snapshot('failed-imsg-missing'));
  });

  it.each([0, 1, 5])('%i pending pairing request(s)', async (count) => {
    const pending = Array.from({ length: count }, (_, i) => pairingRequest(i, (i + 1) * 7 * 60_000));
    await expect(menu(appState({ pending }))).toMatchFileSnapshot(snapshot(`pending-${count}`));
  });

  it('paused', async () => {
    await expect(menu(appState({ gateway: { kind: 'paused' }, status: null }))).toMatchFileSnapshot(snapshot('paused'));
  });

  it('starting, and restarting after an error inside the gateway', async () => {
    await expect(menu(appState({ gateway: { kind: 'starting' }, status: null }))).toMatchFileSnapshot(snapshot('starting'));
    const crashed = appState({ gateway: { kind: 'crashed', error: 'Cannot read properties of undefined', retryAt: NOW + 4000 }, status: null });
    await expect(menu(crashed)).toMatchFileSnapshot(snapshot('crashed'));
  });

  it('the port is held by another Clawdbot gateway (usable) or another program', async () => {
    const clawdbot = appState({
      gateway: { kind: 'failed', message: 'Another Clawdbot gateway is already running on 127.0.0.1:18789 (pid 777).', conflict: { kind: 'clawdbot', port: 18789, pid: 777, usable: true, freePort: 18790 } },
      status: null,
    });
    await expect(menu(clawdbot)).toMatchFileSnapshot(snapshot('port-clawdbot'));
    const other = appState({
      gateway: { kind: 'failed', message: 'Port 18789 on 127.0.0.1 is in use by another program.', conflict: { kind: 'other-program', port: 18789, freePort: 18790 } },
      status: null,
    });
    await expect(menu(other)).toMatchFileSnapshot(snapshot('port-other-program'));
  });

  it('a config that cannot start the gateway: its fix and Retry', async () => {
    const failed = appState({ gateway: { kind: 'failed', message: 'channels.imessage.dmPolicy: "sometimes" is not one of pairing, allowlist, open, disabled', fix: 'Edit ~/.clawdbot/clawdbot.json' }, status: null });
    await expect(menu(failed)).toMatchFileSnapshot(snapshot('config-error'));
  });

  it('Full Disk Access granted while running: Restart Clawdbot is offered', () => {
    const state = appState({ permissions: { permissions: [], restartSuggested: true, checkedAt: iso(0) } });
    expect(menuText(buildMenuModel(state, NOW))).toContain('[Restart Clawdbot to apply Full Disk Access]');
  });
});

describe('status lines', () => {
  it('relative times and durations', () => {
    expect(ago(iso(-10_000), NOW)).toBe('just now');
    expect(ago(iso(-2 * 60_000), NOW)).toBe('2 min ago');
    expect(ago(iso(-3 * 3_600_000), NOW)).toBe('3 h ago');
    expect(ago(iso(-3 * 86_400_000), NOW)).toBe('3 days ago');
    expect(duration(7_200)).toBe('8 s');
    expect(duration(-5)).toBe('0 s');
    expect(duration(55 * 60_000)).toBe('55 min');
    expect(duration(5 * 3_600_000)).toBe('5 h');
  });

  it('long errors are cut to one menu line', () => {
    const line = clip(`x ${'long '.repeat(40)}`);
    expect(line.length).toBe(90);
    expect(line.endsWith('…')).toBe(true);
  });

  it('disabled, not configured, simulated', () => {
    expect(menuText(accountEntries(account({ state: 'stopped', enabled: false }), NOW))).toBe('default: disabled');
    expect(menuText(accountEntries(account({ state: 'stopped', configured: false }), NOW))).toBe('default: not configured');
    expect(menuText(accountEntries(account({ simulated: true }), NOW))).toBe('default (simulated): listening · no messages yet');
  });

  it('a sender handle cannot rewrite the menu: escapes and bidi overrides are shown, not obeyed', () => {
    const hostile = { ...pairingRequest(0, 10 * 60_000), id: '+1555\u001b[2J\u202e0100\nApproved' };
    const entries = buildMenuModel(appState({ pending: [hostile] }), NOW);
    const request = entries.find((e) => e.kind === 'submenu');
    expect(request?.label).toBe('+1555\\x1b[2J\\u202e0100\\nApproved · ABCD2345 · 50 min left');
    expect(menuText([{ kind: 'text', label: clip('failed: \u001b[31mred\u009b') }])).toBe('failed: \\x1b[31mred\\x9b');
  });

  it('says when strangers hold every pairing slot', () => {
    const pending = [0, 1, 2].map((i) => pairingRequest(i, 10 * 60_000));
    const entries = buildMenuModel(appState({ pending }), NOW);
    expect(entries).toContainEqual({ kind: 'text', label: 'Pending pairing requests (3, all slots taken: new senders get no code)' });
    expect(buildMenuModel(appState({ pending: pending.slice(0, 2) }), NOW)).toContainEqual({ kind: 'text', label: 'Pending pairing requests (2)' });
  });

  it('with several accounts, each request names the account it came in on', () => {
    const status = appState().status!;
    const twoAccounts = { ...status, accounts: [...status.accounts, { ...status.accounts[0]!, accountId: 'main' }] };
    const entries = buildMenuModel(appState({ status: twoAccounts, pending: [{ ...pairingRequest(0, 10 * 60_000), accountId: 'main' }] }), NOW);
    expect(entries.find((e) => e.kind === 'submenu')?.label).toBe('+15555550100 · ABCD2345 · to main · 50 min left');
  });

  it('each pending request names sender, code and time left, with Approve and Deny', () => {
    const entries = buildMenuModel(appState({ pending: [pairingRequest(0, 10 * 60_000)] }), NOW);
    const request = entries.find((e) => e.kind === 'submenu');
    expect(request).toEqual({
      kind: 'submenu',
      label: '+15555550100 · ABCD2345 · 50 min left',
      items: [
        { kind: 'action', label: 'Approve', action: { type: 'approve', code: 'ABCD2345' } },
        { kind: 'action', label: 'Deny', action: { type: 'deny', code: 'ABCD2345' } },
      ],
    });
  });
});
