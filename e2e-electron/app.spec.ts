// Mac smoke test: the real app in the real Electron, hosting the real gateway with the simulated
// Messages account. Checks what the Linux tests can only check against the electron mock: the app
// starts, its tray exists with a menu, the window opens on app://clawdbot with the sandboxed
// preload's bridge answering, and a simulated pairing request is approved through the menu item's
// own click handler. Run on a Mac: `npm run e2e:electron`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const SENDER = '+15555550123';

let app: ElectronApplication;
let stateDir: string;

test.beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'clawdbot-e2e-'));
  app = await electron.launch({
    args: [repoRoot, '--demo'],
    cwd: repoRoot,
    env: { ...process.env, CLAWDBOT_E2E: '1', CLAWDBOT_STATE_DIR: stateDir, CLAWDBOT_GATEWAY_PORT: '0' },
  });
});

test.afterAll(async () => {
  await app?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

// `app.evaluate` runs its function in the app's main process, where main/electron/index.ts put
// the running shell (controller, host, tray) on globalThis for this test (CLAWDBOT_E2E=1).
const phase = () => app.evaluate(() => (globalThis as any).__clawdbot?.host.phase.kind);
const accountStates = () => app.evaluate(() => (globalThis as any).__clawdbot.controller.state.status?.accounts.map((a: any) => a.state).join());
const pendingCodes = () => app.evaluate(() => (globalThis as any).__clawdbot.controller.state.pending.map((r: any) => r.code) as string[]);

test('the app starts with the gateway inside and a tray menu', async () => {
  await expect.poll(phase, { timeout: 20_000 }).toBe('running');
  await expect.poll(accountStates, { timeout: 20_000 }).toBe('listening');
  const labels = await app.evaluate(() => (globalThis as any).__clawdbot.tray.menu.items.map((item: any) => item.label) as string[]);
  expect(labels).toContain('Open Clawdbot');
  expect(labels).toContain('Quit Clawdbot');
  expect(labels.some((label: string) => label.startsWith('default (simulated): listening'))).toBe(true);
});

test('the window opens on app://clawdbot and the bridge answers', async () => {
  const opened = app.waitForEvent('window');
  await app.evaluate(() => (globalThis as any).__clawdbot.controller.perform({ type: 'open', screen: 'pairing' }));
  const window = (await app.windows()).find((w) => w.url().startsWith('app://clawdbot/')) ?? (await opened);
  await window.waitForLoadState('domcontentloaded');
  expect(window.url()).toMatch(/^app:\/\/clawdbot\/index\.html#/);
  await expect(window).toHaveTitle('Clawdbot');
  const connection = await window.evaluate(() => (window as any).clawdbot['gateway.connection']());
  expect(connection).toMatchObject({ mode: 'hosted', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
  // The page is sandboxed: no Node, no ipcRenderer.
  expect(await window.evaluate(() => typeof (globalThis as any).require)).toBe('undefined');
  expect(await window.evaluate(() => Object.keys((window as any).clawdbot))).not.toContain('ipcRenderer');
  const report = await window.evaluate(() => (window as any).clawdbot['permissions.check']());
  expect(report.permissions.map((p: any) => p.id)).toEqual(['full-disk-access', 'automation']);
});

test('a simulated pairing request is approved from the menu', async () => {
  await app.evaluate((_electron, from) => (globalThis as any).__clawdbot.host.link.call('demo.inject', { from, text: 'hello from the smoke test' }), SENDER);
  await expect.poll(() => pendingCodes().then((codes) => codes.length), { timeout: 20_000 }).toBe(1);
  const [code] = await pendingCodes();
  // The real Electron MenuItem's click handler, as macOS calls it when the person picks Approve.
  await app.evaluate((_electron, code) => {
    const menu = (globalThis as any).__clawdbot.tray.menu as Electron.Menu;
    const row = menu.items.find((item) => item.label.includes(code))!;
    row.submenu!.items.find((item) => item.label === 'Approve')!.click();
  }, code!);
  await expect.poll(() => pendingCodes().then((codes) => codes.length), { timeout: 20_000 }).toBe(0);
  const approved = await app.evaluate(() => (globalThis as any).__clawdbot.host.link.call('allowlist.list', {}).then((r: any) => r.approved.map((a: any) => a.id) as string[]));
  expect(approved).toContain(SENDER);
});
