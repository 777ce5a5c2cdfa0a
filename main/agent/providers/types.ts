// The provider-neutral request/response shapes the agent uses; each provider module maps them to
// its vendor's wire format.

export interface ImageInput {
  /** image/jpeg, image/png, image/gif or image/webp. */
  mime: string;
  /** Base64 of the file bytes. */
  base64: string;
}

export interface ChatTurn {
  role: 'user' | 'assistant';
  text: string;
  /** Only on user turns; only sent to vision-capable models. */
  images?: ImageInput[];
}

export interface CompletionRequest {
  system: string;
  /** Alternating turns starting with a user turn (see agent.ts `toAlternatingTurns`). */
  turns: ChatTurn[];
}

export interface CompletionResult {
  text: string;
  /** Vendor stop reason (`end_turn`, `stop`, `max_tokens`, `length`…), when given. */
  stopReason?: string;
  usage?: { inputTokens?: number; outputTokens?: number };
}

export interface ModelProvider {
  complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult>;
}
