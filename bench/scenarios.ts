// The benchmark scenarios. Each runs the real gateway process (bench/lib/rig.ts) against the imsg
// simulator and the instant fake model, and returns plain figures (ms, MB, counts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { createControlClient } from '../contract/control-client';
import type { PairingEvent } from '../contract/gateway-api';
import type { InjectOptions } from '../sim/lib';
import { readToken } from '../main/gateway/auth';
import { readInstanceFile } from '../main/gateway/instance-file';
import { closed, connectFrame, nextFrame, openSocket, rawUpgrade } from '../e2e/support/control-kit';
import { PairingStore } from '../main/pairing/store';
import { cpuMsOf, memoryOf } from './lib/proc';
import { inject, injectMany } from '../test/support/sim-inject';
import { BenchRig, now, repoRoot, sleep, type RigOptions } from './lib/rig';
import { summarize, type Summary } from './lib/stats';

const APPROVED_SENDERS = 50;
const approvedSender = (n: number) => `+1555400${String(n % APPROVED_SENDERS).padStart(4, '0')}`;

/** A rig whose first 50 senders were approved through pairing (the allow store the CLI writes). */
async function approvedRig(options: RigOptions = {}): Promise<BenchRig> {
  const rig = await BenchRig.create({ imessage: { dmPolicy: 'pairing' }, ...options });
  const credentials = join(rig.stateDir, 'credentials');
  mkdirSync(credentials, { recursive: true, mode: 0o700 });
  const allowFrom = Array.from({ length: APPROVED_SENDERS }, (_, i) => approvedSender(i));
  writeFileSync(join(credentials, 'imessage-allowFrom.json'), `${JSON.stringify({ version: 1, allowFrom }, null, 2)}\n`, { mode: 0o600 });
  return rig;
}

/** Counts outgoing rows cheaply while a burst is being answered. */
function sentCounter(rig: BenchRig): { count(sinceRowid: number): number; close(): void } {
  const db = new Database(rig.dbPath, { readonly: true, fileMustExist: true });
  const query = db.prepare('SELECT count(*) AS n FROM message WHERE is_from_me = 1 AND ROWID > ?');
  return { count: (sinceRowid) => (query.get(sinceRowid) as { n: number }).n, close: () => db.close() };
}

/** Exactly-once accounting of replies carrying the markers `#<n>#`. */
function accounting(texts: readonly string[], total: number): { answered: number; missing: number; doubled: number } {
  const seen = new Map<number, number>();
  for (const text of texts) {
    const marker = Number(/#(\d+)#/.exec(text)?.[1] ?? NaN);
    if (Number.isInteger(marker)) seen.set(marker, (seen.get(marker) ?? 0) + 1);
  }
  let missing = 0;
  let doubled = 0;
  for (let n = 0; n < total; n++) {
    const times = seen.get(n) ?? 0;
    if (times === 0) missing += 1;
    else if (times > 1) doubled += times - 1;
  }
  return { answered: total - missing, missing, doubled };
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(pollMs);
  }
  return check();
}

// ------------------------------------------------------------------------------------------------

export interface ColdStartResult {
  /** Node itself: spawn → exit of `node -e ""` (the floor under any Node program). */
  nodeBareMs: Summary;
  /** First start on a fresh state dir (token generated, resume point established). */
  firstStartMs: number;
  /** Spawn → the account's `rpc listening` log line, later starts. */
  listeningMs: Summary;
  /** Spawn → `control API listening`. */
  apiMs: Summary;
}

export async function coldStart(runs: number): Promise<ColdStartResult> {
  const bare: number[] = [];
  for (let i = 0; i < Math.max(3, runs); i++) {
    const started = now();
    spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
    bare.push(now() - started);
  }
  const rig = await BenchRig.create({ model: true });
  const listening: number[] = [];
  const api: number[] = [];
  let firstStartMs = Number.NaN;
  try {
    for (let i = 0; i <= runs; i++) {
      const run = rig.spawnGateway();
      const ready = await run.waitForLog((r) => r.msg.includes('rpc listening'));
      const apiUp = await run.waitForLog((r) => r.msg.startsWith('control API listening'));
      if (i === 0) firstStartMs = ready.at - run.spawnedAt;
      else {
        listening.push(ready.at - run.spawnedAt);
        api.push(apiUp.at - run.spawnedAt);
      }
      await rig.stopGateway();
    }
  } finally {
    await rig.close();
  }
  return { nodeBareMs: summarize(bare), firstStartMs, listeningMs: summarize(listening), apiMs: summarize(api) };
}

// ------------------------------------------------------------------------------------------------

export interface IdleMemoryResult {
  samples: { afterS: number; rssMb: number; peakMb: number }[];
  /** CPU the idle gateway used per minute (timers, health), between the first and last sample. */
  idleCpuMsPerMin: number;
}

export async function idleMemory(sampleAtS: readonly number[]): Promise<IdleMemoryResult> {
  const rig = await BenchRig.create();
  try {
    const run = await rig.startGateway();
    const listeningAt = now();
    const samples: IdleMemoryResult['samples'] = [];
    // Idle CPU is measured from the first sample on: the seconds after start-up still see
    // compilation and garbage collection of the start itself.
    let cpuStart = 0;
    let cpuStartAt = 0;
    for (const afterS of sampleAtS) {
      const wait = listeningAt + afterS * 1000 - now();
      if (wait > 0) await sleep(wait);
      const memory = memoryOf(run.pid);
      if (memory) samples.push({ afterS, ...memory });
      if (cpuStartAt === 0) {
        cpuStart = cpuMsOf(run.pid)!;
        cpuStartAt = now();
      }
    }
    const idleCpuMsPerMin = (cpuMsOf(run.pid)! - cpuStart) / ((now() - cpuStartAt) / 60_000);
    return { samples, idleCpuMsPerMin };
  } finally {
    await rig.close();
  }
}

// ------------------------------------------------------------------------------------------------

export interface LatencyResult {
  /** Message being written to chat.db → imsg receives the `send`. */
  endToEndMs: Summary;
  /** imsg writes the `message` notification → imsg receives the `send` (the gateway's own share). */
  gatewayMs: Summary;
  /** Gateway process CPU per message (all threads). */
  cpuMsPerMessage: number;
  warmup: number;
}

const WARMUP = 5;

/**
 * Sequential messages, each waited for: the latency of one message on a quiet gateway. `gapMs`
 * leaves that much silence before each message (the watch debounce timer of a previous write
 * must not pick the next message up early).
 */
async function sequentialLatency(rig: BenchRig, count: number, message: (i: number) => InjectOptions, afterEach?: () => Promise<void>, gapMs = 0): Promise<LatencyResult> {
  const tap = rig.tap!;
  const run = await rig.startGateway();
  const endToEnd: number[] = [];
  const gateway: number[] = [];
  let cpuStart = 0;
  for (let i = -WARMUP; i < count; i++) {
    if (gapMs > 0) await sleep(gapMs);
    if (i === 0) cpuStart = cpuMsOf(run.pid)!;
    const mark = tap.records.length;
    const injectedAt = now();
    const row = await inject(rig.sim, message(i));
    const notified = await tap.next((r) => r.kind === 'message' && r.rowid === row.rowid, 10_000, mark);
    const sent = await tap.next((r) => r.kind === 'send' && r.chatId === row.chatId && r.at >= injectedAt, 10_000, mark);
    if (i >= 0) {
      // From the start of the chat.db write: the time after the commit cannot be read reliably
      // (this process may be descheduled right after it on a busy 2-core machine).
      endToEnd.push(sent.at - injectedAt);
      gateway.push(sent.at - notified.at);
    }
    await afterEach?.();
  }
  const cpuMs = cpuMsOf(run.pid)! - cpuStart;
  return { endToEndMs: summarize(endToEnd), gatewayMs: summarize(gateway), cpuMsPerMessage: cpuMs / count, warmup: WARMUP };
}

/** Unknown senders under dmPolicy=pairing: each gets the pairing reply. */
export async function pairingReply(count: number): Promise<LatencyResult> {
  const rig = await BenchRig.create({ tap: true, imessage: { dmPolicy: 'pairing' } });
  // Pending requests are capped at 3: deny each one after its reply, as the owner would (same
  // files and lock as `clawdbot pairing deny`, without spawning a CLI per message).
  const store = new PairingStore({ stateDir: rig.stateDir });
  try {
    return await sequentialLatency(
      rig,
      count,
      (i) => ({ from: `+1555600${String(i + WARMUP).padStart(4, '0')}`, text: 'hi, who is this?' }),
      async () => {
        for (const request of await store.list()) await store.deny(request.code);
      },
    );
  } finally {
    await rig.close();
  }
}

/**
 * Approved senders, instant model: each gets the agent's reply. With a watch debounce (the real
 * imsg waits 500 ms), each message comes after a second of silence, as a person's would.
 */
export async function agentReply(count: number, debounceMs = 0): Promise<LatencyResult> {
  const rig = await approvedRig({ tap: true, debounceMs });
  try {
    return await sequentialLatency(rig, count, (i) => ({ from: approvedSender(i + WARMUP), text: `question #${i}#` }), undefined, debounceMs > 0 ? debounceMs + 1000 : 0);
  } finally {
    await rig.close();
  }
}

// ------------------------------------------------------------------------------------------------

export interface BurstResult {
  messages: number;
  kind: 'approved DMs' | 'group messages without mention';
  answered: number;
  skipped: number;
  missing: number;
  doubled: number;
  /** Written to chat.db in one transaction → the last reply sent (or the last message handled). */
  totalMs: number;
  cpuMsTotal: number;
  cpuMsPerMessage: number;
}

/** `sizes` bursts of approved DMs (50 senders, round-robin), one after the other on one gateway. */
export async function dmBursts(sizes: readonly number[]): Promise<BurstResult[]> {
  const rig = await approvedRig();
  const counter = sentCounter(rig);
  const results: BurstResult[] = [];
  try {
    const run = await rig.startGateway();
    for (const size of sizes) {
      const base = rig.sim.maxRowid();
      const batch = Array.from({ length: size }, (_, n) => ({ from: approvedSender(n), text: `burst #${n}#` }));
      const cpuStart = cpuMsOf(run.pid)!;
      const started = now();
      await injectMany(rig.sim, batch);
      let doneAt = started;
      let last = 0;
      let lastChange = Date.now();
      // Until all are answered, or nothing moved for 10 s (a loss shows as "missing").
      while (Date.now() - lastChange < 10_000) {
        const count = counter.count(base);
        if (count !== last) {
          last = count;
          lastChange = Date.now();
          doneAt = now();
        }
        if (count >= size) break;
        await sleep(5);
      }
      await sleep(500); // doubles would show up now
      const cpuMsTotal = cpuMsOf(run.pid)! - cpuStart;
      const texts = rig.sim.sent({ sinceRowid: base }).map((row) => row.text);
      const tally = accounting(texts, size);
      results.push({ messages: size, kind: 'approved DMs', answered: tally.answered, skipped: 0, missing: tally.missing, doubled: tally.doubled, totalMs: doneAt - started, cpuMsTotal, cpuMsPerMessage: cpuMsTotal / size });
    }
  } finally {
    counter.close();
    await rig.close();
  }
  return results;
}

/** A burst of group messages that do not mention the assistant: all skipped, none answered. */
export async function groupBurst(size: number): Promise<BurstResult> {
  const rig = await BenchRig.create({
    imessage: { dmPolicy: 'pairing', groupPolicy: 'open' },
    extra: { messages: { groupChat: { mentionPatterns: ['@clawd'] } } },
  });
  try {
    const run = await rig.startGateway();
    const base = rig.sim.maxRowid();
    const members = ['+15557000001', '+15557000002', '+15557000003', '+15557000004'];
    const batch: InjectOptions[] = Array.from({ length: size }, (_, n) => ({
      from: members[n % members.length]!,
      text: `chatter ${n}`,
      group: { id: 42, name: 'Family', participants: members },
    }));
    const cpuStart = cpuMsOf(run.pid)!;
    const started = now();
    await injectMany(rig.sim, batch);
    const last = rig.sim.maxRowid();
    let doneAt = Number.NaN;
    await waitUntil(async () => {
      const health = await rig.account();
      if ((health.lastRowid ?? 0) >= last) {
        doneAt = now();
        return true;
      }
      return false;
    }, 60_000, 10);
    await sleep(300);
    const cpuMsTotal = cpuMsOf(run.pid)! - cpuStart;
    const answered = rig.sim.sent({ sinceRowid: base }).length;
    const handled = Number.isFinite(doneAt) ? size : 0;
    return { messages: size, kind: 'group messages without mention', answered, skipped: handled - answered, missing: size - handled, doubled: 0, totalMs: doneAt - started, cpuMsTotal, cpuMsPerMessage: cpuMsTotal / size };
  } finally {
    await rig.close();
  }
}

// ------------------------------------------------------------------------------------------------

export interface ImsgKillResult {
  /** Kill → listening again (new pid), on an idle gateway, kills 1 s apart. */
  idleRecoveryMs: number[];
  /** The same during a burst of `burst` approved DMs, with exactly-once accounting. */
  burst: number;
  burstRecoveryMs: number[];
  answered: number;
  missing: number;
  doubled: number;
}

async function killAndWait(rig: BenchRig): Promise<number> {
  const before = await rig.account();
  const killedAt = now();
  process.kill(before.pid!, 'SIGKILL');
  let recovered = Number.NaN;
  await waitUntil(async () => {
    const health = await rig.account();
    if (health.state === 'listening' && health.pid !== before.pid) {
      recovered = now() - killedAt;
      return true;
    }
    return false;
  }, 15_000, 5);
  return recovered;
}

export async function imsgKilled(kills: number, burst: number): Promise<ImsgKillResult> {
  // Two gateways, so that the burst's kills do not inherit the idle kills' failure streak (the
  // supervisor's backoff grows with failures in a row; each series shows its own growth).
  const idleRig = await approvedRig();
  const idleRecoveryMs: number[] = [];
  try {
    await idleRig.startGateway();
    for (let k = 0; k < kills; k++) {
      idleRecoveryMs.push(await killAndWait(idleRig));
      await sleep(1000);
    }
  } finally {
    await idleRig.close();
  }

  const rig = await approvedRig();
  const counter = sentCounter(rig);
  try {
    await rig.startGateway();
    const base = rig.sim.maxRowid();
    await injectMany(rig.sim, Array.from({ length: burst }, (_, n) => ({ from: approvedSender(n), text: `burst #${n}#` })));
    const burstRecoveryMs: number[] = [];
    for (let k = 1; k <= kills; k++) {
      const threshold = Math.floor((burst * k) / (kills + 1));
      await waitUntil(() => counter.count(base) >= threshold, 10_000, 5);
      burstRecoveryMs.push(await killAndWait(rig));
    }
    let last = -1;
    await waitUntil(() => {
      const count = counter.count(base);
      const settled = count >= burst || count === last;
      last = count;
      return settled;
    }, 20_000, 1500);
    await sleep(500);
    const tally = accounting(rig.sim.sent({ sinceRowid: base }).map((r) => r.text), burst);
    return { idleRecoveryMs, burst, burstRecoveryMs, ...tally };
  } finally {
    counter.close();
    await rig.close();
  }
}

// ------------------------------------------------------------------------------------------------

export interface UiResult {
  built: boolean;
  /** Sum over out/renderer (index.html + assets), raw and gzip -9. */
  bundleKb: number;
  bundleGzipKb: number;
  files: { name: string; kb: number; gzipKb: number }[];
  /** The gateway's pairing event (request stored) → the row visible in the page. */
  showRequestMs?: Summary;
  /** Message written to chat.db → the row visible in the page. */
  injectToRowMs?: Summary;
  skipped?: string;
}

function bundleSize(): Pick<UiResult, 'built' | 'bundleKb' | 'bundleGzipKb' | 'files'> {
  const root = join(repoRoot, 'out', 'renderer');
  if (!existsSync(join(root, 'index.html'))) return { built: false, bundleKb: Number.NaN, bundleGzipKb: Number.NaN, files: [] };
  const names = ['index.html', ...readdirSync(join(root, 'assets')).map((name) => join('assets', name))];
  const files = names.map((name) => {
    const bytes = readFileSync(join(root, name));
    return { name, kb: bytes.length / 1024, gzipKb: gzipSync(bytes, { level: 9 }).length / 1024 };
  });
  return { built: true, bundleKb: files.reduce((s, f) => s + f.kb, 0), bundleGzipKb: files.reduce((s, f) => s + f.gzipKb, 0), files };
}

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path): path is string => Boolean(path) && existsSync(path!));

export async function ui(count: number): Promise<UiResult> {
  const size = bundleSize();
  if (!size.built) return { ...size, skipped: 'the web UI is not built (run `npx electron-vite build`)' };
  if (!CHROMIUM) return { ...size, skipped: 'no Chromium found (set CHROMIUM_PATH)' };
  const { chromium } = await import('playwright-core');
  const rig = await BenchRig.create({ imessage: { dmPolicy: 'pairing' }, model: false });
  const store = new PairingStore({ stateDir: rig.stateDir });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    await rig.startGateway();
    const events: PairingEvent[] = [];
    const token = (await readToken(rig.stateDir))!;
    const url = await rig.uiUrl();
    const client = createControlClient({ url: `${url.split('/#')[0]!.replace(/^http/, 'ws')}/ws`, token, WebSocket, clientName: 'bench' });
    await client.ready;
    client.on('pairing', (event) => events.push(event));

    const page = await browser.newPage();
    // The Pairing screen, where requests appear (a configured gateway would otherwise open Health).
    await page.goto(`${url}&screen=pairing`);
    await page.getByRole('status', { name: 'Gateway connection: Connected' }).waitFor();
    // Record, in the page, when each pending-request row appears (wall clock, like the gateway's).
    // A string, not a function: the TypeScript loader would add helpers the page does not have.
    await page.evaluate(`(() => {
      const seen = (globalThis.__rowsSeen = {});
      const scan = () => {
        const at = performance.timeOrigin + performance.now();
        for (const row of document.querySelectorAll('[data-code]')) {
          const code = row.getAttribute('data-code');
          if (code && seen[code] === undefined) seen[code] = at;
        }
      };
      new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
    })()`);

    const shown: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < count; i++) {
      // Wall clock here: the page and the gateway's event timestamps are wall-clock times.
      const injectedAt = performance.timeOrigin + performance.now();
      await inject(rig.sim, { from: `+1555800${String(i).padStart(4, '0')}`, text: 'hello?' });
      await waitUntil(() => events.some((e) => e.kind === 'requested' && e.senderId === `+1555800${String(i).padStart(4, '0')}`), 10_000, 2);
      const event = events.find((e) => e.kind === 'requested' && e.senderId === `+1555800${String(i).padStart(4, '0')}`)!;
      // Polled from here (the page's CSP forbids waitForFunction's eval); the time itself was
      // taken in the page by the observer.
      let rowAt: number | undefined;
      await waitUntil(async () => (rowAt = (await page.evaluate(`globalThis.__rowsSeen[${JSON.stringify(event.code)}]`)) as number | undefined) !== undefined, 10_000, 5);
      if (rowAt === undefined) throw new Error(`the web UI did not show the pairing request ${event.code}`);
      shown.push(rowAt - Date.parse(event.at));
      total.push(rowAt - injectedAt);
      for (const request of await store.list()) await store.deny(request.code);
    }
    client.close();
    return { ...size, showRequestMs: summarize(shown), injectToRowMs: summarize(total) };
  } finally {
    await browser.close();
    await rig.close();
  }
}

// ------------------------------------------------------------------------------------------------

export interface ControlStormResult {
  attempts: number;
  /** How the gateway answered the attempts (HTTP status line or WebSocket close code), by kind of answer. */
  outcomes: Record<string, number>;
  /** `status` round trips of an authenticated client before the storm. */
  idleStatusMs: Summary;
  /** The same client's `status` round trips during the storm, one per burst of 50 attempts. */
  stormStatusMs: Summary;
}

/**
 * Hostile or broken control connections in bursts of 50 (a foreign Origin, a wrong token, garbage,
 * a request before `connect`, and well-behaved clients that connect and leave) while an
 * authenticated client keeps asking for the status: the gateway must refuse every hostile attempt
 * and keep answering. (The control server's unit test checks the refusals; the time is measured here.)
 */
export async function controlStorm(attempts: number): Promise<ControlStormResult> {
  const rig = await BenchRig.create({ model: false });
  try {
    await rig.startGateway();
    const { port } = (await readInstanceFile(rig.stateDir))!;
    const token = (await readToken(rig.stateDir))!;
    const wsUrl = `ws://127.0.0.1:${port}/ws`;
    const watcher = createControlClient({ url: wsUrl, token, WebSocket, clientName: 'bench-watcher' });
    await watcher.ready;
    const statusRoundTrip = async () => {
      const started = now();
      await watcher.request('status', {});
      return now() - started;
    };

    const idle: number[] = [];
    for (let i = 0; i < 20; i++) idle.push(await statusRoundTrip());

    const outcomes: Record<string, number> = {};
    const count = (outcome: string) => (outcomes[outcome] = (outcomes[outcome] ?? 0) + 1);
    const refusedWith = async (first: string) => {
      const ws = await openSocket(wsUrl);
      const done = closed(ws);
      ws.send(first);
      count(`close ${(await done).code}`);
    };
    const attempt = async (i: number): Promise<void> => {
      switch (i % 5) {
        case 0:
          count((await rawUpgrade(port, { Origin: 'http://evil.example' })).statusLine);
          return;
        case 1:
          return refusedWith(connectFrame('wrong-token-wrong-token'));
        case 2:
          return refusedWith('{"garbage":');
        case 3:
          return refusedWith(JSON.stringify({ type: 'req', id: '1', method: 'status', params: {} }));
        default: {
          const ws = await openSocket(wsUrl);
          const hello = nextFrame(ws);
          ws.send(connectFrame(token));
          count((await hello).ok === true ? 'authenticated' : 'refused');
          const done = closed(ws);
          ws.close();
          await done;
        }
      }
    };

    const storm: number[] = [];
    const burst = 50;
    for (let start = 0; start < attempts; start += burst) {
      const size = Math.min(burst, attempts - start);
      const [probe] = await Promise.all([statusRoundTrip(), ...Array.from({ length: size }, (_, j) => attempt(start + j))]);
      storm.push(probe);
    }
    watcher.close();
    const authenticated = outcomes.authenticated ?? 0;
    if (authenticated > Math.ceil(attempts / 5) || outcomes['HTTP/1.1 101 Switching Protocols']) {
      throw new Error(`control storm: a hostile attempt got through: ${JSON.stringify(outcomes)}`);
    }
    return { attempts, outcomes, idleStatusMs: summarize(idle), stormStatusMs: summarize(storm) };
  } finally {
    await rig.close();
  }
}
