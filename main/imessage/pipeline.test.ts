// The inbound pipeline on its own (no supervisor): real `imsg rpc` (the simulator) behind the
// account's sender, a real pairing store and agent, the fake model server. Covers what the channel
// tests do not reach easily (the concurrency bound, store failures, send failures, the
// interrupted-reply check) and measures the per-message cost.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimDb } from '../../sim/lib';
import { startFakeModelServer, type FakeModelServer } from '../../test/support/fake-model-server';
import { createAgent, type Agent } from '../agent/agent';
import type { ResolvedImessageAccount } from '../config/types';
import { PairingStore } from '../pairing/store';
import { createLogHub, type LogHub } from '../util/logger';
import { AccessLog } from './access-log';
import { ConcurrencyLimit } from '../util/serial-queue';
import { CursorStore } from './cursor-store';
import type { DeliveryContext } from './inbound-delivery';
import { compileMentionMatcher } from './mention';
import { InboundPipeline, type InboundPipelineOptions } from './pipeline';
import { ImsgRpcClient, ImsgRpcError } from './rpc-client';
import { AccountSender, textFingerprint, type AccountSenderOptions } from './sender';
import type { ImsgRpc } from './types';
import { repoRoot, simImsg, tempDir, testAccount } from '../../test/support/imsg-fixtures';
import type { ImsgMessage } from '../../contract/imsg';

let dir: string;
let sim: SimDb;
let client: ImsgRpcClient;
let hub: LogHub;
let model: FakeModelServer;
let agents: Agent[] = [];
beforeAll(async () => {
  model = await startFakeModelServer();
});
afterAll(() => model.close());
beforeEach(async () => {
  dir = tempDir('pipeline-');
  sim = SimDb.create(join(dir, 'chat.db'), { me: '+15550000000' });
  hub = createLogHub({ level: 'debug' });
  client = new ImsgRpcClient({ cliPath: simImsg, dbPath: join(dir, 'chat.db'), env: { ...process.env, IMSG_SIM_HOME: dir } });
  await client.start();
  model.requests.length = 0;
  model.setBehavior('echo');
});
afterEach(async () => {
  await client.stop();
  await Promise.all(agents.map((a) => a.close()));
  agents = [];
  sim.close();
});

function account(overrides: Partial<ResolvedImessageAccount> = {}): ResolvedImessageAccount {
  return testAccount({ dmPolicy: 'open', allowFrom: ['*'], ...overrides });
}

function makeAgent(url = model.url): Agent {
  const agent = createAgent({
    config: { agents: { defaults: { model: 'anthropic/claude-test' } }, models: { providers: { anthropic: { baseUrl: url } } } },
    env: { ANTHROPIC_API_KEY: 'test-key' },
    stateDir: join(dir, 'state'),
    http: { timeoutMs: 3000, maxRetries: 0 },
  });
  agents.push(agent);
  return agent;
}

/** The account's sender over the test's imsg client; a client that was stopped never comes back. */
function sender(acct: ResolvedImessageAccount, overrides: Partial<AccountSenderOptions> = {}): AccountSender {
  return new AccountSender({
    account: () => acct,
    rpc: client,
    waitUntilListening: async () => client.running,
    stateDir: join(dir, 'state'),
    logger: hub.logger('imessage:default'),
    ...overrides,
  });
}

/** An rpc that passes every call to the test's client except those `intercept` answers (undefined: pass). */
function interceptedRpc(intercept: (method: string) => Promise<never> | undefined): ImsgRpc {
  return { call: (method, params, options) => intercept(method) ?? client.call(method, params, options) };
}

function pipeline(options: Partial<InboundPipelineOptions> & { senderOptions?: Partial<AccountSenderOptions> } = {}): { pipeline: InboundPipeline; log: AccessLog; pairing: PairingStore } {
  const { senderOptions, ...overrides } = options;
  const log = new AccessLog();
  const pairing = overrides.pairing ?? new PairingStore({ stateDir: join(dir, 'state'), maxPending: 1000 });
  const acct = overrides.account ?? account();
  const p = new InboundPipeline({
    account: acct,
    pairing,
    agent: makeAgent(),
    accessLog: log,
    logger: hub.logger('imessage:default'),
    mention: compileMentionMatcher({}),
    limit: new ConcurrencyLimit(32),
    sender: sender(acct, senderOptions),
    timezone: 'utc',
    ...overrides,
  });
  return { pipeline: p, log, pairing };
}

/** Writes an inbound row to chat.db and returns it as imsg would deliver it. */
function inbound(from: string, text: string): ImsgMessage {
  const row = sim.inject({ from, text });
  return { id: row.rowid, chat_id: row.chatId, guid: row.guid, sender: from, is_from_me: false, text, created_at: new Date().toISOString(), attachments: [], is_group: false };
}

describe('InboundPipeline', () => {
  it('drops its own rows and rows without a sender silently (no access-log line)', async () => {
    const { pipeline: p, log } = pipeline();
    const message = inbound('+15555550100', 'hi');
    await p.handle({ ...message, is_from_me: true });
    await p.handle({ ...message, sender: '  ' });
    expect(log.size).toBe(0);
    expect(model.requests).toEqual([]);
  });

  it('bounds concurrent model calls across chats and still answers every message', async () => {
    let inFlight = 0;
    let peak = 0;
    model.setBehavior(async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight -= 1;
      return { text: 'ok' };
    });
    const { pipeline: p, log } = pipeline({ limit: new ConcurrencyLimit(2) });
    const messages = Array.from({ length: 10 }, (_, i) => inbound(`+1555555${String(1000 + i)}`, `chat ${i}`));
    await Promise.all(messages.map((m) => p.handle(m)));
    expect(peak).toBe(2);
    expect(log.tail().map((e) => e.reason)).toEqual(Array(10).fill('replied'));
    expect(sim.sent()).toHaveLength(10);
    expect(p.activeChats).toBe(0);
  });

  it('a pairing store that cannot be read: logged in the access log, nothing sent, the next message works', async () => {
    const state = join(dir, 'state', 'credentials');
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'imessage-pairing.json'), '{ not json');
    const { pipeline: p, log } = pipeline({ account: account({ dmPolicy: 'pairing', allowFrom: [] }) });
    await p.handle(inbound('+15555550101', 'hello'));
    expect(log.tail()[0]).toMatchObject({ decision: 'pairing', reason: expect.stringMatching(/^pairing store error: .*imessage-pairing\.json is not valid JSON/) });
    expect(sim.sent()).toEqual([]);
    await p.handle(inbound('+15555550101', 'hello again'));
    expect(log.tail()[1]).toMatchObject({ decision: 'pairing', reason: 'pairing requested' });
    expect(sim.sent()).toHaveLength(1);
  });

  it('a failed send is recorded, and does not block the chat', async () => {
    const { pipeline: p, log } = pipeline();
    await client.stop();
    await p.handle(inbound('+15555550102', 'one'));
    await p.handle(inbound('+15555550102', 'two'));
    expect(log.tail().map((e) => e.reason)).toEqual([expect.stringMatching(/^send failed: iMessage send to chat_id:\d+ failed: /), expect.stringMatching(/^send failed: /)]);
  });

  it('sends one reply at a time per account while the model calls run concurrently', async () => {
    let modelInFlight = 0;
    let modelPeak = 0;
    model.setBehavior(async () => {
      modelInFlight += 1;
      modelPeak = Math.max(modelPeak, modelInFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      modelInFlight -= 1;
      return { text: 'ok' };
    });
    let sending = 0;
    let sendPeak = 0;
    const counting: ImsgRpc = {
      call: async (method, params, options) => {
        if (method !== 'send') return client.call(method, params, options);
        sending += 1;
        sendPeak = Math.max(sendPeak, sending);
        try {
          return await client.call(method, params, options);
        } finally {
          sending -= 1;
        }
      },
    };
    const { pipeline: p, log } = pipeline({ senderOptions: { rpc: counting } });
    const messages = Array.from({ length: 12 }, (_, i) => inbound(`+1555555${String(2000 + i)}`, `chat ${i}`));
    await Promise.all(messages.map((m) => p.handle(m)));
    expect(sendPeak).toBe(1);
    expect(modelPeak).toBeGreaterThan(1);
    expect(log.tail().map((e) => e.reason)).toEqual(Array(12).fill('replied'));
    expect(sim.sent()).toHaveLength(12);
  });

  describe('a reply whose send was interrupted by the previous run', () => {
    const peer = '+15555550300';
    /** A context as the supervisor builds it for a row the cursor store found uncertain. */
    const interrupted = (fingerprint: string): DeliveryContext & { started: string[] } => {
      const started: string[] = [];
      return { interruptedSend: { fingerprint }, markSendStarted: (fp = '') => void started.push(fp), started };
    };

    it('journals the start of each send with the fingerprint of the reply as it lands in the chat', async () => {
      const store = await CursorStore.open({ stateDir: join(dir, 'state'), accountId: 'default', compactDelayMs: 60_000 });
      const { pipeline: p } = pipeline();
      const message = inbound(peer, 'hello');
      store.markStarted(message.id);
      await p.handle(message, { markSendStarted: (fp) => store.markSendStarted(message.id, fp) });
      // Killed before the row was marked done: the next load finds it uncertain.
      const reloaded = await CursorStore.open({ stateDir: join(dir, 'state'), accountId: 'default' });
      const [reply] = sim.sent();
      expect(reloaded.isUncertain(message.id)).toBe(true);
      expect(reloaded.uncertainFingerprint(message.id)).toBe(textFingerprint(reply!.text));
      await reloaded.close();
      await store.close();
    });

    it('is not answered again when its reply is in the chat (even after an earlier reply landing after it)', async () => {
      const { pipeline: p, log } = pipeline();
      const earlier = inbound(peer, 'first');
      const message = inbound(peer, 'second');
      // The previous run: the reply to `earlier` went out after `message` arrived, then the reply
      // to `message`, then it died.
      await client.call('send', { chat_id: message.chat_id, text: 'answer to first' });
      await client.call('send', { chat_id: message.chat_id, text: 'answer to second' });
      const context = interrupted(textFingerprint('answer to second'));
      await p.handle(message, context);
      expect(log.tail()[0]).toMatchObject({ messageId: message.id, decision: 'accepted', reason: 'already answered before restart' });
      expect(sim.sent()).toHaveLength(2);
      expect(model.requests).toEqual([]);
      expect(context.started).toEqual([]);
      expect(earlier.id).toBeLessThan(message.id);
    });

    it('finds its reply however many messages came into the chat after it (the history is read page by page, not a fixed window)', async () => {
      const { pipeline: p, log } = pipeline();
      const message = inbound(peer, 'asked just before the crash');
      await client.call('send', { chat_id: message.chat_id, text: 'the reply that got out' });
      // While the gateway was down the chat went on: more rows than one history page.
      sim.injectMany(Array.from({ length: 150 }, (_, i) => ({ from: peer, text: `while down ${i}` })));
      await p.handle(message, interrupted(textFingerprint('the reply that got out')));
      expect(log.tail()[0]).toMatchObject({ messageId: message.id, reason: 'already answered before restart' });
      expect(sim.sent()).toHaveLength(1);
      expect(model.requests).toEqual([]);
    });

    it('is answered when only an earlier message\'s reply landed after it (the send never reached imsg)', async () => {
      const { pipeline: p, log } = pipeline();
      inbound(peer, 'first');
      const message = inbound(peer, 'second');
      await client.call('send', { chat_id: message.chat_id, text: 'answer to first' });
      const context = interrupted(textFingerprint('answer to second'));
      await p.handle(message, context);
      expect(log.tail()[0]).toMatchObject({ messageId: message.id, reason: 'replied' });
      expect(sim.sent()).toHaveLength(2);
      expect(context.started).toEqual([textFingerprint(sim.sent().at(-1)!.text)]);
    });

    it('without a fingerprint, any outgoing row after it counts; the check failing means answering', async () => {
      let historyFails = false;
      const { pipeline: p, log } = pipeline({ senderOptions: { rpc: interceptedRpc((method) => (historyFails && method === 'messages.history' ? Promise.reject(new Error('imsg is restarting')) : undefined)) } });
      const message = inbound(peer, 'hi');
      await client.call('send', { chat_id: message.chat_id, text: 'something' });
      await p.handle(message, interrupted(''));
      expect(log.tail()[0]).toMatchObject({ reason: 'already answered before restart' });

      const next = inbound(peer, 'again');
      historyFails = true;
      await p.handle(next, interrupted(''));
      expect(log.tail()[1]).toMatchObject({ messageId: next.id, reason: 'replied' });
      expect(hub.tail().some((r) => /could not check the chat \(imsg is restarting\)/.test(r.msg))).toBe(true);
    });

    it('a long reply counts as sent only when its last chunk is in the chat (cut off between chunks: answered again)', async () => {
      const reply = 'First part of a long answer. Second part of it. Third and last part.';
      model.setBehavior({ text: reply });
      const acct = account({ textChunkLimit: 30 });
      const { pipeline: p, log } = pipeline({ account: acct });

      // The previous run: the reply's start journaled, then all its chunks landed.
      const whole = inbound(peer, 'tell me everything');
      const journaled: string[] = [];
      await p.handle(whole, { markSendStarted: (fp = '') => void journaled.push(fp) });
      const chunks = sim.sent().map((row) => row.text);
      expect(chunks.length).toBeGreaterThan(2);
      expect(journaled).toEqual([textFingerprint(chunks.at(-1)!)]);
      await p.handle(whole, interrupted(journaled[0]!));
      expect(log.tail().at(-1)).toMatchObject({ messageId: whole.id, reason: 'already answered before restart' });

      // The previous run died after the first chunk of this one's reply (the model gives the same
      // answer, so the same fingerprint): it is answered again, in full.
      const cut = inbound(peer, 'and again');
      await client.call('send', { chat_id: cut.chat_id, text: chunks[0]! });
      const before = sim.sent().length;
      await p.handle(cut, interrupted(journaled[0]!));
      expect(log.tail().at(-1)).toMatchObject({ messageId: cut.id, reason: 'replied' });
      expect(sim.sent().slice(before).map((row) => row.text)).toEqual(chunks);
    });

    it('imsg unreachable at the check (restarting): waits for the account to listen again, then looks', async () => {
      let listening = false;
      const calls: string[] = [];
      const { pipeline: p, log } = pipeline({
        senderOptions: {
          rpc: interceptedRpc((method) => {
            calls.push(`${method}${listening ? '' : ' (down)'}`);
            return listening ? undefined : Promise.reject(new ImsgRpcError('iMessage account default is not connected (state: backing-off)', 'not-running', method));
          }),
          waitUntilListening: async () => {
            listening = true;
            return true;
          },
        },
      });
      const message = inbound(peer, 'while starting');
      await client.call('send', { chat_id: message.chat_id, text: 'the reply that got out' });
      const context = interrupted(textFingerprint('the reply that got out'));
      await p.handle(message, context);
      expect(calls).toEqual(['messages.history (down)', 'messages.history']);
      expect(log.tail()[0]).toMatchObject({ messageId: message.id, reason: 'already answered before restart' });
      expect(sim.sent()).toHaveLength(1);
    });

    it('answers when the account does not come to listen in time (a lost reply is worse than a double)', async () => {
      let requests = 0;
      const { pipeline: p, log } = pipeline({
        senderOptions: {
          rpc: interceptedRpc((method) => {
            requests += 1;
            // The history check fails as "not connected"; the reply itself then goes through.
            return method === 'messages.history' ? Promise.reject(new ImsgRpcError('not connected', 'not-running', method)) : undefined;
          }),
          waitUntilListening: async () => false,
        },
      });
      const message = inbound(peer, 'imsg never came back');
      await p.handle(message, interrupted(''));
      expect(requests).toBeGreaterThanOrEqual(1);
      expect(log.tail()[0]).toMatchObject({ messageId: message.id, reason: 'replied' });
      expect(hub.tail().some((r) => /could not check the chat \(not connected\)/.test(r.msg))).toBe(true);
    });
  });

  it('per-message cost: pairing reply and agent reply, measured from handle() to the send being answered by imsg', async () => {
    // The model in its own process: the CPU figure is the gateway's alone.
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/channel/fake-model-process.ts'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const { url } = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve))) as { url: string };
      const timings = async (p: InboundPipeline, messages: ImsgMessage[]) => {
        const wall: number[] = [];
        const cpuBefore = process.cpuUsage();
        for (const message of messages) {
          const started = performance.now();
          await p.handle(message);
          wall.push(performance.now() - started);
        }
        const cpu = process.cpuUsage(cpuBefore);
        wall.sort((a, b) => a - b);
        return { p50: wall[Math.floor(wall.length / 2)]!, p90: wall[Math.floor(wall.length * 0.9)]!, cpuMs: (cpu.user + cpu.system) / 1000 / messages.length };
      };

      const pairingSide = pipeline({ account: account({ dmPolicy: 'pairing', allowFrom: [] }) });
      await pairingSide.pipeline.handle(inbound('+15555559000', 'warm-up'));
      const strangers = Array.from({ length: 40 }, (_, i) => inbound(`+1555556${String(1000 + i)}`, 'who are you?'));
      const pairingCost = await timings(pairingSide.pipeline, strangers);
      expect(pairingSide.log.tail(40).every((e) => e.reason === 'pairing requested')).toBe(true);

      const replySide = pipeline({ agent: makeAgent(url) });
      await replySide.pipeline.handle(inbound('+15555559001', 'warm-up'));
      const chats = Array.from({ length: 60 }, (_, i) => inbound(`+1555557${String(1000 + (i % 20))}`, `question ${i}`));
      const replyCost = await timings(replySide.pipeline, chats);
      expect(replySide.log.tail(60).every((e) => e.reason === 'replied')).toBe(true);

      console.log(
        `[pipeline cost] pairing reply p50 ${pairingCost.p50.toFixed(2)} ms p90 ${pairingCost.p90.toFixed(2)} ms, ${pairingCost.cpuMs.toFixed(2)} ms CPU/msg; ` +
          `agent reply (instant model) p50 ${replyCost.p50.toFixed(2)} ms p90 ${replyCost.p90.toFixed(2)} ms, ${replyCost.cpuMs.toFixed(2)} ms CPU/msg`,
      );
      // Loose bounds on this process's CPU time per message (a descheduled worker on a busy CI box
      // costs wall time, not CPU time); the figures above are what to read, and `npm run bench`
      // measures the goals.
      expect(pairingCost.cpuMs).toBeLessThan(20);
      expect(replyCost.cpuMs).toBeLessThan(20);
    } finally {
      child.stdin!.end();
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
