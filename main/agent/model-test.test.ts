// The model check: a real HTTP request to the fake vendor server (ok, a rejected key, a missing
// model, nobody listening), and what each answer means for the check.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../../test/support/fake-model-server';
import { resolveModel } from './model-config';
import { modelCheck, testModel } from './model-test';

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer({ models: ['claude-test'] });
});
afterAll(() => server.close());

const config = (model: string, baseUrl = server.url) => ({ agents: { defaults: { model } }, models: { providers: { anthropic: { baseUrl } } } });
const env = { ANTHROPIC_API_KEY: 'test-key' };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('testModel → modelCheck', () => {
  it('ok: one small request, no retries', async () => {
    const before = server.requests.length;
    const result = await testModel(config('anthropic/claude-test'), env);
    expect(result).toMatchObject({ ref: 'anthropic/claude-test', ok: true });
    expect(server.requests.length - before).toBe(1);
    expect(server.requests.at(-1)!.body.max_tokens).toBe(16);
    const check = modelCheck({ resolution: resolveModel(config('anthropic/claude-test'), env), lastTest: result });
    expect(check).toMatchObject({ id: 'model', state: 'ok', detail: expect.stringMatching(/^anthropic\/claude-test answered a test request in \d+ ms$/) });
  });

  it('a rejected key is denied (with the key hint); an unknown model missing', async () => {
    const rejected = await testModel(config('anthropic/claude-test'), { ANTHROPIC_API_KEY: 'wrong' });
    expect(rejected).toMatchObject({ ok: false, kind: 'auth' });
    const denied = modelCheck({ resolution: resolveModel(config('anthropic/claude-test'), { ANTHROPIC_API_KEY: 'wrong' }), lastTest: rejected });
    expect(denied).toMatchObject({ state: 'denied', fix: { text: expect.stringContaining('ANTHROPIC_API_KEY') } });
    const unknownModel = await testModel(config('anthropic/claude-nope'), env);
    expect(modelCheck({ resolution: resolveModel(config('anthropic/claude-nope'), env), lastTest: unknownModel })).toMatchObject({ state: 'missing' });
  });

  it('nobody listening: unreachable (unknown), quickly', async () => {
    const dead = config('anthropic/claude-test', `http://127.0.0.1:${await freePort()}`);
    const result = await testModel(dead, env, { timeoutMs: 2000 });
    expect(result).toMatchObject({ ok: false, kind: 'network' });
    expect(modelCheck({ resolution: resolveModel(dead, env), lastTest: result })).toMatchObject({ state: 'unknown', detail: expect.stringContaining('is unreachable right now') });
  });

  it('without a test: missing when unset (or the demo assistant), unknown when configured, missing when misconfigured', async () => {
    expect(await testModel({}, env)).toBeUndefined();
    expect(modelCheck({ resolution: resolveModel({}, env) })).toMatchObject({ state: 'missing', fix: { command: 'clawdbot config set agents.defaults.model anthropic/claude-opus-4-5' } });
    expect(modelCheck({ resolution: resolveModel({}, env), demoAssistant: true }).detail).toContain('demo assistant (demo/echo');
    expect(modelCheck({ resolution: resolveModel(config('anthropic/claude-test'), env) })).toMatchObject({ state: 'unknown', detail: 'anthropic/claude-test is configured; not tested yet' });
    const noKey = modelCheck({ resolution: resolveModel({ agents: { defaults: { model: 'anthropic/claude-test' } } }, {}) });
    expect(noKey).toMatchObject({ state: 'missing', detail: expect.stringContaining('no API key'), fix: { text: expect.stringMatching(/^Set the ANTHROPIC_API_KEY environment variable/) } });
    // A test of another model says nothing about this one.
    const other = await testModel(config('anthropic/claude-test'), env);
    expect(modelCheck({ resolution: resolveModel(config('anthropic/claude-nope'), env), lastTest: other }).state).toBe('unknown');
  });
});
