import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { simEnv, tempDb, type TempDb } from '../../test/support/sim-session';
import { simBinPath } from '../../sim/lib';
import type { ResolvedImessageAccount } from '../config/types';
import { chunkText } from './chunking';
import { BYTES_PER_MB } from './media';
import { imsgResultSchemas, type ImsgMethod, type ImsgParams, type ImsgResult } from '../../contract/imsg';
import { extractMessageId, ImessageSendError, resolveSendService, sendImessage } from './outbound';
import { TargetError } from './targets';
import { checkResult, ImsgRpcClient } from './rpc-client';
import type { ImsgRpc } from './types';

function account(overrides: Partial<ResolvedImessageAccount> = {}): ResolvedImessageAccount {
  return {
    accountId: 'default', enabled: true, configured: true, cliPath: 'imsg', dmPolicy: 'pairing', allowFrom: [],
    groupPolicy: 'allowlist', groups: {}, includeAttachments: false, mediaMaxMb: 16, textChunkLimit: 4000,
    chunkMode: 'length', historyLimit: 50, dms: {}, service: 'auto', region: 'US', ...overrides,
  };
}

/** Records requests and answers each with the next canned result (or error), checked like the real client does. */
class RecordingRpc implements ImsgRpc {
  calls: Array<{ method: string; params?: object; options?: { timeoutMs?: number } }> = [];
  constructor(private readonly answers: Array<unknown | Error> = []) {}
  async call<M extends ImsgMethod>(method: M, params: ImsgParams<M>, options?: { timeoutMs?: number }): Promise<ImsgResult<M>> {
    this.calls.push({ method, params, options });
    const answer = this.answers.length > 0 ? this.answers.shift() : { ok: true };
    if (answer instanceof Error) throw answer;
    return checkResult(method, answer);
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'outbound-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('extractMessageId', () => {
  it.each([
    [{ messageId: 'm-1', id: 5 }, 'm-1'],
    [{ message_id: ' abc ' }, 'abc'],
    [{ ok: true, transport: 'applescript', id: 18250, guid: '8DF9' }, '8DF9'],
    [{ id: '', guid: 'G' }, 'G'],
    [{ ok: true, id: 18250 }, '18250'],
    [{ message_id: 7 }, '7'],
    [{ ok: true }, 'ok'],
    [{ ok: false }, 'unknown'],
    [null, 'unknown'],
    ['text', 'unknown'],
  ])('%j → %s', (result, expected) => {
    expect(extractMessageId(imsgResultSchemas.send.parse(result))).toBe(expected);
  });
});

describe('resolveSendService', () => {
  it('goes explicit option → handle prefix → account service → auto', () => {
    const bare = { kind: 'handle', to: '+1555' } as const;
    const sms = { kind: 'handle', to: '+1555', service: 'sms' } as const;
    expect(resolveSendService(bare, { service: 'sms' })).toBe('sms'); // the original ignored this
    expect(resolveSendService(sms, { service: 'imessage' })).toBe('sms');
    expect(resolveSendService(sms, { service: 'imessage' }, 'auto')).toBe('auto');
    expect(resolveSendService({ kind: 'chat_id', chatId: 1 }, { service: 'imessage' })).toBe('imessage');
    expect(resolveSendService(bare, { service: undefined as never })).toBe('auto');
    expect(() => resolveSendService(bare, { service: 'auto' }, 'iMessage')).toThrow('Invalid iMessage service "iMessage" (send option); use imessage, sms or auto');
  });
});

describe('sendImessage (request shaping)', () => {
  it('sends to chat_id targets with service and region', async () => {
    const rpc = new RecordingRpc([{ ok: true, id: 9 }]);
    const result = await sendImessage(rpc, account({ region: 'gb' }), { target: 'chat_id:42', text: 'hi', stateDir: dir });
    expect(rpc.calls).toEqual([{ method: 'send', params: { chat_id: 42, text: 'hi', service: 'auto', region: 'GB' }, options: undefined }]);
    expect(result).toMatchObject({ chunks: 1, messageIds: ['9'], service: 'auto', region: 'GB' });
  });

  it('applies the sms prefix, and options override the account', async () => {
    const rpc = new RecordingRpc();
    await sendImessage(rpc, account({ service: 'imessage' }), { target: 'sms:+15551230000', text: 'a', stateDir: dir });
    await sendImessage(rpc, account({ service: 'imessage' }), { target: '+15551230000', text: 'b', service: 'sms', region: 'CA', stateDir: dir, timeoutMs: 1234 });
    expect(rpc.calls.map((c) => c.params)).toEqual([
      { to: '+15551230000', text: 'a', service: 'sms', region: 'US' },
      { to: '+15551230000', text: 'b', service: 'sms', region: 'CA' },
    ]);
    expect(rpc.calls[1].options).toEqual({ timeoutMs: 1234 });
  });

  it('puts the media on the first message with the first chunk as caption', async () => {
    const file = join(dir, 'cat.jpg');
    writeFileSync(file, 'jpeg');
    const rpc = new RecordingRpc();
    const text = 'caption part one. caption part two.';
    const result = await sendImessage(rpc, account({ textChunkLimit: 20 }), { target: 'chat_id:3', text, media: file, stateDir: dir });
    expect(rpc.calls.map((c) => c.params)).toEqual([
      { chat_id: 3, text: 'caption part one.', service: 'auto', region: 'US', file },
      { chat_id: 3, text: 'caption part two.', service: 'auto', region: 'US' },
    ]);
    expect(result.chunks).toBe(2);
    expect(result.media).toMatchObject({ path: file, kind: 'image' });
  });

  it('sends media without text as a bare attachment', async () => {
    const file = join(dir, 'doc.pdf');
    writeFileSync(file, '%PDF');
    const rpc = new RecordingRpc();
    const result = await sendImessage(rpc, account(), { target: 'a@b.c', text: '   ', media: file, stateDir: dir });
    expect(rpc.calls.map((c) => c.params)).toEqual([{ to: 'a@b.c', text: '', service: 'auto', region: 'US', file }]);
    expect(result.media?.kind).toBe('document');
  });

  it('refuses before any RPC call: no content, bad target, oversized media, missing media', async () => {
    const rpc = new RecordingRpc();
    await expect(sendImessage(rpc, account(), { target: '+1555', stateDir: dir })).rejects.toThrow('iMessage send requires text or media');
    await expect(sendImessage(rpc, account(), { target: '+1555', text: ' \n ', stateDir: dir })).rejects.toThrow('iMessage send requires text or media');
    await expect(sendImessage(rpc, account(), { target: 'chat_id:x', text: 'hi', stateDir: dir })).rejects.toThrow('Invalid chat_id: x');
    await expect(sendImessage(rpc, account(), { target: '', text: 'hi', stateDir: dir })).rejects.toThrow('iMessage target is required');
    const big = join(dir, 'big.mp4');
    writeFileSync(big, '');
    truncateSync(big, Math.round(2.5 * BYTES_PER_MB));
    await expect(sendImessage(rpc, account({ mediaMaxMb: 2 }), { target: 'chat_id:1', text: 'look', media: big, stateDir: dir })).rejects.toThrow(
      `Media file ${big} is 2.5 MB; the limit is 2 MB (channels.imessage.mediaMaxMb)`,
    );
    await expect(sendImessage(rpc, account(), { target: 'chat_id:1', text: 'look', media: join(dir, 'gone.png'), stateDir: dir })).rejects.toThrow('not found');
    expect(rpc.calls).toEqual([]);
  });

  it('reports a failure part-way with what was already sent', async () => {
    const rpc = new RecordingRpc([{ ok: true, id: 1 }, new Error('AppleScript failed: boom')]);
    const error = (await sendImessage(rpc, account({ textChunkLimit: 5 }), { target: 'chat_id:7', text: 'aaaa bbbb cccc', stateDir: dir }).catch((e) => e)) as ImessageSendError;
    expect(error).toBeInstanceOf(ImessageSendError);
    expect(error.message).toBe('iMessage send to chat_id:7 failed after 1 of 3 messages: AppleScript failed: boom');
    expect(error).toMatchObject({ sent: 1, total: 3, messageIds: ['1'] });
    expect(rpc.calls).toHaveLength(2); // the third chunk is not attempted
  });
});

describe('sendImessage against the imsg simulator', () => {
  let sim: TempDb;
  let client: ImsgRpcClient;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from('89504e47', 'hex'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(async () => {
    sim = tempDb();
    client = new ImsgRpcClient({ cliPath: simBinPath, dbPath: sim.dbPath, env: simEnv() });
    await client.start();
  });
  afterEach(async () => {
    await client.stop();
    sim.cleanup();
  });

  it('delivers long text as N chunks, in order', async () => {
    const text = Array.from({ length: 12 }, (_, i) => `Sentence number ${i + 1} of a long reply.`).join(' ');
    const expected = chunkText(text, { limit: 80 });
    expect(expected.length).toBeGreaterThan(4);
    const result = await sendImessage(client, account({ textChunkLimit: 80 }), { target: 'imessage:+15555550123', text, stateDir: sim.dir });
    const sent = sim.db.sent();
    expect(sent.map((row) => row.text)).toEqual(expected);
    expect(sent.every((row) => row.to === '+15555550123' && row.chat_guid === 'iMessage;-;+15555550123')).toBe(true);
    // imsg 0.9.0 finds each text row and reports its guid.
    expect(result.messageIds).toEqual(sent.map((row) => row.guid));
  });

  it('splits paragraphs in newline mode', async () => {
    await sendImessage(client, account({ chunkMode: 'newline' }), { target: '+15555550123', text: 'one\n\ntwo\n\nthree', stateDir: sim.dir });
    expect(sim.db.sent().map((row) => row.text)).toEqual(['one', 'two', 'three']);
  });

  it('sends media with its caption, then the rest of the text', async () => {
    const photo = join(sim.dir, 'photo.png');
    writeFileSync(photo, Buffer.from('89504e470d0a1a0a', 'hex'));
    const result = await sendImessage(client, account({ textChunkLimit: 30 }), {
      target: '+15555550123', text: 'Here is the photo you wanted. And a second sentence.', media: photo, stateDir: sim.dir,
    });
    const sent = sim.db.sent();
    // Messages writes the caption and the attachment as two rows, then the next chunk.
    expect(sent.map((row) => row.text.replace(/\ufffc/g, ''))).toEqual(['Here is the photo you wanted.', '', 'And a second sentence.']);
    const withFile = sent.find((row) => row.attachments.length > 0)!;
    expect(withFile.attachments[0]).toMatchObject({ name: 'photo.png', missing: false });
    expect(result.chunks).toBe(2);
  });

  it('downloads URL media and sends the local copy', async () => {
    const stateDir = join(sim.dir, 'state');
    const result = await sendImessage(client, account(), { target: '+15555550123', media: `${base}/chart.png`, stateDir });
    expect(result.media?.downloaded).toBe(true);
    const sent = sim.db.sent();
    expect(sent).toHaveLength(1);
    expect(sent[0].attachments[0].name).toMatch(/-chart\.png$/);
    expect(result.messageIds).toEqual([]); // imsg returns no id for attachment-only sends (only `ok`)
  });

  it("applies the account's service to bare handles, and a prefix overrides it", async () => {
    await sendImessage(client, account({ service: 'sms' }), { target: '+15555550199', text: 'via sms', stateDir: sim.dir });
    await sendImessage(client, account({ service: 'sms' }), { target: 'imessage:+15555550199', text: 'via imessage', stateDir: sim.dir });
    const sent = sim.db.sent();
    expect(sent.map((row) => [row.text, row.chat_guid])).toEqual([
      ['via sms', 'SMS;-;+15555550199'],
      ['via imessage', 'iMessage;-;+15555550199'],
    ]);
  });

  it('sends to an existing chat by chat_id, and surfaces imsg errors', async () => {
    const { chatId } = sim.db.inject({ from: 'jane@example.com', text: 'hey all', group: { id: 42, name: 'Family' } });
    await sendImessage(client, account(), { target: `chat_id:${chatId}`, text: 'hello family', stateDir: sim.dir });
    const sent = sim.db.sent();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ chat_id: 42, text: 'hello family' });
    // imsg's `unknown chat_id 999` is the target's fault, named with the account (no probe hint).
    const unknown = await sendImessage(client, account(), { target: 'chat_id:999', text: 'x', stateDir: sim.dir }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(TargetError);
    expect(unknown).toMatchObject({ message: 'no chat with id 999 on account default', fix: expect.stringMatching(/imsg chats/) });
    // Other imsg failures stay send failures.
    await expect(sendImessage(client, account(), { target: 'chat_guid:iMessage;+;nope', text: 'x', stateDir: sim.dir })).rejects.toThrow(/^iMessage send to chat_guid:iMessage;\+;nope failed: /);
  });

  it('sends nothing when the media is too large', async () => {
    const big = join(sim.dir, 'big.mov');
    writeFileSync(big, '');
    truncateSync(big, 3 * BYTES_PER_MB);
    await expect(sendImessage(client, account({ mediaMaxMb: 2 }), { target: '+15555550123', text: 'caption', media: big, stateDir: sim.dir })).rejects.toThrow(
      'is 3 MB; the limit is 2 MB',
    );
    expect(sim.db.sent()).toEqual([]);
  });
});
