import { describe, expect, it } from 'vitest';
import { normalizeAgentId, parseModelRef, resolveAgentSettings, resolveModel } from './model-config';

const withModel = (model: unknown, extra: Record<string, unknown> = {}) => ({ agents: { defaults: { model } }, ...extra });

describe('resolveModel', () => {
  it('reports "no model configured" when nothing is set', () => {
    expect(resolveModel({}, {})).toEqual({ configured: false, kind: 'unset', reason: 'no model configured' });
    expect(resolveModel(withModel({ primary: '  ' }), {})).toMatchObject({ configured: false, kind: 'unset' });
  });

  it('resolves the built-in anthropic provider with the key from the environment', () => {
    const model = resolveModel(withModel({ primary: 'anthropic/claude-opus-4-5' }), { ANTHROPIC_API_KEY: 'sk-ant' });
    expect(model).toMatchObject({
      configured: true,
      ref: 'anthropic/claude-opus-4-5',
      provider: 'anthropic',
      modelId: 'claude-opus-4-5',
      api: 'anthropic-messages',
      baseUrl: 'https://api.anthropic.com',
      apiKey: 'sk-ant',
      vision: true,
    });
  });

  it('accepts a plain-string agents.defaults.model and the built-in openai provider', () => {
    const model = resolveModel(withModel('openai/gpt-4o-mini'), { OPENAI_API_KEY: 'sk-oa' });
    expect(model).toMatchObject({ configured: true, api: 'openai-completions', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-oa' });
  });

  it('treats a ref without a provider as an Anthropic model', () => {
    expect(parseModelRef('claude-sonnet-4-5')).toEqual({ provider: 'anthropic', modelId: 'claude-sonnet-4-5' });
    expect(parseModelRef('openrouter/anthropic/claude-3.5')).toEqual({ provider: 'openrouter', modelId: 'anthropic/claude-3.5' });
  });

  it('names the env var and config key when the API key is missing', () => {
    const model = resolveModel(withModel({ primary: 'anthropic/claude-opus-4-5' }), {});
    expect(model).toMatchObject({ configured: false, kind: 'invalid', ref: 'anthropic/claude-opus-4-5' });
    if (model.configured) throw new Error('unreachable');
    expect(model.reason).toContain('ANTHROPIC_API_KEY');
    expect(model.reason).toContain('models.providers.anthropic.apiKey');
  });

  it('explains how to add an unknown provider', () => {
    const model = resolveModel(withModel({ primary: 'mystery/some-model' }), {});
    if (model.configured) throw new Error('expected an error');
    expect(model.reason).toContain('unknown model provider "mystery"');
    expect(model.reason).toContain('models.providers.mystery');
  });

  it('resolves a custom OpenAI-compatible provider, its key, model entry and headers', () => {
    const config = withModel(
      { primary: 'openrouter/anthropic/claude-3.5' },
      {
        models: {
          providers: {
            openrouter: {
              baseUrl: 'https://openrouter.ai/api/v1/',
              api: 'openai-completions',
              headers: { 'x-title': 'Clawdbot' },
              models: [{ id: 'anthropic/claude-3.5', input: ['text'], maxTokens: 1024 }],
            },
          },
        },
      },
    );
    const model = resolveModel(config, { OPENROUTER_API_KEY: 'or-key' });
    expect(model).toMatchObject({
      configured: true,
      provider: 'openrouter',
      modelId: 'anthropic/claude-3.5',
      baseUrl: 'https://openrouter.ai/api/v1',
      apiKey: 'or-key',
      headers: { 'x-title': 'Clawdbot' },
      maxTokens: 1024,
      vision: false,
    });
    const missing = resolveModel(config, {});
    if (missing.configured) throw new Error('expected an error');
    expect(missing.reason).toContain('OPENROUTER_API_KEY');
  });

  it('lets a local server (loopback base URL) run without a key, defaulting to the OpenAI format', () => {
    const model = resolveModel(withModel('ollama/llama3.2', { models: { providers: { ollama: { baseUrl: 'http://127.0.0.1:11434/v1' } } } }), {});
    expect(model).toMatchObject({ configured: true, api: 'openai-completions', apiKey: '', vision: false });
  });

  it('lets models.providers.anthropic override the built-in base URL, and prefers the config key', () => {
    const config = withModel('anthropic/claude-x', { models: { providers: { anthropic: { baseUrl: 'http://127.0.0.1:9/', apiKey: 'cfg-key' } } } });
    expect(resolveModel(config, { ANTHROPIC_API_KEY: 'env-key' })).toMatchObject({
      configured: true,
      api: 'anthropic-messages',
      baseUrl: 'http://127.0.0.1:9',
      apiKey: 'cfg-key',
    });
  });

  it('rejects bad provider entries with the exact config key', () => {
    const noUrl = resolveModel(withModel('vllm/m', { models: { providers: { vllm: { api: 'openai-completions' } } } }), {});
    expect(noUrl).toMatchObject({ configured: false, kind: 'invalid' });
    if (noUrl.configured) throw new Error('unreachable');
    expect(noUrl.reason).toContain('models.providers.vllm.baseUrl is required');

    const badApi = resolveModel(withModel('x/m', { models: { providers: { x: { baseUrl: 'http://localhost:1', api: 'grpc' } } } }), {});
    if (badApi.configured) throw new Error('unreachable');
    expect(badApi.reason).toContain('models.providers.x.api');

    const badUrl = resolveModel(withModel('x/m', { models: { providers: { x: { baseUrl: 'ftp://h' } } } }), {});
    if (badUrl.configured) throw new Error('unreachable');
    expect(badUrl.reason).toContain('must start with http:// or https://');

    const badModel = resolveModel({ agents: { defaults: { model: 42 } } }, {});
    if (badModel.configured) throw new Error('unreachable');
    expect(badModel.reason).toContain('agents.defaults.model');
  });
});

describe('resolveAgentSettings', () => {
  it('has defaults: agent main, Clawdbot, no prefix, per-sender DMs', () => {
    expect(resolveAgentSettings({})).toEqual({ agentId: 'main', assistantName: 'Clawdbot', responsePrefix: '', dmScope: 'per-channel-peer' });
  });

  it('reads the default agent, its identity, the prefix, dmScope and timeout', () => {
    const settings = resolveAgentSettings({
      agents: { defaults: { timeoutSeconds: 30 }, list: [{ id: 'other' }, { id: 'Home Bot', default: true, identity: { name: 'Clawd' } }] },
      messages: { responsePrefix: '🦞' },
      session: { dmScope: 'main' },
    });
    expect(settings).toEqual({ agentId: 'home-bot', assistantName: 'Clawd', responsePrefix: '🦞', dmScope: 'main', requestTimeoutMs: 30_000 });
  });

  it('names the bad key', () => {
    expect(() => resolveAgentSettings({ session: { dmScope: 'everyone' } })).toThrow(/session\.dmScope/);
  });

  it('normalizes agent ids into safe path segments', () => {
    expect(normalizeAgentId('../Etc Passwd')).toBe('etc-passwd');
    expect(normalizeAgentId('***')).toBe('main');
  });
});
