// @vitest-environment happy-dom
// The window around the screens: a broken config file is never "Connected, all good", the first
// screen is chosen from what the gateway reports, the app's gateway phase is explained with its
// recovery, and relative times re-render only themselves.
import { act, cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeBridge, fakeAccount, fakeStatus } from '../../e2e/support/fake-link';
import { renderApp } from '../../e2e/support/render-app';
import { RelativeTime } from '../components/time';
import type { AppState } from '../store/types';
import { startRoute } from './start-screen';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('the window', () => {
  it('with an invalid config file: the header says so and a banner shows the whole error, on every screen', async () => {
    const error = 'Invalid config at /x/clawdbot.json (1 problem):\n- channels.imessage.dmPolicy = "opn": must be one of "pairing", "allowlist", "open", "disabled".\n  Fix: did you mean "open"?';
    await renderApp({ route: { screen: 'pairing' }, status: fakeStatus({ configError: error }) });
    expect(screen.getByRole('status', { name: 'Gateway connection: Connected, but the config file has an error' }).textContent).toBe('Config error');
    expect(screen.queryByText('Connected')).toBeNull();
    expect(screen.getByRole('heading', { name: 'The config file has an error' })).toBeTruthy();
    expect(screen.getByTestId('config-error-text').textContent).toBe(error);
    await userEvent.click(screen.getByRole('link', { name: 'Settings' }));
    expect(screen.getByTestId('config-error-text').textContent).toBe(error);
  });

  it('chooses the first screen: onboarding on a first run, Pairing when someone waits, Demo in demo mode, else Health', () => {
    const base = { onboarding: { step: null, completedAt: null }, connection: 'connected', requestsLoaded: true, requests: [], native: false, status: fakeStatus() } as unknown as AppState;
    const unconfigured = fakeStatus({ accounts: [fakeAccount('default', { configured: false })] });
    expect(startRoute({ ...base, status: unconfigured })).toEqual({ screen: 'onboarding', step: 'welcome' });
    expect(startRoute({ ...base, status: unconfigured, onboarding: { step: 'model', completedAt: null } })).toEqual({ screen: 'onboarding', step: 'model' });
    expect(startRoute({ ...base, status: unconfigured, onboarding: { step: 'done', completedAt: new Date().toISOString() } })).toEqual({ screen: 'health' });
    // The app remembers onboarding itself: a configured gateway does not skip it there.
    expect(startRoute({ ...base, native: true })).toEqual({ screen: 'onboarding', step: 'welcome' });
    expect(startRoute({ ...base, requests: [{ id: 'x', code: 'ABCD2345', createdAt: '', lastSeenAt: '', expiresAt: '' }] })).toEqual({ screen: 'pairing' });
    expect(startRoute({ ...base, status: fakeStatus({ demo: true }) })).toEqual({ screen: 'demo' });
    expect(startRoute(base)).toEqual({ screen: 'health' });
    // Not before the requests are known (no flash of the wrong screen).
    expect(startRoute({ ...base, requestsLoaded: false })).toBeNull();
  });

  it('in the app: a gateway that could not start is explained, with its ways out', async () => {
    const bridge = createFakeBridge({
      'gateway.phase': { kind: 'failed', message: 'Port 18789 is in use by another Clawdbot gateway (pid 4321).', conflict: { kind: 'clawdbot', port: 18789, pid: 4321, usable: true, freePort: 18790 } },
      'gateway.recover': { kind: 'starting' },
    });
    await renderApp({ bridge, connect: false });
    expect(screen.getByRole('heading', { name: 'The gateway could not start' })).toBeTruthy();
    expect(screen.getByText('Port 18789 is in use by another Clawdbot gateway (pid 4321).')).toBeTruthy();
    expect(screen.getByRole('status', { name: 'Gateway connection: Gateway not running' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Start on port 18790' }));
    expect(bridge.calls.filter((c) => c.name === 'gateway.recover').map((c) => c.request)).toEqual([{ type: 'use-port', port: 18790 }]);
    expect(await screen.findByRole('heading', { name: 'Starting the gateway…' })).toBeTruthy();
  });

  it('a relative time re-renders itself every second, not the component around it', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T12:00:00Z') });
    let outerRenders = 0;
    function Row() {
      outerRenders += 1;
      return (
        <p>
          Asked <RelativeTime iso="2026-01-01T11:59:58Z" />
        </p>
      );
    }
    render(<Row />);
    expect(screen.getByText('just now')).toBeTruthy();
    await act(async () => {
      vi.advanceTimersByTime(5_000);
    });
    expect(screen.getByText('7 s ago')).toBeTruthy();
    expect(outerRenders).toBe(1);
  });
});
