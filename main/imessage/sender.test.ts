// The account's sender against the imsg simulator: one send at a time in arrival order, the text
// split once (the parts sent are the parts journaled and remembered), resume across an imsg
// restart without losing or doubling a part, the own-echo memory, and requests refused before
// anything is queued. A restart is played by an rpc in front of the real client that fails one
// `send` the way a dying imsg does (after or before executing it) and then "reconnects".
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImsgMethod, ImsgParams, ImsgResult } from '../../contract/imsg';
import { imsgMessage } from '../../test/support/imsg-message';
import { testAccount } from '../../test/support/imsg-fixtures';
import { simEnv, tempDb, type TempDb } from '../../test/support/sim-session';
import { simBinPath } from '../../sim/lib';
import type { ResolvedImessageAccount } from '../config/types';
import { createLogHub, type LogHub } from '../util/logger';
import { chunkText } from './chunking';
import { ImessageSendError } from './outbound';
import { ImsgRpcClient, ImsgRpcError } from './rpc-client';
import { AccountSender, ECHO_TTL_MS, textFingerprint, type AccountSenderOptions } from './sender';
import type { ImsgRpc } from './types';

const PEER = '+15555550123';
let fx: TempDb;
let client: ImsgRpcClient;
let hub: LogHub;

beforeEach(async () => {
  fx = tempDb();
  hub = createLogHub({ level: 'debug' });
  client = new ImsgRpcClient({ cliPath: simBinPath, dbPath: fx.dbPath, env: simEnv() });
  await client.start();
});
afterEach(async () => {
  await client.stop();
  fx.cleanup();
});

type Call = <M extends ImsgMethod>(method: M, params: ImsgParams<M>, options?: { timeoutMs?: number }) => Promise<ImsgResult<M>>;

/** An rpc in front of the test's client; `around` may answer a call itself. */
function rpcWith(around: (method: ImsgMethod, params: object, pass: () => Promise<unknown>) => Promise<unknown> | undefined): ImsgRpc {
  const call: Call = (method, params, options) => {
    const pass = () => client.call(method, params, options);
    return (around(method, params, pass) as Promise<ImsgResult<typeof method>> | undefined) ?? pass();
  };
  return { call };
}

function sender(account: ResolvedImessageAccount, overrides: Partial<AccountSenderOptions> = {}): AccountSender {
  return new AccountSender({
    account: () => account,
    rpc: client,
    waitUntilListening: async () => client.running,
    stateDir: fx.dir,
    logger: hub.logger('imessage:default'),
    ...overrides,
  });
}

const LONG = 'First part of a long answer. Second part of it. Third and last part.';
const logText = () => hub.tail(200).map((r) => r.msg).join('\n');

describe('AccountSender', () => {
  it('sends one message at a time, in arrival order, each split once', async () => {
    const { chatId } = fx.db.inject({ from: PEER, text: 'hi' });
    const account = testAccount({ textChunkLimit: 30 });
    let inFlight = 0;
    let peak = 0;
    const s = sender(account, {
      rpc: rpcWith((method, _params, pass) => {
        if (method !== 'send') return undefined;
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        return pass().finally(() => (inFlight -= 1));
      }),
    });
    const [a, b, c] = await Promise.all([
      s.send({ target: `chat_id:${chatId}`, text: LONG }),
      s.send({ target: `imessage:${PEER}`, text: 'a control API message' }),
      s.send({ target: `chat_id:${chatId}`, text: `again: ${LONG}` }),
    ]);
    expect(peak).toBe(1);
    const chunks = chunkText(LONG, { limit: 30 });
    const again = chunkText(`again: ${LONG}`, { limit: 30 });
    expect(fx.db.sent().map((row) => row.text)).toEqual([...chunks, 'a control API message', ...again]);
    expect([a.chunks, b.chunks, c.chunks]).toEqual([chunks.length, 1, again.length]);
    expect(a.messageIds).toEqual(fx.db.sent().slice(0, chunks.length).map((row) => row.guid));
  });

  it('journals the reply before its first request, with the fingerprint of its last part', async () => {
    const { chatId } = fx.db.inject({ from: PEER, text: 'hi' });
    const events: string[] = [];
    const s = sender(testAccount({ textChunkLimit: 30 }), {
      rpc: rpcWith((method, params) => {
        if (method === 'send') events.push(`send ${(params as { text: string }).text}`);
        return undefined;
      }),
    });
    await s.send({ target: `chat_id:${chatId}`, text: LONG, journal: { markSendStarted: (fp) => events.push(`journal ${fp}`) } });
    const chunks = chunkText(LONG, { limit: 30 });
    expect(events).toEqual([`journal ${textFingerprint(chunks.at(-1)!)}`, ...chunks.map((chunk) => `send ${chunk}`)]);
  });

  describe('imsg dies during a send', () => {
    /** Fails the `send` of part `index` (0-based, counted over all sends) like an imsg that died, once. */
    const dyingAt = (index: number, executedFirst: boolean) => {
      let sends = 0;
      return rpcWith((method, _params, pass) => {
        if (method !== 'send' || sends++ !== index) return undefined;
        const died = () => Promise.reject(new ImsgRpcError('imsg rpc exited (signal SIGKILL)', 'exited', 'send'));
        return executedFirst ? pass().then(died) : died();
      });
    };

    it('after executing a part: that part is found in the chat and not sent again; the rest follows', async () => {
      const { chatId } = fx.db.inject({ from: PEER, text: 'hi' });
      const s = sender(testAccount({ textChunkLimit: 30 }), { rpc: dyingAt(1, true) });
      const result = await s.send({ target: `chat_id:${chatId}`, text: LONG });
      const chunks = chunkText(LONG, { limit: 30 });
      expect(fx.db.sent().map((row) => row.text)).toEqual(chunks);
      expect(result).toMatchObject({ chunks: chunks.length });
      expect(result.messageIds).toEqual(fx.db.sent().map((row) => row.guid));
      expect(logText()).toMatch(/send to chat_id:\d+ interrupted .*; resending after imsg reconnects/);
      expect(logText()).toMatch(/part 2 of the send to chat_id:\d+ was delivered before imsg died; not resending it/);
    });

    it('before executing a part: that part is sent after the reconnect, once', async () => {
      const { chatId } = fx.db.inject({ from: PEER, text: 'hi' });
      const s = sender(testAccount({ textChunkLimit: 30 }), { rpc: dyingAt(1, false) });
      await s.send({ target: `chat_id:${chatId}`, text: LONG });
      expect(fx.db.sent().map((row) => row.text)).toEqual(chunkText(LONG, { limit: 30 }));
    });

    it('imsg not coming back in time: fails saying how far it got', async () => {
      const { chatId } = fx.db.inject({ from: PEER, text: 'hi' });
      const s = sender(testAccount({ textChunkLimit: 30 }), { rpc: dyingAt(1, false), waitUntilListening: async () => false });
      const error = (await s.send({ target: `chat_id:${chatId}`, text: LONG }).catch((e: unknown) => e)) as ImessageSendError;
      expect(error).toBeInstanceOf(ImessageSendError);
      expect(error.message).toMatch(/^iMessage send to chat_id:\d+ failed after 1 of 3 messages: imsg rpc exited \(signal SIGKILL\)$/);
      expect(error).toMatchObject({ sent: 1, total: 3, messageIds: [fx.db.sent()[0]!.guid] });
    });
  });

  it('refuses a wrong request before queueing it: nothing reaches imsg', async () => {
    const calls: string[] = [];
    const s = sender(testAccount(), { rpc: rpcWith((method) => void calls.push(method)) });
    await expect(s.send({ target: 'chat_id:x', text: 'hi' })).rejects.toThrow('Invalid chat_id: x');
    await expect(s.send({ target: PEER, text: '  ' })).rejects.toThrow('iMessage send requires text or media');
    expect(calls).toEqual([]);
    expect(s.busy).toBe(false);
  });

  it('remembers what it sent per conversation for a while: the own-echo guard', async () => {
    let now = Date.now();
    const { chatId } = fx.db.inject({ from: PEER, text: 'hi' });
    const s = sender(testAccount({ textChunkLimit: 30 }), { now: () => now });
    await s.send({ target: `chat_id:${chatId}`, text: LONG });
    const [first] = chunkText(LONG, { limit: 30 });
    const echo = imsgMessage({ chat_id: chatId, sender: PEER, text: ` ${first} ` });
    expect(s.isOwnEcho(echo)).toBe(true);
    expect(s.isOwnEcho({ ...echo, chat_id: chatId + 1 })).toBe(false);
    expect(s.isOwnEcho({ ...echo, text: 'something else' })).toBe(false);
    expect(s.isOwnEcho({ ...echo, attachments: [{ filename: 'x.jpg' }] })).toBe(false);
    now += ECHO_TTL_MS + 1;
    expect(s.isOwnEcho(echo)).toBe(false);
  });
});
