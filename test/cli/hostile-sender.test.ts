// A sender chooses their handle. One with terminal escapes, a carriage return and a bidi override
// must not reach the owner's terminal raw — not in `pairing list`, not in the approval line, not
// in the gateway's log — or the approval list can be made to lie (issue 13.6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startGatewayProcess, waitFor, workspace, type GatewayProcess, type Workspace } from '../gateway/harness';

/** Clears the screen, paints "APPROVED" in red, reverses what follows and returns to the line start. */
const HOSTILE = '+1555\u001b[2J\u001b[31mAPPROVED\u001b[0m\u202e3210\r+15550001111';
// eslint-disable-next-line no-control-regex
const RAW = /[\u001b\r\u202e\u009b]/;

describe('a sender handle with control characters', () => {
  let ws: Workspace;
  let gateway: GatewayProcess;
  beforeAll(async () => {
    ws = workspace();
    gateway = await startGatewayProcess(ws, ['--verbose']);
  });
  afterAll(async () => {
    await gateway?.stop();
    ws.cleanup();
  });

  it('is escaped in pairing list, approve and the gateway log; the raw handle is kept for replies', async () => {
    ws.sim.inject({ from: HOSTILE, text: 'let me in' });
    const requests = await waitFor('the pairing request', async () => {
      const listed = JSON.parse((await runCli(['pairing', 'list', 'imessage', '--json'], ws.env)).stdout).requests as { id: string; code: string }[];
      return listed.length > 0 ? listed : undefined;
    });
    // --json is for programs: the value is exact (JSON escapes it).
    expect(requests[0]!.id).toBe(HOSTILE);

    const list = await runCli(['pairing', 'list', 'imessage'], ws.env);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toMatch(RAW);
    expect(list.stdout).toContain('+1555\\x1b[2J\\x1b[31mAPPROVED\\x1b[0m\\u202e3210\\r+15550001111');

    const approved = await runCli(['pairing', 'approve', 'imessage', requests[0]!.code], ws.env);
    expect(approved.code).toBe(0);
    expect(approved.stdout).not.toMatch(RAW);
    expect(approved.stdout).toContain('\\x1b[2J');

    // The pairing reply went to the sender's own chat, untouched.
    expect(ws.sent().some((row) => row.text.includes(`Your iMessage sender id: ${HOSTILE}`))).toBe(true);
    await waitFor('the gateway to log the request', () => gateway.stderr().includes('pairing requested by'));
    expect(gateway.stderr()).not.toMatch(RAW);
    expect(gateway.stderr()).toContain('\\x1b[2J');
  });
});
