// Version profiles (what older imsg releases put on the wire) and the race switches of spec §1.4
// (notification before the subscribe response) and §7.3 (is_from_me written a moment late).
// Every test gets its own chat.db, so none depends on what another one sent.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RpcSession, tempDb, type TempDb } from '../test/support/sim-session';

let fx: TempDb;
let groupRoot: { rowid: number; guid: string; chatId: number };
let reply: { rowid: number; guid: string; chatId: number };
const sessions: RpcSession[] = [];
const session = (env: Record<string, string>) => {
  const s = new RpcSession(['--db', fx.dbPath], env);
  sessions.push(s);
  return s;
};

beforeEach(() => {
  fx = tempDb();
  groupRoot = fx.db.inject({ from: '+15555550123', text: 'root', group: { id: 9, name: 'G', participants: ['jane@example.com'] } });
  reply = fx.db.inject({ from: 'jane@example.com', text: 'x'.repeat(65), attributedOnly: true, group: { id: 9 }, replyTo: groupRoot.guid });
  fx.db.inject({ from: '+15555550123', tapback: { kind: 'love', target: groupRoot.guid } });
});
afterEach(() => {
  while (sessions.length > 0) sessions.pop()?.kill();
  fx.cleanup();
});

describe('version profiles', () => {
  it('0.4.0: buggy is_group, no 0.5+ fields, reactions only with attachments, send → {ok:true}', async () => {
    const s = session({ IMSG_SIM_VERSION: '0.4.0' });
    const [latest, root] = (await s.request('messages.history', { chat_id: 9 })).result.messages;
    expect(latest).toMatchObject({ id: reply.rowid, is_group: false, text: 'x'.repeat(65), reactions: [] });
    for (const key of ['thread_originator_guid', 'reply_to_text', 'reply_to_sender', 'destination_caller_id']) expect(latest).not.toHaveProperty(key);
    expect(root.reactions).toEqual([]);
    const withAttachments = (await s.request('messages.history', { chat_id: 9, attachments: true })).result.messages;
    expect(withAttachments[1].reactions).toMatchObject([{ type: 'love', emoji: '❤️' }]);
    expect((await s.request('send', { chat_id: 9, text: 'old send' })).result).toEqual({ ok: true });
    // Newer params are ignored, not rejected (include_reactions < 0.5.0, debounce_ms < 0.6.0).
    expect((await s.request('watch.subscribe', { include_reactions: true, debounce_ms: -1 })).result).toEqual({ subscription: 1 });
  });

  it('0.7.0: send has id/guid but no transport; 65-byte attributedBody text gains its length character', async () => {
    const s = session({ IMSG_SIM_VERSION: '0.7.0' });
    const latest = (await s.request('messages.history', { chat_id: 9 })).result.messages.find((m: any) => m.id === reply.rowid);
    expect(latest.text).toBe(`A${'x'.repeat(65)}`);
    expect(latest).toMatchObject({ is_group: true, thread_originator_guid: groupRoot.guid });
    expect(latest).not.toHaveProperty('reply_to_text');
    const sent = (await s.request('send', { chat_id: 9, text: 'mid send' })).result;
    expect(sent).toEqual({ ok: true, id: expect.any(Number), guid: expect.any(String) });
  });

  it('0.9.0 (default): reply context and transport', async () => {
    // A message sent earlier from this Mac (by an older imsg, or Messages itself).
    fx.db.inject({ fromMe: true, text: 'mid send', group: { id: 9 } });
    const s = session({});
    const [latest] = (await s.request('messages.history', { chat_id: 9, limit: 3 })).result.messages;
    expect(latest).toMatchObject({ text: 'mid send', is_from_me: true });
    const replyRow = (await s.request('messages.history', { chat_id: 9, limit: 10 })).result.messages.find((m: any) => m.id === reply.rowid);
    expect(replyRow).toMatchObject({ text: 'x'.repeat(65), reply_to_text: 'root', reply_to_sender: '+15555550123', thread_originator_guid: groupRoot.guid });
    expect((await s.request('send', { chat_id: 9, text: 'new send' })).result.transport).toBe('applescript');
  });
});

describe('race switches', () => {
  it('IMSG_SIM_NOTIFY_BEFORE_RESPONSE: backlog notifications precede the subscribe response', async () => {
    const s = session({ IMSG_SIM_NOTIFY_BEFORE_RESPONSE: '1' });
    const id = s.send('watch.subscribe', { since_rowid: -1 });
    await s.response(id);
    const firstIndexOfResponse = s.received.findIndex((l) => l.id === id);
    const seen = JSON.stringify(s.received.slice(0, 2)).slice(0, 600);
    expect(firstIndexOfResponse, seen).toBeGreaterThan(0);
    expect(s.received[0]?.method, seen).toBe('message');
  });

  it('IMSG_SIM_FROM_ME_DELAY_MS: the echo is first seen as inbound, the row flips to is_from_me later', async () => {
    const s = session({ IMSG_SIM_FROM_ME_DELAY_MS: '300' });
    const sub = (await s.request('watch.subscribe', {})).result.subscription;
    const started = Date.now();
    const result = (await s.request('send', { chat_id: 9, text: 'racy echo' })).result;
    // Verification only matches is_from_me=1 rows: it keeps looking (up to 2 s) until the flip.
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    const [echo] = await s.waitForMessages(1, sub);
    expect(echo).toMatchObject({ text: 'racy echo', is_from_me: false });
    expect(result).toEqual({ ok: true, transport: 'applescript', id: echo.id, guid: echo.guid });
    const raw = new Database(fx.dbPath, { readonly: true });
    expect(raw.prepare('SELECT is_from_me FROM message WHERE ROWID = ?').get(echo.id)).toEqual({ is_from_me: 1 });
    raw.close();
  });
});
