// The app's one window (onboarding, pairing, health, accounts, settings): the renderer build,
// served from the app bundle under its own origin app://clawdbot, in a sandboxed, context-isolated
// page that can reach nothing but the gateway's loopback port (CSP), cannot navigate away, open
// windows, or get any browser permission. The Dock icon shows only while it is open (LSUIElement).
import { app, BrowserWindow, net, protocol, screen, session, shell, type BrowserWindowConstructorOptions, type Session } from 'electron';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bridgeChannel, type BridgeEvent, type BridgeEvents, type GatewayConnection, type Screen } from '../../contract/bridge';
import { isAllowedExternalUrl } from './links';
import { restorableBounds, type WindowBounds } from './prefs';

export const APP_SCHEME = 'app';
export const APP_HOST = 'clawdbot';
/** The window's origin: the only Origin besides its own that the gateway's control API accepts. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Before `ready`: app:// behaves like https (standard, secure, fetch) for the page. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Nothing but our own files, and a connection to the gateway's port. */
export function contentSecurityPolicy(gatewayPort: number | null): string {
  const gateway = gatewayPort ? ` ws://127.0.0.1:${gatewayPort} http://127.0.0.1:${gatewayPort}` : '';
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src${gateway || " 'none'"}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'`;
}

/** The file an app:// URL names inside the renderer build, or null for anything else (other host, `..`). */
export function rendererFile(rendererDir: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  const file = resolve(rendererDir, `.${path === '/' ? '/index.html' : path}`);
  const inside = relative(rendererDir, file);
  return inside && !inside.startsWith('..') && !inside.startsWith(sep) && !inside.includes('\0') ? file : null;
}

/** Serves the renderer build on app:// with the CSP of the gateway's current port. */
export function serveRenderer(rendererDir: string, gatewayPort: () => number | null): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = rendererFile(rendererDir, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', contentSecurityPolicy(gatewayPort()));
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}

/** The window's options. The security settings are spelled out although most are Electron's defaults. */
export function windowOptions(preloadPath: string, bounds: Partial<WindowBounds> = {}): BrowserWindowConstructorOptions {
  return {
    width: 900,
    height: 720,
    minWidth: 640,
    minHeight: 480,
    ...bounds,
    show: false,
    title: 'Clawdbot',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/** Denies every permission a page can ask for (camera, notifications, …): the window needs none. */
export function hardenSession(target: Session = session.defaultSession): void {
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
}

export function windowUrl(screenName: Screen | undefined, connection: GatewayConnection | null): string {
  const params = new URLSearchParams();
  if (screenName) params.set('screen', screenName);
  // Today's renderer reads the gateway's port and token from the fragment (as the web UI's
  // address does); the bridge's gateway.connection() gives the same.
  if (connection) {
    params.set('port', new URL(connection.url).port);
    params.set('token', connection.token);
  }
  return `${APP_ORIGIN}/index.html#${params.toString()}`;
}

export interface AppWindowOptions {
  preloadPath: string;
  connection(): GatewayConnection | null;
  savedBounds(): WindowBounds | null;
  saveBounds(bounds: WindowBounds): void;
}

export class AppWindow {
  private window: BrowserWindow | null = null;
  private loadedPort: string | null = null;

  constructor(private readonly options: AppWindowOptions) {}

  get webContentsId(): number | null {
    return this.window && !this.window.isDestroyed() ? this.window.webContents.id : null;
  }

  /** Opens (or focuses) the window, on `screenName` when given. */
  open(screenName?: Screen): void {
    if (this.window && !this.window.isDestroyed()) {
      if (screenName) this.send('navigate', screenName);
      this.window.show();
      this.window.focus();
      return;
    }
    const workAreas = screen.getAllDisplays().map((display) => display.workArea);
    const bounds = restorableBounds(this.options.savedBounds(), workAreas);
    const window = new BrowserWindow(windowOptions(this.options.preloadPath, bounds));
    this.window = window;
    const contents = window.webContents;
    // No navigation away from our page and no new windows; allow-listed links open in the browser.
    contents.setWindowOpenHandler(({ url }) => {
      if (isAllowedExternalUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-frame-navigate', (event) => {
      if (!event.url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    window.once('ready-to-show', () => window.show());
    window.on('show', () => void app.dock?.show());
    window.on('close', () => this.options.saveBounds(window.getBounds()));
    window.on('closed', () => {
      this.window = null;
      app.dock?.hide();
    });
    this.load(screenName);
  }

  /** The gateway moved to another port or token: reload, so the page's CSP and address follow. */
  connectionChanged(connection: GatewayConnection | null): void {
    if (!this.window || this.window.isDestroyed()) return;
    this.send('connection', connection);
    const port = connection ? new URL(connection.url).port : null;
    if (port && port !== this.loadedPort) this.load();
  }

  send<E extends BridgeEvent>(event: E, payload: BridgeEvents[E]): void {
    if (this.window && !this.window.isDestroyed()) this.window.webContents.send(bridgeChannel(event), payload);
  }

  close(): void {
    this.window?.destroy();
  }

  private load(screenName?: Screen): void {
    const connection = this.options.connection();
    this.loadedPort = connection ? new URL(connection.url).port : null;
    void this.window?.loadURL(windowUrl(screenName, connection));
  }
}

/** The built renderer inside the app (out/renderer next to out/main). */
export function rendererDir(mainDir: string): string {
  return join(mainDir, '..', 'renderer');
}
