// The preload bridge end to end with the electron mock: the preload's `window.clawdbot` calls reach
// main's handlers over the allow-listed channels only; calls from anyone but our window's top
// frame on our origin, on an unknown channel, or with a malformed request are refused.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BRIDGE_EVENT_CHANNELS, BRIDGE_INVOKE_CHANNELS, bridgeChannel, isValidBridgeRequest, screenFromHash, type ClawdbotBridge } from '../../contract/bridge';
import { isTrustedSender, registerBridge, type BridgeHandlers } from '../../main/electron/ipc';
import { createLogHub } from '../../main/util/logger';
import { exposedInMainWorld, ipcMain, ipcRenderer, mock, MockWebContents, MockWebFrame, rendererPage } from './mocks/electron';

vi.mock('electron', () => import('./mocks/electron'));

const connection = { url: 'http://127.0.0.1:18789', wsUrl: 'ws://127.0.0.1:18789/ws', token: 'secret-token', mode: 'hosted' as const };

function handlers(): BridgeHandlers & { calls: [string, unknown][] } {
  const calls: [string, unknown][] = [];
  const record = <T>(name: string, result: T) => (request: unknown) => (calls.push([name, request]), result);
  return {
    calls,
    'gateway.connection': record('gateway.connection', connection),
    'gateway.phase': record('gateway.phase', { kind: 'paused' as const }),
    'gateway.recover': (choice) => (calls.push(['gateway.recover', choice]), { kind: 'starting' as const }),
    'gateway.simulated': record('gateway.simulated', { available: true, active: false }),
    'gateway.useSimulated': (on) => (calls.push(['gateway.useSimulated', on]), on ? { ok: true as const } : { ok: false as const, message: 'Not now.' }),
    'permissions.check': record('permissions.check', { permissions: [], restartSuggested: false, checkedAt: '2026-03-02T10:00:00.000Z' }),
    'permissions.watch': record('permissions.watch', undefined),
    'settings.open': record('settings.open', undefined),
    'help.open': record('help.open', undefined),
    'app.relaunch': record('app.relaunch', undefined),
    'app.quit': record('app.quit', undefined),
    'loginItem.get': record('loginItem.get', true),
    'loginItem.set': (enabled: boolean) => (calls.push(['loginItem.set', enabled]), enabled),
    'onboarding.get': record('onboarding.get', { step: null, completedAt: null }),
    'onboarding.set': (progress) => (calls.push(['onboarding.set', progress]), progress),
    'logs.reveal': record('logs.reveal', undefined),
  };
}

let page: MockWebContents;
let logs: ReturnType<typeof createLogHub>;
let main: ReturnType<typeof handlers>;

beforeEach(async () => {
  mock.reset();
  vi.resetModules();
  page = new MockWebContents();
  page.mainFrame.url = 'app://clawdbot/index.html#screen=pairing';
  rendererPage.contents = page;
  logs = createLogHub({ sinks: [] });
  main = handlers();
  // A library's own listener, as electron-store registers one.
  ipcMain.on('electron-store-get-data', () => {});
  registerBridge(ipcMain as never, { windowContentsId: () => page.id, handlers: main, logger: logs.logger('ipc') });
  await import('../../preload/index');
});
afterEach(() => vi.resetModules());

const bridge = () => exposedInMainWorld.get('clawdbot') as ClawdbotBridge;

describe('preload bridge', () => {
  it('exposes exactly the contract as window.clawdbot, and no ipcRenderer', () => {
    expect([...exposedInMainWorld.keys()]).toEqual(['clawdbot']);
    expect(Object.keys(bridge()).sort()).toEqual([...BRIDGE_INVOKE_CHANNELS, 'on'].sort());
    expect(JSON.stringify(Object.keys(bridge()))).not.toMatch(/ipc|send|invoke/i);
  });

  it('calls reach main over their channel and come back', async () => {
    expect(await bridge()['gateway.connection']()).toEqual(connection);
    expect(await bridge()['loginItem.set'](false)).toBe(false);
    expect(await bridge()['settings.open']('full-disk-access')).toBeUndefined();
    expect(await bridge()['onboarding.set']({ step: 'permissions', completedAt: null })).toEqual({ step: 'permissions', completedAt: null });
    expect(await bridge()['gateway.simulated']()).toEqual({ available: true, active: false });
    expect(await bridge()['gateway.useSimulated'](true)).toEqual({ ok: true });
    // A refusal comes back as an answer with its sentence (a thrown error would arrive rewrapped by Electron).
    expect(await bridge()['gateway.useSimulated'](false)).toEqual({ ok: false, message: 'Not now.' });
    expect(main.calls).toEqual([
      ['gateway.connection', undefined],
      ['loginItem.set', false],
      ['settings.open', 'full-disk-access'],
      ['onboarding.set', { step: 'permissions', completedAt: null }],
      ['gateway.simulated', undefined],
      ['gateway.useSimulated', true],
      ['gateway.useSimulated', false],
    ]);
  });

  it('events arrive as the payload only, and unsubscribe', () => {
    const seen: unknown[] = [];
    const off = bridge().on('navigate', (screen) => seen.push(screen));
    ipcRenderer.emit(bridgeChannel('navigate'), { sender: 'the IPC event must not leak' }, 'pairing');
    off();
    ipcRenderer.emit(bridgeChannel('navigate'), {}, 'settings');
    expect(seen).toEqual(['pairing']);
    expect(() => bridge().on('not-an-event' as never, () => {})).toThrow(/Unknown bridge event/);
  });
});

describe('main refuses', () => {
  it('a sender that is not our window', async () => {
    const other = new MockWebContents();
    other.mainFrame.url = 'app://clawdbot/index.html';
    await expect(ipcMain.mockInvoke(other, other.mainFrame, bridgeChannel('gateway.connection'))).rejects.toThrow(/only the Clawdbot window/);
    await expect(ipcMain.mockInvoke(other, other.mainFrame, bridgeChannel('gateway.useSimulated'), true)).rejects.toThrow(/only the Clawdbot window/);
    await expect(ipcMain.mockInvoke(page, new MockWebFrame('https://evil.example/'), bridgeChannel('gateway.useSimulated'), true)).rejects.toThrow(/Refused/);
    expect(main.calls).toEqual([]);
    expect(logs.tail().map((record) => record.msg)).toEqual(
      expect.arrayContaining([expect.stringMatching(/refused gateway.connection/), expect.stringMatching(/refused gateway.useSimulated/)]),
    );
  });

  it('our window once it shows another origin, and a subframe of it', async () => {
    await expect(ipcMain.mockInvoke(page, new MockWebFrame('https://evil.example/'), bridgeChannel('gateway.connection'))).rejects.toThrow(/Refused/);
    await expect(ipcMain.mockInvoke(page, new MockWebFrame('app://clawdbot/frame.html', page.mainFrame), bridgeChannel('gateway.connection'))).rejects.toThrow(/Refused/);
    await expect(ipcMain.mockInvoke(page, new MockWebFrame('app://clawdbot.evil/index.html'), bridgeChannel('gateway.connection'))).rejects.toThrow(/Refused/);
    expect(main.calls).toEqual([]);
  });

  it('an unknown channel (no handler: Electron refuses it)', async () => {
    await expect(ipcMain.mockInvoke(page, page.mainFrame, 'clawdbot:shell.exec', 'rm -rf ~')).rejects.toThrow(/No handler registered for 'clawdbot:shell.exec'/);
    await expect(ipcRenderer.invoke('electron-store-get-data')).rejects.toThrow(/No handler registered/);
  });

  it('a malformed request', async () => {
    await expect(ipcMain.mockInvoke(page, page.mainFrame, bridgeChannel('settings.open'), 'x-apple.systempreferences:evil')).rejects.toThrow(/malformed/);
    await expect(ipcMain.mockInvoke(page, page.mainFrame, bridgeChannel('loginItem.set'), 'yes')).rejects.toThrow(/malformed/);
    await expect(ipcMain.mockInvoke(page, page.mainFrame, bridgeChannel('onboarding.set'), { step: 'x'.repeat(100), completedAt: null })).rejects.toThrow(/malformed/);
    await expect(ipcMain.mockInvoke(page, page.mainFrame, bridgeChannel('onboarding.set'), { step: null, completedAt: 'yesterday' })).rejects.toThrow(/malformed/);
    await expect(ipcMain.mockInvoke(page, page.mainFrame, bridgeChannel('app.quit'), { please: true })).rejects.toThrow(/malformed/);
    for (const request of [undefined, 'true', 1, { on: true }]) {
      await expect(ipcMain.mockInvoke(page, page.mainFrame, bridgeChannel('gateway.useSimulated'), request)).rejects.toThrow(/malformed request for gateway.useSimulated/);
    }
    await expect(ipcMain.mockInvoke(page, page.mainFrame, bridgeChannel('gateway.simulated'), true)).rejects.toThrow(/malformed/);
    expect(main.calls).toEqual([]);
  });

  it("other libraries' IPC listeners are removed (the bridge is the only IPC)", () => {
    expect(ipcMain.eventNames()).toEqual([]);
  });

  it('the sender check on its own', () => {
    const frame = new MockWebFrame('app://clawdbot/index.html');
    expect(isTrustedSender({ sender: page, senderFrame: frame } as never, page.id)).toBe(true);
    expect(isTrustedSender({ sender: page, senderFrame: frame } as never, null)).toBe(false);
    expect(isTrustedSender({ sender: page, senderFrame: null } as never, page.id)).toBe(false);
  });
});

describe('bridge contract', () => {
  it('every call has a request check, every channel is namespaced', () => {
    for (const name of BRIDGE_INVOKE_CHANNELS) expect(bridgeChannel(name)).toBe(`clawdbot:${name}`);
    expect(BRIDGE_EVENT_CHANNELS).toEqual(['navigate', 'connection', 'phase', 'permissions']);
    expect(isValidBridgeRequest('gateway.recover', { type: 'use-port', port: 18790 })).toBe(true);
    expect(isValidBridgeRequest('gateway.recover', { type: 'use-port', port: 0 })).toBe(false);
    expect(isValidBridgeRequest('gateway.recover', { type: 'retry', extra: 1 })).toBe(false);
    expect(isValidBridgeRequest('gateway.recover', { type: 'kill-port' })).toBe(false);
    expect(isValidBridgeRequest('gateway.connection', undefined)).toBe(true);
    expect(isValidBridgeRequest('gateway.connection', 'x')).toBe(false);
    expect(isValidBridgeRequest('help.open', 'imsg')).toBe(true);
    expect(isValidBridgeRequest('help.open', 'https://evil.example')).toBe(false);
    expect(isValidBridgeRequest('gateway.useSimulated', false)).toBe(true);
    expect(isValidBridgeRequest('gateway.useSimulated', 'false')).toBe(false);
  });

  it('the screen comes from the URL fragment', () => {
    expect(screenFromHash('#screen=pairing&port=1')).toBe('pairing');
    expect(screenFromHash('#screen=admin')).toBeUndefined();
    expect(screenFromHash('')).toBeUndefined();
  });
});
