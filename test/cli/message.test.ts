// `clawdbot message --to … "text"` and `clawdbot message send --channel imessage --target … -m …`,
// directly through a short-lived imsg (no gateway) and through a running gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startGatewayProcess, waitFor, workspace, type GatewayProcess, type Workspace } from '../gateway/harness';

describe('message without a gateway (direct imsg)', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = workspace();
  });
  afterAll(() => ws.cleanup());

  it('the tutorial form sends to the handle', async () => {
    const result = await runCli(['message', '--to', 'imessage:+15555550123', 'Hello from Clawdbot!'], ws.env);
    const sent = ws.sent();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: '+15555550123', text: 'Hello from Clawdbot!', service: 'iMessage' });
    expect(result.stdout).toBe(`✅ Sent via iMessage to imessage:+15555550123. Message ID: ${sent[0]!.guid}\n`);
    expect(result.code).toBe(0);
  });

  it('the original form with --json prints the delivery envelope', async () => {
    const { chatId } = ws.sim.inject({ from: '+15550007777', text: 'hello' });
    const before = ws.sim.maxRowid();
    const result = await runCli(['message', 'send', '--channel', 'imessage', '--target', `chat_id:${chatId}`, '-m', 'To the chat', '--json'], ws.env);
    expect(result.code).toBe(0);
    const sent = ws.sent(before);
    expect(sent).toEqual([expect.objectContaining({ chat_id: chatId, text: 'To the chat' })]);
    expect(JSON.parse(result.stdout)).toEqual({
      action: 'send',
      channel: 'imessage',
      dryRun: false,
      handledBy: 'direct',
      // A chat addressed by id goes out over the chat's own service: not named.
      payload: { via: 'direct', to: `chat_id:${chatId}`, accountId: 'default', sentVia: null, chunks: 1, messageId: sent[0]!.guid, messageIds: [sent[0]!.guid] },
    });
  });

  it('bad input is exit 2 and sends nothing', async () => {
    const before = ws.sim.maxRowid();
    const badTarget = await runCli(['message', '--to', 'chat_id:abc', 'hi'], ws.env);
    expect(badTarget.stderr).toContain('Error: Invalid target "chat_id:abc": Invalid chat_id: abc.');
    expect(badTarget.code).toBe(2);
    const noText = await runCli(['message', 'send', '--target', '+15555550123'], ws.env);
    expect(noText.stderr).toContain('Error: Nothing to send');
    expect(noText.code).toBe(2);
    const noTarget = await runCli(['message', 'hello'], ws.env);
    expect(noTarget.stderr).toContain('Error: Missing --to <target>.');
    expect(noTarget.code).toBe(2);
    expect(ws.sent(before)).toEqual([]);
  });

  it('a missing imsg is explained with the install fix (exit 1)', async () => {
    const broken = workspace({ imessage: { cliPath: '/nonexistent/imsg' } });
    try {
      const result = await runCli(['message', '--to', '+15555550123', 'hi'], broken.env);
      expect(result.stderr).toContain('Error: imsg not found (/nonexistent/imsg)');
      expect(result.stderr).toContain('Fix: Install imsg with `brew install steipete/tap/imsg`');
      expect(result.code).toBe(1);
    } finally {
      broken.cleanup();
    }
  });
});

describe('message with a running gateway', () => {
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

  it('both forms go through the gateway, which records the outbound time', async () => {
    const client = await gateway.client();
    const short = await runCli(['message', '--to', 'imessage:+15555550123', 'Hello', 'from', 'Clawdbot!'], ws.env);
    expect(short.code).toBe(0);
    expect(short.stdout).toMatch(/^✅ Sent via iMessage to imessage:\+15555550123\. Message ID: [0-9A-F-]{36}\n$/);

    const long = await runCli(['message', 'send', '--channel', 'imessage', '--target', '+15555550123', '-m', 'Second', '--json'], ws.env);
    const json = JSON.parse(long.stdout);
    expect(json).toMatchObject({ action: 'send', handledBy: 'gateway', payload: { via: 'gateway', to: '+15555550123', accountId: 'default', chunks: 1 } });

    expect(ws.sent().map((row) => row.text)).toEqual(['Hello from Clawdbot!', 'Second']);
    const status = await waitFor('lastOutboundAt in health', async () => {
      const current = await client.request('status', {});
      return current.accounts[0]?.lastOutboundAt ? current : undefined;
    });
    expect(Date.parse(status.accounts[0]!.lastOutboundAt!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('--dry-run checks and sends nothing', async () => {
    const before = ws.sim.maxRowid();
    const result = await runCli(['message', '--to', 'SMS:+1 (555) 222-3333', 'test', '--dry-run'], ws.env);
    expect(result.stdout).toBe('Dry run: would send to sms:+15552223333: test\n');
    expect(ws.sent(before)).toEqual([]);
  });
});
