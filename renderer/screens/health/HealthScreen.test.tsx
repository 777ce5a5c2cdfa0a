// @vitest-environment happy-dom
// Health over a fake gateway link: an account backing off (countdown, the error) and recovering,
// a failed one with its fix, Probe and Restart, the setup checks, and the access log's actions.
import { act, cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessLogEntry } from '../../../contract/gateway-api';
import { fakeAccount, fakeStatus } from '../../../e2e/support/fake-link';
import { renderApp } from '../../../e2e/support/render-app';

afterEach(cleanup);

const iso = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

function entry(patch: Partial<AccessLogEntry>): AccessLogEntry {
  return { ts: iso(), accountId: 'default', chatId: 3, isGroup: false, sender: '+15550009999', messageId: 11, decision: 'rejected', reason: 'dmPolicy=allowlist', ...patch };
}

describe('Health', () => {
  it('an account backing off shows the countdown and the error; once listening, the error is history', async () => {
    const app = await renderApp({
      route: { screen: 'health' },
      status: fakeStatus({
        accounts: [
          fakeAccount('default', { name: 'Personal', state: 'backing-off', restarts: 3, retryAt: iso(8_000), lastError: { message: 'imsg rpc exited (code 1)', fatal: false, at: iso(-1000) } }),
        ],
      }),
    });
    const card = screen.getByRole('listitem', { name: 'Account Personal' });
    expect(within(card).getByTestId('account-state').textContent).toBe('Retrying');
    expect(within(card).getByTestId('retry-in').textContent).toMatch(/^0:0[78]$/);
    expect(within(card).getByTestId('account-error').textContent).toBe('Last error: imsg rpc exited (code 1)');
    expect(screen.getByRole('link', { name: /Health/ }).textContent).toContain('!');

    act(() => app.link.emit('health', fakeStatus({ accounts: [fakeAccount('default', { name: 'Personal', state: 'listening', restarts: 3, lastError: { message: 'imsg rpc exited (code 1)', fatal: false, at: iso(-1000) } })] })));
    await app.settle();
    expect(within(card).getByTestId('account-state').textContent).toBe('Listening');
    expect(within(card).getByTestId('account-error').textContent).toMatch(/^Recovered from: imsg rpc exited \(code 1\)/);
    expect(within(card).queryByTestId('retry-in')).toBeNull();
  });

  it('a failed account shows the failure and its fix (commands as code); Probe and Restart call the gateway', async () => {
    const app = await renderApp({
      route: { screen: 'health' },
      status: fakeStatus({
        accounts: [fakeAccount('work', { state: 'failed-fatal', imsgVersion: '0.2.0', lastError: { message: "imsg CLI does not support 'rpc' subcommand", fix: 'Upgrade imsg with `brew upgrade steipete/tap/imsg`.', fatal: true, at: iso() } })],
      }),
      handlers: {
        'channels.probe': ({ accountId }) => ({ accounts: [{ accountId: accountId!, probe: { ok: false, fatal: true, error: 'no rpc', fix: 'upgrade', checks: [{ id: 'rpc-support', ok: false, detail: 'rpc --help printed the root help', fix: 'upgrade' }], durationMs: 4, at: iso() } }] }),
        'channels.restart': ({ accountId }) => ({ restarted: [accountId!] }),
      },
    });
    const card = screen.getByRole('listitem', { name: 'Account work' });
    const error = within(card).getByTestId('account-error');
    expect(error.textContent).toContain("Failed: imsg CLI does not support 'rpc' subcommand");
    expect(error.textContent).toContain('Fix: Upgrade imsg with brew upgrade steipete/tap/imsg.');
    expect(within(error).getByText('brew upgrade steipete/tap/imsg').tagName).toBe('CODE');

    await userEvent.click(within(card).getByRole('button', { name: 'Probe work' }));
    await app.settle();
    expect(app.link.callsOf('channels.probe')).toEqual([{ accountId: 'work' }]);
    expect(within(card).getByText('Probe failed: no rpc Fix: upgrade')).toBeTruthy();
    expect(within(card).getByText('rpc --help printed the root help')).toBeTruthy();

    await userEvent.click(within(card).getByRole('button', { name: 'Restart imsg for work' }));
    await app.settle();
    expect(app.link.callsOf('channels.restart')).toEqual([{ accountId: 'work' }]);
  });

  it('shows the gateway’s setup checks with ✓/✗ when it has them', async () => {
    await renderApp({
      route: { screen: 'health' },
      handlers: {
        'setup.get': () => ({
          accounts: [
            {
              accountId: 'default',
              location: 'this-mac',
              restartNeeded: false,
              checks: [
                { id: 'imsg', state: 'ok', detail: 'imsg 0.9.0', checkedAt: iso() },
                { id: 'full-disk-access', state: 'denied', detail: 'chat.db cannot be read', fix: { text: 'Turn on Full Disk Access.' }, checkedAt: iso() },
              ],
            },
          ],
          model: { id: 'model', state: 'ok', detail: 'ok', checkedAt: iso() },
          at: iso(),
        }),
      },
    });
    const card = screen.getByRole('listitem', { name: 'Account Personal' });
    expect(within(card).getByText('✗ 1 to fix')).toBeTruthy();
    expect(within(card).getByText('Turn on Full Disk Access.')).toBeTruthy();
  });

  it('the access log says why in words, and “Allow this sender” adds them to the list the account reads', async () => {
    const app = await renderApp({
      route: { screen: 'health' },
      handlers: {
        'accessLog.tail': () => ({ entries: [entry({}), entry({ sender: '+15550002222', isGroup: true, chatId: 42, chatName: 'Family', reason: 'chat not in groups', messageId: 12 })] }),
        'config.get': () => ({ path: '/x/clawdbot.json', config: { gateway: { port: 18789, bind: 'loopback' }, session: { dmScope: 'per-channel-peer' }, channels: { imessage: { dmPolicy: 'allowlist', allowFrom: ['+15550001111'] } } }, error: null }),
        'config.patch': () => ({ path: '/x/clawdbot.json', config: { gateway: { port: 18789, bind: 'loopback' }, session: { dmScope: 'per-channel-peer' } } }),
      },
    });
    const log = screen.getByRole('list', { name: 'Access log' });
    expect(within(log).getByText('Blocked: not an allowed sender.')).toBeTruthy();
    expect(within(log).getByText('Blocked: this group chat is not one of the allowed groups.')).toBeTruthy();

    await userEvent.click(within(log).getByRole('button', { name: 'Allow this sender: +15550009999' }));
    await app.settle();
    expect(app.link.callsOf('config.patch').at(-1)).toEqual({ patch: { channels: { imessage: { allowFrom: ['+15550001111', '+15550009999'] } } } });
    expect(screen.getByText('Added +15550009999 to the allowed senders.')).toBeTruthy();

    await userEvent.click(within(log).getByRole('button', { name: 'Add Family to the allowed groups' }));
    await app.settle();
    expect(app.link.callsOf('config.patch').at(-1)).toEqual({ patch: { channels: { imessage: { groups: { '42': {} } } } } });
  });
});
