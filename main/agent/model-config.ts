// Which model answers, and how to reach it: turns the raw `agents` / `models` / `messages` /
// `session` config objects into one resolved model (provider, wire format, base URL, API key) plus
// the few agent settings the reply path needs.
//
// This module deliberately accepts plain objects (`AgentConfigInput`) instead of the config
// schema's types: the strict file schema lives in contract/config.ts, and anything it lets through
// is re-checked here loosely, only for the keys we read, so errors can name the exact config key.
// The value lists (wire formats, DM scopes) are the schema's own.
import { z } from 'zod';
import { DM_SCOPES, MODEL_APIS, type DmScope, type ModelApi } from '../../contract/config';

/** Wire formats we speak (both plain JSON over HTTPS, non-streaming), and how DM senders map to sessions (see sessions.ts for why `per-channel-peer` is our default). */
export { DM_SCOPES, MODEL_APIS, type DmScope, type ModelApi };

/** The parts of the config file the agent reads (each already parsed from JSON5; may be absent). */
export interface AgentConfigInput {
  agents?: unknown;
  models?: unknown;
  messages?: unknown;
  session?: unknown;
}

/** Environment used to find API keys (usually `process.env`). */
export type AgentEnv = Record<string, string | undefined>;

interface BuiltinProvider {
  api: ModelApi;
  baseUrl: string;
  envVar: string;
}

const BUILTIN_PROVIDERS: Record<string, BuiltinProvider> = {
  anthropic: { api: 'anthropic-messages', baseUrl: 'https://api.anthropic.com', envVar: 'ANTHROPIC_API_KEY' },
  openai: { api: 'openai-completions', baseUrl: 'https://api.openai.com/v1', envVar: 'OPENAI_API_KEY' },
};

/** A model ref without `provider/` is an Anthropic model, as upstream does. */
const DEFAULT_PROVIDER = 'anthropic';

export interface ResolvedModel {
  configured: true;
  /** "<provider>/<model>", as written in the config (after filling in the default provider). */
  ref: string;
  provider: string;
  modelId: string;
  api: ModelApi;
  /** Without a trailing slash. */
  baseUrl: string;
  /** Empty for local servers that need no key (loopback base URL and no key configured). */
  apiKey: string;
  /** What to tell the user when the key is missing or rejected, e.g. "set ANTHROPIC_API_KEY or …". */
  apiKeyHint: string;
  /** Extra request headers from `models.providers.<p>.headers`. */
  headers: Record<string, string>;
  /** `maxTokens` of the model's entry in `models.providers.<p>.models`, when set. */
  maxTokens?: number;
  /** Whether images may be sent (model entry `input` includes "image"; built-in providers: yes). */
  vision: boolean;
}

export interface UnconfiguredModel {
  configured: false;
  /** `unset`: no model in the config (messages are logged, not answered). `invalid`: a config error. */
  kind: 'unset' | 'invalid';
  /** "no model configured", or what is wrong and how to fix it. */
  reason: string;
  /** The model ref that was configured, when there was one. */
  ref?: string;
}

export type ModelResolution = ResolvedModel | UnconfiguredModel;

/** Agent settings besides the model. */
export interface AgentSettings {
  /** `agents.list[]` entry with `default: true`, else the first entry, else "main". Lower-cased. */
  agentId: string;
  /** `identity.name` of that agent, else "Clawdbot". Used in the system prompt. */
  assistantName: string;
  /** `messages.responsePrefix`, prepended to every reply ("" = none). */
  responsePrefix: string;
  dmScope: DmScope;
  /** `agents.defaults.timeoutSeconds` in ms (per model request), when set. */
  requestTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Loose boundary schemas: only the keys we read, other keys pass through untouched.
// ---------------------------------------------------------------------------------------------

const modelEntrySchema = z.looseObject({
  id: z.string().min(1),
  input: z.array(z.string()).optional(),
  maxTokens: z.number().int().positive().optional(),
});

const providerSchema = z.looseObject({
  baseUrl: z.string().min(1).optional(),
  apiKey: z.string().optional(),
  api: z.enum(MODEL_APIS).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  models: z.array(modelEntrySchema).optional(),
});

const modelsSchema = z.looseObject({
  providers: z.record(z.string(), providerSchema).optional(),
});

const agentEntrySchema = z.looseObject({
  id: z.string().min(1),
  default: z.boolean().optional(),
  identity: z.looseObject({ name: z.string().optional() }).optional(),
});

const agentsSchema = z.looseObject({
  defaults: z
    .looseObject({
      model: z.union([z.string(), z.looseObject({ primary: z.string().optional() })]).optional(),
      timeoutSeconds: z.number().positive().optional(),
    })
    .optional(),
  list: z.array(agentEntrySchema).optional(),
});

const messagesSchema = z.looseObject({ responsePrefix: z.string().optional() });
const sessionSchema = z.looseObject({ dmScope: z.enum(DM_SCOPES).optional() });

/** Thrown by `parseSection` with every issue named by its full config key. */
export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
}

function parseSection<T>(schema: z.ZodType<T>, value: unknown, key: string): T {
  if (value === undefined || value === null) return schema.parse({});
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const path = [key, ...issue.path.map(String)].join('.');
    return `${path}: ${issue.message}`;
  });
  throw new AgentConfigError(`invalid config: ${issues.join('; ')}`);
}

// ---------------------------------------------------------------------------------------------

/** The configured model ref (`agents.defaults.model.primary` or a plain-string `agents.defaults.model`). */
function configuredModelRef(agents: z.infer<typeof agentsSchema>): string | undefined {
  const model = agents.defaults?.model;
  const ref = typeof model === 'string' ? model : model?.primary;
  const trimmed = ref?.trim();
  return trimmed ? trimmed : undefined;
}

/** "openrouter/anthropic/claude-3.5" → provider "openrouter", model "anthropic/claude-3.5". */
export function parseModelRef(ref: string): { provider: string; modelId: string } {
  const slash = ref.indexOf('/');
  if (slash < 0) return { provider: DEFAULT_PROVIDER, modelId: ref };
  return { provider: ref.slice(0, slash).trim().toLowerCase(), modelId: ref.slice(slash + 1).trim() };
}

/** The conventional key variable for any provider: "openrouter" → OPENROUTER_API_KEY. */
function envVarFor(provider: string): string {
  return BUILTIN_PROVIDERS[provider]?.envVar ?? `${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY`;
}

function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * Resolves the model. Never throws: every problem becomes `{configured:false, kind:'invalid', reason}`
 * with the key to fix, so the gateway can show it as the model error and keep running.
 */
export function resolveModel(config: AgentConfigInput, env: AgentEnv): ModelResolution {
  let ref: string | undefined;
  try {
    const agents = parseSection(agentsSchema, config.agents, 'agents');
    const models = parseSection(modelsSchema, config.models, 'models');
    ref = configuredModelRef(agents);
    if (!ref) return { configured: false, kind: 'unset', reason: 'no model configured' };

    const { provider, modelId } = parseModelRef(ref);
    const fullRef = `${provider}/${modelId}`;
    const refKey = 'agents.defaults.model.primary';
    if (!provider || !modelId) {
      return invalid(`${refKey} "${ref}" is not "<provider>/<model>" (example: "anthropic/claude-opus-4-5")`, ref);
    }

    const custom = models.providers?.[provider];
    const builtin = BUILTIN_PROVIDERS[provider];
    const providerKey = `models.providers.${provider}`;
    if (!custom && !builtin) {
      return invalid(
        `unknown model provider "${provider}" in ${refKey} "${ref}": use anthropic/… or openai/…, ` +
          `or add ${providerKey} = { baseUrl, api: "openai-completions" | "anthropic-messages", models: [{ id: "${modelId}" }] }`,
        fullRef,
      );
    }

    const rawBaseUrl = custom?.baseUrl ?? builtin?.baseUrl;
    if (!rawBaseUrl) return invalid(`${providerKey}.baseUrl is required (e.g. "http://127.0.0.1:11434/v1" for Ollama)`, fullRef);
    let url: URL;
    try {
      url = new URL(rawBaseUrl);
    } catch {
      return invalid(`${providerKey}.baseUrl "${rawBaseUrl}" is not a valid URL`, fullRef);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return invalid(`${providerKey}.baseUrl "${rawBaseUrl}" must start with http:// or https://`, fullRef);
    }

    const envVar = envVarFor(provider);
    const apiKeyHint = `set the ${envVar} environment variable or ${providerKey}.apiKey in the config`;
    const apiKey = (custom?.apiKey?.trim() || env[envVar]?.trim()) ?? '';
    // Local servers (Ollama, LM Studio, vLLM on this Mac) usually need no key; remote ones always do.
    if (!apiKey && !isLoopbackUrl(url)) return invalid(`no API key for provider "${provider}": ${apiKeyHint}`, fullRef);

    const entry = custom?.models?.find((m) => m.id === modelId);
    const resolved: ResolvedModel = {
      configured: true,
      ref: fullRef,
      provider,
      modelId,
      api: custom?.api ?? builtin?.api ?? 'openai-completions',
      baseUrl: rawBaseUrl.replace(/\/+$/, ''),
      apiKey,
      apiKeyHint,
      headers: custom?.headers ?? {},
      vision: entry?.input ? entry.input.includes('image') : builtin !== undefined,
    };
    if (entry?.maxTokens !== undefined) resolved.maxTokens = entry.maxTokens;
    return resolved;
  } catch (error) {
    if (error instanceof AgentConfigError) return invalid(error.message, ref);
    throw error;
  }
}

function invalid(reason: string, ref?: string): UnconfiguredModel {
  return ref === undefined ? { configured: false, kind: 'invalid', reason } : { configured: false, kind: 'invalid', reason, ref };
}

/** Agent settings with defaults. Throws `AgentConfigError` naming the bad key. */
export function resolveAgentSettings(config: AgentConfigInput): AgentSettings {
  const agents = parseSection(agentsSchema, config.agents, 'agents');
  const messages = parseSection(messagesSchema, config.messages, 'messages');
  const session = parseSection(sessionSchema, config.session, 'session');
  const list = agents.list ?? [];
  const chosen = list.find((a) => a.default) ?? list[0];
  const settings: AgentSettings = {
    agentId: normalizeAgentId(chosen?.id ?? 'main'),
    assistantName: chosen?.identity?.name?.trim() || 'Clawdbot',
    responsePrefix: messages.responsePrefix ?? '',
    dmScope: session.dmScope ?? 'per-channel-peer',
  };
  if (agents.defaults?.timeoutSeconds !== undefined) settings.requestTimeoutMs = agents.defaults.timeoutSeconds * 1000;
  return settings;
}

/** Agent ids become path segments and key parts: lower-case `[a-z0-9_-]`, at most 64 characters. */
export function normalizeAgentId(id: string): string {
  const cleaned = id
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return cleaned || 'main';
}

/**
 * The model as the gateway's status reports it (GatewayStatus `model` / `modelError`), from the
 * config alone: the ref (null when none is set) and why a configured model cannot work. For a CLI
 * without a running gateway; words come from contract/model-status.ts.
 */
export function modelView(resolution: ModelResolution): { model: string | null; modelError: string | null } {
  if (resolution.configured) return { model: resolution.ref, modelError: null };
  if (resolution.kind === 'unset') return { model: null, modelError: null };
  return { model: resolution.ref ?? null, modelError: resolution.reason };
}
