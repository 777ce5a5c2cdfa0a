// The chat-history reads against the imsg simulator: the resume point's newest row, and the
// exact search for one of our rows however many rows came after it, on a current imsg (pages by
// time) and on one before 0.4.1 (which applied `limit` before the time filters).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImsgMethod, ImsgParams, ImsgResult } from '../../contract/imsg';
import { simEnv, tempDb, type TempDb } from '../../test/support/sim-session';
import { simBinPath } from '../../sim/lib';
import { findOutgoingRow, historyFiltersBeforeLimit, newestRowid } from './chat-history';
import { ImsgRpcClient } from './rpc-client';
import type { ImsgRpc } from './types';

const PEER = '+15555550123';
let fx: TempDb;
const clients: ImsgRpcClient[] = [];

beforeEach(() => {
  fx = tempDb();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.stop()));
  fx.cleanup();
});

/** A client of the simulator, counting its `messages.history` pages. */
async function imsg(version?: string): Promise<ImsgRpc & { pages: ImsgParams<'messages.history'>[] }> {
  const client = new ImsgRpcClient({ cliPath: simBinPath, dbPath: fx.dbPath, env: simEnv(version ? { IMSG_SIM_VERSION: version } : {}) });
  clients.push(client);
  await client.start();
  const pages: ImsgParams<'messages.history'>[] = [];
  return {
    pages,
    call: <M extends ImsgMethod>(method: M, params: ImsgParams<M>, options?: { timeoutMs?: number }): Promise<ImsgResult<M>> => {
      if (method === 'messages.history') pages.push(params as ImsgParams<'messages.history'>);
      return client.call(method, params, options);
    },
  };
}

/** Our reply at `at`, then `after` inbound rows in the same chat, one millisecond apart or all in one (`sameMs`). */
function chatWithReplyBehind(after: number, options: { at?: number; sameMs?: boolean } = {}): { chatId: number; reply: number } {
  const at = options.at ?? Date.now() - 60_000;
  const { chatId } = fx.db.inject({ from: PEER, text: 'question', date: at - 1000 });
  const reply = fx.db.inject({ from: PEER, fromMe: true, text: 'the answer', date: at }).rowid;
  fx.db.injectMany(Array.from({ length: after }, (_, i) => ({ from: PEER, text: `later ${i}`, date: options.sameMs ? at + 1 : at + 1 + i })));
  return { chatId, reply };
}

describe('findOutgoingRow', () => {
  it.each([
    ['0.9.0', true],
    ['0.4.0', false],
  ])('finds our row behind far more rows than one page (imsg %s)', async (version, filtersBeforeLimit) => {
    const { chatId, reply } = chatWithReplyBehind(95);
    const rpc = await imsg(version);
    const found = await findOutgoingRow(rpc, { chatId, since: Date.now() - 10 * 60_000, matches: (row) => row.text === 'the answer' }, { filtersBeforeLimit, pageSize: 10 });
    expect(found).toMatchObject({ id: reply, is_from_me: true, text: 'the answer' });
    if (filtersBeforeLimit) {
      // Pages walk back in time: about one request per 10 rows, not a growing window.
      expect(rpc.pages.length).toBeLessThanOrEqual(11);
      expect(rpc.pages.every((page) => page.limit === 10)).toBe(true);
    }
  });

  it('reads past more rows in one millisecond than a page holds', async () => {
    const { chatId, reply } = chatWithReplyBehind(35, { sameMs: true });
    const rpc = await imsg();
    const found = await findOutgoingRow(rpc, { chatId, matches: (row) => row.text === 'the answer' }, { pageSize: 10 });
    expect(found?.id).toBe(reply);
  });

  it('answers undefined when there is no such row, after reading everything since `since`, and ignores older rows', async () => {
    const { chatId } = chatWithReplyBehind(25, { at: Date.now() - 60_000 });
    const rpc = await imsg();
    expect(await findOutgoingRow(rpc, { chatId, matches: (row) => row.text === 'never sent' }, { pageSize: 10 })).toBeUndefined();
    // Our row is older than `since`: not looked at.
    expect(await findOutgoingRow(rpc, { chatId, since: Date.now() - 30_000, matches: (row) => row.text === 'the answer' }, { pageSize: 10 })).toBeUndefined();
    // Inbound rows never count, whatever they say.
    expect(await findOutgoingRow(rpc, { chatId, matches: (row) => row.text === 'later 3' }, { pageSize: 10 })).toBeUndefined();
  });
});

describe('newestRowid', () => {
  it('is the newest row in chat.db, across the recently active chats', async () => {
    fx.db.inject({ from: PEER, text: 'one' });
    fx.db.inject({ from: 'jane@example.com', text: 'two', group: { id: 42, name: 'Family', participants: [PEER, 'jane@example.com'] } });
    const newest = fx.db.inject({ from: '+15555550199', text: 'three' }).rowid;
    expect(await newestRowid(await imsg())).toBe(newest);
  });
});

describe('historyFiltersBeforeLimit', () => {
  it('is true from imsg 0.4.1 on, and when the version is unknown', () => {
    expect([null, undefined, 'weird', '0.4.1', '0.4.1-dev', '0.9.0', '1.0.0', '0.10.0'].map(historyFiltersBeforeLimit)).toEqual([true, true, true, true, true, true, true, true]);
    expect(['0.3.0', '0.4.0'].map(historyFiltersBeforeLimit)).toEqual([false, false]);
  });
});
