// Starts a REAL gateway for browser tests: startGateway() in this process, demo-style — a temp state
// dir whose iMessage accounts are the imsg simulator (real `imsg rpc` children over a real SQLite
// chat.db), the real control server on a free port with the real token file, and the real renderer
// build. Nothing is faked: the `simulate` helpers act on the outside world the way a user (or
// macOS) would — a stranger texting the Mac, an imsg that is too old, an imsg that keeps crashing —
// and the gateway reacts as it would in production.
import { chmodSync, existsSync, mkdirSync, promises as fs, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChannelState, GatewayStatus, PairingRequest } from '../../contract/gateway-api';
import { patchConfigFile } from '../../main/config/write';
import type { ControlServerLimits } from '../../main/gateway/control-server';
import { shellQuote } from '../../main/gateway/demo';
import { startGateway, type GatewayHandle } from '../../main/gateway/start';
import { normalizeHandle } from '../../contract/handles';
import { PairingStore } from '../../main/pairing/store';
import { createLogHub, type LogHub } from '../../main/util/logger';
import { SimDb, simBinPath, type SentRow } from '../../sim/lib';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const RENDERER_BUILD_DIR = join(repoRoot, 'out', 'renderer');

/** What an account's `cliPath` runs. */
export type ImsgBehaviour =
  /** The simulator: works. */
  | 'working'
  /** imsg 0.2.0, without the `rpc` subcommand: the account fails (fatal) with the upgrade fix. */
  | 'too-old'
  /** `imsg rpc` dies right after starting — until `simulate.fixImsg()` — so the account keeps backing off ("Retrying"). */
  | 'crashing'
  /** imsg cannot open chat.db: Full Disk Access is off (fatal, with the fix). */
  | 'fda-denied'
  /** Messages refuses to be driven (Automation denied, -1743): reading works, every send fails. */
  | 'automation-denied';

export interface TestAccount {
  id: string;
  name?: string;
  imsg?: ImsgBehaviour;
}

export interface TestGateway {
  /** http://127.0.0.1:<port> */
  url: string;
  wsUrl: string;
  token: string;
  stateDir: string;
  /** The web UI, signed in: `<url>/#token=<token>`. */
  uiUrl: string;
  /** The config file (absent at first with `fresh`). */
  configPath: string;
  /** The imsg stand-in for each behaviour (what a person would type as the imsg path). */
  imsgPaths: Record<ImsgBehaviour, string>;
  /** The simulated chat.db of an account. */
  dbPath(accountId: string): string;
  /** The running gateway (replaced by restart()). */
  handle: GatewayHandle;
  logs: LogHub;
  simulate: {
    /**
     * An unknown sender texts the default account (a row in the simulated chat.db); resolves with
     * the pairing request the gateway created (and for which it sent the pairing code).
     */
    pairingRequest(senderId: string): Promise<PairingRequest>;
    /** Points an account's cliPath at an imsg that behaves this way (a config edit: hot reload). */
    imsg(accountId: string, behaviour: ImsgBehaviour): Promise<void>;
    /** Approved senders, from the allow store on disk. */
    approvedSenders(): Promise<string[]>;
    pendingRequests(): Promise<PairingRequest[]>;
    /** A message arrives on an account's simulated Mac (no waiting for what the gateway does). */
    message(from: string, text: string, options?: { accountId?: string; group?: { id: number; name?: string } }): void;
    /** What the gateway sent from an account's simulated Mac, oldest first. */
    sent(accountId?: string): SentRow[];
    /** The cause of the `crashing` imsg goes away: its next start works. */
    fixImsg(): void;
  };
  /** Resolves once the account is in `state` (from the gateway's health events; fails after `timeoutMs`). */
  accountState(accountId: string, state: ChannelState, timeoutMs?: number): Promise<void>;
  /** Stops the gateway (clients see `shutdown` and a close), then starts it again on the same port after `downMs`. */
  restart(downMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Run in demo mode (status.demo, simulated accounts). */
  demo?: boolean;
  /** Default: one working account, `default`, named Personal. */
  accounts?: TestAccount[];
  limits?: Partial<ControlServerLimits>;
  staticDir?: string;
  /**
   * A first run: no config file and no accounts (the simulated Mac of `default` and the imsg
   * stand-ins still exist, for the onboarding to point at).
   */
  fresh?: boolean;
}

/** A script standing in for imsg; `exec` keeps the pid the gateway sees. */
function writeWrapper(path: string, lines: string[]): void {
  writeFileSync(path, ['#!/bin/sh', ...lines, ''].join('\n'));
  chmodSync(path, 0o700);
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const staticDir = options.staticDir ?? RENDERER_BUILD_DIR;
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${staticDir}/index.html is missing). Run \`npx electron-vite build\` first.`);
  }
  if (!existsSync(join(repoRoot, 'out', 'node', 'imsg-sim.js'))) {
    throw new Error('The imsg simulator is not built (out/node/imsg-sim.js is missing). Run `npm run build:node` first.');
  }
  const stateDir = await fs.mkdtemp(join(tmpdir(), 'clawdbot-e2e-'));
  const accounts = options.fresh ? [] : (options.accounts ?? [{ id: 'default', name: 'Personal' }]);

  // The simulated Macs: one chat.db per account (the default one where demo mode expects it).
  const dbPath = (accountId: string) => join(stateDir, accountId === 'default' ? 'simulated-mac' : `simulated-mac-${accountId}`, 'Library', 'Messages', 'chat.db');
  for (const id of new Set(['default', ...accounts.map((account) => account.id)])) SimDb.create(dbPath(id), { me: '+15550000000' }).close();
  if (options.fresh) {
    // A Mac whose Messages has been used: one conversation, a message the owner sent.
    const sim = SimDb.open(dbPath('default'));
    sim.inject({ from: '+15550009999', text: 'See you tomorrow!', fromMe: true });
    sim.close();
  }

  // The imsg stand-ins. demo-bin/imsg is the path demo mode uses for its own (equivalent) wrapper.
  const binDir = join(stateDir, 'test-bin');
  mkdirSync(binDir, { recursive: true, mode: 0o700 });
  mkdirSync(join(stateDir, 'demo-bin'), { recursive: true, mode: 0o700 });
  const wrappers: Record<ImsgBehaviour, string> = {
    working: join(stateDir, 'demo-bin', 'imsg'),
    'too-old': join(binDir, 'imsg-0.2.0'),
    crashing: join(binDir, 'imsg-crashing'),
    'fda-denied': join(binDir, 'imsg-fda-denied'),
    'automation-denied': join(binDir, 'imsg-automation-denied'),
  };
  // Without --db (an account whose config names no dbPath, as after onboarding) it reads the default account's simulated Mac.
  writeWrapper(wrappers.working, [
    `IMSG_SIM_DEBOUNCE_MS=0 IMSG_SIM_POLL_MS=200 IMSG_SIM_DB=${shellQuote(dbPath('default'))}`,
    'export IMSG_SIM_DEBOUNCE_MS IMSG_SIM_POLL_MS IMSG_SIM_DB',
    `exec ${shellQuote(simBinPath)} "$@"`,
  ]);
  writeWrapper(wrappers['too-old'], ['IMSG_SIM_VERSION=0.2.0', 'export IMSG_SIM_VERSION', `exec ${shellQuote(simBinPath)} "$@"`]);
  writeWrapper(wrappers['fda-denied'], ['IMSG_SIM_FDA=denied', 'export IMSG_SIM_FDA', `exec ${shellQuote(simBinPath)} "$@"`]);
  writeWrapper(wrappers['automation-denied'], [
    'IMSG_SIM_AUTOMATION=denied IMSG_SIM_DEBOUNCE_MS=0 IMSG_SIM_POLL_MS=200',
    'export IMSG_SIM_AUTOMATION IMSG_SIM_DEBOUNCE_MS IMSG_SIM_POLL_MS',
    `exec ${shellQuote(simBinPath)} "$@"`,
  ]);
  // Answers --version and `rpc --help` like imsg, but `imsg rpc` loses its connection at once
  // (until the "fixed" marker exists: then it is the simulator).
  const fixedMarker = join(binDir, 'imsg-fixed');
  writeWrapper(wrappers.crashing, [
    `if [ "$1" = "rpc" ] && [ "$2" != "--help" ] && [ ! -e ${shellQuote(fixedMarker)} ]; then`,
    '  echo "imsg: lost the connection to Messages" >&2',
    '  exit 1',
    'fi',
    `exec ${shellQuote(simBinPath)} "$@"`,
  ]);

  const accountConfig = (account: TestAccount) => ({
    ...(account.name ? { name: account.name } : {}),
    cliPath: wrappers[account.imsg ?? 'working'],
    dbPath: dbPath(account.id),
  });
  const imessage =
    accounts.length === 1 && accounts[0]!.id === 'default'
      ? { dmPolicy: 'pairing', ...accountConfig(accounts[0]!) }
      : { dmPolicy: 'pairing', accounts: Object.fromEntries(accounts.map((account) => [account.id, accountConfig(account)])) };
  const configPath = join(stateDir, 'clawdbot.json');
  if (!options.fresh) writeFileSync(configPath, `${JSON.stringify({ channels: { imessage } }, null, 2)}\n`, { mode: 0o600 });

  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CLAWDBOT_') && !key.startsWith('IMSG_')) env[key] = value;
  // A first run happens on a Mac user's account: its home has Messages' database where macOS
  // keeps it (~/Library/Messages/chat.db), here the default account's simulated Mac.
  if (options.fresh) env.HOME = join(stateDir, 'simulated-mac');
  const logs = createLogHub({ level: 'debug' });
  const pairing = new PairingStore({ stateDir });

  const launch = (port: number) =>
    startGateway({
      env,
      stateDir,
      configPath,
      port,
      demo: options.demo ? { stateDir } : false,
      logs,
      staticDir,
      signals: false,
      ...(options.limits ? { controlLimits: options.limits } : {}),
      channelTimings: { backoff: { initialMs: 500, maxMs: 3000, factor: 2, jitter: 0 }, stopGraceMs: 200, healthThrottleMs: 50 },
    });

  let handle = await launch(0);
  const port = handle.port;

  const gateway: TestGateway = {
    url: handle.url,
    wsUrl: handle.wsUrl,
    token: handle.token,
    stateDir,
    uiUrl: `${handle.url}/#token=${encodeURIComponent(handle.token)}`,
    configPath,
    imsgPaths: wrappers,
    dbPath,
    get handle() {
      return handle;
    },
    logs,
    simulate: {
      async pairingRequest(senderId) {
        const id = normalizeHandle(senderId);
        // A message written before imsg listens is read on start too, but the 10 s below would
        // then include the start-up of a busy machine.
        await gateway.accountState('default', 'listening');
        const sim = SimDb.open(dbPath('default'));
        try {
          sim.inject({ from: senderId, text: 'Hi! Can I talk to your assistant?' });
        } finally {
          sim.close();
        }
        const deadline = Date.now() + 10_000;
        for (;;) {
          const request = (await pairing.list()).find((candidate) => candidate.id === id);
          if (request) return request;
          if (Date.now() > deadline) throw new Error(`No pairing request from ${id} appeared within 10 s (pending cap reached, or the account is not listening).`);
          await new Promise((r) => setTimeout(r, 25));
        }
      },
      async imsg(accountId, behaviour) {
        const patch = accounts.length === 1 && accountId === 'default' ? { cliPath: wrappers[behaviour] } : { accounts: { [accountId]: { cliPath: wrappers[behaviour] } } };
        await patchConfigFile(configPath, { channels: { imessage: patch } }, { env });
      },
      approvedSenders: () => pairing.readAllowFrom(),
      pendingRequests: () => pairing.list(),
      message(from, text, messageOptions = {}) {
        const sim = SimDb.open(dbPath(messageOptions.accountId ?? 'default'));
        try {
          sim.inject({ from, text, ...(messageOptions.group ? { group: messageOptions.group } : {}) });
        } finally {
          sim.close();
        }
      },
      fixImsg() {
        writeFileSync(fixedMarker, 'fixed\n');
      },
      sent(accountId = 'default') {
        const sim = SimDb.open(dbPath(accountId));
        try {
          return sim.sent();
        } finally {
          sim.close();
        }
      },
    },
    accountState(accountId, state, timeoutMs = 30_000) {
      const reached = (status: GatewayStatus) => status.accounts.some((account) => account.accountId === accountId && account.state === state);
      if (reached(handle.status())) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          const now = handle.status().accounts.find((account) => account.accountId === accountId);
          reject(new Error(`Account ${accountId} did not reach "${state}" within ${timeoutMs} ms (it is ${now ? `"${now.state}"` : 'not there'}).`));
        }, timeoutMs);
        const off = handle.services.on('health', (status) => {
          if (!reached(status)) return;
          clearTimeout(timer);
          off();
          resolve();
        });
      });
    },
    async restart(downMs = 300) {
      await handle.stop('gateway restarting');
      await new Promise((r) => setTimeout(r, downMs));
      handle = await launch(port);
    },
    async close() {
      await handle.stop();
      await fs.rm(stateDir, { recursive: true, force: true });
    },
  };
  return gateway;
}
