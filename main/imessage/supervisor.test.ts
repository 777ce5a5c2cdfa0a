import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimDb } from '../../sim/lib';
import type { ResolvedImessageAccount } from '../config/types';
import { createLogHub, type LogHub } from '../util/logger';
import type { DeliveryContext } from './inbound-delivery';
import { AccountSupervisor, type SupervisorTimings } from './supervisor';
import Database from 'better-sqlite3';
import { simImsg, tempDir, testAccount, writeFakeImsg, writeScript } from '../../test/support/imsg-fixtures';
import type { ImsgMessage } from '../../contract/imsg';

const FAST: Partial<SupervisorTimings> = {
  probeTimeoutMs: 5000,
  requestTimeoutMs: 3000,
  livenessIntervalMs: 60_000,
  livenessTimeoutMs: 400,
  backoff: { initialMs: 50, maxMs: 400, factor: 2, jitter: 0 },
  healthyResetMs: 60_000,
  stopGraceMs: 200,
  drainTimeoutMs: 2000,
};

let dir: string;
let db: string;
let stateDir: string;
let sim: SimDb;
let hub: LogHub;
const supervisors: AccountSupervisor[] = [];

beforeAll(() => {
  expect(existsSync(simImsg), `simulator missing at ${simImsg} (run npm run build:node)`).toBe(true);
});
beforeEach(() => {
  dir = tempDir('supervisor-');
  db = join(dir, 'chat.db');
  stateDir = join(dir, 'state');
  sim = SimDb.create(db);
  sim.inject({ from: '+15555550100', text: 'old message, before the gateway ever ran' });
  hub = createLogHub({ level: 'debug' });
});
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
  sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function account(overrides: Partial<ResolvedImessageAccount> = {}): ResolvedImessageAccount {
  return testAccount({ dbPath: db, ...overrides });
}

interface Harness {
  supervisor: AccountSupervisor;
  handled: ImsgMessage[];
  states: string[];
  /** The delay of each restart it backed off for, as its health said on entering backing-off. */
  backoffs: number[];
}

function supervise(options: { env?: Record<string, string>; timings?: Partial<SupervisorTimings>; account?: Partial<ResolvedImessageAccount>; handler?: (m: ImsgMessage, context: DeliveryContext) => Promise<void> } = {}): Harness {
  const handled: ImsgMessage[] = [];
  const states: string[] = [];
  const backoffs: number[] = [];
  const supervisor = new AccountSupervisor({
    account: account(options.account),
    stateDir,
    logger: hub.logger('imessage:default'),
    env: { ...process.env, IMSG_SIM_DB: db, IMSG_SIM_POLL_MS: '50', IMSG_SIM_DEBOUNCE_MS: '0', ...options.env },
    timings: { ...FAST, ...options.timings },
    handler: async (message, context) => {
      handled.push(message);
      await options.handler?.(message, context);
    },
  });
  supervisor.on('state', (h) => {
    if (states.at(-1) === h.state) return;
    states.push(h.state);
    if (h.state === 'backing-off' && h.retryDelayMs !== null) backoffs.push(h.retryDelayMs);
  });
  supervisors.push(supervisor);
  return { supervisor, handled, states, backoffs };
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}\n${logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const logs = () => hub.tail(300).map((r) => `${r.level} ${r.msg} ${r.data ? JSON.stringify(r.data) : ''}`).join('\n');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function inject(count: number, prefix = 'msg'): number[] {
  const rows: number[] = [];
  for (let i = 0; i < count; i++) rows.push(sim.inject({ from: `+1555555${String(1000 + (i % 7))}`, text: `${prefix} ${i}` }).rowid);
  return rows;
}

function expectExactlyOnce(handled: ImsgMessage[], rowids: number[]): void {
  const seen = handled.map((m) => m.id).sort((a, b) => a - b);
  expect(seen).toEqual([...rowids].sort((a, b) => a - b));
}

describe('AccountSupervisor (against the imsg simulator)', () => {
  it('probes, subscribes, and hands each new message to the handler once', async () => {
    const { supervisor, handled, states } = supervise();
    await supervisor.start();
    expect(supervisor.health()).toMatchObject({ state: 'listening', imsgVersion: '0.9.0', restarts: 0, lastError: null, cliPath: simImsg, dbPath: db });
    expect(supervisor.health().pid).toBeGreaterThan(0);
    expect(states).toEqual(['probing', 'starting', 'listening']);
    expect(hub.tail().some((r) => r.msg === 'iMessage default: enabled, configured, rpc listening')).toBe(true);

    const rows = inject(20);
    await waitUntil('20 messages', () => handled.length >= 20);
    await sleep(300); // nothing else trickles in
    expectExactlyOnce(handled, rows); // not the old message from before the first start
    expect(handled[0]).toMatchObject({ text: 'msg 0', is_from_me: false, chat_id: expect.any(Number) });
    await supervisor.waitFor((h) => h.lastRowid === rows.at(-1) && h.inFlight === 0);
    expect(supervisor.health().lastInboundAt).not.toBeNull();
  });

  it('does not wait for one handler before starting the next (chats run in parallel)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { supervisor, handled } = supervise({ handler: () => gate });
    await supervisor.start();
    inject(5);
    await waitUntil('5 concurrent handlers', () => handled.length === 5);
    expect(supervisor.health().inFlight).toBe(5);
    const watermarkWhileBusy = supervisor.health().lastRowid;
    release();
    await supervisor.waitFor((h) => h.inFlight === 0);
    expect(supervisor.health().lastRowid).toBeGreaterThan(watermarkWhileBusy ?? 0);
  });

  it('a failing handler is logged and its message still counts as done', async () => {
    const { supervisor, handled } = supervise({ handler: async (m) => {
        if (m.text === 'msg 1') throw new Error('agent down');
      },
    });
    await supervisor.start();
    const rows = inject(3);
    await waitUntil('3 messages', () => handled.length === 3);
    await supervisor.waitFor((h) => h.lastRowid === rows[2]);
    expect(logs()).toMatch(/handling message \d+ failed .*agent down/);
  });

  it('tolerates notifications that precede the watch.subscribe answer (spec §1.4)', async () => {
    const first = supervise();
    await first.supervisor.start();
    const before = inject(2, 'before');
    await waitUntil('first two', () => first.handled.length === 2);
    await first.supervisor.stop();
    const backlog = inject(3, 'backlog');
    // A handler may use the rpc at once (a reply, a history check): imsg answers it after the
    // subscribe, in order, although the account is still 'starting'.
    const requests: string[] = [];
    const second: Harness = supervise({
      env: { IMSG_SIM_NOTIFY_BEFORE_RESPONSE: '1' },
      handler: async () => {
        const state = second.supervisor.health().state;
        const answer = await second.supervisor.rpc.call('chats.list', { limit: 1 }).then(
          (result) => `answered (${result.chats.length} chat)`,
          (error: Error) => error.message,
        );
        requests.push(`${state}: ${answer}`);
      },
    });
    await second.supervisor.start();
    await waitUntil('backlog', () => second.handled.length >= 3 && requests.length >= 3);
    await sleep(200);
    expectExactlyOnce(second.handled, backlog);
    expectExactlyOnce(first.handled, before);
    expect(requests[0]).toBe('starting: answered (1 chat)');
    expect(requests.every((r) => r.endsWith('answered (1 chat)'))).toBe(true);
  });

  it('resumes with since_rowid after a stop: messages that came while down are handled once, nothing twice', async () => {
    const first = supervise();
    await first.supervisor.start();
    const early = inject(4, 'early');
    await waitUntil('early messages', () => first.handled.length === 4);
    await first.supervisor.stop();
    expect(first.supervisor.health()).toMatchObject({ state: 'stopped', lastRowid: early.at(-1) });
    const cursor = JSON.parse(readFileSync(join(stateDir, 'imessage', 'default.cursor.json'), 'utf8'));
    expect(cursor.watermark).toBe(early.at(-1));

    const whileDown = inject(6, 'while down');
    const second = supervise();
    await second.supervisor.start();
    const later = inject(2, 'later');
    await waitUntil('backlog and new', () => second.handled.length >= 8);
    await sleep(300);
    expectExactlyOnce(second.handled, [...whileDown, ...later]);
  });

  describe('resume point before the first message', () => {
    it('is set from the newest row at the first subscribe and persisted: a gateway restart before any message misses nothing', async () => {
      // Several chats with history; the newest row is not in the chat listed first by id.
      sim.inject({ from: '+15555550200', text: 'older chat' });
      sim.inject({ group: { id: 42, name: 'Family', participants: ['+15555550100', '+15555550300'] }, from: '+15555550300', text: 'group talk' });
      const newest = sim.inject({ from: '+15555550100', text: 'newest before the gateway' }).rowid;
      expect(newest).toBe(sim.maxRowid());

      const first = supervise();
      await first.supervisor.start();
      expect(first.supervisor.health().lastRowid).toBe(newest);
      await first.supervisor.stop();
      expect(first.handled).toEqual([]);
      const cursor = JSON.parse(readFileSync(join(stateDir, 'imessage', 'default.cursor.json'), 'utf8'));
      expect(cursor.watermark).toBe(newest);

      const whileDown = inject(3, 'while down');
      const second = supervise();
      await second.supervisor.start();
      await waitUntil('rows that came while stopped', () => second.handled.length >= 3);
      await sleep(200);
      expectExactlyOnce(second.handled, whileDown); // and none of the rows from before the first start
    });

    it('an imsg crash before any message: rows written while it is down are delivered after the restart', async () => {
      const marker = join(dir, 'crash-once');
      const { supervisor, handled } = supervise({
        env: { IMSG_SIM_CRASH_ON_SIGNAL: 'SIGUSR2', IMSG_SIM_ONCE: marker },
        timings: { backoff: { initialMs: 600, maxMs: 600, factor: 2, jitter: 0 } },
      });
      await supervisor.start();
      const pid = supervisor.health().pid!;
      process.kill(pid, 'SIGUSR2');
      await supervisor.waitFor((h) => h.state === 'backing-off', 5000);
      const whileDown = inject(4, 'while imsg was down');
      await supervisor.waitFor((h) => h.state === 'listening' && h.pid !== pid, 5000);
      await waitUntil('rows from the crash window', () => handled.length >= 4);
      await sleep(200);
      expectExactlyOnce(handled, whileDown);
      expect(supervisor.health().restarts).toBe(1);
    });

    it('an empty chat.db gets resume point 0: everything after it is new', async () => {
      sim.close();
      rmSync(db, { force: true });
      for (const suffix of ['-wal', '-shm']) rmSync(db + suffix, { force: true });
      sim = SimDb.create(db);
      const first = supervise();
      await first.supervisor.start();
      expect(first.supervisor.health().lastRowid).toBe(0);
      await first.supervisor.stop();
      const rows = inject(2, 'first ever');
      const second = supervise();
      await second.supervisor.start();
      await waitUntil('first rows ever', () => second.handled.length >= 2);
      expectExactlyOnce(second.handled, rows);
    });
  });

  it('crash mid-burst: restarts with backoff and handles every message exactly once', async () => {
    const marker = join(dir, 'crash-once');
    const { supervisor, handled, backoffs } = supervise({
      env: { IMSG_SIM_CRASH_AFTER: '7', IMSG_SIM_ONCE: marker },
      // Uneven handler times: completions finish out of order.
      handler: async (m) => {
        await sleep((m.id * 7) % 40);
      },
    });
    await supervisor.start();
    const rows = inject(40, 'burst');
    await waitUntil('all 40 messages', () => handled.length >= 40, 15_000);
    await sleep(300);
    expectExactlyOnce(handled, rows);
    expect(existsSync(marker)).toBe(true);
    const health = supervisor.health();
    expect(health).toMatchObject({ state: 'listening', restarts: 1 });
    expect(health.lastError).toMatchObject({ fatal: false, message: expect.stringMatching(/imsg rpc exited \((signal SIGKILL|code 137)\)/) });
    expect(backoffs).toEqual([50]);
  });

  it('stall: the liveness check times out, the process is restarted, health says why', async () => {
    const marker = join(dir, 'stall-once');
    const { supervisor, handled, states } = supervise({
      // chats.list (probe), the resume point (chats.list + messages.history of the one chat) and
      // watch.subscribe are answered; the first liveness check is not.
      env: { IMSG_SIM_STALL_AFTER: '4', IMSG_SIM_ONCE: marker },
      timings: { livenessIntervalMs: 150, livenessTimeoutMs: 300 },
    });
    await supervisor.start();
    await supervisor.waitFor((h) => h.restarts === 1 && h.state === 'listening', 10_000);
    expect(states).toEqual(['probing', 'starting', 'listening', 'backing-off', 'probing', 'starting', 'listening']);
    expect(supervisor.health().lastError).toMatchObject({ fatal: false, message: 'imsg rpc stalled: no answer to the liveness check (chats.list) within 300 ms' });
    // And it still works after the restart.
    const rows = inject(2);
    await waitUntil('2 messages after restart', () => handled.length === 2);
    expectExactlyOnce(handled, rows);
  });

  it('a watch error notification: resubscribes from the watermark on the same process', async () => {
    const { supervisor, handled } = supervise({ timings: { backoff: { initialMs: 400, maxMs: 400, factor: 2, jitter: 0 } } });
    await supervisor.start();
    const pid = supervisor.health().pid;
    const before = inject(2, 'before');
    await waitUntil('first messages', () => handled.length === 2);
    // Make the watcher's next poll fail (like a malformed or locked database), then heal it.
    const raw = new Database(db);
    raw.exec('ALTER TABLE message RENAME TO message_away');
    await waitUntil('watch error', () => /imsg watch error/.test(logs()));
    raw.exec('ALTER TABLE message_away RENAME TO message');
    raw.close();
    const after = inject(3, 'after');
    await waitUntil('resubscribed', () => /resubscribed after a watch error/.test(logs()));
    await waitUntil('messages after the error', () => handled.length >= 5);
    await sleep(200);
    expectExactlyOnce(handled, [...before, ...after]);
    expect(supervisor.health()).toMatchObject({ state: 'listening', pid, restarts: 0, lastError: { fatal: false, message: expect.stringMatching(/^imsg watch error \(resubscribing in 400ms\): .*message/) } });
  });

  describe('watch errors (scripted fake imsg)', () => {
    it('"authorization denied" while running (Full Disk Access revoked): failed-fatal, no loop', async () => {
      const fake = writeFakeImsg(dir);
      const { supervisor } = supervise({ account: { cliPath: fake }, env: { FAKE_WATCH_ERROR: 'authorization denied (code: 23)' } });
      await supervisor.start();
      const health = await supervisor.waitFor((h) => h.state === 'failed-fatal');
      expect(health.lastError).toMatchObject({ fatal: true, message: 'imsg lost access to the Messages database: authorization denied (code: 23)', fix: expect.stringMatching(/Full Disk Access/) });
      expect(health.restarts).toBe(0);
    });

    it('repeated watch errors: a few resubscribes, then a restart with backoff', async () => {
      const fake = writeFakeImsg(dir);
      const { supervisor } = supervise({ account: { cliPath: fake }, env: { FAKE_WATCH_ERROR: 'database is locked (code: 5)' } });
      await supervisor.start();
      await supervisor.waitFor((h) => h.restarts === 1);
      expect(logs().match(/resubscribed after a watch error/g)).toHaveLength(3);
      expect(supervisor.health().lastError?.message).toBe('imsg watch failed repeatedly: database is locked (code: 5)');
    });
  });

  it('fatal (no Full Disk Access): failed-fatal with the fix, no restart loop, retry() recovers', async () => {
    const spawns = join(dir, 'spawns');
    const deny = join(dir, 'deny-fda');
    writeFileSync(deny, '');
    const wrapper = writeScript(dir, 'imsg-counting', `#!/bin/sh\necho "$*" >> "${spawns}"\nif [ -f "${deny}" ]; then export IMSG_SIM_FDA=denied; fi\nexec "${simImsg}" "$@"\n`);
    const { supervisor } = supervise({ account: { cliPath: wrapper } });
    await supervisor.start();
    const health = supervisor.health();
    expect(health.state).toBe('failed-fatal');
    expect(health.retryAt).toBeNull();
    expect(health.lastError).toMatchObject({ fatal: true, message: expect.stringMatching(/Full Disk Access denied/), fix: expect.stringMatching(/Full Disk Access/) });
    expect(health.lastProbe).toMatchObject({ ok: false, fatal: true });
    const count = () => readFileSync(spawns, 'utf8').trim().split('\n').length;
    const afterFailure = count();
    expect(afterFailure).toBe(3); // --version, rpc --help, rpc
    await sleep(500); // many backoff periods (initial 50 ms)
    expect(count()).toBe(afterFailure);
    expect(health.restarts).toBe(0);
    await expect(supervisor.rpc.call('send', { to: '+15555550123', text: 'hi' })).rejects.toThrow(/iMessage account default is not connected \(state: failed-fatal\): .*Full Disk Access denied.*Fix: Grant Full Disk Access/);

    rmSync(deny);
    await supervisor.retry();
    expect(supervisor.health().state).toBe('listening');
  });

  it('remembers passed imsg checks: the next start spawns only `imsg rpc`; a changed or failing binary is checked in full', async () => {
    const spawns = join(dir, 'spawns-cache');
    const body = (mode: string) => `#!/bin/sh\n# ${mode}\necho "$*" >> "${spawns}"\nexec "${simImsg}" "$@"\n`;
    const wrapper = writeScript(dir, 'imsg-cached', body('v1'));
    const lines = () => (existsSync(spawns) ? readFileSync(spawns, 'utf8').trim().split('\n') : []);

    const first = supervise({ account: { cliPath: wrapper } }).supervisor;
    await first.start();
    expect(first.health().state).toBe('listening');
    expect(lines()).toHaveLength(3); // --version, rpc --help, rpc
    await first.stop(); // which waits for the check cache to be written

    const second = supervise({ account: { cliPath: wrapper } }).supervisor;
    await second.start();
    expect(second.health()).toMatchObject({ state: 'listening', imsgVersion: '0.9.0' });
    expect(lines().slice(3)).toEqual([expect.stringMatching(/^rpc( |$)/)]);
    await second.stop();

    // A different binary (size and mtime change): full checks again.
    writeScript(dir, 'imsg-cached', body('v2, a longer wrapper'));
    const third = supervise({ account: { cliPath: wrapper } }).supervisor;
    await third.start();
    expect(lines().slice(4)).toHaveLength(3);
    await third.stop();

    // The cached checks are trusted until an attempt fails; then everything is checked again.
    const fourth = supervise({ account: { cliPath: wrapper }, env: { IMSG_SIM_VERSION: '0.2.0' } }).supervisor;
    await fourth.start();
    await fourth.waitFor((h) => h.state === 'failed-fatal', 5000);
    expect(fourth.health().lastError?.message).toBe("imsg CLI does not support 'rpc' subcommand");
  });

  it('fatal (imsg too old): failed-fatal, not retried', async () => {
    const { supervisor } = supervise({ env: { IMSG_SIM_VERSION: '0.2.0' } });
    await supervisor.start();
    expect(supervisor.health()).toMatchObject({ state: 'failed-fatal', lastError: { message: "imsg CLI does not support 'rpc' subcommand", fatal: true } });
    expect(supervisor.health().lastError?.fix).toContain('brew upgrade steipete/tap/imsg');
    expect(logs()).toMatch(/iMessage default: enabled, configured, failed: imsg CLI does not support 'rpc' subcommand/);
  });

  it('transient failures back off exponentially up to the bound; rpc says when it retries', async () => {
    const crashing = writeScript(dir, 'imsg-crashes', `#!/bin/sh\nif [ "$1" = "rpc" ] && [ "$2" != "--help" ]; then echo boom >&2; exit 1; fi\nexec "${simImsg}" "$@"\n`);
    const { supervisor, backoffs } = supervise({ account: { cliPath: crashing } });
    await supervisor.start();
    await supervisor.waitFor((h) => h.restarts >= 5, 15_000);
    expect(backoffs.slice(0, 5)).toEqual([50, 100, 200, 400, 400]);
    expect(supervisor.health().lastError).toMatchObject({ fatal: false, message: 'imsg rpc exited (code 1): boom' });
    await supervisor.stop();
  });

  it('rpc rejects clearly while backing off, and works while listening', async () => {
    const crashing = writeScript(dir, 'imsg-crashes2', `#!/bin/sh\nif [ "$1" = "rpc" ] && [ "$2" != "--help" ]; then exit 1; fi\nexec "${simImsg}" "$@"\n`);
    const down = supervise({ account: { cliPath: crashing }, timings: { backoff: { initialMs: 3000, maxMs: 3000, factor: 2, jitter: 0 } } });
    await down.supervisor.start();
    expect(down.supervisor.health().state).toBe('backing-off');
    await expect(down.supervisor.rpc.call('chats.list', { limit: 1 })).rejects.toThrow(/^iMessage account default is not connected \(state: backing-off, retry in 3s\)$/);

    const up = supervise({ account: { accountId: 'other' } });
    await up.supervisor.start();
    // Under load its first attempt can fail too (a probe step timing out): it listens after a retry.
    await up.supervisor.waitFor((h) => h.state === 'listening');
    const result = await up.supervisor.rpc.call('chats.list', { limit: 1 });
    expect(result.chats).toHaveLength(1);
    up.supervisor.recordOutbound();
    expect(up.supervisor.health().lastOutboundAt).not.toBeNull();
  });

  it('resets the backoff after a healthy period', async () => {
    const { supervisor, backoffs } = supervise({ env: { IMSG_SIM_CRASH_ON_SIGNAL: 'SIGUSR2' }, timings: { healthyResetMs: 400 } });
    await supervisor.start();
    const crash = async (expectedRestarts: number) => {
      process.kill(supervisor.health().pid!, 'SIGUSR2');
      await supervisor.waitFor((h) => h.restarts === expectedRestarts && h.state === 'listening');
    };
    await crash(1); // retry in 50ms
    await crash(2); // quickly again: 100ms
    await sleep(600); // healthy for longer than healthyResetMs
    await crash(3); // back to 50ms
    expect(backoffs).toEqual([50, 100, 50]);
  });

  it('updateAccount: policy changes keep the process, transport changes restart it', async () => {
    const { supervisor, states } = supervise();
    await supervisor.start();
    const pid = supervisor.health().pid;
    expect(await supervisor.updateAccount(account({ allowFrom: ['+15555550123'] }))).toBe(false);
    expect(supervisor.health()).toMatchObject({ state: 'listening', pid });
    expect(await supervisor.updateAccount(account({ includeAttachments: true }))).toBe(true);
    expect(supervisor.health().state).toBe('listening');
    expect(supervisor.health().pid).not.toBe(pid);
    expect(states).toEqual(['probing', 'starting', 'listening', 'stopped', 'probing', 'starting', 'listening']);
    await supervisor.updateAccount(account({ enabled: false }));
    expect(supervisor.health()).toMatchObject({ state: 'stopped', pid: null });
  });

  it('a disabled or unconfigured account stays stopped', async () => {
    const { supervisor } = supervise({ account: { enabled: false } });
    await supervisor.start();
    expect(supervisor.health().state).toBe('stopped');
    expect(logs()).toMatch(/iMessage default: disabled, configured, stopped/);
  });

  it('skips garbage lines from imsg and still delivers every message', async () => {
    const { supervisor, handled } = supervise({ env: { IMSG_SIM_GARBAGE: '1' } });
    await supervisor.start();
    const rows = inject(10);
    await waitUntil('10 messages', () => handled.length >= 10);
    await sleep(200);
    expectExactlyOnce(handled, rows);
    expect(supervisor.health().state).toBe('listening');
  });
});
