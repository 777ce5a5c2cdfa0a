// Locking the owner out of the control API without a token (a real gateway process, attackers on
// the same machine): 100 unauthenticated WebSockets that never sign in and reconnect at once
// filled the 64 slots (the owner got in 0 of 37 times), and 300 never-finished HTTP requests made
// the gateway reset every new connection for ~15 s at a time. Now unauthenticated connections have
// their own small quota per address and a short deadline, a client that presents the token when it
// upgrades is admitted past them, and slow HTTP requests are dropped oldest first instead of
// refusing everyone: the owner gets in every time, through the control client, over HTTP and with
// the CLI.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlClient } from '../../contract/control-client';
import { readToken } from '../../main/gateway/auth';
import { PairingStore } from '../../main/pairing/store';
import { runCli, startGatewayProcess, workspace, type GatewayProcess, type Workspace } from '../gateway/harness';
import { silentWebSockets, slowHttpRequests, type Attack } from './attackers';
import { recordFigures } from './figures';

let ws: Workspace;
let gateway: GatewayProcess;
let token: string;
beforeAll(async () => {
  ws = workspace();
  gateway = await startGatewayProcess(ws);
  token = (await readToken(ws.stateDir))!;
});
afterAll(async () => {
  await gateway?.stop();
  ws?.cleanup();
});

const TRIES = 25;

/** The owner trying to get in, once every 150 ms: a fresh control connection and a `status` each time. */
async function ownerTries(): Promise<{ ok: number; failures: string[] }> {
  const failures: string[] = [];
  let ok = 0;
  for (let i = 0; i < TRIES; i++) {
    const client = createControlClient({ url: `${gateway.instance.url.replace(/^http/, 'ws')}/ws`, token, WebSocket, clientName: 'owner', connectTimeoutMs: 3_000 });
    try {
      await client.ready;
      await client.request('status', {});
      const health = await fetch(`${gateway.instance.url}/health`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(3_000) });
      if (health.status !== 200) throw new Error(`/health answered ${health.status}`);
      ok += 1;
    } catch (error) {
      failures.push((error as Error).message);
    } finally {
      client.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return { ok, failures };
}

async function underAttack(attack: Attack): Promise<{ ok: number; failures: string[]; cli: { code: number | null; stderr: string } }> {
  try {
    // Let the attack fill whatever it can first.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const owner = await ownerTries();
    const cli = await runCli(['channels', 'status'], ws.env);
    return { ...owner, cli };
  } finally {
    await attack.stop();
  }
}

describe('locking the owner out of the control API without a token', () => {
  it('100 unauthenticated WebSockets reconnecting at once: the owner still gets in every time', async ({ task }) => {
    const attack = silentWebSockets(gateway.instance.port, 100);
    const result = await underAttack(attack);
    const figures = attack.figures();
    recordFigures(task, {
      attack: '100 silent WebSockets, reconnecting',
      figures: { 'owner got in': `${result.ok}/${TRIES}`, 'connections held': figures.peakHeld, 'refused or closed': figures.refusedOrClosed },
    });
    expect(result.failures).toEqual([]);
    expect(result.cli.code).toBe(0);
    expect(figures.refusedOrClosed).toBeGreaterThan(0); // the quota did push back
  }, 60_000);

  it('300 never-finished HTTP requests (slowloris): the owner still gets in every time', async ({ task }) => {
    const attack = slowHttpRequests(gateway.instance.port, 300);
    const result = await underAttack(attack);
    const figures = attack.figures();
    recordFigures(task, {
      attack: '300 never-finished HTTP requests',
      figures: { 'owner got in': `${result.ok}/${TRIES}`, 'connections held': figures.peakHeld, 'refused or closed': figures.refusedOrClosed },
    });
    expect(result.failures).toEqual([]);
    expect(result.cli.code).toBe(0);
  }, 60_000);
});

describe('a gateway that runs but cannot be reached', () => {
  it('the CLI says so and changes nothing behind its back (no pairing file edit, no second imsg)', async () => {
    const other = workspace();
    // The gateway uses one token, the CLI finds another in the token file: it cannot get in.
    const running = await startGatewayProcess(other, [], { env: { ...other.env, CLAWDBOT_GATEWAY_TOKEN: 'the-gateways-own-token-Hq7Zp2Wm9Kx4' } });
    try {
      writeFileSync(join(other.stateDir, 'gateway.token'), 'a-different-token-in-the-file-Rt5Lq8\n', { mode: 0o600 });
      const store = new PairingStore({ stateDir: other.stateDir });
      const { request } = await store.upsertRequest('+15550009999');

      const approve = await runCli(['pairing', 'approve', 'imessage', request!.code], other.env);
      expect(approve.code).toBe(1);
      expect(approve.stderr).toContain(`Gateway not reachable at ${running.instance.url}`);
      expect(approve.stderr).toContain(`Not changing the pairing files behind its back: the gateway (pid ${running.child.pid}) would not know about it.`);
      expect((await store.list()).map((r) => r.code)).toEqual([request!.code]);
      expect(await store.readAllowFrom()).toEqual([]);

      const send = await runCli(['message', '--to', 'imessage:+15555550123', 'Hello'], other.env);
      expect(send.code).toBe(1);
      expect(send.stderr).toContain('Not sending through a second imsg behind its back');
      expect(other.sent()).toEqual([]);

      // Reading is harmless, and it says where the list comes from.
      const list = await runCli(['pairing', 'list', 'imessage'], other.env);
      expect(list.code).toBe(0);
      expect(list.stderr).toContain('listing the pairing files directly');
      expect(list.stdout).toContain(request!.code);
    } finally {
      await running.stop();
      other.cleanup();
    }
  });
});
