// A hand-written stand-in for the `electron` module (there is no Electron binary on Linux), in the
// way Electron Fiddle tests its main process. Only what the app uses is here, and each part is
// checked against node_modules/electron/electron.d.ts at compile time (`implements Pick<…>`,
// `satisfies Partial<…>`), so a signature the app relies on cannot drift from the real one.
// Behaviour follows Electron's documentation: events fire in the same order (close → closed),
// `ipcMain.handle` refuses a second handler for a channel, invoking a channel without a handler
// fails with Electron's message, a Menu's items carry their `click`, and so on.
//
// Test helpers (not part of Electron) start with `mock`: they record what the app did and play
// the part of macOS and of the renderer (a click, a second launch, an IPC call from a page).
//
//   vi.mock('electron', () => import('./mocks/electron'));
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Electron from 'electron';

// ---------------------------------------------------------------------------------------------
// app
// ---------------------------------------------------------------------------------------------

interface AppMockState {
  ready: boolean;
  lockAvailable: boolean;
  quitCalls: number;
  exitCodes: number[];
  relaunches: number;
  dockVisible: boolean;
  loginItem: boolean;
  packaged: boolean;
}

const appState: AppMockState = { ready: false, lockAvailable: true, quitCalls: 0, exitCodes: [], relaunches: 0, dockVisible: true, loginItem: false, packaged: false };
let resolveReady: () => void = () => {};
let readyPromise = new Promise<void>((resolve) => (resolveReady = resolve));

class MockApp extends EventEmitter {
  get isPackaged(): boolean {
    return appState.packaged;
  }
  readonly dock = {
    show: async () => {
      appState.dockVisible = true;
    },
    hide: () => {
      appState.dockVisible = false;
    },
    isVisible: () => appState.dockVisible,
  } satisfies Partial<Electron.Dock>;
  whenReady(): Promise<void> {
    return readyPromise;
  }
  isReady(): boolean {
    return appState.ready;
  }
  requestSingleInstanceLock(): boolean {
    return appState.lockAvailable;
  }
  quit(): void {
    appState.quitCalls++;
    // Electron: before-quit first; a listener may preventDefault() to keep running.
    const event = mockEvent();
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.emit('will-quit', mockEvent());
  }
  exit(exitCode = 0): void {
    // Electron: quits at once, without before-quit / will-quit.
    appState.exitCodes.push(exitCode);
  }
  relaunch(): void {
    appState.relaunches++;
  }
  getVersion(): string {
    return '0.1.0';
  }
  getName(): string {
    return 'Clawdbot';
  }
  getAppPath(): string {
    return fileURLToPath(new URL('../../..', import.meta.url));
  }
  getPath(name: Parameters<Electron.App['getPath']>[0]): string {
    return `/tmp/clawdbot-electron-mock/${name}`;
  }
  setLoginItemSettings(settings: Electron.Settings): void {
    if (settings.openAtLogin !== undefined) appState.loginItem = settings.openAtLogin;
  }
  getLoginItemSettings(): Pick<Electron.LoginItemSettings, 'openAtLogin'> {
    return { openAtLogin: appState.loginItem };
  }
}

export const app = new MockApp() satisfies Partial<Record<keyof Electron.App, unknown>>;
const appShape: Pick<Electron.App, 'whenReady' | 'isReady' | 'requestSingleInstanceLock' | 'quit' | 'exit' | 'relaunch' | 'getVersion' | 'getPath' | 'setLoginItemSettings'> = app;
void appShape;

/** Electron's Event: preventDefault() and defaultPrevented. */
export function mockEvent<T extends object = object>(extra?: T): { preventDefault(): void; defaultPrevented: boolean } & T {
  const event = {
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
    ...extra,
  } as { preventDefault(): void; defaultPrevented: boolean } & T;
  return event;
}

// ---------------------------------------------------------------------------------------------
// nativeImage
// ---------------------------------------------------------------------------------------------

export class MockNativeImage implements Pick<Electron.NativeImage, 'setTemplateImage' | 'isTemplateImage' | 'isEmpty'> {
  private template = false;
  constructor(readonly mockPath: string) {}
  setTemplateImage(option: boolean): void {
    this.template = option;
  }
  isTemplateImage(): boolean {
    return this.template;
  }
  /** Electron returns an empty image for a missing or unreadable file. */
  isEmpty(): boolean {
    return !existsSync(this.mockPath);
  }
}

export const nativeImage = {
  createFromPath: (path: string) => new MockNativeImage(path) as unknown as Electron.NativeImage,
} satisfies Pick<typeof Electron.nativeImage, 'createFromPath'>;

// ---------------------------------------------------------------------------------------------
// Menu, MenuItem, Tray
// ---------------------------------------------------------------------------------------------

export class MockMenuItem {
  readonly label: string;
  readonly type: NonNullable<Electron.MenuItemConstructorOptions['type']>;
  readonly enabled: boolean;
  readonly checked: boolean;
  readonly submenu: MockMenu | undefined;
  private readonly onClick: Electron.MenuItemConstructorOptions['click'];
  constructor(options: Electron.MenuItemConstructorOptions) {
    this.label = options.label ?? '';
    this.type = options.type ?? (options.submenu ? 'submenu' : 'normal');
    this.enabled = options.enabled ?? true;
    this.checked = options.checked ?? false;
    this.submenu = options.submenu ? Menu.buildFromTemplate(options.submenu as Electron.MenuItemConstructorOptions[]) : undefined;
    this.onClick = options.click;
  }
  /** What macOS does when the person picks the item (a disabled item cannot be clicked). */
  click(): void {
    if (!this.enabled) throw new Error(`menu item "${this.label}" is disabled`);
    this.onClick?.(this as unknown as Electron.MenuItem, undefined, mockEvent({ triggeredByAccelerator: false, shiftKey: false, ctrlKey: false, altKey: false, metaKey: false }) as unknown as Electron.KeyboardEvent);
  }
}

export class MockMenu extends EventEmitter {
  constructor(readonly items: MockMenuItem[]) {
    super();
  }
  /** The item with this label, looking into submenus (`Pending › Approve` as ['+1555…', 'Approve']). */
  mockFind(...labels: string[]): MockMenuItem {
    let items = this.items;
    let found: MockMenuItem | undefined;
    for (const label of labels) {
      found = items.find((item) => item.label === label || item.label.startsWith(label));
      if (!found) throw new Error(`no menu item "${label}" in: ${items.map((i) => i.label).join(' | ')}`);
      items = found.submenu?.items ?? [];
    }
    return found!;
  }
}

export const Menu = {
  buildFromTemplate: (template: (Electron.MenuItemConstructorOptions | Electron.MenuItem)[]) =>
    new MockMenu(template.map((options) => new MockMenuItem(options as Electron.MenuItemConstructorOptions))),
};
const menuShape: Pick<typeof Electron.Menu, 'buildFromTemplate'> = Menu as unknown as Pick<typeof Electron.Menu, 'buildFromTemplate'>;
void menuShape;

export const trays: MockTray[] = [];

export class MockTray extends EventEmitter implements Pick<Electron.Tray, 'setImage' | 'setTitle' | 'setToolTip' | 'setContextMenu' | 'destroy' | 'isDestroyed'> {
  image: MockNativeImage;
  title = '';
  tooltip = '';
  menu: MockMenu | null = null;
  menuBuilds = 0;
  private destroyed = false;
  constructor(image: Electron.NativeImage | string) {
    super();
    this.image = typeof image === 'string' ? new MockNativeImage(image) : (image as unknown as MockNativeImage);
    trays.push(this);
  }
  setImage(image: Electron.NativeImage | string): void {
    this.image = typeof image === 'string' ? new MockNativeImage(image) : (image as unknown as MockNativeImage);
  }
  setTitle(title: string): void {
    this.title = title;
  }
  setToolTip(toolTip: string): void {
    this.tooltip = toolTip;
  }
  setContextMenu(menu: Electron.Menu | null): void {
    this.menu = menu as unknown as MockMenu | null;
    this.menuBuilds++;
  }
  destroy(): void {
    this.destroyed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}
export const Tray = MockTray;

// ---------------------------------------------------------------------------------------------
// Notification
// ---------------------------------------------------------------------------------------------

export const notifications: MockNotification[] = [];

export class MockNotification extends EventEmitter implements Pick<Electron.Notification, 'show' | 'close'> {
  static isSupported(): boolean {
    return true;
  }
  shown = false;
  closed = false;
  constructor(readonly options: Electron.NotificationConstructorOptions) {
    super();
    notifications.push(this);
  }
  show(): void {
    this.shown = true;
    this.emit('show', mockEvent());
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', mockEvent());
  }
  /** The person pressed the action button at `index`. */
  mockAction(index: number): void {
    this.emit('action', mockEvent(), index);
  }
  mockClick(): void {
    this.emit('click', mockEvent());
  }
}
export const Notification = MockNotification;

// ---------------------------------------------------------------------------------------------
// BrowserWindow, WebContents, session
// ---------------------------------------------------------------------------------------------

let nextContentsId = 1;

export class MockWebFrame {
  constructor(
    public url: string,
    readonly parent: MockWebFrame | null = null,
  ) {}
  /** Like WebFrameMain.origin: scheme://host of a standard scheme. */
  get origin(): string {
    const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)/i.exec(this.url);
    return match ? match[1]!.toLowerCase() : 'null';
  }
}

export class MockWebContents extends EventEmitter implements Pick<Electron.WebContents, 'send' | 'setWindowOpenHandler' | 'isDestroyed'> {
  readonly id = nextContentsId++;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  readonly mainFrame = new MockWebFrame('about:blank');
  windowOpenHandler: ((details: Electron.HandlerDetails) => Electron.WindowOpenHandlerResponse) | null = null;
  destroyed = false;
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  setWindowOpenHandler(handler: (details: Electron.HandlerDetails) => Electron.WindowOpenHandlerResponse): void {
    this.windowOpenHandler = handler;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** The page tried to navigate; true when the app let it. */
  mockNavigate(url: string): boolean {
    const event = mockEvent({ url, isMainFrame: true });
    this.emit('will-navigate', event, url);
    this.emit('will-frame-navigate', event);
    return !event.defaultPrevented;
  }
}

export const windows: MockBrowserWindow[] = [];

export class MockBrowserWindow extends EventEmitter implements Pick<Electron.BrowserWindow, 'loadURL' | 'show' | 'focus' | 'close' | 'destroy' | 'isDestroyed' | 'getBounds' | 'isVisible'> {
  static getAllWindows(): MockBrowserWindow[] {
    return windows.filter((w) => !w.isDestroyed());
  }
  static fromWebContents(contents: MockWebContents): MockBrowserWindow | null {
    return windows.find((w) => w.webContents === contents) ?? null;
  }
  readonly webContents = new MockWebContents();
  readonly loadedUrls: string[] = [];
  visible = false;
  focused = false;
  private destroyed = false;
  private bounds: Electron.Rectangle;
  constructor(readonly options: Electron.BrowserWindowConstructorOptions = {}) {
    super();
    this.bounds = { x: options.x ?? 100, y: options.y ?? 100, width: options.width ?? 800, height: options.height ?? 600 };
    windows.push(this);
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrls.push(url);
    this.webContents.mainFrame.url = url;
    // Electron: ready-to-show once the page has painted.
    queueMicrotask(() => this.emit('ready-to-show', mockEvent()));
  }
  show(): void {
    this.visible = true;
    this.emit('show', mockEvent());
  }
  focus(): void {
    this.focused = true;
    app.emit('browser-window-focus', mockEvent(), this);
  }
  isVisible(): boolean {
    return this.visible;
  }
  getBounds(): Electron.Rectangle {
    return { ...this.bounds };
  }
  close(): void {
    const event = mockEvent();
    this.emit('close', event);
    if (!event.defaultPrevented) this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.visible = false;
    this.emit('closed');
    if (MockBrowserWindow.getAllWindows().length === 0) app.emit('window-all-closed', mockEvent());
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}
export const BrowserWindow = MockBrowserWindow;

type PermissionRequestHandler = Parameters<Electron.Session['setPermissionRequestHandler']>[0];
type PermissionCheckHandler = Parameters<Electron.Session['setPermissionCheckHandler']>[0];

class MockSession implements Pick<Electron.Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'> {
  requestHandler: PermissionRequestHandler = null;
  checkHandler: PermissionCheckHandler = null;
  setPermissionRequestHandler(handler: PermissionRequestHandler): void {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: PermissionCheckHandler): void {
    this.checkHandler = handler;
  }
  /** Electron's default without a handler: every request granted. */
  mockRequest(permission: Parameters<NonNullable<PermissionRequestHandler>>[1]): Promise<boolean> {
    if (!this.requestHandler) return Promise.resolve(true);
    return new Promise((resolve) => this.requestHandler!({} as Electron.WebContents, permission, resolve, {} as Electron.PermissionRequest));
  }
  mockCheck(permission: Parameters<NonNullable<PermissionCheckHandler>>[1]): boolean {
    return this.checkHandler ? this.checkHandler(null, permission, 'app://clawdbot', {} as Electron.PermissionCheckHandlerHandlerDetails) : true;
  }
}

export const session = { defaultSession: new MockSession() };

export const screen = {
  getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1440, height: 875 } }],
};

// ---------------------------------------------------------------------------------------------
// protocol, net, shell
// ---------------------------------------------------------------------------------------------

export const privilegedSchemes: Electron.CustomScheme[] = [];
export const protocolHandlers = new Map<string, (request: Request) => Response | Promise<Response>>();

export const protocol = {
  registerSchemesAsPrivileged(customSchemes: Electron.CustomScheme[]): void {
    if (appState.ready) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
    privilegedSchemes.push(...customSchemes);
  },
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void {
    if (protocolHandlers.has(scheme)) throw new Error(`The scheme "${scheme}" is already handled`);
    protocolHandlers.set(scheme, handler);
  },
} satisfies Pick<Electron.Protocol, 'registerSchemesAsPrivileged' | 'handle'>;

/** net.fetch as the app uses it: file: URLs (Node's fetch has none). */
export const net = {
  async fetch(input: string | Request): Promise<Response> {
    const url = typeof input === 'string' ? input : input.url;
    if (!url.startsWith('file:')) throw new Error(`mock net.fetch supports file: URLs only, got ${url}`);
    const path = fileURLToPath(url);
    if (!existsSync(path)) return new Response('', { status: 404 });
    const type = path.endsWith('.html') ? 'text/html' : path.endsWith('.js') ? 'text/javascript' : path.endsWith('.css') ? 'text/css' : 'application/octet-stream';
    return new Response(readFileSync(path), { status: 200, headers: { 'Content-Type': type } });
  },
} satisfies Pick<Electron.Net, 'fetch'>;

export const opened: string[] = [];
export const revealed: string[] = [];

export const shell = {
  async openExternal(url: string): Promise<void> {
    opened.push(url);
  },
  showItemInFolder(fullPath: string): void {
    revealed.push(fullPath);
  },
} satisfies Pick<Electron.Shell, 'openExternal' | 'showItemInFolder'>;

// ---------------------------------------------------------------------------------------------
// IPC: ipcMain, and ipcRenderer / contextBridge for the preload
// ---------------------------------------------------------------------------------------------

type InvokeHandler = (event: Electron.IpcMainInvokeEvent, ...args: unknown[]) => unknown;

class MockIpcMain extends EventEmitter {
  readonly handlers = new Map<string, InvokeHandler>();
  handle(channel: string, listener: InvokeHandler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** A page (`contents`, in `frame`) calls ipcRenderer.invoke(channel, ...args). Errors arrive as Electron words them. */
  async mockInvoke(contents: MockWebContents, frame: MockWebFrame, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    const event = { ...mockEvent(), type: 'frame', frameId: 1, processId: 1, sender: contents, senderFrame: frame } as unknown as Electron.IpcMainInvokeEvent;
    try {
      // Arguments cross the process boundary by structured clone.
      return structuredClone(await handler(event, ...args.map((arg) => structuredClone(arg))));
    } catch (error) {
      throw new Error(`Error invoking remote method '${channel}': ${String(error)}`);
    }
  }
}

export const ipcMain = new MockIpcMain();
const ipcMainShape: Pick<Electron.IpcMain, 'handle' | 'removeHandler'> = ipcMain;
void ipcMainShape;

/** The page the preload runs in (set by tests before importing the preload). */
export const rendererPage = { contents: null as MockWebContents | null };

class MockIpcRenderer extends EventEmitter {
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const contents = rendererPage.contents;
    if (!contents) throw new Error('mock ipcRenderer: no page (set rendererPage.contents)');
    return ipcMain.mockInvoke(contents, contents.mainFrame, channel, ...args);
  }
}
export const ipcRenderer = new MockIpcRenderer();
const ipcRendererShape: Pick<Electron.IpcRenderer, 'on' | 'removeListener'> = ipcRenderer as unknown as Pick<Electron.IpcRenderer, 'on' | 'removeListener'>;
void ipcRendererShape;

export const exposedInMainWorld = new Map<string, unknown>();
export const contextBridge = {
  exposeInMainWorld(apiKey: string, api: unknown): void {
    if (exposedInMainWorld.has(apiKey)) throw new Error(`Cannot bind an API on top of an existing property on the window object (${apiKey})`);
    exposedInMainWorld.set(apiKey, api);
  },
} satisfies Pick<Electron.ContextBridge, 'exposeInMainWorld'>;

// ---------------------------------------------------------------------------------------------
// Test helpers
// ---------------------------------------------------------------------------------------------

export const mock = {
  app: appState,
  /** Emits `ready` (whenReady resolves). */
  ready(): void {
    appState.ready = true;
    app.emit('ready', mockEvent(), {});
    resolveReady();
  },
  /** Another launch of the app: Electron tells the first instance with `second-instance`. */
  secondInstance(argv: string[] = ['Clawdbot']): void {
    app.emit('second-instance', mockEvent(), argv, '/', {});
  },
  reset(): void {
    Object.assign(appState, { ready: false, lockAvailable: true, quitCalls: 0, exitCodes: [], relaunches: 0, dockVisible: true, loginItem: false, packaged: false });
    readyPromise = new Promise<void>((resolve) => (resolveReady = resolve));
    app.removeAllListeners();
    ipcMain.removeAllListeners();
    ipcMain.handlers.clear();
    ipcRenderer.removeAllListeners();
    exposedInMainWorld.clear();
    rendererPage.contents = null;
    for (const list of [trays, notifications, windows, privilegedSchemes, opened, revealed] as unknown[][]) list.length = 0;
    protocolHandlers.clear();
    session.defaultSession = new MockSession();
  },
};

export default { app, nativeImage, Menu, Tray, Notification, BrowserWindow, session, screen, protocol, net, shell, ipcMain, ipcRenderer, contextBridge };
