// One source of truth for the model's state, in the same words everywhere (issue 14.4): the
// gateway's start-up log, `channels status`, `doctor` and status.model agree — in demo mode, where
// the demo assistant answers, and with no model at all.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { describeModelStatus } from '../../contract/model-status';
import { runCli, startGatewayProcess, waitFor, workspace, type GatewayProcess, type Workspace } from '../gateway/harness';

let ws: Workspace | undefined;
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  ws?.cleanup();
  gateway = undefined;
  ws = undefined;
});

async function sameWordsEverywhere(expected: string): Promise<void> {
  await waitFor('the start-up model line', () => gateway!.stderr().includes('model: '));
  expect(gateway!.stderr()).toContain(`model: ${expected}`);
  const status = await runCli(['channels', 'status'], ws!.env);
  expect(status.stdout).toContain(`Model: ${expected}\n`);
  const doctor = await runCli(['doctor'], ws!.env);
  expect(doctor.stdout).toContain(`Model: ${expected}\n`);
  const client = await gateway!.client();
  expect(describeModelStatus(await client.request('status', {})).summary).toBe(expected);
}

describe('model status', () => {
  it('demo mode: the demo assistant answers, and nothing says messages go unanswered', async () => {
    ws = workspace();
    rmSync(ws.configPath); // the demo writes its own config into this state dir
    gateway = await startGatewayProcess(ws, ['--demo']);
    await sameWordsEverywhere('demo/echo: the demo assistant answers by echoing (a stand-in, not an AI)');
    expect(gateway.stderr()).not.toMatch(/not (be )?answered/);
  });

  it('no model: the same "not answered" line everywhere', async () => {
    ws = workspace();
    gateway = await startGatewayProcess(ws);
    await sameWordsEverywhere('none configured: incoming messages are logged, not answered');
  });
});
