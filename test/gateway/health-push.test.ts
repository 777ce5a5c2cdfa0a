// Health as the owner sees it (issue 14.5): a message's activity is pushed to control clients
// within about 100 ms of the event (the channel coalesces, nobody polls), and ages are computed on
// the gateway's clock, so a viewer whose clock differs does not see a 1 s old message as "23s ago".
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayStatus } from '../../contract/gateway-api';
import { repoRoot, runCli, startGatewayProcess, waitFor, workspace, type GatewayProcess, type Workspace } from './harness';

let ws: Workspace | undefined;
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  ws?.cleanup();
  gateway = undefined;
  ws = undefined;
});

describe('health pushes', () => {
  it('last inbound and outbound reach a subscribed client within ~100 ms of the event, without asking', async () => {
    ws = workspace(); // dmPolicy pairing: a stranger's message comes in, its pairing reply goes out
    gateway = await startGatewayProcess(ws);
    const client = await gateway.client();
    const pushes: Array<{ at: number; status: GatewayStatus }> = [];
    client.on('health', (status) => pushes.push({ at: Date.now(), status }));

    ws.sim.inject({ from: '+15555550123', text: 'hello' });
    for (const field of ['lastInboundAt', 'lastOutboundAt'] as const) {
      const push = await waitFor(`a pushed health with ${field}`, () => pushes.find((p) => p.status.accounts[0]?.[field]));
      const delay = push.at - Date.parse(push.status.accounts[0]![field]!);
      // The channel's 100 ms coalescing plus the frame; the owner used to wait seconds.
      expect(delay, field).toBeLessThan(1000);
    }
  });
});

describe('ages', () => {
  it('use the gateway\'s clock: a gateway 22 s behind still shows a fresh message as seconds old', async () => {
    ws = workspace({ imessage: { dmPolicy: 'open', allowFrom: ['*'] } });
    const skewed = {
      ...ws.env,
      CLOCK_SKEW_MS: String(-22_000),
      NODE_OPTIONS: `${ws.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(join(repoRoot, 'test', 'support', 'clock-skew.mjs')).href}`.trim(),
    };
    gateway = await startGatewayProcess(ws, [], { env: skewed });
    const client = await gateway.client();
    ws.sim.inject({ from: '+15555550123', text: 'hello' });
    await waitFor('lastInboundAt', async () => (await client.request('status', {})).accounts[0]?.lastInboundAt);
    const status = await runCli(['channels', 'status'], ws.env);
    const age = /last inbound (\d+)s ago/.exec(status.stdout);
    expect(age, status.stdout).not.toBeNull();
    expect(Number(age![1])).toBeLessThan(10);
  });
});
