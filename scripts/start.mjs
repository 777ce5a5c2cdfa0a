// `npm start`: on a Mac, Clawdbot.app itself — the menu-bar app with the gateway inside, from this
// checkout (`electron .`; `npm start -- --headless` runs the bare gateway instead). Elsewhere: build
// what is missing, then run the gateway in the foreground (`clawdbot gateway`), which prints the
// web UI address as a one-time sign-in link (`http://127.0.0.1:18789/#signin=…`; never the token).
// Either way, on a machine without imsg (no `imsg` on PATH and no cliPath in the config) it runs in
// demo mode, with a simulated Messages account, so the pairing flow can be tried anywhere. The demo
// keeps its state in ~/.clawdbot/demo between runs (`npm start -- --fresh` starts it over), and the
// CLI finds its gateway there by itself (`npx clawdbot pairing list imessage`).
// Extra arguments go to the gateway: `npm start -- --port 18800`, `npm start -- --demo`.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import JSON5 from 'json5';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runApp = process.platform === 'darwin' && !args.includes('--headless');
if (runApp && args.includes('--fresh')) {
  console.error('npm start: --fresh (start the demo over) is for the headless gateway: run `npm start -- --headless --fresh`, or quit the app and delete ~/.clawdbot/demo.');
  process.exit(2);
}

function run(command, commandArgs, what) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`npm start: ${what} failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
}

// The CLI and simulator bundles build in well under a second: always refresh them.
run(process.execPath, [join(root, 'scripts', 'build-node.mjs')], 'building the CLI (scripts/build-node.mjs)');
if (runApp) {
  // The app's main process and preload change with the code: always rebuild them (a few seconds).
  run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], 'building the app (electron-vite build)');
} else if (!existsSync(join(root, 'out', 'renderer', 'index.html'))) {
  console.log('Building the web UI (first run only)…');
  run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], 'building the web UI (electron-vite build)');
}

/** The config file the gateway will read (same rules as main/config/paths.ts). */
function configPath() {
  const home = process.env.HOME || homedir();
  const expand = (p) => (p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p);
  if (process.env.CLAWDBOT_CONFIG_PATH?.trim()) return resolve(expand(process.env.CLAWDBOT_CONFIG_PATH.trim()));
  const stateDir = process.env.CLAWDBOT_STATE_DIR?.trim() ? resolve(expand(process.env.CLAWDBOT_STATE_DIR.trim())) : join(home, '.clawdbot');
  return join(stateDir, 'clawdbot.json');
}

/** True when the config names an imsg for some account (then the user set up a real one). */
function cliPathConfigured() {
  const path = configPath();
  if (!existsSync(path)) return false;
  try {
    const section = JSON5.parse(readFileSync(path, 'utf8'))?.channels?.imessage;
    return Boolean(section?.cliPath) || Object.values(section?.accounts ?? {}).some((account) => Boolean(account?.cliPath));
  } catch {
    // A broken config: let the gateway report it properly.
    return true;
  }
}

function imsgOnPath() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'imsg'), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

const demo = !args.includes('--demo') && !cliPathConfigured() && !imsgOnPath();
if (demo) console.log('No imsg found (not on PATH, no channels.imessage.cliPath in the config): starting in demo mode.');

let child;
if (runApp) {
  // The electron package resolves to its binary (downloaded from GitHub on first use).
  const electronBinary = createRequire(import.meta.url)('electron');
  const appArgs = [root, ...args.filter((arg) => arg !== '--headless'), ...(demo ? ['--demo'] : [])];
  child = spawn(electronBinary, appArgs, { cwd: root, stdio: 'inherit' });
} else {
  const gatewayArgs = ['gateway', ...args.filter((arg) => arg !== '--headless'), ...(demo ? ['--demo'] : [])];
  child = spawn(process.execPath, [join(root, 'bin', 'clawdbot.js'), ...gatewayArgs], { cwd: root, stdio: 'inherit' });
}
// Ctrl-C reaches the gateway directly (same process group); a TERM sent to npm is passed on.
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
