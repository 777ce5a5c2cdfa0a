// The fake model server must reject what the real APIs reject, or provider tests prove nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from './fake-model-server';

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer({ models: ['m1'] });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.setBehavior('echo');
});

const anthropicHeaders = { 'content-type': 'application/json', 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01' };
const openAiHeaders = { 'content-type': 'application/json', authorization: 'Bearer test-key' };
const anthropicBody = { model: 'm1', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

async function post(path: string, headers: Record<string, string>, body: unknown) {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

describe('anthropic endpoint', () => {
  it('answers in the Messages API shape, echoing the last user text', async () => {
    const { status, json } = await post('/v1/messages', anthropicHeaders, anthropicBody);
    expect(status).toBe(200);
    expect(json).toMatchObject({ type: 'message', role: 'assistant', model: 'm1', content: [{ type: 'text', text: 'echo: hi' }], stop_reason: 'end_turn' });
    expect(json.id).toMatch(/^msg_/);
    expect(json.usage.output_tokens).toBeGreaterThan(0);
  });

  it.each([
    [{ ...anthropicHeaders, 'x-api-key': '' }, anthropicBody, 401, 'authentication_error'],
    [{ ...anthropicHeaders, 'x-api-key': 'nope' }, anthropicBody, 401, 'authentication_error'],
    [{ 'content-type': 'application/json', 'x-api-key': 'test-key' }, anthropicBody, 400, 'invalid_request_error'],
    [anthropicHeaders, { ...anthropicBody, model: undefined }, 400, 'invalid_request_error'],
    [anthropicHeaders, { ...anthropicBody, max_tokens: undefined }, 400, 'invalid_request_error'],
    [anthropicHeaders, { ...anthropicBody, messages: undefined }, 400, 'invalid_request_error'],
    [anthropicHeaders, { ...anthropicBody, messages: [{ role: 'assistant', content: 'hi' }] }, 400, 'invalid_request_error'],
    [anthropicHeaders, { ...anthropicBody, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, 400, 'invalid_request_error'],
    [anthropicHeaders, { ...anthropicBody, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/heic', data: 'AAAA' } }] }] }, 400, 'invalid_request_error'],
    [anthropicHeaders, { ...anthropicBody, model: 'other' }, 404, 'not_found_error'],
    [anthropicHeaders, '{not json', 400, 'invalid_request_error'],
  ])('rejects a bad request (%#) with the vendor error JSON', async (headers, body, status, type) => {
    const res = await post('/v1/messages', headers as Record<string, string>, body);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ type: 'error', error: { type, message: expect.any(String) } });
  });
});

describe('openai endpoint', () => {
  it.each(['/chat/completions', '/v1/chat/completions'])('answers on %s in the chat.completion shape', async (path) => {
    const { status, json } = await post(path, openAiHeaders, {
      model: 'm1',
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: [{ type: 'text', text: 'pic' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      ],
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'echo: pic' }, finish_reason: 'stop' }] });
    expect(server.requests[0]).toMatchObject({ provider: 'openai', lastUserText: 'pic', lastUserImages: 1 });
  });

  it.each([
    [{ 'content-type': 'application/json' }, { model: 'm1', messages: [] }, 401, null],
    [{ ...openAiHeaders, authorization: 'Bearer sk-wrong-key' }, { model: 'm1', messages: [] }, 401, 'invalid_api_key'],
    [openAiHeaders, { messages: [{ role: 'user', content: 'x' }] }, 400, null],
    [openAiHeaders, { model: 'm1' }, 400, 'missing_required_parameter'],
    [openAiHeaders, { model: 'm1', messages: [{ role: 'bot', content: 'x' }] }, 400, 'invalid_value'],
    [openAiHeaders, { model: 'm2', messages: [{ role: 'user', content: 'x' }] }, 404, 'model_not_found'],
  ])('rejects a bad request (%#) with the vendor error JSON', async (headers, body, status, code) => {
    const res = await post('/v1/chat/completions', headers as Record<string, string>, body);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error: { message: expect.any(String), type: expect.any(String), code } });
  });
});

describe('behaviours', () => {
  it('plays a script one step per request, then echoes', async () => {
    server.setBehavior([{ status: 500 }, { status: 429, headers: { 'retry-after': '2' } }, { text: 'fixed' }]);
    const statuses: number[] = [];
    const texts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await post('/v1/messages', anthropicHeaders, anthropicBody);
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toBe('2');
      if (res.status === 200) texts.push(res.json.content[0].text);
    }
    expect(statuses).toEqual([500, 429, 200, 200]);
    expect(texts).toEqual(['fixed', 'echo: hi']);
  });

  it('delays answers and decides per request with a function', async () => {
    server.setBehavior((req) => ({ delayMs: 100, text: `len ${req.lastUserText.length}` }));
    const started = performance.now();
    const res = await post('/v1/messages', anthropicHeaders, anthropicBody);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(res.json.content[0].text).toBe('len 2');
  });

  it('answers unknown paths with 404', async () => {
    const res = await post('/v1/embeddings', openAiHeaders, {});
    expect(res.status).toBe(404);
  });
});
