// The app's one state (AppState) and every action the menu, the notifications and the window's
// bridge can take. It listens to the gateway through its GatewayLink (the same services the control
// API serves: health, pairing, access log) and to the GatewayHost's phases, keeps AppState up to
// date and emits `changed`; the views (tray menu, icon, notifications, window) are rebuilt from
// that, never polled. Electron-free: native effects go through NativeActions.
import type { GatewayConnection, GatewayPhase, PermissionsReport, Screen } from '../../contract/bridge';
import { Emitter } from '../../contract/emitter';
import type { AccessLogEntry, GatewayStatus, PairingEvent } from '../../contract/gateway-api';
import type { Logger } from '../util/logger';
import { INITIAL_STATE, type AppState } from './app-state';
import type { GatewayHost, GatewayLink } from './gateway-host';
import { settingsPaneUrl } from './links';
import type { MenuAction } from './menu-model';
import { permissionsReport, type FdaSignal } from './permissions';
import { launchAtLoginAfterOnboarding, type AppPrefs } from './prefs';
import { setupFromHealth } from './setup-adapter';
import { WorkTracker } from './tray-state';

/** What only the host platform can do (Electron in the app, fakes in tests). */
export interface NativeActions {
  openWindow(screen?: Screen): void;
  openExternal(url: string): void;
  relaunch(): void;
  /** Ends the process (after the gateway was stopped). */
  exit(): void;
  setLoginItem(enabled: boolean): void;
}

/** The part of the preferences store the controller uses (electron-store's get/set). */
export interface PrefsAccess {
  get<K extends keyof AppPrefs>(key: K): AppPrefs[K];
  set<K extends keyof AppPrefs>(key: K, value: AppPrefs[K]): void;
}

export interface ControllerEvents {
  changed: AppState;
  /** A new pairing request (for a notification) or a resolved one (to withdraw it). */
  pairing: PairingEvent;
  connection: GatewayConnection | null;
  phase: GatewayPhase;
  permissions: PermissionsReport;
}

export interface AppControllerDeps {
  host: GatewayHost;
  prefs: PrefsAccess;
  native: NativeActions;
  /** macOS's Full Disk Access answer now (permissions.ts readFdaSignal). */
  fdaSignal(): FdaSignal;
  logger: Logger;
}

/** While the permission step is on screen, permissions are checked this often. */
export const PERMISSION_WATCH_MS = 1000;

export class AppController {
  readonly events = new Emitter<ControllerEvents>((error) => this.deps.logger.error(`app: listener failed: ${String(error)}`));
  private current: AppState;
  private readonly work = new WorkTracker();
  private offLink: (() => void)[] = [];
  private workTimer: ReturnType<typeof setTimeout> | undefined;
  private watchTimer: ReturnType<typeof setInterval> | undefined;
  private lastConnection = 'null';
  private lastPermissions = '';
  private readonly fdaAtLaunch: FdaSignal;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;

  constructor(private readonly deps: AppControllerDeps) {
    this.fdaAtLaunch = deps.fdaSignal();
    this.current = { ...INITIAL_STATE, gateway: deps.host.phase, launchAtLogin: deps.prefs.get('launchAtLogin') === true };
    deps.host.events.on('phase', (gateway) => {
      this.update({ gateway, ...(gateway.kind === 'running' ? {} : { status: null, pending: [], working: false }) });
      this.events.emit('phase', gateway);
    });
    deps.host.events.on('link', (link) => this.attach(link));
  }

  get state(): AppState {
    return this.current;
  }

  connection(): GatewayConnection | null {
    return this.current.gateway.kind === 'running' ? (this.deps.host.link?.connection() ?? null) : null;
  }

  /** Approves through the gateway's pairing service (the CLI's and the screens' path); the sender is told. */
  async approve(code: string): Promise<void> {
    const result = await this.link().call('pairing.approve', { code, notify: true });
    if (!result.notified && result.notifyError) this.deps.logger.warn(`pairing: approved ${result.approved.id}, but the notice could not be sent: ${result.notifyError}`);
    await this.refreshPending();
  }

  async deny(code: string): Promise<void> {
    await this.link().call('pairing.deny', { code });
    await this.refreshPending();
  }

  /** Runs a menu or notification action. Errors are logged (there is no one to answer). */
  perform(action: MenuAction): Promise<void> {
    return this.run(action).catch((error: unknown) => this.deps.logger.error(`app: ${action.type} failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  private async run(action: MenuAction): Promise<void> {
    const { host, native } = this.deps;
    switch (action.type) {
      case 'approve':
        return this.approve(action.code);
      case 'deny':
        return this.deny(action.code);
      case 'open':
        return native.openWindow(action.screen);
      case 'open-settings-pane':
        return native.openExternal(settingsPaneUrl(action.pane));
      case 'pause':
        return host.pause();
      case 'resume':
        return host.resume();
      case 'restart':
        return host.restart();
      case 'retry':
        return host.retry();
      case 'retry-account':
        await this.link().call('channels.restart', { accountId: action.accountId });
        return;
      case 'use-running-gateway':
        return host.useRunningGateway();
      case 'use-port':
        return host.usePort(action.port);
      case 'relaunch':
        await this.quit({ relaunch: true });
        return;
      case 'toggle-launch-at-login':
        return this.setLaunchAtLogin(!this.current.launchAtLogin);
      case 'quit':
        await this.quit();
        return;
    }
  }

  /** Stops the watchers and the gateway (bounded), then exits; `relaunch` starts the app again first. */
  async quit(options: { relaunch?: boolean } = {}): Promise<'stopped' | 'timed-out'> {
    this.watchPermissions(false);
    clearTimeout(this.workTimer);
    this.detach();
    const outcome = await this.deps.host.shutdown();
    if (options.relaunch) this.deps.native.relaunch();
    this.deps.native.exit();
    return outcome;
  }

  setLaunchAtLogin(enabled: boolean): void {
    this.deps.native.setLoginItem(enabled);
    this.deps.prefs.set('launchAtLogin', enabled);
    this.update({ launchAtLogin: enabled });
  }

  onboarding(): AppPrefs['onboarding'] {
    return this.deps.prefs.get('onboarding');
  }

  setOnboarding(progress: AppPrefs['onboarding']): AppPrefs['onboarding'] {
    const before = this.deps.prefs.get('onboarding');
    this.deps.prefs.set('onboarding', progress);
    if (launchAtLoginAfterOnboarding(before, progress, this.deps.prefs.get('launchAtLogin'))) this.setLaunchAtLogin(true);
    return progress;
  }

  /** Checks both permissions now; pushes `permissions` when the answer changed. */
  checkPermissions(): PermissionsReport {
    const setups = (this.current.status?.accounts ?? []).map(setupFromHealth);
    const report = permissionsReport(setups, this.deps.fdaSignal(), this.fdaAtLaunch, new Date());
    const key = JSON.stringify({ ...report, checkedAt: undefined });
    if (key !== this.lastPermissions) {
      this.lastPermissions = key;
      this.update({ permissions: report });
      this.events.emit('permissions', report);
    }
    return report;
  }

  /** While the permission step is on screen: a check every second (System Settings is open beside it). */
  watchPermissions(active: boolean): void {
    clearInterval(this.watchTimer);
    this.watchTimer = active ? setInterval(() => this.checkPermissions(), PERMISSION_WATCH_MS) : undefined;
  }

  private link(): GatewayLink {
    const link = this.deps.host.link;
    if (!link) throw new Error('The gateway is not running.');
    return link;
  }

  private attach(link: GatewayLink | null): void {
    this.detach();
    this.emitConnection();
    if (!link) return;
    this.offLink = [
      link.on('health', (status) => this.onHealth(status)),
      link.on('pairing', (event) => {
        this.events.emit('pairing', event);
        void this.refreshPending();
      }),
      link.on('accessLog', (entry) => this.onAccess(entry)),
      // An in-process restart: the status comes back with the first health event after it.
      link.on('shutdown', () => this.update({ status: null })),
    ];
    void link.call('status', {}).then((status) => this.onHealth(status), (error: unknown) => this.deps.logger.warn(`app: status failed: ${String(error)}`));
    void this.refreshPending();
  }

  private detach(): void {
    for (const off of this.offLink.splice(0)) off();
    this.work.clear();
  }

  private onHealth(status: GatewayStatus): void {
    this.work.health(status);
    this.update({ status, working: this.work.isWorking(Date.now()) });
    this.emitConnection();
    this.checkPermissions();
  }

  private onAccess(entry: AccessLogEntry): void {
    this.work.accepted(entry, this.current.status?.model != null);
    this.updateWorking();
  }

  private updateWorking(): void {
    const now = Date.now();
    if (this.work.isWorking(now) !== this.current.working) this.update({ working: !this.current.working });
    clearTimeout(this.workTimer);
    const next = this.work.nextExpiry(now);
    if (next !== null) this.workTimer = setTimeout(() => this.updateWorking(), next - now + 1);
  }

  /** pairing.list again; a call while one runs is folded into one more run after it. */
  private refreshPending(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        const link = this.deps.host.link;
        if (!link) return;
        try {
          const { requests } = await link.call('pairing.list', {});
          if (this.deps.host.link === link) this.update({ pending: requests });
        } catch (error) {
          this.deps.logger.warn(`app: pairing.list failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      } while (this.refreshAgain);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private emitConnection(): void {
    const connection = this.connection();
    const key = JSON.stringify(connection);
    if (key === this.lastConnection) return;
    this.lastConnection = key;
    this.events.emit('connection', connection);
  }

  private update(patch: Partial<AppState>): void {
    this.current = { ...this.current, ...patch };
    if (patch.gateway) this.emitConnection();
    this.events.emit('changed', this.current);
  }
}

