// Replies end to end: simulator inbound row → channel → fake model (Anthropic wire format) →
// `send` through imsg → an outgoing row in chat.db.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_MENTION_PATTERNS_WARNING } from '../../main/imessage/mention';
import type { FakeRequest } from '../support/fake-model-server';
import { sleep, startHarness, type Harness, type HarnessOptions } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  h = await startHarness(options);
  await h.channel.start();
  expect(h.channel.health()[0]).toMatchObject({ accountId: 'default', state: 'listening' });
  return h;
}

const ALICE = '+15555550123';
const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const BOB = '+15555550124';

/** User-turn texts of a recorded Anthropic request, in order. */
function userTexts(request: FakeRequest): string[] {
  return (request.body.messages as { role: string; content: unknown }[])
    .filter((m) => m.role === 'user')
    .map((m) => (typeof m.content === 'string' ? m.content : (m.content as { text?: string }[]).map((p) => p.text ?? '').join('\n')));
}

describe('agent replies', () => {
  it('answers an allowed DM in its chat, with the envelope the agent expects; its own reply is not answered', async () => {
    const h = await start({ imessage: { dmPolicy: 'allowlist', allowFrom: [ALICE] } });
    const { chatId, rowid } = h.inject({ from: ALICE, text: 'hello there' });
    await h.waitFor('reply', () => h.sent().length === 1);
    const [reply] = h.sent();
    expect(reply).toMatchObject({ chat_id: chatId, to: ALICE });
    expect(reply!.text).toMatch(/^echo: \[iMessage \+15555550123 \d{4}-\d\d-\d\d \d\d:\d\d UTC\] hello there$/);
    expect(h.model.requests).toHaveLength(1);
    expect(h.model.requests[0]!.body.system).toMatch(/personal AI assistant chatting over iMessage/);
    await h.waitFor('access log', () => h.channel.accessLog.size === 1);
    expect(h.channel.accessLog.tail()).toEqual([
      expect.objectContaining({ accountId: 'default', chatId, isGroup: false, sender: ALICE, messageId: rowid, decision: 'accepted', reason: 'replied' }),
    ]);
    // Our reply row comes back through the watch as is_from_me: neither answered nor logged.
    await sleep(300);
    expect(h.model.requests).toHaveLength(1);
    expect(h.channel.accessLog.size).toBe(1);
    expect(h.channel.health()[0]!.lastOutboundAt).not.toBeNull();
    expect(h.channel.health()[0]!.lastInboundAt).not.toBeNull();
  });

  it('chunks a long reply by textChunkLimit, in order, into the same chat; applies responsePrefix', async () => {
    const long = Array.from({ length: 12 }, (_, i) => `sentence number ${i + 1} is here.`).join(' ');
    const h = await start({
      imessage: { dmPolicy: 'open', allowFrom: ['*'], textChunkLimit: 60 },
      extra: { messages: { responsePrefix: '[bot]' } },
      model: { models: ['claude-test'], behavior: { text: long } },
    });
    const { chatId } = h.inject({ from: ALICE, text: 'tell me a lot' });
    const expected = Math.ceil(`[bot] ${long}`.length / 60);
    await h.waitFor('all chunks', () => h.sent().length >= expected);
    await sleep(200);
    const rows = h.sent();
    expect(rows.length).toBeGreaterThanOrEqual(expected);
    expect(rows.every((r) => r.chat_id === chatId && r.text.length <= 60)).toBe(true);
    expect(rows.map((r) => r.text).join(' ')).toBe(`[bot] ${long}`);
    expect(h.model.requests).toHaveLength(1);
  });

  it('retries a provider 500 and still replies', async () => {
    const h = await start({
      imessage: { dmPolicy: 'open', allowFrom: ['*'] },
      model: { models: ['claude-test'], behavior: [{ status: 500 }, { status: 529 }, { text: 'third time lucky' }] },
    });
    h.inject({ from: ALICE, text: 'are you there?' });
    await h.waitFor('reply after retries', () => h.sent().length === 1);
    expect(h.sent()[0]!.text).toBe('third time lucky');
    expect(h.model.requests).toHaveLength(3);
    // The row is in chat.db a moment before imsg answers the send.
    await h.waitFor('access log entry', () => h.channel.accessLog.size === 1);
    expect(h.channel.accessLog.tail()[0]).toMatchObject({ decision: 'accepted', reason: 'replied' });
    expect(h.channel.health()[0]!.warnings).toEqual([NO_MENTION_PATTERNS_WARNING]);
  });

  it('a 401 from the provider: no reply, the error is in the access log and in the account health', async () => {
    const h = await start({ imessage: { dmPolicy: 'open', allowFrom: ['*'] }, model: { models: ['claude-test'], behavior: { status: 401, errorMessage: 'invalid x-api-key' } } });
    const pushed: string[][] = [];
    h.channel.onHealth((accounts) => pushed.push(accounts[0]!.warnings));
    h.inject({ from: ALICE, text: 'hi' });
    await h.waitFor('agent error', () => h.channel.accessLog.size === 1);
    expect(h.channel.accessLog.tail()[0]).toMatchObject({ decision: 'accepted', reason: expect.stringMatching(/^agent error: .*invalid x-api-key/) });
    expect(h.model.requests).toHaveLength(1); // auth errors are not retried
    expect(h.sent()).toEqual([]);
    expect(h.channel.health()[0]!.warnings).toEqual([NO_MENTION_PATTERNS_WARNING, expect.stringMatching(/^model error \(auth\): .*invalid x-api-key/)]);
    await h.waitFor('a health push with the error', () => pushed.some((w) => w.some((x) => x.startsWith('model error (auth)'))), 3000);
  });

  it('no model configured: nothing is sent, the message is still in the access log, health says why', async () => {
    const h = await start({ imessage: { dmPolicy: 'open', allowFrom: ['*'] }, noModel: true });
    const { rowid } = h.inject({ from: ALICE, text: 'anyone?' });
    await h.waitFor('access log entry', () => h.channel.accessLog.size === 1);
    expect(h.channel.accessLog.tail()[0]).toMatchObject({ messageId: rowid, decision: 'skipped', reason: 'no model configured' });
    await sleep(200);
    expect(h.sent()).toEqual([]);
    expect(h.model.requests).toEqual([]);
    expect(h.channel.health()[0]!.warnings).toContain('messages are not answered: no model configured');
    expect(h.logs()).toMatch(/not answered: no model configured/);
  });

  it('includeAttachments: an image is shown to the model, a missing file is named with the reason', async () => {
    const h = await start({ imessage: { dmPolicy: 'open', allowFrom: ['*'], includeAttachments: true } });
    const png = join(h.dir, 'dot.png');
    writeFileSync(png, Buffer.from(ONE_PIXEL_PNG, 'base64'));
    h.inject({ from: ALICE, text: 'look', attachments: [{ path: png }, { name: 'IMG_0001.HEIC', missing: true, mimeType: 'image/heic' }] });
    await h.waitFor('reply', () => h.sent().length === 1);
    const request = h.model.requests[0]!;
    expect(request.lastUserImages).toBe(1);
    expect(request.lastUserText).toMatch(/\] look\n\[attachment: .*\/dot\.png \(image\/png\)\]\n\[attachment IMG_0001\.HEIC skipped: the file is not on the Mac/);
    expect(request.lastUserText).not.toContain('\ufffc');
  });

  it('includeAttachments: an image row pointing outside Messages\' attachments folder is never read nor shown to the model', async () => {
    const h = await start({ imessage: { dmPolicy: 'open', allowFrom: ['*'], includeAttachments: true } });
    const secret = join(h.dir, 'secret.png'); // beside chat.db, not in Library/Messages/Attachments
    writeFileSync(secret, Buffer.from(ONE_PIXEL_PNG, 'base64'));
    const png = join(h.dir, 'dot.png');
    writeFileSync(png, Buffer.from(ONE_PIXEL_PNG, 'base64'));
    // The row names the secret from the moment it is written (in the same transaction as the message).
    const db = new Database(h.dbPath);
    db.exec(`CREATE TRIGGER hostile AFTER INSERT ON attachment BEGIN UPDATE attachment SET filename = '${secret}' WHERE ROWID = NEW.ROWID; END;`);
    h.inject({ from: ALICE, text: 'look', attachments: [{ path: png }] });
    db.exec('DROP TRIGGER hostile');
    db.close();
    await h.waitFor('reply', () => h.sent().length === 1);
    const request = h.model.requests[0]!;
    expect(request.lastUserImages).toBe(0);
    expect(request.lastUserText).toMatch(/\[attachment dot\.png skipped: the file is outside the Messages attachments folder, so it was not read\]/);
    expect(h.logs()).toMatch(/refused: .*secret\.png is outside the Messages attachments folder/);
    expect(h.channel.health()[0]!.warnings.join('\n')).toMatch(/refused/);
  });

  it('NO_REPLY from the model sends nothing', async () => {
    const h = await start({ imessage: { dmPolicy: 'open', allowFrom: ['*'] }, model: { models: ['claude-test'], behavior: { text: 'NO_REPLY' } } });
    h.inject({ from: ALICE, text: 'ok thanks' });
    await h.waitFor('decision', () => h.channel.accessLog.size === 1);
    expect(h.channel.accessLog.tail()[0]).toMatchObject({ decision: 'accepted', reason: 'no reply (NO_REPLY)' });
    await sleep(200);
    expect(h.sent()).toEqual([]);
  });

  it('keeps DM sessions separate per sender by default', async () => {
    const h = await start({ imessage: { dmPolicy: 'open', allowFrom: ['*'] } });
    h.inject({ from: ALICE, text: 'alice one' });
    await h.waitFor('first reply', () => h.sent().length === 1);
    h.inject({ from: BOB, text: 'bob one' });
    await h.waitFor('second reply', () => h.sent().length === 2);
    h.inject({ from: ALICE, text: 'alice two' });
    await h.waitFor('third reply', () => h.sent().length === 3);
    const third = userTexts(h.model.requests[2]!).join('\n');
    expect(third).toMatch(/alice one/);
    expect(third).toMatch(/alice two/);
    expect(third).not.toMatch(/bob/);
    expect(userTexts(h.model.requests[1]!).join('\n')).not.toMatch(/alice/);
  });

  it('one chat strictly in order, other chats in parallel', async () => {
    const h = await start({
      imessage: { dmPolicy: 'open', allowFrom: ['*'] },
      model: {
        models: ['claude-test'],
        // The first of Alice's messages is slow: her later ones must still wait for it; Bob must not.
        behavior: (request) => ({ delayMs: request.lastUserText.includes('alice 1') ? 400 : 5 }),
      },
    });
    h.sim.injectMany([
      { from: ALICE, text: 'alice 1' },
      { from: ALICE, text: 'alice 2' },
      { from: ALICE, text: 'alice 3' },
      { from: BOB, text: 'bob 1' },
    ]);
    await h.waitFor('four replies', () => h.sent().length === 4);
    const order = h.sent().map((r) => /(alice|bob) \d/.exec(r.text)![0]);
    expect(order.filter((t) => t.startsWith('alice'))).toEqual(['alice 1', 'alice 2', 'alice 3']);
    expect(order[0]).toBe('bob 1');
  });

  it("drops Messages' own-echo race: a sent row first written as inbound is not answered", async () => {
    const h = await start({ imessage: { dmPolicy: 'open', allowFrom: ['*'] }, env: { IMSG_SIM_FROM_ME_DELAY_MS: '400' } });
    const { chatId } = h.inject({ from: ALICE, text: 'ping' });
    await h.waitFor('own echo dropped', () => h.channel.accessLog.tail().some((e) => e.reason === 'own echo'), 5000);
    await h.waitFor('the sent row flipped to is_from_me', () => h.sent().length === 1);
    await sleep(300);
    expect(h.model.requests).toHaveLength(1);
    // The echo can be seen before the send call returns, so the two entries come in either order.
    const entries = h.channel.accessLog.tail().map((e) => [e.chatId, e.decision, e.reason]);
    expect(entries).toHaveLength(2);
    expect(entries).toEqual(expect.arrayContaining([
      [chatId, 'accepted', 'replied'],
      [chatId, 'dropped', 'own echo'],
    ]));
  });
});
