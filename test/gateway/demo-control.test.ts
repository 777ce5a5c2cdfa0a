// Demo mode's control methods (`demo.inject`, `demo.sent`) and the demo assistant, over the real
// gateway (startGateway in-process, the imsg simulator as its Messages account, the real control
// server), plus their parameter validation and their refusal outside demo mode.
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createControlClient, type ControlClient } from '../../contract/control-client';
import { DEMO_ECHO_MODEL } from '../../contract/constants';
import { CONTROL_METHODS } from '../../contract/control-api';
import { startGateway, type GatewayHandle, type StartGatewayOptions } from '../../main/gateway/start';
import { startFakeModelServer } from '../support/fake-model-server';
import { collect, waitFor, workspace, type Workspace } from './harness';

const FAST = { backoff: { initialMs: 100, maxMs: 400, factor: 2, jitter: 0 }, stopGraceMs: 200, healthThrottleMs: 20, probeTimeoutMs: 5000 };

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ws(): Workspace {
  const w = workspace();
  cleanups.push(() => w.cleanup());
  return w;
}

async function start(w: Workspace, options: StartGatewayOptions = {}): Promise<GatewayHandle> {
  const handle = await startGateway({ env: w.env, port: 0, signals: false, logSinks: [], staticDir: null, channelTimings: FAST, ...options });
  cleanups.push(() => handle.stop());
  return handle;
}

async function connect(handle: GatewayHandle): Promise<ControlClient> {
  const client = createControlClient({ url: handle.wsUrl, token: handle.token, WebSocket, clientName: 'test' });
  cleanups.push(() => client.close());
  await client.ready;
  return client;
}

/** Waits until the gateway has sent a message (to `to`) whose text satisfies `match`. */
function sentMessage(client: ControlClient, to: string, match: (text: string) => boolean) {
  return waitFor(`a message to ${to}`, async () => {
    const { messages } = await client.request('demo.sent', {});
    return messages.find((m) => m.to === to && match(m.text));
  });
}

describe('demo.inject / demo.sent parameters', () => {
  const inject = CONTROL_METHODS['demo.inject'].params;

  it('accepts a phone number or an email address, a message, an optional group', () => {
    expect(inject.parse({ from: ' +1 (555) 555-0123 ', text: 'hi' })).toEqual({ from: '+1 (555) 555-0123', text: 'hi' });
    expect(inject.parse({ from: 'someone@example.com', text: 'x'.repeat(4000), group: { id: 42, name: 'Family' } }).group).toEqual({ id: 42, name: 'Family' });
    expect(inject.parse({ from: '+15555550123', text: 'hi', group: { id: 7 } }).group).toEqual({ id: 7 });
  });

  it('refuses senders that are not handles, oversized or empty text, bad group ids, unknown keys', () => {
    const issues = (params: unknown) => {
      const result = inject.safeParse(params);
      return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    expect(issues({ from: 'bob', text: 'hi' })).toEqual(['from: the sender must be a phone number (e.g. +15555550123) or an email address']);
    expect(issues({ from: '12', text: 'hi' })).toHaveLength(1);
    expect(issues({ from: `${'a'.repeat(60)}@example.com`, text: 'hi' })).toEqual([expect.stringMatching(/^from: /)]);
    expect(issues({ from: '+15555550123', text: '   ' })).toEqual(['text: the message is empty']);
    expect(issues({ from: '+15555550123', text: 'x'.repeat(4001) })).toEqual([expect.stringMatching(/^text: /)]);
    for (const id of [0, -1, 1.5, '42']) expect(issues({ from: '+15555550123', text: 'hi', group: { id } })).toEqual([expect.stringMatching(/^group\.id: /)]);
    expect(issues({ from: '+15555550123', text: 'hi', extra: 1 })).toHaveLength(1);
    expect(CONTROL_METHODS['demo.sent'].params.safeParse({ limit: 101 }).success).toBe(false);
    expect(CONTROL_METHODS['demo.sent'].params.safeParse({ limit: 5 }).success).toBe(true);
  });
});

describe('outside demo mode', () => {
  it('refuses demo.inject and demo.sent with the way to a demo gateway; params are still checked first', async () => {
    const w = ws();
    const handle = await start(w);
    const client = await connect(handle);
    expect(handle.status().model).toBeNull();

    await expect(client.request('demo.inject', { from: '+15555550123', text: 'hi' })).rejects.toMatchObject({
      code: 'unavailable',
      message: 'demo.inject is only available in demo mode',
      fix: expect.stringContaining('clawdbot gateway --demo'),
    });
    await expect(client.request('demo.sent', {})).rejects.toMatchObject({ code: 'unavailable', message: 'demo.sent is only available in demo mode' });
    await expect(client.request('demo.inject', { from: 'bob', text: 'hi' })).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('params.from') });
    // Nothing reached the (real) simulated chat.db.
    expect(w.sim.maxRowid()).toBe(0);
  });
});

describe('in demo mode', () => {
  it('a message received from the API goes through pairing; once approved, the demo assistant answers', async () => {
    const w = ws();
    const handle = await start(w, { demo: true, stateDir: join(w.dir, 'demo') });
    expect(handle.status()).toMatchObject({ demo: true, model: DEMO_ECHO_MODEL, modelError: null });
    const client = await connect(handle);
    const pairing = collect(client, 'pairing');
    const access = collect(client, 'accessLog');

    const first = await client.request('demo.inject', { from: '+15555550188', text: 'Hi, who is this?' });
    expect(first.rowid).toBeGreaterThan(0);
    const requested = await waitFor('the pairing request', () => pairing.find((e) => e.kind === 'requested' && e.senderId === '+15555550188'));
    const codeMessage = await sentMessage(client, '+15555550188', (text) => text.includes(requested.code!));
    expect(codeMessage.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    await client.request('pairing.approve', { code: requested.code! });
    await client.request('demo.inject', { from: '+15555550188', text: 'What’s the weather?' });
    await sentMessage(client, '+15555550188', (text) => text === 'Demo assistant (no AI model configured): you said “What’s the weather?”');
    await waitFor('the access log line', () => access.find((e) => e.sender === '+15555550188' && e.decision === 'accepted' && e.reason === 'replied'));

    // Oldest first, limited to the last `limit`.
    const { messages } = await client.request('demo.sent', { limit: 1 });
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toContain('you said “What’s the weather?”');
    const all = (await client.request('demo.sent', {})).messages;
    expect(all.map((m) => m.rowid)).toEqual([...all.map((m) => m.rowid)].sort((a, b) => a - b));

    // Chat 1 is the 1:1 chat with the first sender: the simulated Messages.app refuses it as a group.
    await expect(client.request('demo.inject', { from: '+15555550188', text: 'x', group: { id: 1 } })).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('is a 1:1 chat, not a group: pick another group id'),
    });
    // A group chat message lands in that chat (the demo config's groupPolicy decides its fate).
    await client.request('demo.inject', { from: '+15555550188', text: 'hello group', group: { id: 42, name: 'Family' } });
    const groupLine = await waitFor('the group access log line', () => access.find((e) => e.isGroup && e.chatId === 42));
    expect(groupLine).toMatchObject({ chatName: 'Family', sender: '+15555550188' });
  });

  it('a configured model takes over from the demo assistant at once (hot reload)', async () => {
    const model = await startFakeModelServer({ models: ['claude-test'], behavior: { text: 'a real model answering' } });
    cleanups.push(() => model.close());
    const w = ws();
    const handle = await start(w, { demo: true, stateDir: join(w.dir, 'demo'), env: { ...w.env, ANTHROPIC_API_KEY: 'test-key' } });
    const client = await connect(handle);
    await client.request('config.patch', {
      patch: {
        agents: { defaults: { model: 'anthropic/claude-test' } },
        models: { providers: { anthropic: { baseUrl: model.url } } },
        channels: { imessage: { dmPolicy: 'open', allowFrom: ['*'] } },
      },
    });
    expect((await client.request('status', {})).model).toBe('anthropic/claude-test');

    await client.request('demo.inject', { from: 'friend@example.com', text: 'ping' });
    await sentMessage(client, 'friend@example.com', (text) => text === 'a real model answering');
    expect(model.requests.at(-1)!.lastUserText).toContain('ping');
  });
});
