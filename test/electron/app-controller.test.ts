// The app's state and actions (AppController) with a stand-in gateway: permission re-checks while
// the permission step is on screen, the working signal, launch at login, and the quit sequence.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../contract/emitter';
import type { ControlEvents } from '../../contract/control-api';
import { AppController, PERMISSION_WATCH_MS, type NativeActions } from '../../main/electron/app-controller';
import type { GatewayPhase } from '../../main/electron/app-state';
import type { GatewayHost, GatewayLink, HostEvents } from '../../main/electron/gateway-host';
import type { FdaSignal } from '../../main/electron/permissions';
import { PREFS_DEFAULTS, type AppPrefs } from '../../main/electron/prefs';
import { createLogHub } from '../../main/util/logger';
import { account, status } from './support/fixtures';

function fakeGateway() {
  const events = new Emitter<ControlEvents>();
  const calls: string[] = [];
  let current = status([account()]);
  const link: GatewayLink = {
    connection: () => ({ url: 'http://127.0.0.1:18789', wsUrl: 'ws://127.0.0.1:18789/ws', token: 't', mode: 'hosted' }),
    call: (async (method: string) => {
      calls.push(method);
      if (method === 'status') return current;
      if (method === 'pairing.list') return { requests: [] };
      if (method === 'pairing.approve') throw new Error('Unknown pairing code ZZZZ2222');
      return {};
    }) as GatewayLink['call'],
    on: (event, listener) => events.on(event, listener),
  };
  const hostEvents = new Emitter<HostEvents>();
  const order: string[] = [];
  const host = {
    events: hostEvents,
    phase: { kind: 'starting' } as GatewayPhase,
    link: null as GatewayLink | null,
    shutdown: vi.fn(async () => (order.push('shutdown'), 'stopped' as const)),
    run() {
      this.link = link;
      hostEvents.emit('link', link);
      this.phase = { kind: 'running', mode: 'hosted', port: 18789 };
      hostEvents.emit('phase', this.phase);
    },
  };
  return { events, calls, link, host, order, setStatus: (s: typeof current) => (current = s) };
}

function controllerWith(gateway: ReturnType<typeof fakeGateway>, signal: { value: FdaSignal }) {
  const prefs = { ...PREFS_DEFAULTS } as AppPrefs;
  const logs = createLogHub({ sinks: [] });
  const native: NativeActions = {
    openWindow: vi.fn(),
    openExternal: vi.fn(),
    relaunch: vi.fn(() => void gateway.order.push('relaunch')),
    exit: vi.fn(() => void gateway.order.push('exit')),
    setLoginItem: vi.fn(),
  };
  const controller = new AppController({
    host: gateway.host as unknown as GatewayHost,
    prefs: { get: (key) => prefs[key], set: (key, value) => void (prefs[key] = value) },
    native,
    fdaSignal: () => signal.value,
    logger: logs.logger('app'),
  });
  return { controller, native, prefs, logs };
}

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }));
afterEach(() => vi.useRealTimers());

describe('AppController', () => {
  it('re-checks permissions every second while watched, and pushes only changes', async () => {
    const gateway = fakeGateway();
    const signal = { value: 'denied' as FdaSignal };
    const { controller } = controllerWith(gateway, signal);
    gateway.setStatus(status([account({ state: 'starting' })])); // chat.db not read yet
    gateway.host.run();
    await vi.advanceTimersByTimeAsync(0);
    const reports: boolean[] = [];
    controller.events.on('permissions', (report) => reports.push(report.restartSuggested));
    controller.watchPermissions(true);
    await vi.advanceTimersByTimeAsync(3 * PERMISSION_WATCH_MS);
    expect(reports).toEqual([]); // nothing changed: nothing pushed
    signal.value = 'authorized'; // the person flipped the switch in System Settings
    await vi.advanceTimersByTimeAsync(PERMISSION_WATCH_MS);
    expect(reports).toEqual([true]); // granted while running: offer the restart
    controller.watchPermissions(false);
    signal.value = 'denied';
    await vi.advanceTimersByTimeAsync(5 * PERMISSION_WATCH_MS);
    expect(reports).toEqual([true]);
    expect(controller.checkPermissions().restartSuggested).toBe(false); // a focus re-check still works
  });

  it('shows a message as being handled until its reply is sent', async () => {
    const gateway = fakeGateway();
    const { controller } = controllerWith(gateway, { value: 'not-mac' });
    gateway.host.run();
    await vi.advanceTimersByTimeAsync(0);
    expect(controller.state.working).toBe(false);
    gateway.events.emit('accessLog', { ts: new Date().toISOString(), accountId: 'default', chatId: 1, isGroup: false, sender: '+15555550100', messageId: 1, decision: 'accepted', reason: 'allowFrom' });
    expect(controller.state.working).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    gateway.events.emit('health', status([account({ lastOutboundAt: new Date().toISOString() })]));
    expect(controller.state.working).toBe(false);
  });

  it('a message never answered stops counting after two minutes, on a timer, not a poll', async () => {
    const gateway = fakeGateway();
    const { controller } = controllerWith(gateway, { value: 'not-mac' });
    gateway.host.run();
    await vi.advanceTimersByTimeAsync(0);
    const changes: boolean[] = [];
    controller.events.on('changed', (state) => changes.push(state.working));
    gateway.events.emit('accessLog', { ts: new Date().toISOString(), accountId: 'default', chatId: 1, isGroup: false, sender: '+15555550100', messageId: 1, decision: 'accepted', reason: 'allowFrom' });
    await vi.advanceTimersByTimeAsync(120_001);
    expect(changes).toEqual([true, false]);
  });

  it('launch at login: the toggle sets the login item and remembers it', () => {
    const gateway = fakeGateway();
    const { controller, native, prefs } = controllerWith(gateway, { value: 'not-mac' });
    void controller.perform({ type: 'toggle-launch-at-login' });
    expect(native.setLoginItem).toHaveBeenCalledWith(true);
    expect(prefs.launchAtLogin).toBe(true);
    expect(controller.state.launchAtLogin).toBe(true);
  });

  it('a failing action is logged, not thrown at the menu', async () => {
    const gateway = fakeGateway();
    const { controller, logs } = controllerWith(gateway, { value: 'not-mac' });
    gateway.host.run();
    await controller.perform({ type: 'approve', code: 'ZZZZ2222' });
    expect(logs.tail().at(-1)).toMatchObject({ level: 'error', msg: 'app: approve failed: Unknown pairing code ZZZZ2222' });
  });

  it('Restart Clawdbot: stop the gateway, then relaunch, then exit', async () => {
    const gateway = fakeGateway();
    const { controller } = controllerWith(gateway, { value: 'authorized' });
    gateway.host.run();
    await controller.perform({ type: 'relaunch' });
    expect(gateway.order).toEqual(['shutdown', 'relaunch', 'exit']);
  });

  it("Retry on a failed account restarts that account's imsg through the gateway", async () => {
    const gateway = fakeGateway();
    const { controller } = controllerWith(gateway, { value: 'not-mac' });
    gateway.host.run();
    await controller.perform({ type: 'retry-account', accountId: 'default' });
    expect(gateway.calls).toContain('channels.restart');
  });

  it('menu actions that open things go to the native side', async () => {
    const gateway = fakeGateway();
    const { controller, native } = controllerWith(gateway, { value: 'not-mac' });
    await controller.perform({ type: 'open', screen: 'settings' });
    await controller.perform({ type: 'open-settings-pane', pane: 'automation' });
    expect(native.openWindow).toHaveBeenCalledWith('settings');
    expect(native.openExternal).toHaveBeenCalledWith('x-apple.systempreferences:com.apple.preference.security?Privacy_Automation');
  });

  it('the connection is pushed when the gateway starts and when it goes', async () => {
    const gateway = fakeGateway();
    const { controller } = controllerWith(gateway, { value: 'not-mac' });
    const pushed: (string | null)[] = [];
    controller.events.on('connection', (c) => pushed.push(c?.url ?? null));
    gateway.host.run();
    gateway.host.link = null;
    gateway.host.events.emit('link', null);
    gateway.host.phase = { kind: 'paused' };
    gateway.host.events.emit('phase', gateway.host.phase);
    expect(pushed).toEqual(['http://127.0.0.1:18789', null]);
    expect(controller.state).toMatchObject({ status: null, pending: [], working: false });
  });
});
