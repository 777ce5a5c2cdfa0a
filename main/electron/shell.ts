// Wires the app together: one instance, the gateway hosted in this process (GatewayHost), the
// app's state (AppController), and its views — tray menu, notifications, window, bridge. Every
// decision lives in the Electron-free modules; this file only connects them to Electron.
import { app, ipcMain, shell } from 'electron';
import { createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createControlClient } from '../../contract/control-client';
import { startGateway as realStartGateway, type StartGatewayOptions } from '../gateway/start';
import { resolveConfigPath, resolveStateDir } from '../config/paths';
import { createLogHub, formatLogLine, stderrTextSink, type LogSink } from '../util/logger';
import { AppController } from './app-controller';
import { GatewayHost } from './gateway-host';
import { registerBridge } from './ipc';
import { HELP_URLS, settingsPaneUrl } from './links';
import { PairingNotifications } from './notifications';
import { loadMacPermissions, readFdaSignal } from './permissions';
import { diagnosePortConflict, findFreePort, probeHealth, tokenCandidates } from './port-conflict';
import { openPrefs } from './prefs-store';
import { SimulatedAccountSetting } from './simulated-account';
import { TrayMenu } from './tray';
import { APP_ORIGIN, AppWindow, hardenSession, serveRenderer } from './window';

export interface ShellPaths {
  preload: string;
  renderer: string;
  trayIcons: string;
  /** Where main.log goes (default: the app's logs folder). */
  logs?: string;
  /** The preferences folder (default: the app's userData folder). */
  prefs?: string;
  /** The imsg simulator for the demo (default: the checkout's sim/bin/imsg). */
  simulator?: string;
}

export interface ShellOptions {
  paths: ShellPaths;
  env?: NodeJS.ProcessEnv;
  /** `--demo` / CLAWDBOT_DEMO=1: run the gateway with a simulated Messages account (wins over the window's switch). */
  demo?: boolean;
  /** The installed app (default: app.isPackaged), where the simulated account is not available. */
  packaged?: boolean;
  /** Tests: start options on top of the app's (port 0, a state dir, fast imsg timings). */
  gatewayOptions?: Partial<StartGatewayOptions>;
  startGateway?: typeof realStartGateway;
  /** Also log to stderr (default: in development, where the app runs from a terminal). */
  stderr?: boolean;
}

const LOG_ROTATE_BYTES = 5 * 1024 * 1024;

function fileLogSink(dir: string): { sink: LogSink; path: string } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'main.log');
  try {
    if (statSync(path).size > LOG_ROTATE_BYTES) renameSync(path, join(dir, 'main.old.log'));
  } catch {
    // no log yet
  }
  const stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  return { sink: (record) => stream.write(`${formatLogLine(record)}\n`), path };
}

/** Starts the app; null when another instance already runs (it was asked to show itself instead). */
export async function startShell(options: ShellOptions) {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  const env = options.env ?? process.env;
  const { paths } = options;
  // An LSUIElement app has no Dock icon; in development (no Info.plist of ours) hide it here.
  app.dock?.hide();

  const logFile = fileLogSink(paths.logs ?? app.getPath('logs'));
  const logs = createLogHub({ level: 'info', sinks: (options.stderr ?? !app.isPackaged) ? [logFile.sink, stderrTextSink] : [logFile.sink] });
  const log = logs.logger('app');
  const prefs = openPrefs(paths.prefs ? { cwd: paths.prefs } : {});
  const mac = loadMacPermissions();
  const packaged = options.packaged ?? app.isPackaged;

  // Read at each start (never before `simulated` below exists): a restart picks up the port chosen
  // after a conflict and the simulated account switched in the window.
  const gatewayOptions = (): StartGatewayOptions => {
    const port = prefs.get('port');
    return {
      env,
      signals: false,
      logs,
      allowedOrigins: [APP_ORIGIN],
      staticDir: paths.renderer,
      ...(port !== null ? { port } : {}),
      ...(simulated.active ? { demo: paths.simulator ? { simulatorPath: paths.simulator } : true } : {}),
      ...options.gatewayOptions,
    };
  };
  const stateDir = () => gatewayOptions().stateDir ?? resolveStateDir(env);
  const host = new GatewayHost({
    startGateway: options.startGateway ?? realStartGateway,
    options: gatewayOptions,
    diagnose: (port) => diagnosePortConflict(port, { probe: probeHealth, tokens: () => tokenCandidates(env, stateDir(), resolveConfigPath(env)), freePort: findFreePort }),
    async attach(port) {
      for (const token of await tokenCandidates(env, stateDir(), resolveConfigPath(env))) {
        if ((await probeHealth(port, token)).kind !== 'clawdbot') continue;
        const url = `http://127.0.0.1:${port}`;
        const connection = { url, wsUrl: `ws://127.0.0.1:${port}/ws`, token, mode: 'attached' as const };
        const client = createControlClient({ url: connection.wsUrl, token, WebSocket, clientName: 'app', clientVersion: app.getVersion() });
        await client.ready;
        return { client, connection };
      }
      throw new Error(`none of your gateway tokens opens the gateway on port ${port}`);
    },
    choosePort: (port) => prefs.set('port', port),
    logger: logs.logger('app:gateway'),
  });
  const simulated = new SimulatedAccountSetting({ packaged, commandLine: options.demo === true, prefs, host, logger: logs.logger('app:simulated') });
  if (options.demo && packaged) log.warn(`--demo ignored: ${simulated.status().reason}`);

  const window = new AppWindow({
    preloadPath: paths.preload,
    connection: () => controller.connection(),
    savedBounds: () => prefs.get('windowBounds'),
    saveBounds: (bounds) => prefs.set('windowBounds', bounds),
  });
  let exiting = false;
  const controller: AppController = new AppController({
    host,
    prefs,
    fdaSignal: () => readFdaSignal(mac),
    logger: log,
    native: {
      openWindow: (screen) => window.open(screen),
      openExternal: (url) => void shell.openExternal(url),
      relaunch: () => app.relaunch(),
      exit: () => {
        exiting = true;
        // A notification left in Notification Center could not approve anything once we are gone.
        notifications.withdrawAll();
        app.exit(0);
      },
      setLoginItem(enabled) {
        // A development build would register the Electron binary itself: only the installed app.
        if (app.isPackaged) app.setLoginItemSettings({ openAtLogin: enabled });
        else log.info(`launch at login ${enabled ? 'on' : 'off'} (applies to the installed app only)`);
      },
    },
  });

  // An error anywhere in this process must not take the app down: it restarts the gateway.
  const onCrash = (error: unknown) => host.crashed(error);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const removeCrashHandlers = () => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  };

  await app.whenReady();
  hardenSession();
  serveRenderer(paths.renderer, () => {
    const connection = controller.connection();
    return connection ? Number(new URL(connection.url).port) : null;
  });
  registerBridge(ipcMain, {
    windowContentsId: () => window.webContentsId,
    logger: logs.logger('app:ipc'),
    handlers: {
      'gateway.connection': () => controller.connection(),
      'gateway.phase': () => controller.state.gateway,
      'gateway.recover': async (choice) => (await controller.perform(choice), controller.state.gateway),
      'gateway.simulated': () => simulated.status(),
      'gateway.useSimulated': (on) => simulated.use(on),
      'permissions.check': () => controller.checkPermissions(),
      'permissions.watch': (active) => controller.watchPermissions(active),
      'settings.open': (pane) => shell.openExternal(settingsPaneUrl(pane)),
      'help.open': (page) => shell.openExternal(HELP_URLS[page]),
      'app.relaunch': () => void controller.quit({ relaunch: true }),
      'app.quit': () => void controller.quit(),
      'loginItem.get': () => controller.state.launchAtLogin,
      'loginItem.set': (enabled) => (controller.setLaunchAtLogin(enabled), enabled),
      'onboarding.get': () => controller.onboarding(),
      'onboarding.set': (progress) => controller.setOnboarding(progress),
      'logs.reveal': () => shell.showItemInFolder(logFile.path),
    },
  });

  const perform = (action: Parameters<AppController['perform']>[0]) => void controller.perform(action);
  const tray = new TrayMenu(paths.trayIcons, perform);
  const notifications = new PairingNotifications(perform);
  controller.events.on('changed', (state) => tray.render(state));
  controller.events.on('pairing', (event) => notifications.handle(event));
  controller.events.on('connection', (connection) => window.connectionChanged(connection));
  controller.events.on('phase', (phase) => window.send('phase', phase));
  controller.events.on('permissions', (report) => window.send('permissions', report));
  tray.render(controller.state);

  app.on('second-instance', () => window.open());
  app.on('window-all-closed', () => {
    // Closing the window keeps the app (and the gateway) running in the menu bar.
  });
  app.on('browser-window-focus', () => controller.checkPermissions());
  app.on('before-quit', (event) => {
    if (exiting) return;
    event.preventDefault();
    void controller.quit();
  });

  if (prefs.get('launchAtLogin') === true && app.isPackaged && !app.getLoginItemSettings().openAtLogin) controller.setLaunchAtLogin(true);
  await host.start();
  if (prefs.get('onboarding').completedAt === null) window.open('onboarding');
  log.info(`Clawdbot ${app.getVersion()} started`, { simulated: simulated.active, phase: host.phase.kind });
  return { controller, host, simulated, tray, window, notifications, logFile: logFile.path, removeCrashHandlers };
}
