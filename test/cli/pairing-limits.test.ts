// Pairing as the owner meets it under pressure: codes typed wrong, codes approved twice, strangers
// holding every slot, a request file with a createdAt in the future, and two accounts with two
// Apple IDs (issues 13.9, 14.6, 14.11). Real CLI and gateway processes over the imsg simulator.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClientError } from '../../contract/control-client';
import { APPROVED_NOTICE } from '../../main/pairing/messages';
import { PairingStore } from '../../main/pairing/store';
import { SimDb } from '../../sim/lib';
import { ME, runCli, simBinPath, startGatewayProcess, waitFor, workspace, type GatewayProcess, type Workspace } from '../gateway/harness';

const pendingCodes = async (ws: Workspace) =>
  (JSON.parse((await runCli(['pairing', 'list', 'imessage', '--json'], ws.env)).stdout).requests as { id: string; code: string }[]);

describe('codes typed wrong', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = workspace();
  });
  afterAll(() => ws.cleanup());

  it('names the characters a code never has (exit 2)', async () => {
    const result = await runCli(['pairing', 'approve', 'imessage', 'WRONG123'], ws.env);
    expect(result.stderr).toContain('Error: WRONG123 is not a pairing code: "O" and "1" are never used in pairing codes; codes use A–Z without I and O, and the digits 2–9, e.g. ABCD2345.');
    expect(result.code).toBe(2);
    const short = await runCli(['pairing', 'deny', 'imessage', 'ABC'], ws.env);
    expect(short.stderr).toContain('the code has 3 characters; a pairing code has exactly 8');
    expect(short.code).toBe(2);
  });

  it('a request whose createdAt lies in the future expires instead of holding a slot forever', async () => {
    const credentials = join(ws.stateDir, 'credentials');
    mkdirSync(credentials, { recursive: true, mode: 0o700 });
    const future = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const request = { id: '+15550009999', code: 'ABCD2345', createdAt: future, lastSeenAt: future };
    writeFileSync(join(credentials, 'imessage-pairing.json'), `${JSON.stringify({ version: 1, requests: [request] })}\n`, { mode: 0o600 });
    expect((await runCli(['pairing', 'list', 'imessage'], ws.env)).stdout).toBe('No pending imessage pairing requests.\n');
    expect((await runCli(['pairing', 'approve', 'imessage', 'ABCD2345'], ws.env)).code).toBe(1);
    expect(await new PairingStore({ stateDir: ws.stateDir }).readAllowFrom()).toEqual([]);
  });
});

describe('strangers holding every pairing slot (gateway running)', () => {
  let ws: Workspace;
  let gateway: GatewayProcess;
  beforeAll(async () => {
    ws = workspace();
    gateway = await startGatewayProcess(ws);
  });
  afterAll(async () => {
    await gateway?.stop();
    ws.cleanup();
  });

  it('status and pairing list say the slots are full; deny --all clears them; the next stranger gets a code', async () => {
    for (const from of ['+15550000001', '+15550000002', '+15550000003']) ws.sim.inject({ from, text: 'hi' });
    await waitFor('three pending requests', async () => (await pendingCodes(ws)).length === 3);
    await waitFor('three pairing replies', () => ws.sent().length === 3);
    ws.sim.inject({ from: '+15550000004', text: 'me too' });

    const status = await runCli(['channels', 'status'], ws.env);
    expect(status.stdout).toContain('Pending pairing requests: 3 of 3, all slots taken: new senders get no code until one is approved, denied or expires');
    expect(status.stdout).toContain('`clawdbot pairing deny imessage --all` clears them');
    const list = await runCli(['pairing', 'list', 'imessage'], ws.env);
    expect(list.stdout).toMatch(/All 3 pairing slots are taken: new senders get no code until a request is approved, denied or expires \(the first frees up in 59m\)\. To clear them all: clawdbot pairing deny imessage --all/);

    const client = await gateway.client();
    expect((await client.request('status', {})).maxPendingPairing).toBe(3);
    const denied = await runCli(['pairing', 'deny', 'imessage', '--all'], ws.env);
    expect(denied.code).toBe(0);
    expect(denied.stdout).toMatch(/^Denied 3 imessage pairing requests: .+\. They were not told; the slots are free for new senders\.\n$/);
    for (const from of ['+15550000001', '+15550000002', '+15550000003']) expect(denied.stdout).toMatch(new RegExp(`\\${from} \\([A-Z2-9]{8}\\)`));
    expect(await pendingCodes(ws)).toEqual([]);
    expect((await runCli(['pairing', 'deny', 'imessage', '--all'], ws.env)).stdout).toBe('No pending imessage pairing requests; nothing to deny.\n');

    ws.sim.inject({ from: '+15550000004', text: 'hello again' });
    await waitFor('a code for the fourth stranger', async () => (await pendingCodes(ws)).some((request) => request.id === '+15550000004'));
    // The strangers were never told they were denied: 3 codes, then the fourth's.
    await waitFor('the fourth pairing reply', () => ws.sent().length === 4);
  });

  it('the control API names the wrong characters too', async () => {
    const client = await gateway.client();
    const error = await client.request('pairing.approve', { code: 'WRONG123' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlClientError);
    expect((error as ControlClientError).message).toContain('"O" and "1" are never used in pairing codes');
  });
});

describe('two accounts, two Apple IDs', () => {
  let ws: Workspace;
  let second: SimDb;
  let gateway: GatewayProcess;
  beforeAll(async () => {
    ws = workspace();
    const mainDb = join(ws.dir, 'mac-main', 'Library', 'Messages', 'chat.db');
    second = SimDb.create(mainDb, { me: '+15550000099' });
    ws.writeConfig({
      channels: {
        imessage: {
          accounts: {
            bot: { cliPath: simBinPath, dbPath: ws.dbPath },
            main: { cliPath: simBinPath, dbPath: mainDb },
          },
        },
      },
    });
    gateway = await startGatewayProcess(ws);
  });
  afterAll(async () => {
    await gateway?.stop();
    second?.close();
    ws.cleanup();
  });

  it('the request remembers the account; the list shows it; the approval notice goes out from it, once', async () => {
    const { chatId } = second.inject({ from: '+15555550123', text: 'hi main' });
    const [request] = await waitFor('the request from account main', async () => {
      const requests = JSON.parse((await runCli(['pairing', 'list', 'imessage', '--json'], ws.env)).stdout).requests as { code: string; accountId?: string; chatId?: number }[];
      return requests.length > 0 ? requests : undefined;
    });
    expect(request).toMatchObject({ accountId: 'main', chatId });
    const list = await runCli(['pairing', 'list', 'imessage'], ws.env);
    expect(list.stdout).toMatch(new RegExp(`\\+15555550123 \\| ${request!.code} \\| main    \\|`));
    await waitFor('the pairing reply from main', () => second.sent().length === 1);

    const approved = await runCli(['pairing', 'approve', 'imessage', request!.code, '--notify'], ws.env);
    expect(approved.stdout).toBe('Approved imessage sender +15555550123.\nTold +15555550123 they can start chatting (from iMessage account main).\n');
    expect(approved.code).toBe(0);
    const notice = second.sent().find((row) => row.text === APPROVED_NOTICE);
    expect(notice).toMatchObject({ chat_id: chatId, to: '+15555550123' });
    expect(ws.sent().filter((row) => row.text === APPROVED_NOTICE)).toEqual([]); // not from the bot's Apple ID
    expect(ME).not.toBe('+15550000099');

    const again = await runCli(['pairing', 'approve', 'imessage', request!.code, '--notify'], ws.env);
    expect(again.stdout).toBe(`Code ${request!.code} was already approved: imessage sender +15555550123 can chat. Nothing changed.\n`);
    expect(again.code).toBe(0);
    expect(second.sent().filter((row) => row.text === APPROVED_NOTICE)).toHaveLength(1);
  });
});
