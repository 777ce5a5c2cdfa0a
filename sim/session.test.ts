// A scripted gateway-like session against the real executable: probe, subscribe, three inbound
// messages written by the `imsg sim inject` driver (one in a group, one attributedBody-only), a
// reply sent back, and that reply read back as an is_from_me row via the watch echo and `sim sent`.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcSession, runSim, tempDb, type TempDb } from '../test/support/sim-session';

let fx: TempDb;
let rpc: RpcSession | undefined;

beforeAll(() => {
  fx = tempDb({ me: 'bot@icloud.example' });
});
afterAll(() => {
  rpc?.kill();
  fx.cleanup();
});

async function inject(args: string[]): Promise<{ rowid: number; guid: string; chat_id: number }> {
  const res = await runSim(['sim', 'inject', '--db', fx.dbPath, ...args]);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout);
}

describe('scripted session', () => {
  it('subscribe → 3 inbound (group, attributedBody-only) → reply → echo and sim sent', async () => {
    rpc = new RpcSession(['--db', fx.dbPath]);
    // Probe like a gateway: an empty Messages database answers with no chats.
    expect((await rpc.request('chats.list', { limit: 1 })).result).toEqual({ chats: [] });
    const sub = (await rpc.request('watch.subscribe', { attachments: true, debounce_ms: 0 })).result.subscription;
    expect(sub).toBe(1);

    const dm = await inject(['--from', '+15555550123', '--text', 'hey bot, what is up?']);
    const group = await inject(['--from', 'jane@example.com', '--text', '@bot plan dinner 🍝', '--group', '7', '--name', 'Dinner Club', '--participants', '+15555550123']);
    const hidden = await inject(['--from', '+15555550123', '--text', 'stored only as attributedBody', '--attributed-only']);

    const inbound = await rpc.waitForMessages(3, sub);
    expect(inbound.map((m) => m.id)).toEqual([dm.rowid, group.rowid, hidden.rowid]);
    expect(inbound[0]).toMatchObject({ guid: dm.guid, sender: '+15555550123', is_from_me: false, text: 'hey bot, what is up?', is_group: false, chat_guid: 'iMessage;-;+15555550123' });
    expect(inbound[1]).toMatchObject({
      chat_id: 7, sender: 'jane@example.com', text: '@bot plan dinner 🍝', is_group: true, chat_name: 'Dinner Club',
      chat_guid: expect.stringMatching(/^iMessage;\+;chat\d+$/), participants: ['+15555550123', 'jane@example.com'],
    });
    expect(inbound[2]).toMatchObject({ text: 'stored only as attributedBody', chat_id: dm.chat_id });
    // The row really has a NULL text column: the text came from the typedstream blob.
    const raw = new Database(fx.dbPath, { readonly: true });
    expect(raw.prepare('SELECT text, length(attributedBody) > 0 AS body FROM message WHERE ROWID = ?').get(hidden.rowid)).toEqual({ text: null, body: 1 });
    raw.close();
    expect(fx.db.sent()).toEqual([]);

    const reply = await rpc.request('send', { chat_id: inbound[1].chat_id, text: 'Pasta at 7? 🍝', service: 'auto', region: 'US' });
    expect(reply.result).toMatchObject({ ok: true, transport: 'applescript', id: expect.any(Number), guid: expect.any(String) });

    const [, , , echo] = await rpc.waitForMessages(4, sub);
    expect(echo).toMatchObject({
      id: reply.result.id, guid: reply.result.guid, is_from_me: true, text: 'Pasta at 7? 🍝', chat_id: 7, is_group: true,
      sender: 'bot@icloud.example', attachments: [],
    });

    const sentCli = await runSim(['sim', 'sent', '--db', fx.dbPath, '--json']);
    expect(sentCli.code).toBe(0);
    const rows = sentCli.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toEqual([{
      rowid: reply.result.id, guid: reply.result.guid, chat_id: 7, chat_identifier: inbound[1].chat_identifier,
      chat_guid: inbound[1].chat_guid, service: 'iMessage', text: 'Pasta at 7? 🍝', attachments: [], created_at: echo.created_at,
    }]);
    expect(fx.db.sent().map((r) => r.guid)).toEqual([reply.result.guid]);

    expect((await rpc.request('watch.unsubscribe', { subscription: sub })).result).toEqual({ ok: true });
    expect(await rpc.close()).toEqual({ code: 0, signal: null });
  });
});
