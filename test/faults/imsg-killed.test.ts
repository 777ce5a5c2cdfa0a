// imsg rpc killed with SIGKILL in the middle of a 1,000-message burst, three times in a row, under
// a real gateway process: the supervisor must bring the channel back quickly (goal: listening
// ≤ 1 s after each kill) and every message must be answered exactly once. The original gateway
// stops the channel silently at the first kill and never restarts it.
//
// The scenario runs once (beforeAll); each test checks one promise. Known bugs are marked
// `it.fails` (see the report of the benchmarks issue): such a test passes while the bug is there
// and turns red once it is fixed, so the marker is then removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountHealth } from '../../contract/gateway-api';
import { recordFigures } from './figures';
import { answerAccounting, burst, sleep, startRig, type Rig } from './gateway-kit';

const TOTAL = 1000;
const KILLS = 3;

/** Waits until `count()` reaches `target`, or stops growing for `quietMs`. */
async function untilQuiet(count: () => number, target: number, quietMs: number): Promise<void> {
  let last = count();
  let lastChange = Date.now();
  while (last < target && Date.now() - lastChange < quietMs) {
    await sleep(10);
    const now = count();
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    }
  }
}

let rig: Rig;
const kills: { before: AccountHealth; after: AccountHealth; recoveredMs: number }[] = [];
let accounting: ReturnType<typeof answerAccounting>;
let replies = 0;

beforeAll(async () => {
  rig = await startRig();
  const { ws } = rig;
  const base = ws.sim.maxRowid();
  ws.sim.injectMany(burst(TOTAL, 50));
  for (let kill = 1; kill <= KILLS; kill++) {
    // Kill while replies are still flowing: after about a quarter, half, three quarters (or as
    // soon as replies stop coming, so that a loss shows up as a count, not as a hang).
    await untilQuiet(() => ws.countSent(base), Math.floor((TOTAL * kill) / (KILLS + 1)), 1000);
    const before = await rig.account();
    if (before.state !== 'listening' || !before.pid) throw new Error(`not listening before kill ${kill}: ${JSON.stringify(before)}`);
    const killedAt = Date.now();
    process.kill(before.pid, 'SIGKILL');
    const after = await rig.waitForAccount(`listening again after kill ${kill}`, (h) => h.state === 'listening' && h.pid !== before.pid, 10_000);
    kills.push({ before, after, recoveredMs: Date.now() - killedAt });
  }
  await untilQuiet(() => ws.countSent(base), TOTAL, 1500);
  await sleep(700); // anything answered twice would show up now
  const rows = ws.sent(base);
  replies = rows.length;
  accounting = answerAccounting(rows, TOTAL);
  console.log(
    `[imsg-killed] ${KILLS} kills during ${TOTAL} messages: listening again after ${kills.map((k) => k.recoveredMs).join(', ')} ms; ` +
      `${replies} replies, ${accounting.missing.length} missing, ${accounting.doubled.length} doubled`,
  );
}, 60_000);
afterAll(async () => {
  await rig?.close();
});

describe(`imsg rpc SIGKILLed ${KILLS} times during a ${TOTAL}-message burst`, () => {
  it('comes back after every kill: a new imsg process, the restart counted, the reason in health', () => {
    expect(kills).toHaveLength(KILLS);
    for (const { before, after } of kills) {
      expect(after.pid).not.toBe(before.pid);
      expect(after.restarts).toBe(before.restarts + 1);
      expect(after.lastError?.message ?? '').toMatch(/SIGKILL/);
    }
  });

  // The goal is ≤ 1 s; `npm run bench` measures it. Here, on a loaded CI machine and with the
  // supervisor's backoff growing with each kill in a row (see the report), only a regression to
  // "much slower" is caught.
  it('is listening again within a few seconds after each kill', () => {
    for (const { recoveredMs } of kills) expect(recoveredMs).toBeLessThanOrEqual(5000);
  });

  it('answers no message twice, and nothing that was not asked', ({ task }) => {
    recordFigures(task, {
      attack: `imsg rpc SIGKILLed ${KILLS}× during ${TOTAL} messages`,
      figures: { lost: accounting.missing.length, doubled: accounting.doubled.length, 'listening again after (ms)': kills.map((k) => k.recoveredMs).join(', ') },
    });
    expect(accounting.doubled).toEqual([]);
    expect(accounting.stray).toBe(0);
  });

  // Replies whose send is attempted while imsg restarts wait for the restarted imsg and go out
  // then (main/imessage/sender.ts); the row is marked done only after that.
  it('answers every message (replies due while imsg restarts are resent after it is back)', () => {
    expect(accounting.missing).toEqual([]);
    expect(replies).toBe(TOTAL);
  });
});
