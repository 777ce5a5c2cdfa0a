// `clawdbot pairing list|approve|deny|revoke` with and without a running gateway (spec §3.5).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PairingEvent } from '../../contract/gateway-api';
import { APPROVED_NOTICE } from '../../main/pairing/messages';
import { PairingStore } from '../../main/pairing/store';
import { runCli, startGatewayProcess, waitFor, workspace, type GatewayProcess, type Workspace } from '../gateway/harness';

describe('pairing without a gateway (the files are changed directly)', () => {
  let ws: Workspace;
  let store: PairingStore;
  beforeEach(() => {
    ws = workspace();
    store = new PairingStore({ stateDir: ws.stateDir });
  });
  afterEach(() => ws.cleanup());

  it('list: empty, then the table sorted by request time; --json', async () => {
    expect((await runCli(['pairing', 'list', 'imessage'], ws.env)).stdout).toBe('No pending imessage pairing requests.\n');

    const first = await store.upsertRequest('+15550001111', { sender: '+15550001111', chatId: '7' });
    const second = await store.upsertRequest('Someone@Example.com', { sender: 'someone@example.com' });
    const result = await runCli(['pairing', 'list', 'imessage'], ws.env);
    const a = first.request!;
    const b = second.request!;
    // The sender, the code, the account (unknown for requests stored without one), age and time left.
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'Pairing requests (2)',
      'Sender              | Code     | Account | Requested | Expires in',
      '--------------------+----------+---------+-----------+-----------',
    ]);
    expect(lines[3]).toMatch(new RegExp(`^\\+15550001111        \\| ${a.code} \\| -       \\| \\ds ago    \\| 59m$`));
    expect(lines[4]).toMatch(new RegExp(`^someone@example\\.com \\| ${b.code} \\| -       \\| \\ds ago    \\| 59m$`));
    expect(lines.slice(5)).toEqual(['Approve with: clawdbot pairing approve imessage <CODE>', '']);
    expect(result.code).toBe(0);

    const json = JSON.parse((await runCli(['pairing', 'list', '--channel', 'imessage', '--json'], ws.env)).stdout);
    expect(json).toEqual({ channel: 'imessage', requests: [expect.objectContaining({ id: '+15550001111', code: a.code, expiresAt: expect.any(String) }), expect.objectContaining({ id: 'someone@example.com' })] });
  });

  it('approve moves the sender to the allow store; approving again says so; an unknown code is exit 1', async () => {
    const { request } = await store.upsertRequest('+15550001111');
    const approved = await runCli(['pairing', 'approve', 'imessage', request!.code.toLowerCase()], ws.env);
    expect(approved.stdout).toBe('Approved imessage sender +15550001111.\n');
    expect(approved.code).toBe(0);
    expect(await store.readAllowFrom()).toEqual(['+15550001111']);
    expect(await store.list()).toEqual([]);

    const again = await runCli(['pairing', 'approve', '--channel', 'imessage', request!.code], ws.env);
    expect(again.stdout).toBe(`Code ${request!.code} was already approved: imessage sender +15550001111 can chat. Nothing changed.\n`);
    expect(again.code).toBe(0);

    const unknown = await runCli(['pairing', 'approve', 'imessage', 'ABCD2345'], ws.env);
    expect(unknown.stderr).toContain('Error: No pending pairing request found for code: ABCD2345');
    expect(unknown.code).toBe(1);
  });

  it('deny drops the request; revoke removes an approved sender', async () => {
    const { request } = await store.upsertRequest('+15550002222');
    const denied = await runCli(['pairing', 'deny', 'imessage', request!.code], ws.env);
    expect(denied.stdout).toContain(`Denied imessage sender +15550002222 (code ${request!.code}).`);
    expect(await store.list()).toEqual([]);
    expect(await store.readAllowFrom()).toEqual([]);

    const second = await store.upsertRequest('+15550003333');
    await store.approve(second.request!.code);
    const revoked = await runCli(['pairing', 'revoke', 'imessage', '+1 (555) 000-3333'], ws.env);
    expect(revoked.stdout).toContain('Revoked imessage sender +15550003333.');
    expect(revoked.code).toBe(0);
    expect(await store.readAllowFrom()).toEqual([]);
    const notThere = await runCli(['pairing', 'revoke', 'imessage', '+15550003333'], ws.env);
    expect(notThere.code).toBe(1);
  });

  it('CLAWDBOT_OAUTH_DIR moves the pairing files: the CLI reads and writes them there', async () => {
    const credentialsDir = join(ws.stateDir, 'elsewhere');
    const moved = new PairingStore({ credentialsDir });
    const { request } = await moved.upsertRequest('+15550004444');
    const env = { ...ws.env, CLAWDBOT_OAUTH_DIR: credentialsDir };
    expect((await runCli(['pairing', 'list', 'imessage', '--json'], env)).stdout).toContain(request!.code);
    expect((await runCli(['pairing', 'list', 'imessage'], ws.env)).stdout).toBe('No pending imessage pairing requests.\n');
    expect((await runCli(['pairing', 'approve', 'imessage', request!.code], env)).code).toBe(0);
    expect(await moved.readAllowFrom()).toEqual(['+15550004444']);
    expect(existsSync(join(ws.stateDir, 'credentials', 'imessage-allowFrom.json'))).toBe(false);
  });

  it('usage errors exit 2 with the spec wording', async () => {
    const missing = await runCli(['pairing', 'approve', 'imessage'], ws.env);
    expect(missing.stderr).toContain('Error: Usage: clawdbot pairing approve <channel> <code> (or: clawdbot pairing approve --channel <channel> <code>)');
    expect(missing.code).toBe(2);
    const both = await runCli(['pairing', 'approve', '--channel', 'imessage', 'imessage', 'ABCD2345'], ws.env);
    expect(both.stderr).toContain('Error: Too many arguments. Use: clawdbot pairing approve <channel> <code>');
    expect(both.code).toBe(2);
    const other = await runCli(['pairing', 'list', 'telegram'], ws.env);
    expect(other.stderr).toContain('Error: Channel telegram does not support pairing');
    expect(other.code).toBe(2);
  });
});

describe('pairing with a running gateway (through its control API)', () => {
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

  it('a DM from an unknown sender is listed; approve --notify fires the event and tells the sender', async () => {
    const client = await gateway.client();
    const events: PairingEvent[] = [];
    client.on('pairing', (event) => events.push(event));

    const { chatId } = ws.sim.inject({ from: '+15555550123', text: 'hi, can I talk to the bot?' });
    const listed = await waitFor('the pairing request in `pairing list`', async () => {
      const result = await runCli(['pairing', 'list', 'imessage', '--json'], ws.env);
      const requests = JSON.parse(result.stdout).requests as { id: string; code: string; meta: Record<string, string> }[];
      return requests.length > 0 ? requests : undefined;
    });
    // The request remembers the account and chat it came in on.
    expect(listed).toEqual([
      expect.objectContaining({ id: '+15555550123', accountId: 'default', chatId, meta: { sender: '+15555550123', accountId: 'default', chatId: String(chatId) } }),
    ]);
    const code = listed[0]!.code;
    // Exactly one pairing reply went to the chat.
    await waitFor('the pairing reply', () => ws.sent().length === 1);
    expect(ws.sent()[0]!.text).toContain(`Pairing code: ${code}`);

    const approved = await runCli(['pairing', 'approve', 'imessage', code, '--notify'], ws.env);
    expect(approved.stdout).toBe('Approved imessage sender +15555550123.\nTold +15555550123 they can start chatting (from iMessage account default).\n');
    expect(approved.code).toBe(0);
    await waitFor('the approved event', () => events.some((event) => event.kind === 'approved' && event.senderId === '+15555550123'));
    const notice = ws.sent().find((row) => row.text === APPROVED_NOTICE);
    expect(notice).toMatchObject({ to: '+15555550123' });

    // The files are the source of truth: a store reading them sees the approval.
    expect(await new PairingStore({ stateDir: ws.stateDir }).readAllowFrom()).toEqual(['+15555550123']);
    expect((await runCli(['pairing', 'list', 'imessage'], ws.env)).stdout).toBe('No pending imessage pairing requests.\n');
  });

  it('an unknown code through the gateway is exit 1 with the spec message', async () => {
    const result = await runCli(['pairing', 'approve', 'imessage', 'ABCD2345'], ws.env);
    expect(result.stderr).toContain('Error: No pending pairing request found for code: ABCD2345');
    expect(result.code).toBe(1);
  });
});

describe('approve --notify when the notice cannot be sent', () => {
  it('approves, says why the notice failed, exit 1', async () => {
    // Every `send` fails the way imsg does off macOS.
    const ws = workspace({ env: { IMSG_SIM_LINUX_SEND: '1' } });
    const gateway = await startGatewayProcess(ws);
    try {
      const { request } = await new PairingStore({ stateDir: ws.stateDir }).upsertRequest('+15550004444');
      const result = await runCli(['pairing', 'approve', 'imessage', request!.code, '--notify'], ws.env);
      expect(result.stdout).toBe('Approved imessage sender +15550004444.\n');
      expect(result.stderr).toMatch(/^Failed to notify requester: iMessage send to \+15550004444 failed: .+/);
      expect(result.code).toBe(1);
      expect(await new PairingStore({ stateDir: ws.stateDir }).readAllowFrom()).toEqual(['+15550004444']);
    } finally {
      await gateway.stop();
      ws.cleanup();
    }
  });
});
