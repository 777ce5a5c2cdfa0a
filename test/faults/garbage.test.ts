// Garbage on imsg's stdout under a real gateway process: noise lines, partial JSON, invalid UTF-8
// (the simulator's IMSG_SIM_GARBAGE=1 mode, which also splits every real line into two writes),
// one line over the 10 MB cap and a real message whose text holds bytes that are not UTF-8 (a
// wrapper around the simulator, bin/imsg-oversized). Each bad line is skipped with a log line; a
// line that is not UTF-8 is read with replacement characters, so its message is answered like any
// other; the channel keeps working: every message answered once, no restart.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simBinPath } from '../../sim/lib';
import { waitFor } from '../gateway/harness';
import { recordFigures } from './figures';
import { answerAccounting, burst, sleep, startRig, type Rig } from './gateway-kit';

const wrapper = fileURLToPath(new URL('./bin/imsg-oversized', import.meta.url));
const TOTAL = 60;

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ imessage: { cliPath: wrapper }, env: { IMSG_SIM_GARBAGE: '1', IMSG_NOISY_TARGET: simBinPath } });
}, 30_000);
afterAll(async () => {
  await rig?.close();
});

describe('garbage, partial, oversized and non-UTF-8 lines from imsg', () => {
  it('are skipped (or read with replacement characters) with a log line each; every message is still answered exactly once, without a restart', async ({ task }) => {
    const { ws } = rig;
    const base = ws.sim.maxRowid();
    ws.sim.injectMany(burst(TOTAL, 6, '+1555320'));
    await waitFor(`${TOTAL} replies`, () => ws.countSent(base) >= TOTAL, 20_000);
    await sleep(300);
    const rows = ws.sent(base);
    const accounting = answerAccounting(rows, TOTAL);
    recordFigures(task, { attack: `garbage, oversized and non-UTF-8 imsg lines during ${TOTAL} messages`, figures: { lost: accounting.missing.length, doubled: accounting.doubled.length } });
    expect(accounting).toEqual({ missing: [], doubled: [], stray: 0 });

    const health = await rig.account();
    expect(health.state).toBe('listening');
    expect(health.restarts).toBe(0);

    const log = rig.gateway.stderr();
    expect(log).toMatch(/imsg rpc: skipped an oversized stdout line \(1153\d{4} bytes\)/);
    expect(log).toMatch(/imsg rpc: a stdout line was not valid UTF-8; read it with replacement characters/);
    // The message with the damaged text was answered (the reply echoes its text, repaired).
    expect(rows.filter((row) => row.text.includes('\ufffd(')).length).toBe(1);
    expect(log).toMatch(/imsg rpc: failed to parse stdout line: imsg: simulated noise, this line is not JSON/);
    expect(log).toMatch(/imsg rpc: failed to parse stdout line: \{"jsonrpc":"2.0","id":/);
    // The oversized line was a well-formed notification: it must not have been delivered.
    expect(rows.some((row) => row.text.includes('xxxxxxxx'))).toBe(false);
    // Noise is logged, but bounded: not one warning per line forever.
    expect(log.split('\n').filter((line) => line.includes('failed to parse stdout line')).length).toBeLessThanOrEqual(25);
  }, 40_000);
});
