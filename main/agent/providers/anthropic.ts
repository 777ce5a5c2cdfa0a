// Anthropic Messages API (non-streaming): POST {baseUrl}/v1/messages.
import { z } from 'zod';
import type { ResolvedModel } from '../model-config';
import { ModelError } from './errors';
import { postJson, type HttpOptions, type JsonCallContext } from './http';
import type { ChatTurn, CompletionRequest, CompletionResult, ModelProvider } from './types';

export const ANTHROPIC_VERSION = '2023-06-01';
/** The API requires max_tokens; enough for chat replies without cutting normal answers short. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

const responseSchema = z.looseObject({
  content: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
  stop_reason: z.string().nullish(),
  usage: z.looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional() }).optional(),
});

/** `{type:"error", error:{type, message}}`. */
function errorMessage(body: unknown): string | undefined {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

/** "https://api.anthropic.com" → ".../v1/messages"; a base URL that already ends in /v1 is accepted too. */
export function anthropicMessagesUrl(baseUrl: string): string {
  return baseUrl.endsWith('/v1') ? `${baseUrl}/messages` : `${baseUrl}/v1/messages`;
}

function toMessage(turn: ChatTurn) {
  const content: Array<Record<string, unknown>> = [];
  // Anthropic recommends images before the text that refers to them.
  for (const image of turn.images ?? []) {
    content.push({ type: 'image', source: { type: 'base64', media_type: image.mime, data: image.base64 } });
  }
  content.push({ type: 'text', text: turn.text });
  return { role: turn.role, content };
}

export function createAnthropicProvider(model: ResolvedModel, http: HttpOptions): ModelProvider {
  const url = anthropicMessagesUrl(model.baseUrl);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
    ...model.headers,
  };
  if (model.apiKey) headers['x-api-key'] = model.apiKey;
  const ctx: JsonCallContext = { provider: model.provider, modelId: model.modelId, baseUrl: model.baseUrl, apiKeyHint: model.apiKeyHint, errorMessage };

  return {
    async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
      const body = {
        model: model.modelId,
        max_tokens: model.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
        system: request.system,
        messages: request.turns.map(toMessage),
      };
      const raw = await postJson(url, headers, body, ctx, http, signal);
      const parsed = responseSchema.safeParse(raw);
      if (!parsed.success) {
        throw new ModelError('bad-response', `${model.provider} returned an unexpected response shape: ${parsed.error.issues[0]?.message ?? ''}`, {
          provider: model.provider,
        });
      }
      const text = parsed.data.content
        .filter((block) => block.type === 'text' && block.text !== undefined)
        .map((block) => block.text)
        .join('');
      const result: CompletionResult = { text };
      if (parsed.data.stop_reason) result.stopReason = parsed.data.stop_reason;
      const usage = parsed.data.usage;
      if (usage) result.usage = { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens };
      return result;
    },
  };
}
