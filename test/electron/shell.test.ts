// The app as a whole under the electron mock, hosting the real gateway in this process with the
// simulated Messages account (the app's demo): it starts, a pairing request arrives through the
// simulator, it is approved from the menu (or a notification), the sender's next message is
// answered, and Quit stops everything within its bound. Also: one instance only, the first
// launch's window, the bridge from the real window, pause/resume from the menu.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DemoSentMessage, GatewayStatus } from '../../contract/gateway-api';
import WebSocket from 'ws';
import { bridgeChannel, type BridgeInvoke, type GatewayConnection } from '../../contract/bridge';
import { createControlClient } from '../../contract/control-client';
import type { AppState } from '../../main/electron/app-state';
import type { GatewayLink } from '../../main/electron/gateway-host';
import { startShell } from '../../main/electron/shell';
import { FORCED_BY_COMMAND_LINE, NOT_IN_PACKAGED_APP } from '../../main/electron/simulated-account';
import { registerAppScheme } from '../../main/electron/window';
import { isAlive, repoRoot } from '../gateway/harness';
import { app, ipcMain, mock, notifications, trays, windows, type MockNotification } from './mocks/electron';
import { nextEvent } from './support/events';

vi.mock('electron', () => import('./mocks/electron'));

const FAST = { backoff: { initialMs: 100, maxMs: 400, factor: 2, jitter: 0 }, stopGraceMs: 200, healthThrottleMs: 20, probeTimeoutMs: 5000 };
const SENDER = '+15555550123';

type Shell = NonNullable<Awaited<ReturnType<typeof startShell>>>;
const cleanups: (() => unknown)[] = [];
let dir: string;

beforeEach(() => {
  mock.reset();
  dir = mkdtempSync(join(tmpdir(), 'clawdbot-app-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CLAWDBOT_') && !key.startsWith('IMSG_')) env[key] = value;
  return env;
}

/**
 * Starts the app as index.ts does, with its files in a temp dir and the demo account (`--demo`).
 * `home`: without `--demo`, the state in a temp HOME (~/.clawdbot, the simulated account in
 * ~/.clawdbot/demo), as the app finds it on a Mac.
 */
async function launch(options: { demo?: boolean; packaged?: boolean; home?: boolean } = {}): Promise<Shell> {
  registerAppScheme();
  mock.ready();
  const home = options.home === true;
  const shell = await startShell({
    demo: options.demo ?? !home,
    ...(options.packaged !== undefined ? { packaged: options.packaged } : {}),
    env: home ? { ...cleanEnv(), HOME: join(dir, 'home') } : cleanEnv(),
    stderr: false,
    paths: {
      preload: join(repoRoot, 'out', 'preload', 'index.cjs'),
      renderer: join(repoRoot, 'out', 'renderer'),
      trayIcons: join(repoRoot, 'resources', 'tray'),
      logs: join(dir, 'logs'),
      prefs: join(dir, 'prefs'),
    },
    gatewayOptions: { port: 0, ...(home ? {} : { stateDir: join(dir, 'state') }), channelTimings: FAST },
  });
  if (!shell) throw new Error('no shell');
  cleanups.push(async () => {
    shell.removeCrashHandlers();
    await shell.host.shutdown();
  });
  return shell;
}

const until = (shell: Shell, match: (state: AppState) => boolean) => (match(shell.controller.state) ? Promise.resolve(shell.controller.state) : nextEvent(shell.controller.events, 'changed', match));
const listening = (state: AppState) => state.status?.accounts.every((a) => a.state === 'listening') === true;

/** Resolves with what the gateway sent to `to` once `match` holds (checked after every health event). */
function sentTo(link: GatewayLink, to: string, match: (messages: DemoSentMessage[]) => boolean): Promise<DemoSentMessage[]> {
  return new Promise((resolve, reject) => {
    let done = false;
    const check = async () => {
      if (done) return;
      const { messages } = await link.call('demo.sent', { limit: 100 });
      const mine = messages.filter((m) => m.to === to);
      if (match(mine) && !done) {
        done = true;
        off();
        resolve(mine);
      }
    };
    const off = link.on('health', (_status: GatewayStatus) => void check().catch(reject));
    void check().catch(reject);
  });
}

/** Resolves when the notification is closed (withdrawn by the app). */
const withdrawn = (notification: MockNotification) => new Promise<void>((resolve) => (notification.closed ? resolve() : notification.once('close', () => resolve())));

/** A bridge call from the app's window, as its preload makes it. */
function invokeFromWindow(name: BridgeInvoke, request?: unknown): Promise<unknown> {
  const window = windows.at(-1)!;
  return ipcMain.mockInvoke(window.webContents, window.webContents.mainFrame, bridgeChannel(name), request);
}

/** The `connection` events main pushed to the window, oldest first. */
const connectionsSent = () => windows.at(-1)!.webContents.sent.filter((m) => m.channel === bridgeChannel('connection')).map((m) => m.args[0] as GatewayConnection | null);

function trayMenu() {
  const tray = trays[0]!;
  return { tray, menu: tray.menu!, labels: tray.menu!.items.map((i) => i.label) };
}

describe('Clawdbot.app hosting the real gateway', () => {
  it('start → pairing request from the simulator → Approve in the menu → the next message is answered → Quit within the bound', async () => {
    const shell = await launch();
    const { controller, host } = shell;
    expect(host.phase).toMatchObject({ kind: 'running', mode: 'hosted' });
    await until(shell, listening);

    // The menu bar: a tray with the idle template icon, and the account's line in the menu.
    expect(trays).toHaveLength(1);
    const { tray, labels } = trayMenu();
    expect(tray.image.mockPath).toBe(join(repoRoot, 'resources', 'tray', 'idleTemplate.png'));
    expect(tray.image.isTemplateImage()).toBe(true);
    expect(tray.image.isEmpty()).toBe(false);
    expect(labels).toContain('Demo: a simulated Messages account');
    expect(labels.some((l) => l.startsWith('default (simulated): listening'))).toBe(true);

    // An unknown sender writes: a pairing request, through the simulated chat.db.
    const link = host.link!;
    const requested = until(shell, (s) => s.pending.length === 1);
    await link.call('demo.inject', { from: SENDER, text: 'hi bot' });
    const { pending } = await requested;
    const code = pending[0]!.code;
    expect(pending[0]!.id).toBe(SENDER);
    // …shown at once: count in the title, attention icon, a row with Approve / Deny, a notification.
    expect(tray.title).toBe('1');
    expect(tray.image.mockPath).toMatch(/attentionTemplate\.png$/);
    expect(trayMenu().labels).toContain('Pending pairing requests (1)');
    const row = trayMenu().menu.mockFind(`${SENDER} · ${code}`);
    expect(row.submenu!.items.map((i) => i.label)).toEqual(['Approve', 'Deny']);
    const notification = notifications.find((n) => n.options.body?.includes(code)) as MockNotification;
    expect(notification).toMatchObject({ shown: true, closed: false });
    expect(notification.options.actions?.map((a) => a.text)).toEqual(['Approve', 'Deny']);

    // Approve from the menu: the gateway's pairing service (the CLI's path) approves and tells the sender.
    const buildsBefore = tray.menuBuilds;
    const approved = until(shell, (s) => s.pending.length === 0);
    trayMenu().menu.mockFind(`${SENDER} · ${code}`, 'Approve').click();
    await approved;
    expect(tray.menuBuilds).toBeGreaterThan(buildsBefore);
    expect(trayMenu().labels.some((l) => l.startsWith('Pending pairing'))).toBe(false);
    expect(tray.title).toBe('');
    const { approved: allowed } = await link.call('allowlist.list', {});
    expect(allowed.map((a) => a.id)).toContain(SENDER);
    // The notification is withdrawn.
    await withdrawn(notification);

    // The sender's next message is answered (by the demo assistant: no model is configured).
    await link.call('demo.inject', { from: SENDER, text: 'what can you do?' });
    const sent = await sentTo(link, SENDER, (messages) => messages.some((m) => m.text.includes('what can you do?')));
    expect(sent.map((m) => m.text)).toEqual([
      expect.stringContaining(code), // the pairing reply with the code
      expect.stringMatching(/approved/i), // the approval notice
      expect.stringMatching(/^Demo assistant .*you said .what can you do\?.$/),
    ]);

    // Quit from the menu: imsg stopped and state flushed before the deadline, then the app exits.
    const status = await link.call('status', {});
    const imsgPid = status.accounts[0]!.pid!;
    const shutdown = vi.spyOn(host, 'shutdown');
    const exited = new Promise<void>((resolve) => vi.spyOn(app, 'exit').mockImplementation(() => resolve()));
    expect(trayMenu().labels).toContain('iMessage replies stop while Clawdbot is closed.');
    trayMenu().menu.mockFind('Quit Clawdbot').click();
    await exited;
    expect(await shutdown.mock.results[0]!.value).toBe('stopped'); // not 'timed-out': within QUIT_DEADLINE_MS
    expect(isAlive(imsgPid)).toBe(false);
    expect(readFileSync(shell.logFile, 'utf8')).toMatch(/Clawdbot is quitting/);
  });

  it('approve and deny from the notification; clicking it opens the Pairing screen', async () => {
    const shell = await launch();
    await until(shell, listening);
    const link = shell.host.link!;
    const two = until(shell, (s) => s.pending.length === 2);
    await link.call('demo.inject', { from: SENDER, text: 'hi' });
    await link.call('demo.inject', { from: 'friend@example.com', text: 'hello' });
    const { pending } = await two;
    const [first, second] = pending.map((request) => notifications.find((n) => n.options.body?.includes(request.code))!);

    // The window is open (first launch): a click on the notification switches it to Pairing.
    second!.mockClick();
    expect(windows[0]!.webContents.sent).toContainEqual({ channel: 'clawdbot:navigate', args: ['pairing'] });

    const one = until(shell, (s) => s.pending.length === 1);
    first!.mockAction(0); // Approve
    expect((await one).pending[0]!.code).toBe(pending[1]!.code);
    const none = until(shell, (s) => s.pending.length === 0);
    second!.mockAction(1); // Deny
    await none;
    const { approved } = await link.call('allowlist.list', {});
    expect(approved.map((a) => a.id)).toEqual([SENDER]);
    await Promise.all([withdrawn(first!), withdrawn(second!)]);
  });

  it('Pause and Resume from the menu stop and start the gateway and its imsg', async () => {
    const shell = await launch();
    await until(shell, listening);
    const pid = (await shell.host.link!.call('status', {})).accounts[0]!.pid!;
    const paused = until(shell, (s) => s.gateway.kind === 'paused');
    trayMenu().menu.mockFind('Pause').click();
    await paused;
    expect(isAlive(pid)).toBe(false);
    expect(trays[0]!.image.mockPath).toMatch(/pausedTemplate\.png$/);
    expect(trayMenu().labels).toContain('Paused: iMessages are not answered');
    const resumed = until(shell, listening);
    trayMenu().menu.mockFind('Resume').click();
    await resumed;
    expect(trays[0]!.image.mockPath).toMatch(/idleTemplate\.png$/);
  });

  it('first launch opens onboarding in the window; the bridge answers it with the gateway connection', async () => {
    const shell = await launch();
    expect(windows).toHaveLength(1);
    const window = windows[0]!;
    const connection = shell.controller.connection()!;
    expect(window.loadedUrls[0]).toBe(`app://clawdbot/index.html#screen=onboarding&port=${new URL(connection.url).port}&token=${connection.token}`);
    const frame = window.webContents.mainFrame;
    expect(await ipcMain.mockInvoke(window.webContents, frame, bridgeChannel('gateway.connection'))).toEqual({ ...connection, mode: 'hosted' });
    const report = (await ipcMain.mockInvoke(window.webContents, frame, bridgeChannel('permissions.check'))) as { permissions: { id: string; state: string }[] };
    // Linux: "not applicable"; the demo account reads no real chat.db either.
    expect(report.permissions.map((p) => [p.id, p.state])).toEqual([
      ['full-disk-access', 'not-applicable'],
      ['automation', 'not-applicable'],
    ]);
    // Started with --demo: the simulated account stays for this run, whatever the window asks.
    expect(await invokeFromWindow('gateway.simulated')).toEqual({ available: false, active: true, reason: FORCED_BY_COMMAND_LINE });
    expect(await invokeFromWindow('gateway.useSimulated', false)).toEqual({ ok: false, message: FORCED_BY_COMMAND_LINE });
    // Finishing onboarding turns launch at login on (once).
    expect(shell.controller.state.launchAtLogin).toBe(false);
    await ipcMain.mockInvoke(window.webContents, frame, bridgeChannel('onboarding.set'), { step: 'done', completedAt: new Date().toISOString() });
    expect(shell.controller.state.launchAtLogin).toBe(true);
    expect(trayMenu().menu.mockFind('Launch at Login').checked).toBe(true);
  });

  it('the window switches to a simulated Messages account and back: the hosted gateway restarts in each mode, the window follows', async () => {
    const shell = await launch({ home: true });
    const { host, controller } = shell;
    expect(await invokeFromWindow('gateway.simulated')).toEqual({ available: true, active: false });
    expect((await host.link!.call('status', {})).demo).toBe(false);
    const real = controller.connection()!;

    // On: the gateway restarts with the simulated account in ~/.clawdbot/demo (its own token).
    expect(await invokeFromWindow('gateway.useSimulated', true)).toEqual({ ok: true });
    expect(host.phase).toMatchObject({ kind: 'running', mode: 'hosted' });
    const demo = await host.link!.call('status', {});
    expect(demo.demo).toBe(true);
    expect(demo.accounts.map((a) => a.simulated)).toEqual([true]);
    expect(demo.configPath).toBe(join(dir, 'home', '.clawdbot', 'demo', 'clawdbot.json'));
    expect(await invokeFromWindow('gateway.simulated')).toEqual({ available: true, active: true });
    // The window was told: no gateway while it restarted, then the new one (reloaded, as its port moved).
    const simulated = controller.connection()!;
    expect(simulated.token).not.toBe(real.token);
    expect(connectionsSent().slice(-2)).toEqual([null, simulated]);
    expect(windows.at(-1)!.loadedUrls.at(-1)).toContain(`token=${simulated.token}`);
    await until(shell, (s) => s.status?.demo === true);
    expect(trayMenu().labels).toContain('Demo: a simulated Messages account');
    // Kept for the next launch.
    expect(JSON.parse(readFileSync(join(dir, 'prefs', 'preferences.json'), 'utf8')).simulatedAccount).toBe(true);

    // Off: back to the person's own gateway (same state dir, same token as before).
    expect(await invokeFromWindow('gateway.useSimulated', false)).toEqual({ ok: true });
    const back = await host.link!.call('status', {});
    expect(back.demo).toBe(false);
    expect(back.configPath).toBe(join(dir, 'home', '.clawdbot', 'clawdbot.json'));
    expect(controller.connection()!.token).toBe(real.token);
    expect(connectionsSent().slice(-2)).toEqual([null, controller.connection()]);
    await until(shell, (s) => s.status?.demo === false);
    expect(trayMenu().labels).not.toContain('Demo: a simulated Messages account');
    expect(await invokeFromWindow('gateway.simulated')).toEqual({ available: true, active: false });
  });

  it('the packaged app: --demo is ignored, and the window cannot switch to a simulated account', async () => {
    const shell = await launch({ demo: true, packaged: true });
    expect((await shell.host.link!.call('status', {})).demo).toBe(false);
    expect(await invokeFromWindow('gateway.simulated')).toEqual({ available: false, active: false, reason: NOT_IN_PACKAGED_APP });
    const connection = shell.controller.connection();
    expect(await invokeFromWindow('gateway.useSimulated', true)).toEqual({ ok: false, message: NOT_IN_PACKAGED_APP });
    expect(shell.controller.connection()).toEqual(connection);
    expect(readFileSync(shell.logFile, 'utf8')).toMatch(/--demo ignored: A simulated Messages account is not available in the packaged app yet/);
  });

  it("the gateway accepts the window's origin app://clawdbot, and still refuses every other", async () => {
    const shell = await launch();
    const { wsUrl, token } = shell.controller.connection()!;
    const connects = (origin: string) =>
      new Promise<number | 'open'>((resolve) => {
        const socket = new WebSocket(wsUrl, { origin });
        socket.on('open', () => {
          socket.close();
          resolve('open');
        });
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('error', () => {});
      });
    expect(await connects('app://clawdbot')).toBe('open');
    for (const origin of ['app://evil', 'app://clawdbot.evil', 'http://evil.example', 'file://', 'null']) expect(await connects(origin), origin).toBe(403);
    // And signed in from the window's origin, the control API answers.
    const client = createControlClient({ url: wsUrl, token, clientName: 'window', WebSocket: class extends WebSocket {
      constructor(url: string) {
        super(url, { origin: 'app://clawdbot' });
      }
    } });
    const hello = await client.ready;
    expect(hello.status.demo).toBe(true);
    client.close();
    expect(await ipcMain.mockInvoke(windows[0]!.webContents, windows[0]!.webContents.mainFrame, bridgeChannel('gateway.phase'))).toMatchObject({ kind: 'running', mode: 'hosted' });
  });

  it('one instance: a second launch focuses the first; without the lock the app quits', async () => {
    const shell = await launch();
    const first = windows[0]!;
    mock.secondInstance();
    expect(first.focused).toBe(true);
    expect(windows).toHaveLength(1);
    // With the window closed, a second launch opens it again.
    first.close();
    expect(shell.window.webContentsId).toBeNull();
    mock.secondInstance();
    expect(windows.filter((w) => !w.isDestroyed())).toHaveLength(1);
    expect(windows[1]!.loadedUrls).toHaveLength(1);

    mock.app.lockAvailable = false;
    const quitsBefore = mock.app.quitCalls;
    expect(await startShell({ paths: { preload: '', renderer: '', trayIcons: '' } })).toBeNull();
    expect(mock.app.quitCalls).toBe(quitsBefore + 1);
  });

  it('Cmd-Q (app.quit) goes through the same bounded shutdown, and withdraws pending notifications', async () => {
    const shell = await launch();
    await until(shell, listening);
    const pid = (await shell.host.link!.call('status', {})).accounts[0]!.pid!;
    const requested = until(shell, (s) => s.pending.length === 1);
    await shell.host.link!.call('demo.inject', { from: SENDER, text: 'hi' });
    await requested;
    expect(notifications.filter((n) => !n.closed)).toHaveLength(1);
    const exited = new Promise<void>((resolve) => vi.spyOn(app, 'exit').mockImplementation(() => resolve()));
    app.quit();
    await exited;
    expect(isAlive(pid)).toBe(false);
    expect(shell.host.phase.kind).toBe('stopping');
    expect(notifications.filter((n) => !n.closed)).toHaveLength(0);
  });
});
