// One error type for everything that can go wrong talking to a model, classified so the caller
// knows whether retrying can help and what to tell the user.

export type ModelErrorKind =
  | 'not-configured' // no usable model in the config
  | 'auth' // 401/403: key missing, wrong or without access (retrying cannot help)
  | 'model-not-found' // 404
  | 'bad-request' // other 4xx (our request or the config is wrong)
  | 'rate-limited' // 429 after the retries ran out
  | 'server' // 5xx after the retries ran out
  | 'network' // connection refused/reset, DNS… after the retries ran out
  | 'timeout'
  | 'bad-response' // 2xx but not the vendor's response shape
  | 'aborted'; // the caller's signal fired

export class ModelError extends Error {
  override name = 'ModelError';
  readonly kind: ModelErrorKind;
  readonly provider: string;
  readonly status: number | undefined;
  /** How many HTTP attempts were made. */
  readonly attempts: number;

  constructor(kind: ModelErrorKind, message: string, options: { provider: string; status?: number; attempts?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.provider = options.provider;
    this.status = options.status;
    this.attempts = options.attempts ?? 0;
  }

  /** Errors that mean the configuration (key, model, URL) must change: shown as agent health. */
  get isConfigProblem(): boolean {
    return this.kind === 'auth' || this.kind === 'model-not-found' || this.kind === 'not-configured';
  }
}

/** What the provider needs to word a useful message. */
export interface ErrorContext {
  provider: string;
  modelId: string;
  baseUrl: string;
  apiKeyHint: string;
}

/** HTTP statuses that are worth retrying: rate limits, overload and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * The error for a non-2xx response that will not be retried (any more). `vendorMessage` is the
 * message from the vendor's error JSON, when there was one.
 */
export function httpError(status: number, vendorMessage: string | undefined, ctx: ErrorContext, attempts: number): ModelError {
  const detail = vendorMessage ? `: ${vendorMessage}` : '';
  const opts = { provider: ctx.provider, status, attempts };
  if (status === 401) return new ModelError('auth', `API key rejected by ${ctx.provider} (401): ${ctx.apiKeyHint}${detail}`, opts);
  if (status === 403) {
    return new ModelError('auth', `access denied by ${ctx.provider} (403) for model ${ctx.modelId}: check the key's permissions or ${ctx.apiKeyHint}${detail}`, opts);
  }
  if (status === 404) {
    return new ModelError(
      'model-not-found',
      `model ${ctx.modelId} not found at ${ctx.baseUrl} (404): check agents.defaults.model.primary and models.providers.${ctx.provider}.baseUrl${detail}`,
      opts,
    );
  }
  if (status === 429) return new ModelError('rate-limited', `rate limited by ${ctx.provider} (429) after ${attempts} attempts${detail}`, opts);
  if (status >= 500) return new ModelError('server', `${ctx.provider} server error (${status}) after ${attempts} attempts${detail}`, opts);
  return new ModelError('bad-request', `${ctx.provider} rejected the request (${status})${detail}`, opts);
}
