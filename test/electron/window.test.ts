// The window and its security settings (Electron's 20-item checklist, see main/electron/README.md),
// with the electron mock: options, CSP, the app:// origin and its file
// serving, permissions, navigation, new windows, external links, the Dock icon.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isAllowedExternalUrl } from '../../main/electron/links';
import { APP_ORIGIN, AppWindow, contentSecurityPolicy, hardenSession, registerAppScheme, rendererFile, serveRenderer, windowOptions, windowUrl } from '../../main/electron/window';
import { mock, opened, privilegedSchemes, protocolHandlers, session, windows } from './mocks/electron';

vi.mock('electron', () => import('./mocks/electron'));

beforeEach(() => mock.reset());

describe('window options', () => {
  const prefs = windowOptions('/app/out/preload/index.cjs').webPreferences!;

  it('isolate and sandbox the page, with no Node and web security on', () => {
    // If someone turns isolation or the sandbox off, this fails.
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
    expect(prefs.webSecurity).toBe(true);
  });

  it('allow nothing insecure or experimental, and no <webview>', () => {
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.experimentalFeatures).toBe(false);
    expect(prefs.enableBlinkFeatures).toBeUndefined();
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.preload).toBe('/app/out/preload/index.cjs');
  });

  it('saved bounds cannot override the security settings', () => {
    const options = windowOptions('/p', { x: 10, y: 20, width: 1000, height: 800 });
    expect(options).toMatchObject({ x: 10, y: 20, width: 1000, height: 800, show: false });
    expect(options.webPreferences?.sandbox).toBe(true);
  });
});

describe('content security policy', () => {
  it("allows our own scripts and styles, and connections to the gateway's loopback port only", () => {
    const csp = contentSecurityPolicy(18789);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/connect-src ws:\/\/127\.0\.0\.1:18789 http:\/\/127\.0\.0\.1:18789;/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(contentSecurityPolicy(null)).toContain("connect-src 'none'");
  });
});

describe('app:// origin', () => {
  it('is registered as standard and secure before ready', () => {
    registerAppScheme();
    expect(privilegedSchemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  });

  it('maps URLs to files inside the renderer build only', () => {
    expect(rendererFile('/r', 'app://clawdbot/')).toBe('/r/index.html');
    expect(rendererFile('/r', 'app://clawdbot/assets/index.js?x=1#y')).toBe('/r/assets/index.js');
    // The URL parser resolves dot segments (also written %2e%2e) before we see the path: they stay inside.
    expect(rendererFile('/r', 'app://clawdbot/../etc/passwd')).toBe('/r/etc/passwd');
    expect(rendererFile('/r', 'app://clawdbot/%2e%2e/%2e%2e/etc/passwd')).toBe('/r/etc/passwd');
    // An encoded slash would smuggle them past it: refused after decoding.
    expect(rendererFile('/r', 'app://clawdbot/a%2f..%2f..%2fsecret')).toBeNull();
    expect(rendererFile('/r', 'app://evil/index.html')).toBeNull();
    expect(rendererFile('/r', 'https://clawdbot/index.html')).toBeNull();
    expect(rendererFile('/r', 'app://clawdbot/%E0%A4%A')).toBeNull();
  });

  it('serves the build with the CSP of the current gateway port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawdbot-renderer-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Clawdbot</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(tmpdir(), 'outside.txt'), 'secret');
    try {
      let port: number | null = 18789;
      serveRenderer(dir, () => port);
      const handler = protocolHandlers.get('app')!;
      const page = await handler(new Request('app://clawdbot/index.html'));
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Clawdbot</title>');
      expect(page.headers.get('content-security-policy')).toContain('ws://127.0.0.1:18789');
      port = 18790;
      const script = await handler(new Request('app://clawdbot/assets/app.js'));
      expect(script.headers.get('content-security-policy')).toContain('ws://127.0.0.1:18790');
      expect((await handler(new Request('app://clawdbot/%2e%2e/outside.txt'))).status).toBe(404);
      expect((await handler(new Request('app://clawdbot/missing.js'))).status).toBe(404);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the window URL names the screen (and, for today\'s renderer, the port and token)', () => {
    expect(windowUrl('pairing', null)).toBe(`${APP_ORIGIN}/index.html#screen=pairing`);
    const url = windowUrl(undefined, { url: 'http://127.0.0.1:18790', wsUrl: 'ws://127.0.0.1:18790/ws', token: 'tok', mode: 'hosted' });
    expect(url).toBe(`${APP_ORIGIN}/index.html#port=18790&token=tok`);
  });
});

describe('session', () => {
  it('denies every permission request and check (Electron grants them by default)', async () => {
    expect(await session.defaultSession.mockRequest('media')).toBe(true); // the default we replace
    hardenSession();
    for (const permission of ['media', 'notifications', 'geolocation', 'openExternal', 'clipboard-read'] as const) {
      expect(await session.defaultSession.mockRequest(permission)).toBe(false);
      expect(session.defaultSession.mockCheck(permission)).toBe(false);
    }
  });
});

describe('AppWindow', () => {
  const make = (saved: { x: number; y: number; width: number; height: number } | null = null) => {
    const saveBounds = vi.fn();
    const window = new AppWindow({
      preloadPath: '/p/index.cjs',
      connection: () => ({ url: 'http://127.0.0.1:18789', wsUrl: 'ws://127.0.0.1:18789/ws', token: 'tok', mode: 'hosted' }),
      savedBounds: () => saved,
      saveBounds,
    });
    return { window, saveBounds };
  };

  it('opens once, on the screen asked for, with the Dock icon only while open', async () => {
    const { window, saveBounds } = make({ x: 50, y: 60, width: 900, height: 700 });
    mock.app.dockVisible = false;
    window.open('pairing');
    expect(windows).toHaveLength(1);
    const browser = windows[0]!;
    expect(browser.options).toMatchObject({ x: 50, y: 60, width: 900, height: 700 });
    expect(browser.loadedUrls).toEqual([`${APP_ORIGIN}/index.html#screen=pairing&port=18789&token=tok`]);
    await Promise.resolve(); // ready-to-show
    expect(browser.visible).toBe(true);
    expect(mock.app.dockVisible).toBe(true);

    // A second open focuses it and switches the screen through the bridge.
    window.open('settings');
    expect(windows).toHaveLength(1);
    expect(browser.webContents.sent).toEqual([{ channel: 'clawdbot:navigate', args: ['settings'] }]);

    browser.close();
    expect(saveBounds).toHaveBeenCalledWith({ x: 50, y: 60, width: 900, height: 700 });
    expect(mock.app.dockVisible).toBe(false);
    expect(window.webContentsId).toBeNull();
  });

  it('blocks navigation away and new windows; allow-listed links open in the browser', () => {
    const { window } = make();
    window.open();
    const contents = windows[0]!.webContents;
    expect(contents.mockNavigate('https://evil.example/')).toBe(false);
    expect(contents.mockNavigate('app://clawdbot/index.html')).toBe(false);
    expect(contents.windowOpenHandler!({ url: 'https://evil.example/' } as never)).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'https://github.com/steipete/imsg' } as never)).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://github.com/steipete/imsg']);
    const attach = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    contents.emit('will-attach-webview', attach, {}, {});
    expect(attach.defaultPrevented).toBe(true);
  });

  it('reloads when the gateway moves to another port (the CSP follows)', () => {
    let port = 18789;
    const window = new AppWindow({
      preloadPath: '/p',
      connection: () => ({ url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, token: 'tok', mode: 'hosted' }),
      savedBounds: () => null,
      saveBounds: () => {},
    });
    window.open();
    const browser = windows[0]!;
    window.connectionChanged({ url: 'http://127.0.0.1:18789', wsUrl: 'ws://127.0.0.1:18789/ws', token: 'tok', mode: 'hosted' });
    expect(browser.loadedUrls).toHaveLength(1);
    port = 18790;
    window.connectionChanged({ url: 'http://127.0.0.1:18790', wsUrl: 'ws://127.0.0.1:18790/ws', token: 'tok', mode: 'hosted' });
    expect(browser.loadedUrls).toHaveLength(2);
    expect(browser.loadedUrls[1]).toContain('port=18790');
  });
});

describe('external links', () => {
  it('only the two System Settings panes and the help pages, exactly', () => {
    expect(isAllowedExternalUrl('x-apple.systempreferences:com.apple.preference.security?Privacy_AllFiles')).toBe(true);
    expect(isAllowedExternalUrl('x-apple.systempreferences:com.apple.preference.security?Privacy_Automation')).toBe(true);
    expect(isAllowedExternalUrl('https://github.com/steipete/imsg')).toBe(true);
    for (const url of ['x-apple.systempreferences:com.apple.preference.security?Privacy_Camera', 'https://github.com/steipete/imsg/../evil', 'https://github.com.evil.example/steipete/imsg', 'file:///etc/passwd', 'javascript:alert(1)']) {
      expect(isAllowedExternalUrl(url), url).toBe(false);
    }
  });
});
