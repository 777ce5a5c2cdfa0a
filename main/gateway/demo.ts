// Demo mode (`clawdbot gateway --demo`, and `npm start` on a machine without imsg): the gateway runs
// against a simulated Messages account — our imsg simulator (e2e/imsg-sim) over a real SQLite
// chat.db in the state dir — so anyone can try pairing, access policies and replies without a Mac.
//
// Layout of a demo state dir (a fresh temp dir, or CLAWDBOT_STATE_DIR when set):
//   clawdbot.json                                 the demo config (JSON5, written once; yours to edit)
//   demo-bin/imsg                                 wrapper: the simulator with a short watch debounce
//   simulated-mac/Library/Messages/chat.db        the simulated Messages database
//   credentials/, gateway.token, gateway.json     as in any state dir
//
// The wrapper script is the account's `cliPath`, so the CLI's direct commands (`channels status
// --probe`, `message` without a gateway) reach the simulator with the same settings as the gateway.
// There is deliberately no fake model: without a configured model, messages are logged (access
// log, gateway log) but not answered, exactly as in the real product; configure one to get replies.
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfigText, readConfigText } from '../config/load';
import { CONFIG_FILE_NAME, STATE_DIR_ENV, type Env } from '../config/paths';
import { writeFileAtomic } from '../util/atomic-file';
import { checkoutRoot } from '../util/checkout-root';

/** The simulated Mac's own number (the account the demo gateway "is"). */
export const DEMO_ME = '+15550000000';
/** A sender for the example commands. */
export const DEMO_SENDER = '+15555550123';
/** Watch debounce of the demo's simulator: replies feel instant (the real imsg waits 500 ms). */
export const DEMO_DEBOUNCE_MS = 50;
/** Overrides where the simulator executable is (default: e2e/imsg-sim/bin/imsg in this checkout). */
export const SIMULATOR_ENV = 'CLAWDBOT_IMSG_SIMULATOR';

export interface DemoOptions {
  env?: Env;
  /** Default: $CLAWDBOT_STATE_DIR, else a new temp dir (removed by cleanup()). */
  stateDir?: string;
  /** The simulator executable (default: $CLAWDBOT_IMSG_SIMULATOR, else the checkout's). */
  simulatorPath?: string;
}

export interface DemoSetup {
  stateDir: string;
  configPath: string;
  /** True when stateDir is a temp dir made for this run (cleanup() removes it). */
  temporary: boolean;
  dbPath: string;
  simulatorPath: string;
  /** The account's cliPath (the wrapper script). */
  cliPath: string;
  /** A copy-pasteable shell command that delivers a message to the demo account. */
  injectCommand(from?: string, text?: string): string;
  /** A copy-pasteable shell command that lists what the gateway sent. */
  sentCommand(): string;
  /** The startup banner (what this is, how to send it a message, how to get replies). */
  banner(options: { modelConfigured: boolean }): string[];
  cleanup(): Promise<void>;
}

export class DemoSetupError extends Error {
  override readonly name = 'DemoSetupError';
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** $CLAWDBOT_IMSG_SIMULATOR, else the checkout's e2e/imsg-sim/bin/imsg (undefined outside a checkout). */
export function defaultSimulatorPath(env: Env = process.env): string | undefined {
  const explicit = env[SIMULATOR_ENV]?.trim();
  if (explicit) return explicit;
  const root = checkoutRoot();
  return root ? join(root, 'e2e', 'imsg-sim', 'bin', 'imsg') : undefined;
}

/** Creates (or reuses) the demo state dir, chat.db, wrapper and config. */
export async function prepareDemo(options: DemoOptions = {}): Promise<DemoSetup> {
  const env = options.env ?? process.env;
  const found = options.simulatorPath ?? defaultSimulatorPath(env);
  if (!found) {
    throw new DemoSetupError('Demo mode needs the imsg simulator, which comes with a Clawdbot checkout (e2e/imsg-sim).', `Run the demo from a checkout, or set ${SIMULATOR_ENV} to the simulator's bin/imsg.`);
  }
  const simulatorPath = resolve(found);
  checkSimulator(simulatorPath);

  const requested = options.stateDir ?? (env[STATE_DIR_ENV]?.trim() || undefined);
  const temporary = requested === undefined;
  const stateDir = requested ? resolve(requested) : await fs.mkdtemp(join(tmpdir(), 'clawdbot-demo-'));
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });

  const configPath = join(stateDir, CONFIG_FILE_NAME);
  const cliPath = join(stateDir, 'demo-bin', 'imsg');
  const dbPath = join(stateDir, 'simulated-mac', 'Library', 'Messages', 'chat.db');

  try {
    await ensureDemoConfig(configPath, cliPath, dbPath);
    await writeFileAtomic(cliPath, wrapperScript(simulatorPath), { mode: 0o700, dirMode: 0o700 });
    await fs.mkdir(join(stateDir, 'simulated-mac', 'Library', 'Messages'), { recursive: true, mode: 0o700 });
    await runSimulator(simulatorPath, ['sim', 'init', '--db', dbPath, '--me', DEMO_ME]);
  } catch (error) {
    if (temporary) await fs.rm(stateDir, { recursive: true, force: true });
    throw error;
  }

  const injectCommand = (from = DEMO_SENDER, text = 'Hello Clawdbot!') => shellCommand([simulatorPath, 'sim', 'inject', '--db', dbPath, '--from', from, '--text', text]);
  const sentCommand = () => shellCommand([simulatorPath, 'sim', 'sent', '--db', dbPath, '--text']);

  return {
    stateDir,
    configPath,
    temporary,
    dbPath,
    simulatorPath,
    cliPath,
    injectCommand,
    sentCommand,
    banner({ modelConfigured }) {
      const lines = [
        'DEMO MODE: a simulated Messages account (imsg simulator); no real iMessages are read or sent.',
        `  State dir: ${stateDir}${temporary ? ' (temporary: removed when the gateway stops; set CLAWDBOT_STATE_DIR to keep it)' : ''}`,
        '  Receive a message as someone else (run in another terminal):',
        `    ${injectCommand()}`,
        '  See what the gateway sent:',
        `    ${sentCommand()}`,
        '  Use the CLI with this gateway:',
        `    ${STATE_DIR_ENV}=${shellQuote(stateDir)} clawdbot pairing list imessage`,
      ];
      if (!modelConfigured) {
        lines.push(
          '  No model is configured: messages are logged (gateway log, web UI access log) but not answered.',
          `  To get replies, set agents.defaults.model (e.g. "anthropic/claude-opus-4-5") in ${configPath} and export ANTHROPIC_API_KEY.`,
        );
      }
      return lines;
    },
    async cleanup() {
      if (temporary) await fs.rm(stateDir, { recursive: true, force: true });
    },
  };
}

function checkSimulator(simulatorPath: string): void {
  if (!existsSync(simulatorPath)) {
    throw new DemoSetupError(
      `The imsg simulator is missing (${simulatorPath}); demo mode needs it.`,
      `Run the demo from a Clawdbot checkout, or point ${SIMULATOR_ENV} at e2e/imsg-sim/bin/imsg.`,
    );
  }
  // The checkout's wrapper runs the pre-built bundle out/node/imsg-sim.js.
  const root = checkoutRoot();
  const bundle = root ? join(root, 'out', 'node', 'imsg-sim.js') : '';
  if (root && simulatorPath === join(root, 'e2e', 'imsg-sim', 'bin', 'imsg') && !existsSync(bundle)) {
    throw new DemoSetupError(`The imsg simulator is not built (${bundle} is missing).`, 'Run `npm run build:node` in the checkout.');
  }
}

/**
 * Writes the demo config unless the state dir already has one. An existing config is reused only
 * if it is a demo config (its account uses this dir's simulator wrapper): --demo must never take
 * over a real setup because CLAWDBOT_STATE_DIR happened to point at it.
 */
async function ensureDemoConfig(configPath: string, cliPath: string, dbPath: string): Promise<void> {
  const text = await readConfigText(configPath);
  if (text !== undefined) {
    let usesSimulator = false;
    try {
      const raw = parseConfigText(text, configPath) as { channels?: { imessage?: { cliPath?: unknown; accounts?: Record<string, { cliPath?: unknown }> } } } | null;
      const section = raw?.channels?.imessage;
      usesSimulator = section?.cliPath === cliPath || Object.values(section?.accounts ?? {}).some((account) => account?.cliPath === cliPath);
    } catch {
      usesSimulator = false;
    }
    if (!usesSimulator) {
      throw new DemoSetupError(
        `${configPath} is not a demo config (its iMessage account does not use the simulator at ${cliPath}); refusing to run the demo on it.`,
        `Unset ${STATE_DIR_ENV} to run the demo in a temporary folder, or point it at an empty folder.`,
      );
    }
    return;
  }
  const config = [
    '// Clawdbot demo config, written by `clawdbot gateway --demo`: one simulated Messages account',
    '// (the imsg simulator). Edit it like a real config; the running gateway reloads it.',
    '// To get replies, add a model, e.g.  agents: { defaults: { model: "anthropic/claude-opus-4-5" } },',
    '// and export ANTHROPIC_API_KEY before starting the gateway.',
    JSON.stringify(
      {
        channels: {
          imessage: {
            name: 'Simulated Mac',
            cliPath,
            dbPath,
            dmPolicy: 'pairing',
            groupPolicy: 'allowlist',
          },
        },
      },
      null,
      2,
    ),
    '',
  ].join('\n');
  await writeFileAtomic(configPath, config, { mode: 0o600, dirMode: 0o700 });
}

function wrapperScript(simulatorPath: string): string {
  return [
    '#!/bin/sh',
    '# Written by `clawdbot gateway --demo`: the imsg simulator with a short watch debounce, so',
    '# demo messages are picked up at once (the real imsg waits 500 ms).',
    `IMSG_SIM_DEBOUNCE_MS="\${IMSG_SIM_DEBOUNCE_MS:-${DEMO_DEBOUNCE_MS}}"`,
    'export IMSG_SIM_DEBOUNCE_MS',
    `exec ${shellQuote(simulatorPath)} "$@"`,
    '',
  ].join('\n');
}

function runSimulator(simulatorPath: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(simulatorPath, args, { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error) {
        const detail = (stderr || stdout || error.message).trim();
        reject(new DemoSetupError(`The imsg simulator failed (${shellCommand([simulatorPath, ...args])}): ${detail}`, 'Run `npm run build:node` in the checkout, then try again.'));
        return;
      }
      resolvePromise(stdout);
    });
  });
}

/** Quotes an argument for a copy-pasteable POSIX shell command. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
