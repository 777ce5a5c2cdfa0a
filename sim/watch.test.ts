// Watch triggers and throughput: file-system events deliver new rows without waiting for the poll
// timer, a 5,000-row burst is delivered completely in order, the fallback poll works on its own,
// and debounce_ms is honoured. Latencies are printed, not bounded here: a busy test machine says
// nothing about them (`npm run bench` measures the end-to-end figures).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RpcSession, tempDb, type TempDb } from '../test/support/sim-session';

let fx: TempDb;
const sessions: RpcSession[] = [];
const session = (env: Record<string, string> = {}) => {
  const s = new RpcSession(['--db', fx.dbPath], env);
  sessions.push(s);
  return s;
};

beforeAll(() => {
  fx = tempDb();
  fx.db.inject({ from: '+15555550123', text: 'seed' });
});
afterEach(() => {
  while (sessions.length > 0) sessions.pop()?.kill();
});
afterAll(() => fx.cleanup());

describe('watch latency and throughput', () => {
  it('emits each newly injected row on the file-system trigger, not the poll timer (debounce 0)', async () => {
    // The poll timer is 5 minutes: a row that arrives at all within the wait came through the
    // file-system trigger.
    const s = session({ IMSG_SIM_POLL_MS: '300000' });
    const sub = (await s.request('watch.subscribe', { debounce_ms: 0 })).result.subscription;
    const latencies: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      const row = fx.db.inject({ from: '+15555550123', text: `ping ${i}` });
      await s.waitFor((l) => l.method === 'message' && l.params.subscription === sub && l.params.message.id === row.rowid, 20_000);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)] as number;
    console.log(`watch latency (inject → notification): median ${median.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms`);
    expect(s.messages(sub)).toHaveLength(15);
  });

  it('delivers a burst of 5,000 rows completely, once each, in ascending ROWID order', async () => {
    const s = session({ IMSG_SIM_POLL_MS: '60000' });
    const sub = (await s.request('watch.subscribe', { debounce_ms: 0 })).result.subscription;
    const first = fx.db.maxRowid() + 1;
    const started = performance.now();
    fx.db.injectMany(Array.from({ length: 5000 }, (_, i) => ({ from: i % 2 ? '+15555550123' : 'x@example.com', text: `burst ${i}` })));
    const messages = await s.waitForMessages(5000, sub, 20_000);
    console.log(`5,000-row burst delivered in ${(performance.now() - started).toFixed(0)} ms`);
    expect(messages.map((m) => m.id)).toEqual(Array.from({ length: 5000 }, (_, i) => first + i));
    expect(messages[4999].text).toBe('burst 4999');
  });

  it('falls back to the poll timer when file-system events are off', async () => {
    const s = session({ IMSG_SIM_FS_EVENTS: '0', IMSG_SIM_POLL_MS: '100' });
    const sub = (await s.request('watch.subscribe', {})).result.subscription;
    const row = fx.db.inject({ from: '+15555550123', text: 'polled' });
    const [msg] = await s.waitForMessages(1, sub, 2000);
    expect(msg.id).toBe(row.rowid);
  });

  it('honours debounce_ms, and the IMSG_SIM_DEBOUNCE_MS default', async () => {
    const s = session({ IMSG_SIM_POLL_MS: '60000', IMSG_SIM_DEBOUNCE_MS: '300' });
    const slow = (await s.request('watch.subscribe', {})).result.subscription;
    const fast = (await s.request('watch.subscribe', { debounce_ms: 0 })).result.subscription;
    const started = performance.now();
    fx.db.inject({ from: '+15555550123', text: 'debounced' });
    await s.waitForMessages(1, slow);
    const slowMs = performance.now() - started;
    // Both polls are timers set on the same file-system event: 0 ms fires first, 300 ms not before.
    const [first] = s.received.filter((l) => l.method === 'message');
    expect(first?.params.subscription).toBe(fast);
    expect(slowMs).toBeGreaterThanOrEqual(280);
  });

  it('has no fallback poll before 0.6.0 (file-system events only)', async () => {
    const s = session({ IMSG_SIM_VERSION: '0.5.0', IMSG_SIM_FS_EVENTS: '0', IMSG_SIM_POLL_MS: '50' });
    const sub = (await s.request('watch.subscribe', {})).result.subscription;
    await new Promise((r) => setTimeout(r, 50)); // let the subscription's immediate first poll pass
    fx.db.inject({ from: '+15555550123', text: 'never seen' });
    await new Promise((r) => setTimeout(r, 400));
    expect(s.messages(sub)).toEqual([]);
  });
});
