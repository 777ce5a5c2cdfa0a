// The agent end to end against the fake model server: prompt building, sessions, transcripts,
// reply shaping, images and health reporting.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../../test/support/fake-model-server';
import { createAgent, shapeReply, toAlternatingTurns, type Agent, type CreateAgentOptions } from './agent';
import { formatInboundEnvelope } from './envelope';
import type { AgentConfigInput } from './model-config';
import { ModelError } from './providers/errors';
import { resolveHistoryLimit } from './sessions';

let server: FakeModelServer;
let stateDir: string;
const agents: Agent[] = [];

beforeAll(async () => {
  server = await startFakeModelServer({ models: ['claude-test', 'gpt-test', 'text-only'] });
});
afterAll(() => server.close());
beforeEach(async () => {
  stateDir = await fs.mkdtemp(join(tmpdir(), 'agent-'));
  server.requests.length = 0;
  server.setBehavior('echo');
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await fs.rm(stateDir, { recursive: true, force: true });
});

function config(extra: Partial<Record<keyof AgentConfigInput, Record<string, unknown>>> = {}, api: 'anthropic' | 'openai' = 'anthropic'): AgentConfigInput {
  const provider = api === 'anthropic' ? { baseUrl: server.url } : { baseUrl: `${server.url}/v1` };
  const model = api === 'anthropic' ? 'anthropic/claude-test' : 'openai/gpt-test';
  return {
    ...extra,
    agents: { defaults: { model: { primary: model } }, ...extra.agents },
    models: { providers: { [api]: provider }, ...extra.models },
  };
}

function makeAgent(overrides: Partial<CreateAgentOptions> = {}): Agent {
  const agent = createAgent({
    config: config(),
    env: { ANTHROPIC_API_KEY: 'test-key', OPENAI_API_KEY: 'test-key' },
    stateDir,
    http: { timeoutMs: 2_000, maxRetries: 2, backoff: { initialMs: 5, maxMs: 10, factor: 2, jitter: 0 } },
    ...overrides,
  });
  agents.push(agent);
  return agent;
}

const dm = (sender: string, text: string) =>
  formatInboundEnvelope({
    message: { id: 1, chat_id: 1, guid: 'g', sender, is_from_me: false, text, created_at: '2026-01-17T00:00:00Z', attachments: [] },
    timezone: 'utc',
  });

/** The texts of the messages in a recorded Anthropic request, in order. */
const texts = (body: any): string[] => body.messages.map((m: any) => m.content.filter((c: any) => c.type === 'text').map((c: any) => c.text).join(''));

describe('configuration and status', () => {
  it('is not configured without a model, and refuses to reply', async () => {
    const agent = makeAgent({ config: {} });
    expect(agent.status).toEqual({ configured: false, model: null, reason: 'no model configured', lastError: null });
    await expect(agent.reply({ sessionKey: 'k', envelope: 'hi' })).rejects.toMatchObject({ kind: 'not-configured' });
    expect(server.requests).toHaveLength(0);
  });

  it('reports a missing key as the reason, with the model it was for', () => {
    // The built-in Anthropic endpoint (not loopback) needs a key.
    const agent = makeAgent({ env: {}, config: { agents: { defaults: { model: 'anthropic/claude-test' } } } });
    expect(agent.status.configured).toBe(false);
    expect(agent.status.model).toBe('anthropic/claude-test');
    expect(agent.status.reason).toContain('ANTHROPIC_API_KEY');
  });

  it('becomes configured after reconfigure', async () => {
    const agent = makeAgent({ config: {} });
    agent.reconfigure(config());
    expect(agent.status).toMatchObject({ configured: true, model: 'anthropic/claude-test', reason: null });
    expect((await agent.reply({ sessionKey: 'k', envelope: 'hi' })).text).toBe('echo: hi');
  });
});

describe('replies', () => {
  it('sends a short system prompt naming the assistant and the channel, and returns the reply', async () => {
    const agent = makeAgent({ config: config({ agents: { list: [{ id: 'main', identity: { name: 'Clawd' } }] } }) });
    const envelope = dm('+15550001111', 'hello');
    const result = await agent.reply({ sessionKey: agent.sessionKey({ kind: 'dm', peer: '+15550001111' }), envelope });
    expect(result).toEqual({ text: `echo: ${envelope}` });
    const { body } = server.requests[0]!;
    expect(body.system).toContain('You are Clawd');
    expect(body.system).toContain('iMessage');
    expect(body.system.length).toBeLessThan(600);
    expect(texts(body)).toEqual([envelope]);
  });

  it('works with an OpenAI-compatible provider too', async () => {
    const agent = makeAgent({ config: config({}, 'openai') });
    expect((await agent.reply({ sessionKey: 'k', envelope: 'yo' })).text).toBe('echo: yo');
    expect(server.requests[0]!.path).toBe('/v1/chat/completions');
    expect(server.requests[0]!.body.messages[0]).toMatchObject({ role: 'system' });
  });

  it('applies messages.responsePrefix', async () => {
    const agent = makeAgent({ config: config({ messages: { responsePrefix: '[bot]' } }) });
    expect((await agent.reply({ sessionKey: 'k', envelope: 'hi' })).text).toBe('[bot] echo: hi');
    expect(shapeReply('[bot] already', '[bot]')).toEqual({ text: '[bot] already' });
  });

  it('suppresses an exact NO_REPLY (trimmed) but not text that merely contains it', async () => {
    const agent = makeAgent({ config: config({ messages: { responsePrefix: 'P' } }) });
    server.setBehavior({ text: '  NO_REPLY\n' });
    expect(await agent.reply({ sessionKey: 'k', envelope: 'group chatter' })).toEqual({ text: null, suppressed: 'NO_REPLY' });
    server.setBehavior({ text: 'NO_REPLY needed here' });
    expect(await agent.reply({ sessionKey: 'k', envelope: 'x' })).toEqual({ text: 'P NO_REPLY needed here' });
    server.setBehavior({ text: '   ' });
    expect(await agent.reply({ sessionKey: 'k', envelope: 'y' })).toEqual({ text: null, suppressed: 'empty' });
  });

  it('includes the session history, oldest first', async () => {
    const agent = makeAgent();
    await agent.reply({ sessionKey: 'k', envelope: 'one' });
    await agent.reply({ sessionKey: 'k', envelope: 'two' });
    expect(texts(server.requests[1]!.body)).toEqual(['one', 'echo: one', 'two']);
  });

  it('serializes replies within a session so the second sees the first exchange', async () => {
    const agent = makeAgent();
    server.setBehavior((req) => ({ delayMs: req.lastUserText === 'first' ? 80 : 0 }));
    const [a, b] = await Promise.all([agent.reply({ sessionKey: 'k', envelope: 'first' }), agent.reply({ sessionKey: 'k', envelope: 'second' })]);
    expect([a.text, b.text]).toEqual(['echo: first', 'echo: second']);
    expect(texts(server.requests[1]!.body)).toEqual(['first', 'echo: first', 'second']);
  });
});

describe('sessions', () => {
  it('keeps DM senders apart by default', async () => {
    const agent = makeAgent();
    const alice = agent.sessionKey({ kind: 'dm', peer: '+15550001111' });
    const bob = agent.sessionKey({ kind: 'dm', peer: '+15552223333' });
    expect(alice).toBe('agent:main:imessage:dm:+15550001111');
    expect(bob).not.toBe(alice);
    await agent.reply({ sessionKey: alice, envelope: dm('+15550001111', 'my secret is 42') });
    await agent.reply({ sessionKey: bob, envelope: dm('+15552223333', 'what did alice say?') });
    expect(JSON.stringify(server.requests[1]!.body)).not.toContain('secret');
  });

  it('shares one session across DM senders with session.dmScope "main"', async () => {
    const agent = makeAgent({ config: config({ session: { dmScope: 'main' } }) });
    const alice = agent.sessionKey({ kind: 'dm', peer: '+15550001111' });
    const bob = agent.sessionKey({ kind: 'dm', peer: '+15552223333' });
    expect(alice).toBe('agent:main:main');
    expect(bob).toBe(alice);
    await agent.reply({ sessionKey: alice, envelope: dm('+15550001111', 'my secret is 42') });
    await agent.reply({ sessionKey: bob, envelope: dm('+15552223333', 'what did alice say?') });
    expect(JSON.stringify(server.requests[1]!.body)).toContain('secret');
  });

  it('keys groups by chat id under the configured agent', () => {
    const agent = makeAgent({ config: config({ agents: { list: [{ id: 'Home' }] } }) });
    expect(agent.sessionKey({ kind: 'group', chatId: 42 })).toBe('agent:home:imessage:group:42');
  });

  it('persists the transcript as JSONL and a new agent continues from it', async () => {
    const first = makeAgent();
    const key = first.sessionKey({ kind: 'dm', peer: '+15550001111' });
    await first.reply({ sessionKey: key, envelope: 'remember the word banana' });
    await first.close();

    const file = join(stateDir, 'agents', 'main', 'sessions', 'agent_main_imessage_dm_+15550001111.jsonl');
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { role: 'user', text: 'remember the word banana', ts: expect.any(String) },
      { role: 'assistant', text: 'echo: remember the word banana', ts: expect.any(String), model: 'anthropic/claude-test' },
    ]);

    const second = makeAgent();
    await second.reply({ sessionKey: key, envelope: 'which word?' });
    expect(texts(server.requests[1]!.body)).toEqual(['remember the word banana', 'echo: remember the word banana', 'which word?']);
  });

  it('trims the prompt history to historyLimit user turns (the file keeps everything)', async () => {
    const agent = makeAgent();
    for (let i = 1; i <= 5; i++) await agent.reply({ sessionKey: 'k', envelope: `m${i}` });
    const limit = resolveHistoryLimit({ dmHistoryLimit: 2 }, { kind: 'dm', peer: 'x' });
    await agent.reply({ sessionKey: 'k', envelope: 'm6', historyLimit: limit });
    expect(texts(server.requests[5]!.body)).toEqual(['m4', 'echo: m4', 'm5', 'echo: m5', 'm6']);
    await agent.close();
    const file = join(stateDir, 'agents', 'main', 'sessions', 'k.jsonl');
    expect((await fs.readFile(file, 'utf8')).trimEnd().split('\n')).toHaveLength(12);
  });
});

describe('failures and health', () => {
  it('records a rejected key in status.lastError without retrying, and clears it after a success', async () => {
    const agent = makeAgent({ env: { ANTHROPIC_API_KEY: 'wrong-key' } });
    const error = await agent.reply({ sessionKey: 'k', envelope: 'hi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(server.requests).toHaveLength(1);
    expect(agent.status.lastError).toMatchObject({ kind: 'auth', message: expect.stringContaining('API key rejected by anthropic (401): set the ANTHROPIC_API_KEY') });
    expect(agent.status.configured).toBe(true);

    agent.reconfigure(config(), { ANTHROPIC_API_KEY: 'test-key' });
    await agent.reply({ sessionKey: 'k', envelope: 'again' });
    expect(agent.status.lastError).toBeNull();
  });

  it('records an unknown model as a 404 health error', async () => {
    const agent = makeAgent({ config: { ...config(), agents: { defaults: { model: 'anthropic/claude-nope' } } } });
    await expect(agent.reply({ sessionKey: 'k', envelope: 'hi' })).rejects.toMatchObject({ kind: 'model-not-found' });
    expect(agent.status.lastError?.message).toContain(`model claude-nope not found at ${server.url}`);
  });

  it('retries a 500 transparently', async () => {
    const agent = makeAgent();
    server.setBehavior([{ status: 500 }, {}]);
    expect((await agent.reply({ sessionKey: 'k', envelope: 'hi' })).text).toBe('echo: hi');
    expect(server.requests).toHaveLength(2);
    expect(agent.status.lastError).toBeNull();
  });

  it('keeps the message of a failed reply in the transcript and merges it into the next user turn', async () => {
    const agent = makeAgent();
    server.setBehavior({ status: 503 });
    await expect(agent.reply({ sessionKey: 'k', envelope: 'my name is Bob' })).rejects.toMatchObject({ kind: 'server' });
    expect(agent.status.lastError?.kind).toBe('server');
    server.setBehavior('echo');
    await agent.reply({ sessionKey: 'k', envelope: 'what is my name?' });
    // The fake server, like the real API, rejects a conversation that does not start with a user turn.
    const last = server.requests[server.requests.length - 1]!;
    expect(texts(last.body)).toEqual(['my name is Bob\n\nwhat is my name?']);
  });

  it('times out a model that does not answer', async () => {
    const agent = makeAgent({ http: { timeoutMs: 100, maxRetries: 0 } });
    server.setBehavior({ delayMs: 1_000 });
    await expect(agent.reply({ sessionKey: 'k', envelope: 'hi' })).rejects.toMatchObject({ kind: 'timeout' });
    expect(agent.status.lastError?.kind).toBe('timeout');
  });
});

describe('images', () => {
  const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

  it('sends supported images to a vision model and notes the ones it cannot send', async () => {
    const png = join(stateDir, 'photo.png');
    const heic = join(stateDir, 'IMG_0001.HEIC');
    const big = join(stateDir, 'big.jpg');
    await fs.writeFile(png, PNG_1PX);
    await fs.writeFile(heic, 'heic bytes');
    await fs.writeFile(big, Buffer.alloc(2048));
    const agent = makeAgent({ maxImageBytes: 1024 });
    await agent.reply({
      sessionKey: 'k',
      envelope: 'look',
      images: [
        { mime: 'image/png', path: png },
        { mime: 'image/heic', path: heic },
        { mime: 'image/jpeg', path: big },
        { mime: 'application/pdf', path: join(stateDir, 'doc.pdf') },
        { mime: 'image/png', path: join(stateDir, 'missing.png') },
      ],
    });
    const content = server.requests[0]!.body.messages[0].content;
    expect(content[0]).toEqual({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1PX.toString('base64') } });
    expect(content).toHaveLength(2);
    const text: string = content[1].text;
    expect(text.split('\n')).toEqual([
      'look',
      '[image IMG_0001.HEIC not shown to you: image/heic is not supported (JPEG, PNG, GIF or WebP only)]',
      '[image big.jpg not shown to you: 2 KB exceeds the 1 KB image limit]',
      '[image missing.png could not be read]',
    ]);
    // Later turns carry no image bytes: the transcript keeps paths only.
    await agent.reply({ sessionKey: 'k', envelope: 'and now?' });
    expect(server.requests[1]!.lastUserImages).toBe(0);
    expect(JSON.stringify(server.requests[1]!.body)).not.toContain(PNG_1PX.toString('base64'));
  });

  it('does not send images to a model without image input', async () => {
    const png = join(stateDir, 'photo.png');
    await fs.writeFile(png, PNG_1PX);
    const agent = makeAgent({
      config: {
        agents: { defaults: { model: 'anthropic/text-only' } },
        models: { providers: { anthropic: { baseUrl: server.url, models: [{ id: 'text-only', input: ['text'] }] } } },
      },
    });
    await agent.reply({ sessionKey: 'k', envelope: 'look', images: [{ mime: 'image/png', path: png }] });
    expect(server.requests[0]!.lastUserImages).toBe(0);
    expect(server.requests[0]!.lastUserText).toContain('does not accept images');
  });
});

describe('toAlternatingTurns', () => {
  const t = (role: 'user' | 'assistant', text: string) => ({ role, text, ts: '' });
  it('drops leading assistant turns and empty turns and merges runs of one role', () => {
    const turns = toAlternatingTurns([t('assistant', 'orphan'), t('user', 'a'), t('user', 'b'), t('assistant', ''), t('assistant', 'c')], {
      role: 'user',
      text: 'd',
    });
    expect(turns).toEqual([
      { role: 'user', text: 'a\n\nb' },
      { role: 'assistant', text: 'c' },
      { role: 'user', text: 'd' },
    ]);
  });
});
