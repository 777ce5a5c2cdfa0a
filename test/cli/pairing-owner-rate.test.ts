// The pairing rate limit counts failed guesses, not the owner's work: approving 14 real requests in
// a row through `clawdbot pairing approve` against a running gateway process all succeed (the
// limit is 10 attempts per minute), while wrong codes are still limited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PairingStore } from '../../main/pairing/store';
import { runCli, startGatewayProcess, workspace, type GatewayProcess, type Workspace } from '../gateway/harness';

let ws: Workspace;
let gateway: GatewayProcess;
beforeAll(async () => {
  ws = workspace();
  gateway = await startGatewayProcess(ws);
});
afterAll(async () => {
  await gateway?.stop();
  ws?.cleanup();
});

describe('pairing approve/deny rate limit against a running gateway', () => {
  it('lets the owner approve 14 real requests in a row; wrong codes are limited after 10', async () => {
    const store = new PairingStore({ stateDir: ws.stateDir });
    const outcomes: string[] = [];
    for (let i = 0; i < 14; i += 1) {
      // At most 3 requests are pending at a time: they come in one by one, as senders write.
      const { request } = await store.upsertRequest(`+1555010${String(i).padStart(4, '0')}`);
      const result = await runCli(['pairing', 'approve', 'imessage', request!.code], ws.env);
      outcomes.push(result.code === 0 ? 'approved' : result.stderr.trim());
    }
    expect(outcomes).toEqual(Array(14).fill('approved'));
    expect(await store.readAllowFrom()).toHaveLength(14);

    // Ten wrong guesses (over one connection, quickly: the allowance refills one every 6 s)...
    const guesser = await gateway.client();
    for (let i = 0; i < 10; i += 1) await expect(guesser.request('pairing.approve', { code: 'ABCD2345' })).rejects.toMatchObject({ code: 'not_found' });
    // ...and the next attempt, from the CLI, is refused.
    const refused = await runCli(['pairing', 'approve', 'imessage', 'ABCD2345'], ws.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Too many pairing approve/deny attempts');
  }, 60_000);
});
