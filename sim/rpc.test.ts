// `imsg rpc` against a real chat.db: every method, every error code, ordering and EOF, message
// JSON details (groups, attributedBody, unicode, long text, attachments, replies, tapbacks).
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RpcSession, tempDb, type TempDb } from '../test/support/sim-session';

const PEER = '+15555550123';
const FRIEND = 'friend@example.com';
const LONG_TEXT = `${'long line '.repeat(10_000)}end`; // ~100 kB, one message
const UNICODE = 'Grüße 👋🏽 — 👨‍👩‍👧‍👦 ❤️ 中文 "quotes" \\ back/slash\nsecond line';

let fx: TempDb;
let photoPath: string;
const ids: Record<string, { rowid: number; guid: string; chatId: number }> = {};
const sessions: RpcSession[] = [];

function session(env: Record<string, string> = {}, args: string[] = []): RpcSession {
  const s = new RpcSession(['--db', fx.dbPath, ...args], env);
  sessions.push(s);
  return s;
}

beforeAll(() => {
  fx = tempDb({ me: 'me@icloud.example' });
  photoPath = join(fx.dir, 'IMG_0042.jpg');
  writeFileSync(photoPath, Buffer.alloc(2048, 7));
  const t0 = Date.parse('2026-01-10T10:00:00.000Z');
  const at = (minutes: number) => new Date(t0 + minutes * 60_000);
  ids.first = fx.db.inject({ from: PEER, text: 'first', date: at(0) });
  ids.second = fx.db.inject({ from: PEER, text: UNICODE, date: at(1) });
  ids.photo = fx.db.inject({ from: PEER, text: 'see photo', attachments: [{ path: photoPath }], date: at(2) });
  ids.pruned = fx.db.inject({ from: PEER, attachments: [{ name: 'old.heic', missing: true, totalBytes: 99 }], date: at(3) });
  ids.attributed = fx.db.inject({ from: PEER, text: 'only in attributedBody ✨', attributedOnly: true, date: at(4) });
  ids.long = fx.db.inject({ from: PEER, text: LONG_TEXT, date: at(5) });
  ids.group1 = fx.db.inject({ from: PEER, text: 'Should I lead with calendar?', group: { id: 42, name: 'Crew', participants: [FRIEND] }, date: at(6) });
  ids.reply = fx.db.inject({ from: FRIEND, text: 'Calendar', group: { id: 42 }, replyTo: ids.group1.guid, date: at(7) });
  ids.like = fx.db.inject({ from: PEER, tapback: { kind: 'like', target: ids.reply.guid }, date: at(8) });
  ids.smsChat = fx.db.inject({ from: '+15555550999', text: 'via sms', service: 'SMS', date: at(9) });
});

afterEach(() => {
  while (sessions.length > 0) sessions.pop()?.kill();
});

afterAll(() => fx.cleanup());

describe('chats.list', () => {
  it('lists chats newest first with the RpcChat keys, groups detected by ;+;', async () => {
    const s = session();
    const res = await s.request('chats.list', { limit: 10 });
    const chats = res.result.chats;
    expect(chats.map((c: any) => c.id)).toEqual([ids.smsChat.chatId, 42, ids.first.chatId]);
    const group = chats.find((c: any) => c.id === 42);
    expect(group).toEqual({
      id: 42, identifier: expect.stringMatching(/^chat\d+$/), guid: expect.stringMatching(/^iMessage;\+;chat\d+$/), name: 'Crew',
      service: 'iMessage', last_message_at: '2026-01-10T10:08:00.000Z', participants: [PEER, FRIEND].sort(), is_group: true,
    });
    const direct = chats.find((c: any) => c.id === ids.first.chatId);
    expect(direct).toMatchObject({ identifier: PEER, guid: `iMessage;-;${PEER}`, name: PEER, is_group: false, participants: [PEER] });
    expect(chats.find((c: any) => c.id === ids.smsChat.chatId)).toMatchObject({ guid: 'SMS;-;+15555550999', service: 'SMS' });
  });

  it('clamps limit to at least 1 and coerces numeric strings', async () => {
    const s = session();
    expect((await s.request('chats.list', { limit: 0 })).result.chats).toHaveLength(1);
    expect((await s.request('chats.list', { limit: '2' })).result.chats).toHaveLength(2);
    expect((await s.request('chats.list', { limit: 2.9 })).result.chats).toHaveLength(2);
    expect((await s.request('chats.list')).result.chats).toHaveLength(3);
  });
});

describe('messages.history', () => {
  it('returns newest first, hides tapbacks, and fills reply context and reactions', async () => {
    const s = session();
    const res = await s.request('messages.history', { chat_id: 42 });
    const [reply, root] = res.result.messages;
    expect(res.result.messages).toHaveLength(2);
    expect(reply).toMatchObject({
      id: ids.reply.rowid, guid: ids.reply.guid, sender: FRIEND, is_from_me: false, text: 'Calendar', created_at: '2026-01-10T10:07:00.000Z',
      thread_originator_guid: ids.group1.guid, reply_to_text: 'Should I lead with calendar?', reply_to_sender: PEER,
      chat_guid: expect.stringContaining(';+;'), chat_name: 'Crew', is_group: true, destination_caller_id: 'me@icloud.example',
    });
    expect(reply.reactions).toEqual([{ id: ids.like.rowid, type: 'like', emoji: '👍', sender: PEER, is_from_me: false, created_at: '2026-01-10T10:08:00.000Z' }]);
    expect(reply).not.toHaveProperty('reply_to_guid');
    expect(root.id).toBe(ids.group1.rowid);
    expect(root).not.toHaveProperty('reply_to_text');
    // Optional keys are left out, never null.
    for (const m of res.result.messages) expect(Object.values(m)).not.toContain(null);
  });

  it('applies limit, start (inclusive) and end (exclusive), participants', async () => {
    const s = session();
    const chat = ids.first.chatId;
    const limited = await s.request('messages.history', { chat_id: chat, limit: 2 });
    expect(limited.result.messages.map((m: any) => m.id)).toEqual([ids.long.rowid, ids.attributed.rowid]);
    const window = await s.request('messages.history', { chat_id: String(chat), start: '2026-01-10T10:01:00Z', end: '2026-01-10T12:03:00+02:00' });
    expect(window.result.messages.map((m: any) => m.id)).toEqual([ids.photo.rowid, ids.second.rowid]);
    const group = await s.request('messages.history', { chat_id: 42, participants: 'FRIEND@example.com' });
    expect(group.result.messages.map((m: any) => m.id)).toEqual([ids.reply.rowid]);
  });

  it('decodes attributedBody-only rows and keeps unicode/emoji and 100 kB text on one line', async () => {
    const s = session();
    const res = await s.request('messages.history', { chat_id: ids.first.chatId, limit: 50 });
    const byId = new Map(res.result.messages.map((m: any) => [m.id, m]));
    expect((byId.get(ids.attributed.rowid) as any).text).toBe('only in attributedBody ✨');
    expect((byId.get(ids.second.rowid) as any).text).toBe(UNICODE);
    expect((byId.get(ids.long.rowid) as any).text).toBe(LONG_TEXT);
    // The whole response (with the 100 kB text and a newline inside a text) arrived as one line.
    expect(s.noise).toEqual([]);
    expect(s.received).toHaveLength(1);
  });

  it('reports attachments with original_path, mime_type, total_bytes and missing', async () => {
    const s = session();
    const res = await s.request('messages.history', { chat_id: ids.first.chatId, attachments: true });
    const photo = res.result.messages.find((m: any) => m.id === ids.photo.rowid);
    expect(photo.text).toBe('\ufffcsee photo');
    expect(photo.attachments).toEqual([{
      filename: expect.stringMatching(/^~\/Library\/Messages\/Attachments\/[0-9a-f]{2}\/\d{2}\/[0-9A-F-]{36}\/IMG_0042\.jpg$/),
      transfer_name: 'IMG_0042.jpg', uti: 'public.jpeg', mime_type: 'image/jpeg', total_bytes: 2048, is_sticker: false,
      original_path: expect.stringContaining(join(fx.dir, 'Library/Messages/Attachments/')), missing: false,
    }]);
    expect(readFileSync(photo.attachments[0].original_path)).toEqual(readFileSync(photoPath));
    const pruned = res.result.messages.find((m: any) => m.id === ids.pruned.rowid);
    expect(pruned.attachments).toEqual([expect.objectContaining({ transfer_name: 'old.heic', mime_type: 'image/heic', total_bytes: 99, missing: true })]);
    expect(existsSync(pruned.attachments[0].original_path)).toBe(false);
    // Without attachments:true the list is empty.
    const plain = await s.request('messages.history', { chat_id: ids.first.chatId });
    expect(plain.result.messages.find((m: any) => m.id === ids.photo.rowid).attachments).toEqual([]);
  });

  it('returns [] for an unknown chat, -32602 without chat_id, -32603 for a bad date', async () => {
    const s = session();
    expect((await s.request('messages.history', { chat_id: 999 })).result).toEqual({ messages: [] });
    expect((await s.request('messages.history', { chat_id: 'abc' })).error).toEqual({ code: -32602, message: 'Invalid params', data: 'chat_id is required' });
    expect((await s.request('messages.history', { chat_id: 42, start: '2026-01-01' })).error)
      .toEqual({ code: -32603, message: 'Internal error', data: 'Invalid ISO8601 date: 2026-01-01' });
  });
});

describe('watch.subscribe / watch.unsubscribe', () => {
  it('since_rowid is exclusive; negative replays everything; absent and 0 are live only', async () => {
    const s = session();
    const all = await s.request('watch.subscribe', { since_rowid: -1 });
    const fromSecond = await s.request('watch.subscribe', { since_rowid: ids.first.rowid });
    const live = await s.request('watch.subscribe', {});
    const liveZero = await s.request('watch.subscribe', { since_rowid: 0 });
    expect([all, fromSecond, live, liveZero].map((r) => r.result.subscription)).toEqual([1, 2, 3, 4]);
    const total = ids.smsChat.rowid - 1; // every row except the hidden tapback
    const replayed = await s.waitForMessages(total, 1);
    expect(replayed.map((m) => m.id)).toEqual([...replayed.map((m) => m.id)].sort((a, b) => a - b));
    expect(replayed[0].id).toBe(ids.first.rowid);
    expect(replayed.map((m) => m.id)).not.toContain(ids.like.rowid);
    const second = await s.waitForMessages(total - 1, 2);
    expect(second[0].id).toBe(ids.second.rowid);
    expect(s.messages(3)).toEqual([]);
    const fresh = fx.db.inject({ from: PEER, text: 'live one' });
    const [live3] = await s.waitForMessages(1, 3);
    const [live4] = await s.waitForMessages(1, 4);
    expect(live3).toMatchObject({ id: fresh.rowid, text: 'live one' });
    expect(live4.id).toBe(fresh.rowid);
  });

  it('filters by chat_id, emits tapbacks with include_reactions, and stops after unsubscribe', async () => {
    const s = session();
    const group = (await s.request('watch.subscribe', { chat_id: 42, since_rowid: -1, include_reactions: true })).result.subscription;
    const msgs = await s.waitForMessages(3, group);
    expect(msgs.map((m) => m.id)).toEqual([ids.group1.rowid, ids.reply.rowid, ids.like.rowid]);
    expect(msgs[2]).toMatchObject({ is_reaction: true, reaction_type: 'like', reaction_emoji: '👍', is_reaction_add: true, reacted_to_guid: ids.reply.guid, text: 'Liked “Calendar”' });
    expect(msgs[1].reactions).toHaveLength(1);
    expect((await s.request('watch.unsubscribe', { subscription: group })).result).toEqual({ ok: true });
    fx.db.inject({ from: FRIEND, text: 'after unsubscribe', group: { id: 42 } });
    const probe = (await s.request('watch.subscribe', {})).result.subscription;
    fx.db.inject({ from: FRIEND, text: 'marker', group: { id: 42 } });
    await s.waitForMessages(1, probe);
    expect(s.messages(group)).toHaveLength(3);
    expect((await s.request('watch.unsubscribe', { subscription: 12345 })).result).toEqual({ ok: true });
  });

  it('validates subscription and debounce_ms', async () => {
    const s = session();
    expect((await s.request('watch.unsubscribe', {})).error).toEqual({ code: -32602, message: 'Invalid params', data: 'subscription is required' });
    expect((await s.request('watch.subscribe', { debounce_ms: -5 })).error).toEqual({ code: -32602, message: 'Invalid params', data: 'debounce_ms must be a non-negative integer' });
    expect((await s.request('watch.subscribe', { debounceMs: 'soon' })).error?.code).toBe(-32602);
    expect((await s.request('watch.subscribe', { debounceMs: 5 })).result).toEqual({ subscription: 1 });
  });

  it('reports unjoined rows with chat_id 0 and empty chat fields', async () => {
    const s = session();
    const sub = (await s.request('watch.subscribe', { attachments: true })).result.subscription;
    const lone = fx.db.inject({ from: PEER, text: 'no chat', unjoined: true });
    const [msg] = await s.waitForMessages(1, sub);
    expect(msg).toMatchObject({ id: lone.rowid, chat_id: 0, chat_identifier: '', chat_guid: '', chat_name: '', participants: [], is_group: false });
  });
});

describe('send', () => {
  it('sends to a chat and to a handle, echoing is_from_me rows into the db', async () => {
    const s = session();
    const sub = (await s.request('watch.subscribe', {})).result.subscription;
    const toChat = await s.request('send', { chat_id: 42, text: 'group reply' });
    expect(toChat.result).toEqual({ ok: true, transport: 'applescript', id: expect.any(Number), guid: expect.stringMatching(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/) });
    const toNew = await s.request('send', { to: '(415) 555-1212', text: 'hello new', service: 'sms' });
    expect(toNew.result.id).toBeGreaterThan(toChat.result.id);
    const echoes = await s.waitForMessages(2, sub);
    expect(echoes[0]).toMatchObject({ id: toChat.result.id, guid: toChat.result.guid, is_from_me: true, chat_id: 42, text: 'group reply', sender: 'me@icloud.example', is_group: true });
    expect(echoes[1]).toMatchObject({ id: toNew.result.id, is_from_me: true, chat_guid: 'SMS;-;+14155551212', chat_identifier: '+14155551212', sender: '+14155551212', is_group: false });
    const sent = fx.db.sent({ sinceRowid: toChat.result.id - 1 });
    expect(sent.map((r) => [r.rowid, r.text, r.to])).toEqual([[toChat.result.id, 'group reply', undefined], [toNew.result.id, 'hello new', '+14155551212']]);
  });

  it('sends a file as a second row with a copied attachment; attachment-only sends carry no id', async () => {
    const s = session();
    const withText = await s.request('send', { chat_id: ids.first.chatId, text: 'pic below', file: photoPath });
    const fileOnly = await s.request('send', { to: PEER, file: photoPath });
    expect(fileOnly.result).toEqual({ ok: true, transport: 'applescript' });
    const rows = fx.db.sent({ sinceRowid: withText.result.id - 1 });
    expect(rows.map((r) => r.text)).toEqual(['pic below', '\ufffc', '\ufffc']);
    expect(rows[1]?.attachments[0]).toMatchObject({ name: 'IMG_0042.jpg', mime_type: 'image/jpeg', total_bytes: 2048, missing: false });
    expect(rows[1]?.attachments[0]?.path.startsWith(join(fx.dir, 'Library/Messages/Attachments/'))).toBe(true);
    expect(rows.every((r) => r.chat_id === ids.first.chatId)).toBe(true);
  });

  it('validates in imsg order with the exact error strings', async () => {
    const s = session();
    const before = fx.db.maxRowid();
    const err = async (params: Record<string, unknown>) => (await s.request('send', params)).error;
    expect(await err({ to: PEER, text: 'x', service: 'iMessage' })).toEqual({ code: -32602, message: 'Invalid params', data: 'invalid service' });
    expect(await err({ to: PEER, text: 'x', transport: 'pigeon' })).toMatchObject({ code: -32602, data: 'invalid transport' });
    expect(await err({ to: PEER, chat_id: 42, text: 'x' })).toMatchObject({ code: -32602, data: 'use to or chat_*; not both' });
    expect(await err({ text: 'x' })).toMatchObject({ code: -32602, data: 'to is required for direct sends' });
    expect(await err({ to: PEER })).toMatchObject({ code: -32602, data: 'text or file is required' });
    expect(await err({ chat_id: 999, text: 'x' })).toMatchObject({ code: -32602, data: 'unknown chat_id 999' });
    expect(await err({ to: PEER, file: '/nope/missing.png' })).toEqual({ code: -32603, message: 'Internal error', data: 'AppleScript failed: Attachment not found at /nope/missing.png' });
    expect(await err({ chat_guid: 'iMessage;+;chat000', text: 'x' })).toMatchObject({ code: -32603, data: expect.stringContaining('AppleScript failed:') });
    // Nothing was written by failed sends.
    expect(fx.db.maxRowid()).toBe(before);
  });
});

describe('framing and errors', () => {
  it('answers every error code with the exact message and data, echoing ids verbatim', async () => {
    const s = session();
    s.writeLine('{not json');
    s.writeLine('[{"jsonrpc":"2.0","id":1,"method":"chats.list"}]');
    s.writeLine('42');
    s.writeLine('{"jsonrpc":"1.0","id":"a","method":"chats.list"}');
    s.writeLine('{"jsonrpc":"2.0","id":{"nested":[1]},"params":{}}');
    s.writeLine('{"jsonrpc":"2.0","id":null,"method":"typing.start"}');
    s.writeLine('   ');
    s.writeLine('{"method":"chats.list","params":[1,2]}'); // notification: no output on success
    s.writeLine('{"method":"no.such"}'); // notification with an error: still reported, id null
    s.writeLine('{"id":"last","method":"chats.list","params":{"limit":1,"unknown":true}}');
    await s.response('last');
    expect(s.received.map((l) => [l.id, l.error?.code, l.error?.message, l.error?.data])).toEqual([
      [null, -32700, 'Parse error', 'The data couldn’t be read because it isn’t in the correct format.'],
      [null, -32600, 'Invalid Request', 'request must be an object'],
      [null, -32600, 'Invalid Request', 'request must be an object'],
      ['a', -32600, 'Invalid Request', 'jsonrpc must be 2.0'],
      [{ nested: [1] }, -32600, 'Invalid Request', 'method is required'],
      [null, -32601, 'Method not found', 'typing.start'],
      [null, -32601, 'Method not found', 'no.such'],
      ['last', undefined, undefined, undefined],
    ]);
    expect(s.received.every((l) => l.jsonrpc === '2.0')).toBe(true);
  });

  it('answers bridge-only methods with -32603 on this platform', async () => {
    const s = session();
    expect((await s.request('send.rich', { chat_id: 42, text: 'x' })).error).toEqual({
      code: -32603, message: 'Internal error', data: 'Failed to launch Messages.app: Messages.app is only available on macOS.',
    });
  });

  it('answers pipelined requests in order, one at a time, and exits 0 at EOF', async () => {
    const s = session({ IMSG_SIM_SEND_DELAY_MS: '150' });
    const order = [
      s.send('chats.list', { limit: 1 }),
      s.send('send', { chat_id: 42, text: 'slow one' }),
      s.send('chats.list', { limit: 1 }),
      s.send('messages.history', { chat_id: 42, limit: 1 }),
      s.send('nope'),
      s.send('chats.list', { limit: 1 }),
    ];
    const started = Date.now();
    const exit = await s.close();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(s.received.filter((l) => l.method === undefined).map((l) => l.id)).toEqual(order);
    // The chats.list after the slow send already sees the sent message as the newest activity.
    expect(s.received[2]?.result.chats[0].id).toBe(42);
  });
});

describe('schema probing', () => {
  it('reads a minimal chat.db without guid, attributedBody, reaction columns or message_date', async () => {
    const path = join(fx.dir, 'minimal.db');
    const raw = new Database(path);
    raw.exec(`
      CREATE TABLE message (ROWID INTEGER PRIMARY KEY, handle_id INTEGER, text TEXT, date INTEGER, is_from_me INTEGER, service TEXT);
      CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT);
      CREATE TABLE chat (ROWID INTEGER PRIMARY KEY, chat_identifier TEXT, guid TEXT, display_name TEXT, service_name TEXT);
      CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER);
      CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER);
      CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER);
      CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY, filename TEXT, transfer_name TEXT, uti TEXT, mime_type TEXT, total_bytes INTEGER, is_sticker INTEGER);
      INSERT INTO handle VALUES (1, '+15551234567');
      INSERT INTO chat VALUES (7, '+15551234567', 'iMessage;-;+15551234567', '', 'iMessage');
      INSERT INTO chat_handle_join VALUES (7, 1);
      INSERT INTO message VALUES (1, 1, 'old style', 788918400000000000, 0, 'iMessage');
      INSERT INTO chat_message_join VALUES (7, 1);
    `);
    raw.close();
    const s = new RpcSession(['--db', path]);
    sessions.push(s);
    expect((await s.request('chats.list')).result.chats).toEqual([{
      id: 7, identifier: '+15551234567', guid: 'iMessage;-;+15551234567', name: '', service: 'iMessage',
      last_message_at: '2026-01-01T00:00:00.000Z', participants: ['+15551234567'], is_group: false,
    }]);
    const [message] = (await s.request('messages.history', { chat_id: 7, attachments: true })).result.messages;
    expect(message).toEqual({
      id: 1, chat_id: 7, guid: '', sender: '+15551234567', is_from_me: false, text: 'old style', created_at: '2026-01-01T00:00:00.000Z',
      attachments: [], reactions: [], chat_identifier: '+15551234567', chat_guid: 'iMessage;-;+15551234567', chat_name: '',
      participants: ['+15551234567'], is_group: false,
    });
    const sub = (await s.request('watch.subscribe', { since_rowid: -1 })).result.subscription;
    expect((await s.waitForMessages(1, sub))[0].text).toBe('old style');
    // Reading works on any schema; the simulated Messages.app needs its own to write a sent row.
    expect((await s.request('send', { chat_id: 7, text: 'x' })).error).toMatchObject({
      code: -32603, data: expect.stringMatching(/lacks the columns the simulated Messages\.app writes \(kvtable\.key.*imsg sim init --db/),
    });
  });
});
