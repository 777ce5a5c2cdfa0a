// Entry of Clawdbot.app's main process (built to out/main/index.js). The app itself is in
// shell.ts; this file only finds the app's files, which sit in different places in a checkout
// (`npm start` on a Mac) and inside the packaged bundle.
import { app } from 'electron';
import { join } from 'node:path';
import { startShell } from './shell';
import { registerAppScheme, rendererDir } from './window';

// Must happen before `ready`: app://clawdbot is the window's own secure origin.
registerAppScheme();

const outMain = import.meta.dirname;
const packaged = app.isPackaged;
// `npm start -- --port 18800` on a Mac: the gateway's port for this run.
const portIndex = process.argv.indexOf('--port');
const port = portIndex > 0 ? Number(process.argv[portIndex + 1]) : undefined;
// `npm start` without imsg: a simulated Messages account for this run (simulated-account.ts
// decides, and refuses it in the packaged app).
const demoRequested = process.argv.includes('--demo') || process.env.CLAWDBOT_DEMO === '1';
void startShell({
  demo: demoRequested,
  packaged,
  ...(port !== undefined && Number.isInteger(port) ? { gatewayOptions: { port } } : {}),
  paths: {
    preload: join(outMain, '..', 'preload', 'index.cjs'),
    renderer: rendererDir(outMain),
    // Packaged: extraResources (electron-builder.yml); from a checkout: resources/tray.
    trayIcons: packaged ? join(process.resourcesPath, 'tray') : join(app.getAppPath(), 'resources', 'tray'),
    // Packaged: the simulator is unpacked from the asar (a child process cannot run a file inside it).
    ...(packaged ? { simulator: join(process.resourcesPath, 'app.asar.unpacked', 'sim', 'bin', 'imsg') } : {}),
  },
}).then((shell) => {
  // The Mac smoke test (e2e-electron/) reaches the running app through this, from the main process.
  if (shell && process.env.CLAWDBOT_E2E === '1') Object.assign(globalThis, { __clawdbot: shell });
}).catch((error: unknown) => {
  console.error('Clawdbot could not start:', error);
  app.exit(1);
});
