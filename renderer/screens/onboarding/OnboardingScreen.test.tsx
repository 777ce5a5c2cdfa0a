// @vitest-environment happy-dom
// The onboarding wizard over a fake gateway link (and, for the app, a fake bridge): the setup
// checks with their fixes and live updates, a gateway without them (an honest "cannot check"),
// the test message and its Automation answer, the native permission steps, saving the account
// and the policies with problems shown by field, and progress kept for the next visit.
import { act, cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountSetup, SetupCheck, SetupSnapshot } from '../../../contract/setup';
import { createFakeBridge, fakeAccount, fakeStatus, refusal } from '../../../e2e/support/fake-link';
import { renderApp } from '../../../e2e/support/render-app';

afterEach(cleanup);

const now = () => new Date().toISOString();

function snapshot(checks: SetupCheck[], patch: Partial<AccountSetup> = {}): SetupSnapshot {
  return { accounts: [{ accountId: 'default', location: 'this-mac', checks, restartNeeded: false, ...patch }], model: { id: 'model', state: 'missing', detail: 'no model', checkedAt: null }, at: now() };
}

const IMSG_MISSING: SetupCheck = {
  id: 'imsg',
  state: 'missing',
  detail: 'imsg was not found on PATH.',
  fix: { text: 'Install imsg with Homebrew.', command: 'brew install steipete/tap/imsg' },
  checkedAt: now(),
};

describe('onboarding', () => {
  it('shows the imsg check with the command to copy, re-checks on request and follows pushed checks live', async () => {
    const app = await renderApp({
      route: { screen: 'onboarding', step: 'imsg' },
      handlers: { 'setup.get': () => snapshot([IMSG_MISSING]), 'setup.check': () => snapshot([IMSG_MISSING]) },
    });
    expect(screen.getByRole('heading', { level: 1, name: 'imsg' })).toBeTruthy();
    expect(screen.getByText('Not set up', { exact: false })).toBeTruthy();
    expect(screen.getByText('brew install steipete/tap/imsg')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy brew install steipete/tap/imsg' })).toBeTruthy();

    await userEvent.click(screen.getByRole('button', { name: 'Check again' }));
    await app.settle();
    expect(app.link.callsOf('setup.check')).toEqual([{ accountId: 'default' }]);

    act(() => app.link.emit('setup', snapshot([{ id: 'imsg', state: 'ok', detail: 'imsg 0.9.0 at /opt/homebrew/bin/imsg, rpc supported.', checkedAt: now() }])));
    await app.settle();
    expect(screen.getByText('imsg 0.9.0 at /opt/homebrew/bin/imsg, rpc supported.')).toBeTruthy();
    expect(screen.queryByText('brew install steipete/tap/imsg')).toBeNull();
  });

  it('says honestly when the gateway cannot run the checks, and shows what its health knows instead', async () => {
    await renderApp({
      route: { screen: 'onboarding', step: 'imsg' },
      status: fakeStatus({
        accounts: [
          fakeAccount('default', {
            lastProbe: {
              ok: true,
              fatal: false,
              checks: [{ id: 'binary', ok: true, detail: 'found /opt/homebrew/bin/imsg' }],
              durationMs: 5,
              at: now(),
            },
          }),
        ],
      }),
    });
    expect(screen.getByRole('heading', { name: 'This gateway cannot run the setup checks yet' })).toBeTruthy();
    expect(screen.getByText(/setup\.get is not available in this gateway version/)).toBeTruthy();
    expect(screen.getByText('found /opt/homebrew/bin/imsg')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Check again' })).toBeNull();
    // Never blocks: Continue goes on.
    await userEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(screen.getByRole('heading', { level: 1, name: 'Messages' })).toBeTruthy();
  });

  it('sends a test message: waits for the Automation answer, then shows it with the fix', async () => {
    let answer: (value: unknown) => void = () => {};
    const app = await renderApp({
      route: { screen: 'onboarding', step: 'automation' },
      handlers: { 'setup.get': () => snapshot([]), 'setup.testSend': () => new Promise((resolve) => (answer = resolve as (value: unknown) => void)) },
    });
    const to = screen.getByRole('textbox', { name: 'Send a test message to' });
    await userEvent.type(to, 'not a handle');
    expect(screen.getByText('Use a phone number with country code (e.g. +15555550123) or an email address.')).toBeTruthy();
    await userEvent.clear(to);
    await userEvent.type(to, '+15555550123');
    await userEvent.click(screen.getByRole('button', { name: 'Send test message' }));
    expect(app.link.callsOf('setup.testSend')).toEqual([{ accountId: 'default', to: '+15555550123' }]);
    expect(screen.getByRole('heading', { name: 'Waiting for your answer on the Mac' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Sending…' })).toHaveProperty('disabled', true);

    act(() =>
      answer({
        automation: {
          id: 'automation',
          state: 'denied',
          detail: 'Messages refused: Not authorized to send Apple events to Messages. (-1743)',
          fix: { text: 'Allow Clawdbot in Automation.', settingsPath: 'System Settings › Privacy & Security › Automation', settingsUrl: 'x-apple.systempreferences:com.apple.preference.security?Privacy_Automation' },
          checkedAt: now(),
        },
      }),
    );
    await app.settle();
    expect(screen.getByText(/Not authorized to send Apple events/)).toBeTruthy();
    expect(screen.getByText('Allow Clawdbot in Automation.')).toBeTruthy();
    // In a browser the pane is named in words (no System Settings button).
    expect(screen.getByText(/On the Mac where Clawdbot runs: System Settings › Privacy & Security › Automation/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Open System Settings' })).toBeNull();
  });

  it('in the app: shows what macOS says about Full Disk Access, watches it while on screen, opens the pane, offers Restart', async () => {
    const bridge = createFakeBridge({
      'permissions.check': { permissions: [{ id: 'full-disk-access', state: 'denied', detail: 'chat.db cannot be read (EPERM).' }], restartSuggested: false, checkedAt: now() },
    });
    const app = await renderApp({ bridge, route: { screen: 'onboarding', step: 'full-disk-access' }, handlers: { 'setup.get': () => snapshot([]) } });
    await app.settle();
    expect(bridge.calls.filter((c) => c.name === 'permissions.watch').map((c) => c.request)).toEqual([true]);
    expect(screen.getByText('chat.db cannot be read (EPERM).')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Open System Settings' }));
    expect(bridge.calls.filter((c) => c.name === 'settings.open').map((c) => c.request)).toEqual(['full-disk-access']);

    act(() => bridge.push('permissions', { permissions: [{ id: 'full-disk-access', state: 'ok', detail: 'chat.db is readable.' }], restartSuggested: true, checkedAt: now() }));
    await app.settle();
    expect(screen.getByText('chat.db is readable.')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Restart Clawdbot' }));
    expect(bridge.calls.some((c) => c.name === 'app.relaunch')).toBe(true);

    // The next step (Automation) is a permission step too: unwatched, then watched again.
    await userEvent.click(screen.getByRole('button', { name: 'Continue' }));
    await app.settle();
    expect(bridge.calls.filter((c) => c.name === 'permissions.watch').map((c) => c.request)).toEqual([true, false, true]);
    // Progress is kept in the app's preferences.
    expect(bridge.calls.filter((c) => c.name === 'onboarding.set').at(-1)?.request).toEqual({ step: 'automation', completedAt: null });
  });

  it('saves who may talk to the assistant; the gateway’s problems appear next to their fields, nothing moves on', async () => {
    const app = await renderApp({
      route: { screen: 'onboarding', step: 'access' },
      handlers: {
        'config.patch': () => {
          throw refusal('Invalid config', [{ path: 'channels.imessage.allowFrom[0]', message: 'not a phone number, email or chat id', fix: 'Use +15555550123 or someone@example.com.' }]);
        },
      },
    });
    await userEvent.click(screen.getByRole('radio', { name: 'Only allowed senders' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Add to Allowed senders' }), '+15555550123{Enter}');
    await userEvent.click(screen.getByRole('button', { name: 'Save and continue' }));
    await app.settle();
    expect(app.link.callsOf('config.patch')).toEqual([{ patch: { channels: { imessage: { dmPolicy: 'allowlist', allowFrom: ['+15555550123'] } } } }]);
    const group = screen.getByRole('group', { name: 'Allowed senders' });
    expect(within(group).getByText('not a phone number, email or chat id')).toBeTruthy();
    expect(within(group).getByText('Fix: Use +15555550123 or someone@example.com.')).toBeTruthy();
    expect(screen.getByRole('heading', { level: 1, name: 'Who may talk to the assistant' })).toBeTruthy();

    app.link.handle({ 'config.patch': ({ patch }) => ({ path: '/x/clawdbot.json', config: { gateway: { port: 18789, bind: 'loopback' }, session: { dmScope: 'per-channel-peer' }, ...(patch as object) } }) });
    await userEvent.click(screen.getByRole('button', { name: 'Save and continue' }));
    await app.settle();
    expect(screen.getByRole('heading', { level: 1, name: 'Model (optional)' })).toBeTruthy();
  });

  it('adds the account on a first run when imsg is somewhere else; a gateway without accounts.* says so', async () => {
    const app = await renderApp({ route: { screen: 'onboarding', step: 'imsg' }, status: fakeStatus({ accounts: [fakeAccount('default', { configured: false, state: 'stopped' })] }) });
    await userEvent.click(screen.getByText('imsg is installed somewhere else'));
    await userEvent.type(screen.getByRole('textbox', { name: 'imsg path' }), '/opt/homebrew/bin/imsg');
    await userEvent.click(screen.getByRole('button', { name: 'Use this imsg' }));
    await app.settle();
    expect(app.link.callsOf('accounts.add')).toEqual([{ accountId: 'default', account: { cliPath: '/opt/homebrew/bin/imsg' } }]);
    expect(screen.getByText(/Not available in this gateway: accounts\.add is not available in this gateway version/)).toBeTruthy();
  });

  it('finishing stores the date (browser: localStorage) and opens Pairing when someone is waiting', async () => {
    const app = await renderApp({
      route: { screen: 'onboarding', step: 'done' },
      handlers: { 'pairing.list': () => ({ requests: [{ id: '+15550001111', code: 'ABCD2345', createdAt: now(), lastSeenAt: now(), expiresAt: new Date(Date.now() + 3_600_000).toISOString() }] }) },
    });
    expect(within(screen.getByRole('list', { name: 'Summary' })).getByText('Listening')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Finish' }));
    await app.settle();
    expect(app.store.getState().onboarding?.completedAt).toEqual(expect.any(String));
    expect(app.store.getState().route).toEqual({ screen: 'pairing' });
  });
});
