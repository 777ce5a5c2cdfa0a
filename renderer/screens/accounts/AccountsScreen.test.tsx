// @vitest-environment happy-dom
// Accounts over a fake gateway link: adding one (problems by field, inline), editing sends only
// what changed, disable and remove, and a gateway without accounts.* saying so.
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClawdbotConfig } from '../../../contract/config';
import { fakeAccount, fakeStatus, refusal } from '../../../e2e/support/fake-link';
import { renderApp } from '../../../e2e/support/render-app';

afterEach(cleanup);

const CONFIG: ClawdbotConfig = {
  gateway: { port: 18789, bind: 'loopback' },
  session: { dmScope: 'per-channel-peer' },
  channels: { imessage: { accounts: { personal: { name: 'Personal', cliPath: '/opt/homebrew/bin/imsg' } } } },
};

const withConfig = { 'config.get': () => ({ path: '/x/clawdbot.json', config: CONFIG, error: null }) };

describe('Accounts', () => {
  it('adds an account; the gateway’s problems show at their fields', async () => {
    const app = await renderApp({
      route: { screen: 'accounts' },
      status: fakeStatus({ accounts: [fakeAccount('personal', { name: 'Personal' })] }),
      handlers: {
        ...withConfig,
        'accounts.add': () => {
          throw refusal('Invalid account', [{ path: 'channels.imessage.accounts.work.cliPath', message: 'contains the shell character ";"', fix: 'Put the command in a wrapper script.' }]);
        },
      },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Add account…' }));
    const form = screen.getByRole('form', { name: 'New account' });
    await userEvent.type(within(form).getByRole('textbox', { name: 'Account id' }), 'Work');
    await userEvent.type(within(form).getByRole('textbox', { name: 'Name (optional)' }), 'Work');
    await userEvent.type(within(form).getByRole('textbox', { name: 'imsg path' }), 'imsg; rm -rf ~');
    await userEvent.click(within(form).getByRole('button', { name: 'Add account' }));
    await app.settle();
    expect(app.link.callsOf('accounts.add')).toEqual([{ accountId: 'work', account: { name: 'Work', cliPath: 'imsg; rm -rf ~' } }]);
    const path = within(form).getByRole('textbox', { name: 'imsg path' });
    expect(path.getAttribute('aria-invalid')).toBe('true');
    expect(within(form).getByText('contains the shell character ";"')).toBeTruthy();
  });

  it('a gateway without accounts.* says so instead of failing silently', async () => {
    await renderApp({ route: { screen: 'accounts' }, status: fakeStatus({ accounts: [fakeAccount('personal', { name: 'Personal' })] }), handlers: withConfig });
    await userEvent.click(screen.getByRole('button', { name: 'Disable Personal' }));
    expect(await screen.findByText(/Not available in this gateway: accounts\.update is not available in this gateway version/)).toBeTruthy();
    // The setup checks are missing too: the screen says up front that saving will be refused.
    expect(screen.getByRole('heading', { name: 'Changing accounts needs a newer gateway' })).toBeTruthy();
  });

  it('edits send only what changed; a cleared key is removed; remove asks first', async () => {
    const app = await renderApp({
      route: { screen: 'accounts' },
      status: fakeStatus({ accounts: [fakeAccount('personal', { name: 'Personal', cliPath: '/opt/homebrew/bin/imsg' })] }),
      handlers: { ...withConfig, 'accounts.update': ({ accountId }) => ({ accountId, path: '/x' }), 'accounts.remove': () => ({ removed: true, path: '/x' }) },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Edit Personal' }));
    const form = screen.getByRole('form', { name: 'Edit account Personal' });
    await userEvent.clear(within(form).getByRole('textbox', { name: 'Name (optional)' }));
    await userEvent.click(within(form).getByRole('checkbox', { name: /Its own rules/ }));
    await userEvent.click(within(form).getByRole('radio', { name: 'Nobody' }));
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await app.settle();
    expect(app.link.callsOf('accounts.update')).toEqual([
      { accountId: 'personal', changes: { name: null, dmPolicy: 'disabled', allowFrom: [], groupPolicy: 'allowlist', groupAllowFrom: [] } },
    ]);

    await userEvent.click(screen.getByRole('button', { name: 'Remove Personal' }));
    expect(app.link.callsOf('accounts.remove')).toEqual([]);
    await userEvent.click(screen.getByRole('button', { name: 'Confirm remove Personal' }));
    await app.settle();
    expect(app.link.callsOf('accounts.remove')).toEqual([{ accountId: 'personal' }]);
    expect(screen.getByText('Removed Personal.')).toBeTruthy();
  });
});
