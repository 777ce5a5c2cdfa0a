// Load: a burst of 500 DMs from 50 approved senders, written in one transaction (as when Messages
// catches up after the Mac wakes), answered by the instant fake model. Every message must get
// exactly one reply, in order within each chat, and health listeners get a handful of coalesced
// pushes, not one per message.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from '../../sim/lib';
import { FAST_TIMINGS, startHarness, type Harness } from './harness';

const SENDERS = 50;
const PER_SENDER = 10;
const TOTAL = SENDERS * PER_SENDER;
const sender = (n: number) => `+1555400${String(n).padStart(4, '0')}`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ imessage: { dmPolicy: 'pairing' }, model: { models: ['claude-test'], record: true } });
  // Approved earlier through pairing: the allow store the CLI writes.
  const credentials = join(h.stateDir, 'credentials');
  mkdirSync(credentials, { recursive: true, mode: 0o700 });
  const allowFrom = Array.from({ length: SENDERS }, (_, i) => sender(i));
  writeFileSync(join(credentials, 'imessage-allowFrom.json'), `${JSON.stringify({ version: 1, allowFrom }, null, 2)}\n`, { mode: 0o600 });
  await h.channel.start();
});
afterAll(async () => {
  await h.close();
});

describe('burst', () => {
  it(`${TOTAL} messages from ${SENDERS} approved senders: ${TOTAL} replies, none dropped, none doubled, in order per chat`, async () => {
    const batch: InjectOptions[] = [];
    // Interleaved the way a catch-up arrives: round-robin over the senders.
    for (let round = 0; round < PER_SENDER; round++) for (let s = 0; s < SENDERS; s++) batch.push({ from: sender(s), text: `burst ${s}.${round}` });
    let pushes = 0;
    const offHealth = h.channel.onHealth(() => (pushes += 1));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const injected = h.sim.injectMany(batch);
    await h.waitFor(`${TOTAL} replies`, () => h.sent().length >= TOTAL, 60_000);
    const elapsedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    offHealth();
    // Activity is coalesced: at most one push per throttle period (plus the immediate first one),
    // where 2 × TOTAL activity events (handed over, settled) and TOTAL sends happened.
    expect(pushes).toBeGreaterThan(0);
    expect(pushes).toBeLessThanOrEqual(Math.ceil(elapsedMs / FAST_TIMINGS.healthThrottleMs!) + 1);
    // Nothing more trickles in (no doubles from redelivery).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const sent = h.sent();
    expect(sent).toHaveLength(TOTAL);

    const key = (text: string) => /burst (\d+)\.(\d+)$/.exec(text)?.slice(1, 3).join('.');
    const expected = batch.map((b) => key(b.text!)).sort();
    expect(sent.map((r) => key(r.text)).sort()).toEqual(expected);

    // Each reply went to its sender's chat, and per chat in the order the messages were written.
    const chatOf = new Map(injected.map((row, i) => [key(batch[i]!.text!), row.chatId]));
    const perChat = new Map<number, string[]>();
    for (const row of sent) {
      const k = key(row.text)!;
      expect(row.chat_id).toBe(chatOf.get(k));
      perChat.set(row.chat_id, [...(perChat.get(row.chat_id) ?? []), k]);
    }
    expect(perChat.size).toBe(SENDERS);
    for (const [, keys] of perChat) expect(keys).toEqual([...keys].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])));

    expect(h.model.requests).toHaveLength(TOTAL);
    const decisions = h.channel.accessLog.tail(TOTAL);
    expect(decisions.filter((e) => e.reason === 'replied')).toHaveLength(TOTAL);
    await h.channel.stop();
    expect(h.channel.health()).toEqual([]);

    // Figures for the report (the CPU figure includes the fake model server, which runs in this process).
    console.log(
      `[burst] ${TOTAL} messages → ${TOTAL} replies in ${Math.round(elapsedMs)} ms ` +
        `(${(elapsedMs / TOTAL).toFixed(2)} ms/message wall, ${((cpu.user + cpu.system) / 1000 / TOTAL).toFixed(2)} ms CPU/message in the gateway process incl. the fake model)`,
    );
  });
});
