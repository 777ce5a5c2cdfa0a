// imsg stops answering (alive, reading stdin, silent: IMSG_SIM_STALL_AFTER, once via
// IMSG_SIM_ONCE): requests time out, the supervisor kills and restarts imsg, and health says why.
//
// This one runs the gateway in-process (startGateway, the same composition `clawdbot gateway`
// runs) because it needs short timeouts: in production a stall is noticed by the liveness check
// (every 30 s, 10 s timeout) or a send's 60 s timeout, and there is no config knob to shorten
// them, so a child-process test would take a minute.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type GatewayHandle } from '../../main/gateway/start';
import { isAlive, waitFor, workspace, type Workspace } from '../gateway/harness';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server';
import { recordFigures } from './figures';
import { modelConfig, sleep } from './gateway-kit';
import { inject } from '../support/sim-inject';

const TIMINGS = {
  requestTimeoutMs: 500,
  sendTimeoutMs: 1000,
  livenessIntervalMs: 250,
  livenessTimeoutMs: 500,
  backoff: { initialMs: 50, maxMs: 400, factor: 2, jitter: 0 },
  stopGraceMs: 200,
  healthThrottleMs: 20,
};
/** Requests the gateway makes before it is subscribed: probe `chats.list`, resume-point `chats.list` + `messages.history`, `watch.subscribe`. */
const STARTUP_REQUESTS = 4;

let model: FakeModelServer | undefined;
let ws: Workspace | undefined;
let gateway: GatewayHandle | undefined;
afterEach(async () => {
  await gateway?.stop();
  await model?.close();
  ws?.cleanup();
  gateway = undefined;
  model = undefined;
  ws = undefined;
});

async function start(stallAfter: number): Promise<{ marker: string; logs: string[] }> {
  model = await startFakeModelServer({ record: false, apiKey: 'test-key' });
  const marker = join(process.env.TMPDIR ?? '/tmp', `imsg-stall-once-${process.pid}-${Date.now()}`);
  ws = workspace({ imessage: { dmPolicy: 'open', allowFrom: ['*'] }, extra: modelConfig(model), env: { IMSG_SIM_STALL_AFTER: String(stallAfter), IMSG_SIM_ONCE: marker } });
  ws.sim.inject({ from: '+15555559999', text: 'before the gateway' });
  const logs: string[] = [];
  gateway = await startGateway({
    stateDir: ws.stateDir,
    configPath: ws.configPath,
    env: ws.env,
    port: 0,
    signals: false,
    staticDir: null,
    logLevel: 'debug',
    logSinks: [(record) => logs.push(`${record.level} ${record.msg}`)],
    channelTimings: TIMINGS,
  });
  return { marker, logs };
}

const account = () => gateway!.status().accounts[0]!;

describe('imsg stalls', () => {
  it('while subscribing: the request times out, imsg is killed and restarted, health says why', async () => {
    const { marker, logs } = await start(STARTUP_REQUESTS - 1);
    const back = await waitFor('listening after the stall', () => (account().state === 'listening' && account().restarts >= 1 ? account() : undefined), 5000);
    expect(existsSync(marker)).toBe(true); // the stall really happened
    expect(back.lastError?.message).toBe('watch.subscribe failed: imsg rpc timeout (watch.subscribe): imsg did not answer');
    expect(logs.some((line) => /rpc backing off \(retry in .*\): watch\.subscribe failed: imsg rpc timeout/.test(line))).toBe(true);
    // Works after the restart.
    const row = await inject(ws!.sim, { from: '+15555550001', text: 'after the stall #1#' });
    await waitFor('the reply', () => ws!.sent(row.rowid).length === 1, 5000);
  });

  it('while listening: the liveness check or the send times out, the silent imsg is killed, a new one listens; the message is answered once', async ({ task }) => {
    const { marker } = await start(STARTUP_REQUESTS);
    await waitFor('listening', () => account().state === 'listening', 5000);
    const stalledPid = account().pid!;
    const row = await inject(ws!.sim, { from: '+15555550002', text: 'during the stall #2#' });
    const back = await waitFor('a new imsg listening', () => (account().state === 'listening' && account().pid !== stalledPid ? account() : undefined), 5000);
    expect(existsSync(marker)).toBe(true);
    expect(back.restarts).toBe(1);
    // Whichever notices first: the liveness check, or the reply's own send timing out.
    expect(back.lastError?.message).toMatch(/^imsg rpc stalled: no answer to (the liveness check \(chats\.list\) within 500 ms|send within its timeout)$/);
    // A forever-stalled imsg ignores stdin EOF; the supervisor must not leave it running.
    await waitFor('the stalled imsg to be gone', () => !isAlive(stalledPid), 3000);
    const answers = () => ws!.sent(row.rowid).filter((r) => r.text.includes('#2#')).length;
    await waitFor('the reply', () => answers() > 0, 5000);
    await sleep(800); // a second answer would show up now
    recordFigures(task, { attack: 'imsg stalls while listening (alive, silent)', figures: { lost: answers() === 0 ? 1 : 0, doubled: Math.max(0, answers() - 1), restarts: back.restarts } });
    expect(answers()).toBe(1);
  });

  // The reply's `send`, queued behind the stalled request, is rejected when the supervisor stops
  // the stalled imsg; it is resent once the new imsg listens (main/imessage/sender.ts).
  it('a message that arrives during the stall is answered after the restart', async () => {
    await start(STARTUP_REQUESTS);
    await waitFor('listening', () => account().state === 'listening', 5000);
    const stalledPid = account().pid!;
    const row = await inject(ws!.sim, { from: '+15555550003', text: 'during the stall #3#' });
    await waitFor('a new imsg listening', () => account().state === 'listening' && account().pid !== stalledPid, 5000);
    await waitFor('the reply', () => ws!.sent(row.rowid).some((r) => r.text.includes('#3#')), 1500);
  });
});
