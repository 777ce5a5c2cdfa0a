// OpenAI-compatible chat completions (non-streaming): POST {baseUrl}/chat/completions.
// Also what OpenRouter, Ollama, LM Studio and vLLM speak.
import { z } from 'zod';
import type { ResolvedModel } from '../model-config';
import { ModelError } from './errors';
import { postJson, type HttpOptions, type JsonCallContext } from './http';
import type { ChatTurn, CompletionRequest, CompletionResult, ModelProvider } from './types';

const responseSchema = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({ content: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.looseObject({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() }).nullish(),
});

/** OpenAI: `{error:{message}}`; some compatible servers (Ollama) send `{error:"…"}`. */
function errorMessage(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

function toMessage(turn: ChatTurn) {
  if (!turn.images || turn.images.length === 0) return { role: turn.role, content: turn.text };
  return {
    role: turn.role,
    content: [
      { type: 'text', text: turn.text },
      ...turn.images.map((image) => ({ type: 'image_url', image_url: { url: `data:${image.mime};base64,${image.base64}` } })),
    ],
  };
}

export function createOpenAiProvider(model: ResolvedModel, http: HttpOptions): ModelProvider {
  const url = `${model.baseUrl}/chat/completions`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...model.headers };
  if (model.apiKey) headers.authorization = `Bearer ${model.apiKey}`;
  const ctx: JsonCallContext = { provider: model.provider, modelId: model.modelId, baseUrl: model.baseUrl, apiKeyHint: model.apiKeyHint, errorMessage };

  return {
    async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
      const body: Record<string, unknown> = {
        model: model.modelId,
        messages: [{ role: 'system', content: request.system }, ...request.turns.map(toMessage)],
      };
      // Only when configured: newer OpenAI models reject max_tokens, and servers have sane defaults.
      if (model.maxTokens !== undefined) body.max_tokens = model.maxTokens;
      const raw = await postJson(url, headers, body, ctx, http, signal);
      const parsed = responseSchema.safeParse(raw);
      if (!parsed.success) {
        throw new ModelError('bad-response', `${model.provider} returned an unexpected response shape: ${parsed.error.issues[0]?.message ?? ''}`, {
          provider: model.provider,
        });
      }
      const choice = parsed.data.choices[0]!;
      const result: CompletionResult = { text: choice.message.content ?? '' };
      if (choice.finish_reason) result.stopReason = choice.finish_reason;
      const usage = parsed.data.usage;
      if (usage) result.usage = { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
      return result;
    },
  };
}
