// @vitest-environment happy-dom
// The simulated-account switch in the whole window (a fake bridge, a fake gateway link): offered on
// the Welcome step when main says it is available, never in a browser or the packaged app;
// progress while the gateway restarts, the way back in onboarding and Settings once the window is
// connected to the simulated account, the Demo screen following the connection, and a refusal in
// main's words.
import { act, cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatedAccountAnswer, SimulatedAccountStatus } from '../../contract/bridge';
import { createFakeBridge, fakeAccount, fakeStatus } from '../../e2e/support/fake-link';
import { renderApp } from '../../e2e/support/render-app';

afterEach(cleanup);

const TRY = 'Try it with a simulated Messages account';
const BACK = 'Use my real Messages account';
const PACKAGED = 'A simulated Messages account is not available in the packaged app yet: run Clawdbot from a checkout with npm start.';
const welcome = { screen: 'onboarding' as const, step: 'welcome' as const };

/** A bridge that switches as main does: it answers once the restart is over (`finish()`), then reports the new mode. */
function switchingBridge(initial: SimulatedAccountStatus = { available: true, active: false }, answers: Parameters<typeof createFakeBridge>[0] = {}) {
  let simulated = initial;
  let finish: () => void = () => {};
  const bridge = createFakeBridge({
    ...answers,
    'gateway.simulated': () => simulated,
    'gateway.useSimulated': (on: boolean) =>
      new Promise<SimulatedAccountAnswer>((resolve) => {
        finish = () => {
          simulated = { ...simulated, active: on };
          resolve({ ok: true });
        };
      }),
  });
  return { bridge, finish: () => finish(), switches: () => bridge.calls.filter((c) => c.name === 'gateway.useSimulated').map((c) => c.request) };
}

const demoStatus = () => fakeStatus({ demo: true, model: 'demo/echo', accounts: [fakeAccount('default', { simulated: true })] });

describe('the simulated account switch', () => {
  it('in a browser (no bridge): not offered', async () => {
    await renderApp({ route: welcome });
    expect(screen.getByRole('heading', { level: 1, name: 'Welcome to Clawdbot' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: TRY })).toBeNull();
    expect(screen.queryByRole('button', { name: BACK })).toBeNull();
  });

  it('in the packaged app (not available): not offered, on the Welcome step or in Settings', async () => {
    const bridge = createFakeBridge({ 'gateway.simulated': { available: false, active: false, reason: PACKAGED } });
    const app = await renderApp({ bridge, route: welcome });
    expect(screen.queryByRole('button', { name: TRY })).toBeNull();
    act(() => app.store.getState().navigate('settings'));
    expect(screen.getByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: BACK })).toBeNull();
  });

  it('on, with progress; the way back on the Welcome step and in Settings; off again leaves the Demo screen', async () => {
    const { bridge, finish, switches } = switchingBridge();
    const app = await renderApp({ bridge, route: welcome });

    await userEvent.click(screen.getByRole('button', { name: TRY }));
    expect(switches()).toEqual([true]);
    // While the gateway restarts: said in words, and the button cannot be pressed twice.
    expect(screen.getByText('Switching to the simulated account…').getAttribute('role')).toBe('status');
    const pressed = screen.getByRole('button', { name: TRY }) as HTMLButtonElement;
    expect(pressed.disabled).toBe(true);
    expect(pressed.getAttribute('aria-busy')).toBe('true');
    // Main restarted the gateway with the simulated account and the window reconnected to it.
    await act(async () => finish());
    act(() => app.link.connect(demoStatus()));
    await app.settle();
    expect(screen.queryByRole('button', { name: TRY })).toBeNull();
    expect(screen.getByText('This gateway has a simulated Messages account', { exact: false })).toBeTruthy();
    expect(screen.getByRole('button', { name: BACK })).toBeTruthy();

    // The Demo screen is there; Settings offers the way back too.
    act(() => app.store.getState().navigate('settings'));
    expect(within(screen.getByRole('navigation', { name: 'Screens' })).getByRole('link', { name: 'Demo' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: BACK }));
    expect(switches()).toEqual([true, false]);
    expect(screen.getByText('Switching to your Messages account…')).toBeTruthy();
    await act(async () => finish());
    // Meanwhile the person went to the Demo screen: the real account's connection takes it away.
    act(() => app.store.getState().navigate('demo'));
    act(() => app.link.connect(fakeStatus()));
    await app.settle();
    expect(app.store.getState().route).toEqual({ screen: 'health' });
    expect(within(screen.getByRole('navigation', { name: 'Screens' })).queryByRole('link', { name: 'Demo' })).toBeNull();
    expect(app.store.getState().simulated).toEqual({ available: true, active: false });
  });

  it('a simulated account whose gateway could not start is no dead end: the way back is in the banner', async () => {
    const { bridge, switches } = switchingBridge({ available: true, active: true }, { 'gateway.phase': { kind: 'failed', message: 'The imsg simulator is not built.' } });
    await renderApp({ bridge, connect: false });
    const banner = screen.getByRole('alert', { name: 'The gateway could not start' });
    await userEvent.click(within(banner).getByRole('button', { name: BACK }));
    expect(switches()).toEqual([false]);
  });

  it('a refusal is shown in main’s words, and nothing changes', async () => {
    const bridge = createFakeBridge({
      'gateway.simulated': { available: true, active: false },
      'gateway.useSimulated': { ok: false, message: PACKAGED },
    });
    await renderApp({ bridge, route: welcome });
    await userEvent.click(screen.getByRole('button', { name: TRY }));
    expect((await screen.findByRole('alert')).textContent).toBe(PACKAGED);
    expect((screen.getByRole('button', { name: TRY }) as HTMLButtonElement).disabled).toBe(false);
  });
});
