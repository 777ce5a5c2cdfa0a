// Demo mode (`clawdbot gateway --demo`, and `npm start` on a machine without imsg): the gateway runs
// against a simulated Messages account — our imsg simulator (sim/) over a real SQLite
// chat.db in the state dir — so anyone can try pairing, access policies and replies without a Mac.
//
// Where: `<state dir>/demo` (~/.clawdbot/demo, demo-location.ts), kept between runs, so the token,
// the approvals and the simulated conversation survive a restart and the CLI finds the demo gateway
// by itself; `fresh` (`--fresh`) starts it over. CLAWDBOT_STATE_DIR, when set, is used as it is.
//
// Layout of a demo state dir:
//   clawdbot.json                                 the demo config (JSON5, written once; yours to edit)
//   demo-bin/imsg                                 wrapper: the simulator with a short watch debounce
//   simulated-mac/Library/Messages/chat.db        the simulated Messages database
//   credentials/, gateway.token, gateway.json     as in any state dir
//
// The wrapper script is the account's `cliPath`, so the CLI's direct commands (`channels status
// --probe`, `message` without a gateway) reach the simulator with the same settings as the gateway.
//
// From the web UI, `demo.inject` / `demo.sent` (DemoMessages below) write "received" messages into
// the simulated chat.db and read back what the gateway sent, so no shell command is needed.
// Without a configured model, the demo's agent answers with the built-in demo assistant (a
// labelled stand-in that echoes, agent/providers/demo-echo.ts) so pairing → approve → reply can be
// tried end to end; a configured model always wins, and outside demo mode the stand-in never runs.
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEMO_ECHO_MODEL } from '../../contract/constants';
import type { DemoInjectParams } from '../../contract/control-api';
import type { DemoSentMessage } from '../../contract/gateway-api';
import { shapeReply, type Agent, type AgentStatus } from '../agent/agent';
import { createDemoEchoProvider } from '../agent/providers/demo-echo';
import type { ModelProvider } from '../agent/providers/types';
import { parseConfigText, readConfigText } from '../config/load';
import { CONFIG_FILE_NAME, resolveStateDir, STATE_DIR_ENV, stateDirFromEnv, type Env } from '../config/paths';
import { writeFileAtomic } from '../util/atomic-file';
import { checkoutRoot } from '../util/checkout-root';
import { demoStateDir } from './demo-location';

/** The simulated Mac's own number (the account the demo gateway "is"). */
export const DEMO_ME = '+15550000000';
/** A sender for the example commands. */
export const DEMO_SENDER = '+15555550123';
/** Watch debounce of the demo's simulator: replies feel instant (the real imsg waits 500 ms). */
export const DEMO_DEBOUNCE_MS = 50;
/** Overrides where the simulator executable is (default: sim/bin/imsg in this checkout). */
export const SIMULATOR_ENV = 'CLAWDBOT_IMSG_SIMULATOR';

export interface DemoOptions {
  env?: Env;
  /** Default: demoLocation() ($CLAWDBOT_STATE_DIR, else ~/.clawdbot/demo). */
  stateDir?: string;
  /** The simulator executable (default: $CLAWDBOT_IMSG_SIMULATOR, else the checkout's). */
  simulatorPath?: string;
  /** Start over: remove the demo's state (token, approvals, conversation, config) first. */
  fresh?: boolean;
}

export interface DemoSetup {
  stateDir: string;
  configPath: string;
  dbPath: string;
  simulatorPath: string;
  /** The account's cliPath (the wrapper script). */
  cliPath: string;
  /** A copy-pasteable shell command that delivers a message to the demo account. */
  injectCommand(from?: string, text?: string): string;
  /** A copy-pasteable shell command that lists what the gateway sent. */
  sentCommand(): string;
  /** The simulated Mac's messages, for the control API's `demo.inject` / `demo.sent`. */
  messages: DemoMessages;
  /**
   * The startup banner (what this is, how to send it a message, how to get replies).
   * `modelConfigured`: a real model is configured (false when the demo assistant stands in).
   */
  banner(options: { modelConfigured: boolean }): string[];
  /** Closes the simulated chat.db (the state dir stays for the next run). */
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

/** $CLAWDBOT_IMSG_SIMULATOR, else the checkout's sim/bin/imsg (undefined outside a checkout). */
export function defaultSimulatorPath(env: Env = process.env): string | undefined {
  const explicit = env[SIMULATOR_ENV]?.trim();
  if (explicit) return explicit;
  const root = checkoutRoot();
  return root ? join(root, 'sim', 'bin', 'imsg') : undefined;
}

/** The demo's state dir: the one asked for, else $CLAWDBOT_STATE_DIR, else `~/.clawdbot/demo`. */
export function demoLocation(options: Pick<DemoOptions, 'stateDir' | 'env'> = {}): string {
  const env = options.env ?? process.env;
  return resolve(options.stateDir ?? stateDirFromEnv(env) ?? demoStateDir(resolveStateDir(env)));
}

/** Creates (or reuses, or with `fresh` starts over) the demo state dir, chat.db, wrapper and config. */
export async function prepareDemo(options: DemoOptions = {}): Promise<DemoSetup> {
  const env = options.env ?? process.env;
  const found = options.simulatorPath ?? defaultSimulatorPath(env);
  if (!found) {
    throw new DemoSetupError('Demo mode needs the imsg simulator, which comes with a Clawdbot checkout (sim/).', `Run the demo from a checkout, or set ${SIMULATOR_ENV} to the simulator's bin/imsg.`);
  }
  const simulatorPath = resolve(found);
  checkSimulator(simulatorPath);

  const stateDir = demoLocation({ ...options, env });
  const configPath = join(stateDir, CONFIG_FILE_NAME);
  const cliPath = join(stateDir, 'demo-bin', 'imsg');
  const dbPath = join(stateDir, 'simulated-mac', 'Library', 'Messages', 'chat.db');

  // Only a demo's own folder is ever removed: checked before anything is touched.
  await checkDemoConfig(configPath, cliPath);
  if (options.fresh) await fs.rm(stateDir, { recursive: true, force: true });
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeDemoConfigIfMissing(configPath, cliPath, dbPath);
  await writeFileAtomic(cliPath, wrapperScript(simulatorPath), { mode: 0o700, dirMode: 0o700 });
  await fs.mkdir(join(stateDir, 'simulated-mac', 'Library', 'Messages'), { recursive: true, mode: 0o700 });
  await runSimulator(simulatorPath, ['sim', 'init', '--db', dbPath, '--me', DEMO_ME]);

  const injectCommand = (from = DEMO_SENDER, text = 'Hello Clawdbot!') => shellCommand([simulatorPath, 'sim', 'inject', '--db', dbPath, '--from', from, '--text', text]);
  const sentCommand = () => shellCommand([simulatorPath, 'sim', 'sent', '--db', dbPath, '--text']);

  const messages = createDemoMessages(dbPath);

  return {
    stateDir,
    configPath,
    dbPath,
    simulatorPath,
    cliPath,
    injectCommand,
    sentCommand,
    messages,
    banner({ modelConfigured }) {
      const lines = [
        'DEMO MODE: a simulated Messages account (imsg simulator); no real iMessages are read or sent.',
        `  State dir: ${stateDir} (kept between runs: token, approvals, conversation; \`--fresh\` starts over)`,
        '  In the web UI, the "Simulated Messages" panel receives messages as someone else and shows the replies.',
        '  Receive a message as someone else (run in another terminal):',
        `    ${injectCommand()}`,
        '  See what the gateway sent:',
        `    ${sentCommand()}`,
        '  Use the CLI with this gateway (it finds the demo gateway by itself):',
        '    npx clawdbot pairing list imessage',
      ];
      if (!modelConfigured) {
        lines.push(
          `  No model is configured: messages are logged and answered by the demo assistant (${DEMO_ECHO_MODEL}), a built-in`,
          '  stand-in, not an AI: it replies "Demo assistant (no AI model configured): you said …".',
          `  For real replies, set agents.defaults.model (e.g. "anthropic/claude-opus-4-5") in ${configPath} and export ANTHROPIC_API_KEY.`,
        );
      }
      return lines;
    },
    async cleanup() {
      messages.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The simulated Mac's messages (control API `demo.inject` / `demo.sent`)
// ---------------------------------------------------------------------------------------------

/** Sent messages kept in memory for `demo.sent` (its largest `limit`). */
export const DEMO_SENT_KEPT = 100;

export interface DemoMessages {
  /** Writes an inbound row the way Messages.app does; the gateway's imsg watch picks it up. */
  inject(params: DemoInjectParams): Promise<{ rowid: number }>;
  /** The last `limit` messages the gateway sent (is_from_me rows), oldest first. */
  recentSent(limit: number): Promise<DemoSentMessage[]>;
  close(): void;
}

/** A demo request the simulated Messages.app refuses (e.g. a group id that is a 1:1 chat). */
export class DemoInputError extends Error {
  override readonly name = 'DemoInputError';
}

type SimLib = typeof import('../../sim/lib');
type SimDbInstance = import('../../sim/lib').SimDb;

/**
 * Reads and writes the simulated chat.db through the simulator's library, in this process. The
 * library (and better-sqlite3, a native dev dependency) is loaded on the first call, so a
 * gateway that never serves these methods never loads it. Sent rows are read incrementally (only
 * rows after the last one seen), so polling `demo.sent` stays cheap however long the demo runs.
 */
export function createDemoMessages(dbPath: string): DemoMessages {
  let opening: Promise<SimDbInstance> | undefined;
  let db: SimDbInstance | undefined;
  let lib: SimLib | undefined;
  let closed = false;
  let recent: DemoSentMessage[] = [];
  let lastSeenRowid = 0;

  function open(): Promise<SimDbInstance> {
    if (closed) return Promise.reject(new Error('the demo has stopped'));
    opening ??= import('../../sim/lib').then(
      (loaded) => {
        if (closed) throw new Error('the demo has stopped');
        lib = loaded;
        db = loaded.SimDb.open(dbPath);
        return db;
      },
      (error: unknown) => {
        opening = undefined;
        throw error;
      },
    );
    return opening;
  }

  return {
    async inject({ from, text, group }) {
      const sim = await open();
      try {
        const { rowid } = sim.inject({ from, text, ...(group ? { group: { id: group.id, ...(group.name ? { name: group.name } : {}) } } : {}) });
        return { rowid };
      } catch (error) {
        // The simulator's own refusals are about the request; anything else (SQLite) is not.
        if (lib && error instanceof lib.SimDbError) throw new DemoInputError(error.message);
        throw error;
      }
    },
    async recentSent(limit) {
      const sim = await open();
      const fresh = sim.sent({ sinceRowid: lastSeenRowid });
      if (fresh.length > 0) {
        lastSeenRowid = fresh[fresh.length - 1]!.rowid;
        const mapped = fresh.map((row) => ({ rowid: row.rowid, to: row.to ?? `chat_id:${row.chat_id}`, text: row.text, createdAt: row.created_at }));
        recent = [...recent, ...mapped].slice(-DEMO_SENT_KEPT);
      }
      return recent.slice(-limit);
    },
    close() {
      closed = true;
      db?.close();
      db = undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The demo assistant
// ---------------------------------------------------------------------------------------------

/**
 * The demo's agent: `agent` itself once a model is configured; until then, replies come from the
 * demo assistant (default: the echo stand-in) and `status.model` is DEMO_ECHO_MODEL. Decided per
 * call, so adding a model to the config (hot reload) switches to it at once. Only a configured
 * model at all takes over: a model that is configured but broken keeps showing its error.
 */
export function withDemoAssistant(agent: Agent, provider: ModelProvider = createDemoEchoProvider()): Agent {
  const standsIn = () => agent.status.model === null;
  const standInStatus: AgentStatus = { configured: true, model: DEMO_ECHO_MODEL, reason: null, lastError: null };
  return {
    get settings() {
      return agent.settings;
    },
    get status() {
      return standsIn() ? { ...standInStatus } : agent.status;
    },
    sessionKey: (target) => agent.sessionKey(target),
    async reply(request) {
      if (!standsIn()) return agent.reply(request);
      const { text } = await provider.complete({ system: '', turns: [{ role: 'user', text: request.envelope }] }, request.signal);
      return shapeReply(text, agent.settings.responsePrefix);
    },
    reconfigure: (config, env) => agent.reconfigure(config, env),
    close: () => agent.close(),
  };
}

function checkSimulator(simulatorPath: string): void {
  if (!existsSync(simulatorPath)) {
    throw new DemoSetupError(
      `The imsg simulator is missing (${simulatorPath}); demo mode needs it.`,
      `Run the demo from a Clawdbot checkout, or point ${SIMULATOR_ENV} at sim/bin/imsg.`,
    );
  }
  // The checkout's wrapper runs the pre-built bundle out/node/imsg-sim.js.
  const root = checkoutRoot();
  const bundle = root ? join(root, 'out', 'node', 'imsg-sim.js') : '';
  if (root && simulatorPath === join(root, 'sim', 'bin', 'imsg') && !existsSync(bundle)) {
    throw new DemoSetupError(`The imsg simulator is not built (${bundle} is missing).`, 'Run `npm run build:node` in the checkout.');
  }
}

/**
 * Refuses a state dir whose config is not a demo config (its account does not use this dir's
 * simulator wrapper): --demo (and --fresh) must never take over or remove a real setup because
 * CLAWDBOT_STATE_DIR happened to point at it. No config yet is fine.
 */
async function checkDemoConfig(configPath: string, cliPath: string): Promise<void> {
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
        `Unset ${STATE_DIR_ENV} to run the demo in its own folder (${demoStateDir('~/.clawdbot')}), or point it at an empty folder.`,
      );
    }
  }
}

/** Writes the demo config unless the state dir already has one (it is the person's to edit). */
async function writeDemoConfigIfMissing(configPath: string, cliPath: string, dbPath: string): Promise<void> {
  if ((await readConfigText(configPath)) !== undefined) return;
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
