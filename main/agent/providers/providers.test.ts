// Both providers against the fake model server (a real HTTP server speaking the vendors' formats).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../../../test/support/fake-model-server';
import { resolveModel, type ResolvedModel } from '../model-config';
import { createAnthropicProvider } from './anthropic';
import { ModelError } from './errors';
import { parseRetryAfter, type HttpOptions } from './http';
import { createOpenAiProvider } from './openai';
import type { ModelProvider } from './types';

let server: FakeModelServer;
const retries: Array<{ attempt: number; delayMs: number; reason: string }> = [];

beforeAll(async () => {
  server = await startFakeModelServer({ models: ['claude-test', 'gpt-test'] });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.setBehavior('echo');
  retries.length = 0;
});

function http(overrides: Partial<HttpOptions> = {}): HttpOptions {
  return {
    fetch: globalThis.fetch,
    timeoutMs: 2_000,
    maxRetries: 3,
    backoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 },
    maxRetryAfterMs: 5_000,
    onRetry: (info) => retries.push(info),
    ...overrides,
  };
}

function model(api: 'anthropic' | 'openai', options: { modelId?: string; apiKey?: string; extra?: Record<string, unknown> } = {}): ResolvedModel {
  const provider = api === 'anthropic' ? { baseUrl: server.url, api: 'anthropic-messages' } : { baseUrl: `${server.url}/v1`, api: 'openai-completions' };
  const id = options.modelId ?? (api === 'anthropic' ? 'claude-test' : 'gpt-test');
  const resolved = resolveModel(
    {
      agents: { defaults: { model: { primary: `${api}/${id}` } } },
      models: { providers: { [api]: { ...provider, apiKey: options.apiKey ?? 'test-key', ...options.extra } } },
    },
    {},
  );
  if (!resolved.configured) throw new Error(resolved.reason);
  return resolved;
}

const create = (api: 'anthropic' | 'openai', m: ResolvedModel, h: HttpOptions): ModelProvider =>
  api === 'anthropic' ? createAnthropicProvider(m, h) : createOpenAiProvider(m, h);

async function failure(promise: Promise<unknown>): Promise<ModelError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ModelError);
    return error as ModelError;
  }
  throw new Error('expected the call to fail');
}

const hello = { system: 'You are a test.', turns: [{ role: 'user' as const, text: 'hello there' }] };
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('anthropic provider wire format', () => {
  it('sends the Messages API request and reads the reply', async () => {
    const result = await createAnthropicProvider(model('anthropic'), http()).complete({
      system: 'sys',
      turns: [
        { role: 'user', text: 'first' },
        { role: 'assistant', text: 'answer' },
        { role: 'user', text: 'look', images: [{ mime: 'image/png', base64: PNG_1PX }] },
      ],
    });
    expect(result).toMatchObject({ text: 'echo: look', stopReason: 'end_turn' });
    expect(result.usage?.outputTokens).toBeGreaterThan(0);
    const [request] = server.requests;
    expect(request!.path).toBe('/v1/messages');
    expect(request!.headers['x-api-key']).toBe('test-key');
    expect(request!.headers['anthropic-version']).toBe('2023-06-01');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.body).toEqual({
      model: 'claude-test',
      max_tokens: 4096,
      system: 'sys',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'first' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'answer' }] },
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1PX } },
            { type: 'text', text: 'look' },
          ],
        },
      ],
    });
  });

  it('accepts a base URL that already ends in /v1 and sends configured headers and max tokens', async () => {
    const m = { ...model('anthropic'), baseUrl: `${server.url}/v1`, headers: { 'x-extra': 'yes' }, maxTokens: 77 };
    await createAnthropicProvider(m, http()).complete(hello);
    expect(server.requests[0]!.path).toBe('/v1/messages');
    expect(server.requests[0]!.headers['x-extra']).toBe('yes');
    expect(server.requests[0]!.body.max_tokens).toBe(77);
  });
});

describe('openai provider wire format', () => {
  it('sends chat completions with a system message, Bearer auth and a data-URL image', async () => {
    const result = await createOpenAiProvider(model('openai'), http()).complete({
      system: 'sys',
      turns: [
        { role: 'user', text: 'first' },
        { role: 'assistant', text: 'answer' },
        { role: 'user', text: 'look', images: [{ mime: 'image/png', base64: PNG_1PX }] },
      ],
    });
    expect(result).toMatchObject({ text: 'echo: look', stopReason: 'stop' });
    const [request] = server.requests;
    expect(request!.path).toBe('/v1/chat/completions');
    expect(request!.headers.authorization).toBe('Bearer test-key');
    expect(request!.body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'answer' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } },
          ],
        },
      ],
    });
    expect(request!.body).not.toHaveProperty('max_tokens');
  });

  it('sends no Authorization header for a keyless local server', async () => {
    const local = { ...model('openai'), apiKey: '' };
    const error = await failure(createOpenAiProvider(local, http()).complete(hello));
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    expect(error.kind).toBe('auth');
  });
});

describe.each(['anthropic', 'openai'] as const)('%s provider errors and retries', (api) => {
  it('retries a 500 and then succeeds', async () => {
    server.setBehavior([{ status: 500 }, { status: 503 }, { text: 'recovered' }]);
    const result = await create(api, model(api), http()).complete(hello);
    expect(result.text).toBe('recovered');
    expect(server.requests).toHaveLength(3);
    expect(retries.map((r) => r.reason)).toEqual(['HTTP 500', 'HTTP 503']);
    // Exponential backoff (no jitter in this policy): 5 ms, then 10 ms.
    expect(retries.map((r) => r.delayMs)).toEqual([5, 10]);
  });

  it('gives up after maxRetries with a server error', async () => {
    server.setBehavior({ status: 502 });
    const error = await failure(create(api, model(api), http({ maxRetries: 2 })).complete(hello));
    expect(error).toMatchObject({ kind: 'server', status: 502, attempts: 3 });
    expect(server.requests).toHaveLength(3);
  });

  it('rejects a wrong key with a typed auth error and does not retry', async () => {
    const error = await failure(create(api, model(api, { apiKey: 'wrong' }), http()).complete(hello));
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.isConfigProblem).toBe(true);
    expect(error.message).toContain(`API key rejected by ${api} (401): set the ${api.toUpperCase()}_API_KEY environment variable or models.providers.${api}.apiKey`);
    expect(server.requests).toHaveLength(1);
  });

  it('reports an unknown model as not found at the base URL, without retrying', async () => {
    const m = model(api, { modelId: 'no-such-model' });
    const error = await failure(create(api, m, http()).complete(hello));
    expect(error.kind).toBe('model-not-found');
    expect(error.message).toContain(`model no-such-model not found at ${m.baseUrl}`);
    expect(server.requests).toHaveLength(1);
  });

  it('passes the vendor message of a 400 through, without retrying', async () => {
    server.setBehavior({ status: 400, errorMessage: 'prompt is too long: 300000 tokens > 200000 maximum' });
    const error = await failure(create(api, model(api), http()).complete(hello));
    expect(error.kind).toBe('bad-request');
    expect(error.message).toContain('prompt is too long');
    expect(server.requests).toHaveLength(1);
  });

  it('times out a slow answer without retrying', async () => {
    server.setBehavior({ delayMs: 1_000, text: 'too late' });
    const started = performance.now();
    const error = await failure(create(api, model(api), http({ timeoutMs: 100 })).complete(hello));
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/no answer from .* within/);
    expect(performance.now() - started).toBeLessThan(900);
    expect(server.requests).toHaveLength(1);
  });

  it('stops when the caller aborts', async () => {
    server.setBehavior({ delayMs: 1_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(create(api, model(api), http()).complete(hello, controller.signal));
    expect(error.kind).toBe('aborted');
  });

  it('rejects a 2xx that is not the vendor response shape', async () => {
    server.setBehavior({ body: { unexpected: true } });
    const error = await failure(create(api, model(api), http()).complete(hello));
    expect(error.kind).toBe('bad-response');
  });
});

describe('Retry-After', () => {
  it('waits the seconds of a 429 Retry-After before retrying (anthropic)', async () => {
    server.setBehavior([{ status: 429, headers: { 'retry-after': '1' } }, { text: 'after the wait' }]);
    const result = await createAnthropicProvider(model('anthropic'), http()).complete(hello);
    expect(result.text).toBe('after the wait');
    const [first, second] = server.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(980);
    expect(retries).toEqual([{ attempt: 1, delayMs: 1000, reason: 'HTTP 429' }]);
  });

  it('honours retry-after-ms (openai)', async () => {
    server.setBehavior([{ status: 429, headers: { 'retry-after-ms': '150' } }, {}]);
    await createOpenAiProvider(model('openai'), http()).complete(hello);
    const [first, second] = server.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(140);
  });

  it('does not wait longer than maxRetryAfterMs: fails as rate-limited instead', async () => {
    server.setBehavior({ status: 429, headers: { 'retry-after': '120' } });
    const error = await failure(createAnthropicProvider(model('anthropic'), http({ maxRetryAfterMs: 1_000 })).complete(hello));
    expect(error.kind).toBe('rate-limited');
    expect(error.message).toContain('retry after 120 s');
    expect(server.requests).toHaveLength(1);
  });

  it('parses seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2026-01-17T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Sat, 17 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
  });
});

describe('network errors', () => {
  it('retries a refused connection and then reports it as a network error', async () => {
    const gone = await startFakeModelServer();
    await gone.close();
    const m = { ...model('anthropic'), baseUrl: gone.url };
    const error = await failure(createAnthropicProvider(m, http({ maxRetries: 2 })).complete(hello));
    expect(error.kind).toBe('network');
    expect(error.attempts).toBe(3);
    expect(error.message).toContain(`cannot reach anthropic at ${gone.url}: ECONNREFUSED`);
    expect(retries).toHaveLength(2);
  });
});
