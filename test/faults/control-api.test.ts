// The control API of a real gateway process under hostile or broken clients: no token, a wrong
// token, a foreign Origin (cross-site WebSocket hijacking), a rebinding Host header, 1,000
// connection attempts, oversized and binary frames. All must be rejected, and the gateway must
// stay responsive throughout: the owner's connected client keeps getting answers and messages
// keep being answered. (control-server.test.ts covers the same rules in-process, in detail.)
import { request } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PROTOCOL_VERSION, MAX_FRAME_BYTES } from '../../contract/constants';
import { readToken } from '../../main/gateway/auth';
import { waitFor } from '../gateway/harness';
import { recordFigures } from './figures';
import { startRig, type Rig } from './gateway-kit';
import { inject } from '../support/sim-inject';

let rig: Rig;
let port: number;
let token: string;

beforeAll(async () => {
  rig = await startRig();
  port = rig.gateway.instance.port;
  token = (await readToken(rig.ws.stateDir))!;
}, 30_000);
afterAll(async () => {
  await rig?.close();
});

interface Outcome {
  /** HTTP status when the upgrade was refused. */
  status?: number;
  /** Close code when the socket was opened and then closed by the server. */
  closeCode?: number;
  /** Error responses received before the close. */
  errors: string[];
}

/** Opens a raw WebSocket, optionally sends frames, and reports how the server ended it. */
function attempt(options: { headers?: Record<string, string>; frames?: (string | Buffer)[]; timeoutMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { errors: [] };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: options.headers ?? {} });
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(outcome);
    }, options.timeoutMs ?? 5000);
    ws.on('unexpected-response', (_req, res) => {
      outcome.status = res.statusCode;
      clearTimeout(timer);
      res.resume();
      ws.terminate();
      resolve(outcome);
    });
    ws.on('open', () => {
      for (const frame of options.frames ?? []) ws.send(frame);
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { ok?: boolean; error?: { code: string } };
      if (frame.ok === false && frame.error) outcome.errors.push(frame.error.code);
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      clearTimeout(timer);
      outcome.closeCode = code;
      resolve(outcome);
    });
  });
}

const connectFrame = (withToken: string | undefined) =>
  JSON.stringify({ type: 'req', id: '1', method: 'connect', params: { ...(withToken === undefined ? {} : { token: withToken }), client: { name: 'attacker' }, protocol: CONTROL_PROTOCOL_VERSION } });

/** node:http rather than fetch, which does not let a caller set the Host header. */
function httpStatus(path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('control API of a running gateway under hostile clients', () => {
  it('rejects a missing token, a wrong token, a foreign Origin and a rebinding Host', async () => {
    expect(await attempt({ frames: [connectFrame(undefined)] })).toMatchObject({ closeCode: 1008, errors: ['bad_request'] });
    expect(await attempt({ frames: [connectFrame('')] })).toMatchObject({ closeCode: 1008, errors: ['unauthorized'] });
    expect(await attempt({ frames: [connectFrame(`${token}x`)] })).toMatchObject({ closeCode: 1008, errors: ['unauthorized'] });
    expect(await attempt({ frames: [JSON.stringify({ type: 'req', id: '1', method: 'status', params: {} })] })).toMatchObject({ closeCode: 1008, errors: ['unauthorized'] });
    // The right token from a web page on another origin, or through a rebinding DNS name.
    expect(await attempt({ headers: { Origin: 'http://evil.example' }, frames: [connectFrame(token)] })).toMatchObject({ status: 403 });
    expect(await attempt({ headers: { Host: `evil.example:${port}` }, frames: [connectFrame(token)] })).toMatchObject({ status: 421 });
    // HTTP: status data only with the token; a rebinding Host gets nothing at all.
    expect(await httpStatus('/health', { Authorization: 'Bearer wrong' })).toBe(401);
    expect(await httpStatus('/health', { Host: `evil.example:${port}` })).toBe(421);
    const anonymous = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, unknown>;
    expect(anonymous).toMatchObject({ ok: true });
    expect(anonymous.status).toBeUndefined();
  });

  it('closes oversized, binary and malformed frames, authenticated or not', async () => {
    const big = 'x'.repeat(MAX_FRAME_BYTES + 1024);
    expect((await attempt({ frames: [big] })).closeCode).toBe(1009);
    expect((await attempt({ frames: [connectFrame(token), JSON.stringify({ type: 'req', id: '2', method: 'status', params: { pad: big } })] })).closeCode).toBe(1009);
    expect((await attempt({ frames: [Buffer.from([1, 2, 3])] })).closeCode).toBe(1003);
    expect(await attempt({ frames: ['{not json'] })).toMatchObject({ closeCode: 1008, errors: ['bad_request'] });
  });

  it('stays responsive through 1,000 hostile connection attempts: the owner is answered, messages are answered', async ({ task }) => {
    const owner = rig.client;
    const ownerLatencies: number[] = [];
    let storming = true;
    const ownerLoop = (async () => {
      while (storming) {
        const started = performance.now();
        await owner.request('status', {});
        ownerLatencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const row = await inject(rig.ws.sim, { from: '+15555550777', text: 'during the storm #7#' });

    const kinds = [
      () => attempt({ frames: [connectFrame('wrong-token-wrong-token-wrong-token')] }),
      () => attempt({ headers: { Origin: 'http://evil.example' } }),
      () => attempt({ headers: { Host: `rebind.example:${port}` } }),
      () => attempt({ frames: ['garbage'] }),
    ];
    const outcomes: Outcome[] = [];
    const started = performance.now();
    for (let wave = 0; wave < 20; wave++) {
      outcomes.push(...(await Promise.all(Array.from({ length: 50 }, (_, i) => kinds[(wave * 50 + i) % kinds.length]!()))));
    }
    const stormMs = performance.now() - started;
    storming = false;
    await ownerLoop;

    recordFigures(task, {
      attack: '1,000 hostile connections (wrong token, foreign Origin, rebinding Host, garbage)',
      figures: {
        'requests refused': outcomes.filter((o) => o.status !== undefined || o.closeCode !== undefined).length,
        'owner status max (ms)': Math.round(Math.max(...ownerLatencies)),
      },
    });
    expect(outcomes).toHaveLength(1000);
    const accepted = outcomes.filter((o) => o.status === undefined && o.closeCode === undefined);
    expect(accepted).toEqual([]); // every attempt was refused or closed by the server
    for (const o of outcomes) expect(o.status !== undefined ? [403, 421, 503] : [1008]).toContain(o.status ?? o.closeCode);
    await waitFor('the message sent during the storm to be answered', () => rig.ws.sent(row.rowid).some((r) => r.text.includes('#7#')), 5000);
    expect(ownerLatencies.length).toBeGreaterThan(0);
    expect(Math.max(...ownerLatencies)).toBeLessThan(1000);
    // And a new legitimate connection works right after.
    expect((await rig.account()).state).toBe('listening');
    const fresh = await attempt({ frames: [connectFrame(token)], timeoutMs: 500 });
    expect(fresh.errors).toEqual([]);
    console.log(`[control-api] 1000 hostile attempts in ${Math.round(stormMs)} ms; owner status latency max ${Math.round(Math.max(...ownerLatencies))} ms; refused: ${JSON.stringify(countBy(outcomes))}`);
  }, 60_000);
});

function countBy(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.status !== undefined ? `http ${o.status}` : `close ${o.closeCode}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
