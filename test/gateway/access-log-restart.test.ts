// "Why was this person ignored?" must survive `gateway restart` and a stop/start (issue 14.8): the
// access log is kept on disk, bounded, and read back when the gateway starts.
import { afterEach, describe, expect, it } from 'vitest';
import { collect, runCli, startGatewayProcess, waitFor, workspace, type GatewayProcess, type Workspace } from './harness';

let ws: Workspace | undefined;
let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  ws?.cleanup();
  gateway = undefined;
  ws = undefined;
});

describe('the access log across restarts', () => {
  it('keeps the decisions through `gateway restart` and through a stop and a new start', async () => {
    ws = workspace({ imessage: { dmPolicy: 'allowlist', allowFrom: ['+15550001111'] } });
    gateway = await startGatewayProcess(ws);
    let client = await gateway.client();
    const pushed = collect(client, 'accessLog');
    const { rowid } = ws.sim.inject({ from: '+15559998888', text: 'let me in' });
    const ignored = await waitFor('the rejection in the access log', () => pushed.find((entry) => entry.messageId === rowid));
    expect(ignored).toMatchObject({ sender: '+15559998888', decision: 'rejected' });

    const restart = await runCli(['gateway', 'restart'], ws.env);
    expect(restart.code).toBe(0);
    client = await gateway.client();
    expect((await client.request('accessLog.tail', {})).entries).toContainEqual(expect.objectContaining({ messageId: rowid, decision: 'rejected' }));

    await gateway.stop();
    gateway = await startGatewayProcess(ws);
    client = await gateway.client();
    const after = (await client.request('accessLog.tail', {})).entries;
    expect(after).toEqual([expect.objectContaining({ messageId: rowid, sender: '+15559998888', decision: 'rejected', reason: ignored.reason })]);
  });
});
