// The setup check of the model (contract/setup.ts, id `model`): is one configured, and does it
// answer? `testModel` sends the smallest real request (a one-word answer) with a short timeout and
// no retries, so a screen learns within seconds whether the key is accepted and the server reached.
// `modelCheck` turns what is known — the config, the last test, the last real reply's error — into
// the check's state, detail and fix.
import type { SetupCheck, SetupFix } from '../../contract/setup';
import { DEMO_ECHO_MODEL } from '../../contract/constants';
import { resolveModel, type AgentConfigInput, type AgentEnv, type ModelResolution, type ResolvedModel } from './model-config';
import { createAnthropicProvider } from './providers/anthropic';
import { ModelError, type ModelErrorKind } from './providers/errors';
import { DEFAULT_HTTP_OPTIONS, type HttpOptions } from './providers/http';
import { nodeHttpFetch } from './providers/node-http-fetch';
import { createOpenAiProvider } from './providers/openai';

export const DEFAULT_MODEL_TEST_TIMEOUT_MS = 15_000;
const TEST_MAX_TOKENS = 16;
const SET_MODEL_COMMAND = 'clawdbot config set agents.defaults.model anthropic/claude-opus-4-5';

/** The outcome of one test request. */
export interface ModelTestResult {
  /** The model ref tested. */
  ref: string;
  ok: boolean;
  kind?: ModelErrorKind;
  message?: string;
  ms: number;
  /** ISO time. */
  at: string;
}

export interface ModelTestOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** One minimal request to the configured model; undefined when no model is configured. */
export async function testModel(config: AgentConfigInput, env: AgentEnv, options: ModelTestOptions = {}): Promise<ModelTestResult | undefined> {
  const model = resolveModel(config, env);
  if (!model.configured) return undefined;
  const http: HttpOptions = {
    ...DEFAULT_HTTP_OPTIONS,
    timeoutMs: options.timeoutMs ?? DEFAULT_MODEL_TEST_TIMEOUT_MS,
    maxRetries: 0,
    fetch: options.fetch ?? nodeHttpFetch,
  };
  // Anthropic requires an answer limit, and a small one keeps the test cheap; OpenAI's newer models
  // reject max_tokens, so the OpenAI request goes as configured.
  const provider = model.api === 'anthropic-messages' ? createAnthropicProvider({ ...model, maxTokens: Math.min(model.maxTokens ?? TEST_MAX_TOKENS, TEST_MAX_TOKENS) }, http) : createOpenAiProvider(model, http);
  const started = performance.now();
  const at = () => new Date().toISOString();
  try {
    await provider.complete({ system: 'This is a connection test. Reply with the single word OK.', turns: [{ role: 'user', text: 'OK?' }] });
    return { ref: model.ref, ok: true, ms: Math.round(performance.now() - started), at: at() };
  } catch (error) {
    const info = error instanceof ModelError ? error : new ModelError('network', String(error), { provider: model.provider, cause: error });
    return { ref: model.ref, ok: false, kind: info.kind, message: info.message, ms: Math.round(performance.now() - started), at: at() };
  }
}

export interface ModelCheckInputs {
  resolution: ModelResolution;
  /** The model answering in demo mode when none is configured (`demo/echo`), if that is the case. */
  demoAssistant?: boolean;
  /** The last test of the configured model (ignored when it tested another model). */
  lastTest?: ModelTestResult | null;
  /** The last failed real reply (agent status), when newer than the test. */
  lastError?: { message: string; kind: ModelErrorKind; at: string } | null;
}

export function modelCheck(inputs: ModelCheckInputs): SetupCheck {
  const { resolution } = inputs;
  if (!resolution.configured) {
    if (resolution.kind === 'unset') {
      const detail = inputs.demoAssistant
        ? `no model configured: the demo assistant (${DEMO_ECHO_MODEL}, a stand-in that echoes, not an AI) answers`
        : 'no model configured: messages are logged, not answered';
      return { id: 'model', state: 'missing', detail, checkedAt: null, fix: { text: 'Choose a model and give its API key (e.g. export ANTHROPIC_API_KEY=… before starting the gateway).', command: SET_MODEL_COMMAND } };
    }
    return { id: 'model', state: 'missing', detail: resolution.reason, checkedAt: null, fix: { text: fixFor(resolution.reason) } };
  }
  const test = inputs.lastTest?.ref === resolution.ref ? inputs.lastTest : null;
  const error = inputs.lastError && (!test || inputs.lastError.at > test.at) ? inputs.lastError : null;
  if (error) return failed(resolution, error.kind, error.message, error.at);
  if (!test) {
    return { id: 'model', state: 'unknown', detail: `${resolution.ref} is configured; not tested yet`, checkedAt: null, fix: { text: 'Test the model (a one-word request).' } };
  }
  if (test.ok) return { id: 'model', state: 'ok', detail: `${resolution.ref} answered a test request in ${test.ms} ms`, checkedAt: test.at };
  return failed(resolution, test.kind ?? 'network', test.message ?? 'the test request failed', test.at);
}

function failed(model: ResolvedModel, kind: ModelErrorKind, message: string, at: string): SetupCheck {
  const fix = (text: string): SetupFix => ({ text });
  switch (kind) {
    case 'auth':
      return { id: 'model', state: 'denied', detail: `${model.ref}: the API key was rejected (${message})`, checkedAt: at, fix: fix(`Check the key: ${model.apiKeyHint}, then restart the gateway.`) };
    case 'model-not-found':
      return { id: 'model', state: 'missing', detail: message, checkedAt: at, fix: fix('Check the model name in agents.defaults.model (and the provider’s baseUrl).') };
    case 'network':
    case 'timeout':
    case 'server':
    case 'rate-limited':
      return { id: 'model', state: 'unknown', detail: `${model.ref} is unreachable right now (${message})`, checkedAt: at, fix: fix(`Check the network connection and ${model.baseUrl}, then test again.`) };
    default:
      return { id: 'model', state: 'unknown', detail: `${model.ref}: ${message}`, checkedAt: at, fix: fix('Check the model settings (agents.defaults.model, models.providers), then test again.') };
  }
}

function fixFor(reason: string): string {
  const colon = reason.indexOf(': ');
  return colon >= 0 && /^(set|use|add) /.test(reason.slice(colon + 2)) ? `${capitalize(reason.slice(colon + 2))}.` : 'Fix the model settings (`clawdbot config validate` shows the details).';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
