// @vitest-environment happy-dom
// Settings over a fake gateway link: only what changed is sent; a refusal shows each problem next
// to its field (and anything else above the form, multi-line); Save is off until something
// changes; a form follows config changes made elsewhere until it is edited.
import { act, cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClawdbotConfig } from '../../../contract/config';
import { refusal } from '../../../e2e/support/fake-link';
import { renderApp } from '../../../e2e/support/render-app';

afterEach(cleanup);

const CONFIG: ClawdbotConfig = {
  gateway: { port: 18789, bind: 'loopback' },
  session: { dmScope: 'per-channel-peer' },
  channels: { imessage: { dmPolicy: 'pairing', textChunkLimit: 2000, allowFrom: ['+15550001111'] } },
};

function section(name: string): HTMLElement {
  return screen.getByRole('region', { name });
}

describe('Settings', () => {
  it('sends only the changed keys, and Save is off until something changes', async () => {
    let config = CONFIG;
    const app = await renderApp({
      route: { screen: 'settings' },
      handlers: {
        'config.get': () => ({ path: '/Users/me/.clawdbot/clawdbot.json', config, error: null }),
        'config.patch': () => ({ path: '/Users/me/.clawdbot/clawdbot.json', config }),
      },
    });
    const messages = section('Messages');
    const save = within(messages).getByRole('button', { name: 'Save' });
    expect(save).toHaveProperty('disabled', true);
    const limit = within(messages).getByRole('textbox', { name: 'Longest message (characters)' });
    expect((limit as HTMLInputElement).value).toBe('2000');
    await userEvent.clear(limit);
    await userEvent.type(limit, '1500');
    await userEvent.click(within(messages).getByRole('radio', { name: 'At blank lines' }));
    expect(save).toHaveProperty('disabled', false);
    config = { ...CONFIG, channels: { imessage: { ...CONFIG.channels!.imessage, textChunkLimit: 1500, chunkMode: 'newline' } } };
    await userEvent.click(save);
    await app.settle();
    expect(app.link.callsOf('config.patch')).toEqual([{ patch: { channels: { imessage: { textChunkLimit: 1500, chunkMode: 'newline' } } } }]);
    expect(within(messages).getByText('Saved.')).toBeTruthy();
  });

  it('shows the gateway’s problems next to their fields, and the rest above the form; nothing else changes', async () => {
    const app = await renderApp({
      route: { screen: 'settings' },
      handlers: {
        'config.get': () => ({ path: '/Users/me/.clawdbot/clawdbot.json', config: CONFIG, error: null }),
        'config.patch': () => {
          throw refusal('Invalid config at /Users/me/.clawdbot/clawdbot.json (2 problems)', [
            { path: 'channels.imessage.textChunkLimit', message: 'must be greater than 0', fix: 'Use a positive number, e.g. 4000.' },
            { path: 'channels.imessage.accounts.work.cliPath', message: 'contains the shell character ";"', fix: 'Put the command in a wrapper script.' },
          ]);
        },
      },
    });
    const messages = section('Messages');
    const limit = within(messages).getByRole('textbox', { name: 'Longest message (characters)' });
    await userEvent.clear(limit);
    await userEvent.type(limit, '0');
    await userEvent.click(within(messages).getByRole('button', { name: 'Save' }));
    await app.settle();

    expect(limit.getAttribute('aria-invalid')).toBe('true');
    const described = document.getElementById(limit.getAttribute('aria-describedby')!.split(' ')[0]!)!;
    expect(described.textContent).toBe('must be greater than 0Fix: Use a positive number, e.g. 4000.');
    const banner = within(messages).getByRole('alert');
    expect(within(banner).getByText('Not saved: the config was left as it was')).toBeTruthy();
    expect(banner.textContent).toContain('channels.imessage.accounts.work.cliPath: contains the shell character ";"');
    // The value typed stays, to be corrected.
    expect((limit as HTMLInputElement).value).toBe('0');
  });

  it('a refusal without problems by field is shown whole, line by line', async () => {
    await renderApp({
      route: { screen: 'settings' },
      handlers: {
        'config.get': () => ({ path: '/x/clawdbot.json', config: CONFIG, error: null }),
        'config.patch': () => {
          throw refusal('Invalid config (1 problem):\n- gateway.port = 0: must be at least 1\n  Fix: use a port from 1 to 65535');
        },
      },
    });
    const gateway = section('Gateway');
    const port = within(gateway).getByRole('textbox', { name: 'Port' });
    await userEvent.clear(port);
    await userEvent.type(port, '0');
    await userEvent.click(within(gateway).getByRole('button', { name: 'Save' }));
    const alert = await within(gateway).findByRole('alert');
    expect(alert.querySelector('.preserve-lines')?.textContent).toBe('Invalid config (1 problem):\n- gateway.port = 0: must be at least 1\n  Fix: use a port from 1 to 65535');
  });

  it('an untouched form follows a config changed elsewhere; an edited one keeps the edit', async () => {
    let config = CONFIG;
    const app = await renderApp({ route: { screen: 'settings' }, handlers: { 'config.get': () => ({ path: '/x/clawdbot.json', config, error: null }) } });
    const limit = () => within(section('Messages')).getByRole('textbox', { name: 'Longest message (characters)' }) as HTMLInputElement;
    const port = () => within(section('Gateway')).getByRole('textbox', { name: 'Port' }) as HTMLInputElement;
    await userEvent.clear(port());
    await userEvent.type(port(), '18800');

    config = { ...CONFIG, gateway: { port: 18999, bind: 'loopback' }, channels: { imessage: { textChunkLimit: 3000 } } };
    await act(() => app.store.getState().loadConfig());
    await app.settle();
    expect(limit().value).toBe('3000');
    expect(port().value).toBe('18800');
  });

  it('choosing “Anyone” for direct messages warns and adds * (the gateway requires it)', async () => {
    await renderApp({ route: { screen: 'settings' }, handlers: { 'config.get': () => ({ path: '/x/clawdbot.json', config: CONFIG, error: null }) } });
    const policies = section('Who may talk to the assistant');
    await userEvent.click(within(policies).getByRole('radio', { name: 'Anyone' }));
    expect(within(policies).getByRole('note').textContent).toContain('Anyone who knows this Mac’s phone number');
    const allowed = within(policies).getByRole('list', { name: 'Allowed senders' });
    expect(within(allowed).getByText('*')).toBeTruthy();
  });
});
