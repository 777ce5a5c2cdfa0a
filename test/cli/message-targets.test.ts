// Targets are checked against their grammar before anything is sent, and the result says what the
// message went out as (issue 14.3). Real CLI processes, directly through imsg and through a gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startGatewayProcess, workspace, type GatewayProcess, type Workspace } from '../gateway/harness';

const refused: Array<[target: string, message: string, fix: RegExp]> = [
  ['imessage:+1555', 'Invalid target "imessage:+1555": +1555 is not a complete phone number (too short).', /e\.g\. imessage:\+15555550123/],
  ['imessage:555-0123', 'Invalid target "imessage:555-0123": 555-0123 is not a complete phone number (too short for a US number).', /country code/],
  ['imessage:abc@', 'Invalid target "imessage:abc@": abc@ is not a complete e-mail address (a name, @ and a domain).', /imessage:user@example\.com/],
  ['whatsapp:+15555550123', 'Invalid target "whatsapp:+15555550123": "whatsapp:" is not a target prefix Clawdbot knows (it sends iMessage and SMS only).', /chat_id:42/],
  ['imessage:hello', 'Invalid target "imessage:hello": hello is neither a phone number nor an e-mail address (contact names are not looked up).', /imessage:\+15555550123/],
  ['chat_guid:hello', 'Invalid target "chat_guid:hello": hello is not a Messages chat guid', /chat_guid:iMessage;\+;chat123456789/],
];

describe('message targets without a gateway (direct imsg)', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = workspace();
  });
  afterAll(() => ws.cleanup());

  it.each(refused)('%s is refused before anything is sent (exit 2)', async (target, message, fix) => {
    const before = ws.sim.maxRowid();
    const result = await runCli(['message', '--to', target, 'hi'], ws.env);
    expect(result.stderr).toContain(`Error: ${message}`);
    expect(result.stderr).toMatch(new RegExp(`Fix: .*${fix.source}`));
    expect(result.code).toBe(2);
    expect(ws.sent(before)).toEqual([]);
  });

  it('sms: says SMS and goes out as SMS; a local number is sent as E.164', async () => {
    const sms = await runCli(['message', '--to', 'sms:+1 (555) 555-0123', 'by SMS'], ws.env);
    const [row] = ws.sent().filter((r) => r.text === 'by SMS');
    expect(row).toMatchObject({ to: '+15555550123', service: 'SMS' });
    expect(sms.stdout).toBe(`✅ Sent via SMS to sms:+15555550123. Message ID: ${row!.guid}\n`);

    const local = await runCli(['message', '--to', '(555) 555-0124', 'local'], ws.env);
    expect(local.code).toBe(0);
    expect(ws.sent().find((r) => r.text === 'local')).toMatchObject({ to: '+15555550124', service: 'iMessage' });
  });

  it('an unknown chat is named with the account, without a probe hint (exit 2)', async () => {
    const result = await runCli(['message', '--to', 'chat_id:999', 'hi'], ws.env);
    expect(result.stderr).toContain('Error: no chat with id 999 on account default');
    expect(result.stderr).not.toContain('--probe');
    expect(result.code).toBe(2);
  });

  it('an older imsg returns no message id: none is printed', async () => {
    const old = { ...ws.env, IMSG_SIM_VERSION: '0.5.0' };
    const result = await runCli(['message', '--to', 'imessage:+15555550123', 'from an old imsg'], old);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('✅ Sent via iMessage to imessage:+15555550123.\n');
    const json = JSON.parse((await runCli(['message', '--to', 'imessage:+15555550123', 'again', '--json'], old)).stdout);
    expect(json.payload).toMatchObject({ sentVia: 'iMessage', chunks: 1, messageIds: [] });
    expect(json.payload.messageId).toBeUndefined();
  });
});

describe('message targets through a running gateway', () => {
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

  it('the control API refuses a bad target with what is wrong and an example (nothing sent)', async () => {
    const client = await gateway.client();
    const before = ws.sim.maxRowid();
    const error = (await client.request('message.send', { target: 'imessage:+1555', text: 'hi' }).catch((e: unknown) => e)) as { code: string; message: string; fix?: string };
    expect(error).toMatchObject({ code: 'bad_request', message: '+1555 is not a complete phone number (too short)' });
    expect(error.fix).toMatch(/imessage:\+15555550123/);
    expect(ws.sent(before)).toEqual([]);
  });

  it('an unknown chat: "no chat with id 999 on account default", no probe hint; sms: says SMS', async () => {
    const unknown = await runCli(['message', '--to', 'chat_id:999', 'hi'], ws.env);
    expect(unknown.stderr).toContain('Error: no chat with id 999 on account default');
    expect(unknown.stderr).not.toContain('--probe');
    expect(unknown.code).toBe(2);

    const sms = await runCli(['message', '--to', 'sms:+15555550123', 'via the gateway'], ws.env);
    const row = ws.sent().find((r) => r.text === 'via the gateway');
    expect(row).toMatchObject({ service: 'SMS' });
    expect(sms.stdout).toBe(`✅ Sent via SMS to sms:+15555550123. Message ID: ${row!.guid}\n`);
  });
});
