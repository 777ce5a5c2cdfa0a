// POST a JSON body to a model API with a per-attempt timeout and retries.
//
// Retried: 408/409/429/5xx and network errors (connection refused, reset…), with exponential
// backoff and jitter, or the server's Retry-After when it sends one. Not retried: other 4xx (a
// wrong key or model will not fix itself) and timeouts (a model that took the whole timeout will
// most likely take it again, and the person on the other end is already waiting).
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { backoffDelay, type BackoffPolicy } from '../../util/backoff';
import { httpError, isRetryableStatus, ModelError, type ErrorContext } from './errors';

export interface HttpOptions {
  fetch: typeof fetch;
  /** Per attempt, from sending the request to the whole response body. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  backoff: BackoffPolicy;
  /** A Retry-After longer than this is not waited for: the call fails as rate-limited instead. */
  maxRetryAfterMs: number;
  /** Called before each retry (for logging). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  random?: () => number;
}

export const DEFAULT_HTTP_OPTIONS: Omit<HttpOptions, 'fetch'> = {
  timeoutMs: 120_000,
  maxRetries: 3,
  backoff: { initialMs: 500, maxMs: 8_000, factor: 2, jitter: 0.5 },
  maxRetryAfterMs: 30_000,
};

export interface JsonCallContext extends ErrorContext {
  /** Pulls the human message out of the vendor's error JSON. */
  errorMessage(body: unknown): string | undefined;
}

export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  ctx: JsonCallContext,
  options: HttpOptions,
  signal?: AbortSignal,
): Promise<unknown> {
  const payload = JSON.stringify(body);
  const fail = (kind: ConstructorParameters<typeof ModelError>[0], message: string, attempts: number, cause?: unknown, status?: number) =>
    new ModelError(kind, message, { provider: ctx.provider, attempts, cause, ...(status === undefined ? {} : { status }) });

  for (let attempt = 0; ; attempt++) {
    const attempts = attempt + 1;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const attemptSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let retryReason: string;
    let retryAfterMs: number | undefined;
    try {
      const response = await options.fetch(url, { method: 'POST', headers, body: payload, signal: attemptSignal });
      const text = await response.text();
      if (response.ok) {
        try {
          return JSON.parse(text) as unknown;
        } catch (cause) {
          throw fail('bad-response', `${ctx.provider} returned invalid JSON (${response.status}): ${text.slice(0, 200)}`, attempts, cause);
        }
      }
      const vendorMessage = ctx.errorMessage(safeJson(text)) ?? (text.trim().slice(0, 200) || undefined);
      if (!isRetryableStatus(response.status) || attempt >= options.maxRetries) {
        throw httpError(response.status, vendorMessage, ctx, attempts);
      }
      retryAfterMs = parseRetryAfter(response.headers);
      if (retryAfterMs !== undefined && retryAfterMs > options.maxRetryAfterMs) {
        throw httpError(response.status, `${vendorMessage ?? ''} (server asked to retry after ${Math.ceil(retryAfterMs / 1000)} s)`.trim(), ctx, attempts);
      }
      retryReason = `HTTP ${response.status}`;
    } catch (error) {
      if (error instanceof ModelError) throw error;
      if (signal?.aborted) throw fail('aborted', `${ctx.provider} request aborted`, attempts, error);
      if (timeout.aborted) {
        throw fail('timeout', `no answer from ${ctx.provider} at ${ctx.baseUrl} within ${Math.round(options.timeoutMs / 1000)} s (model ${ctx.modelId})`, attempts, error);
      }
      const reason = networkReason(error);
      if (attempt >= options.maxRetries) {
        throw fail('network', `cannot reach ${ctx.provider} at ${ctx.baseUrl}: ${reason} (after ${attempts} attempts)`, attempts, error);
      }
      retryReason = reason;
    }
    const delayMs = retryAfterMs ?? backoffDelay(attempt, options.backoff, options.random);
    options.onRetry?.({ attempt: attempts, delayMs, reason: retryReason });
    try {
      await sleepTimer(delayMs, undefined, signal ? { signal } : undefined);
    } catch (error) {
      throw fail('aborted', `${ctx.provider} request aborted`, attempts, error);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `fetch failed` hides the useful part (ECONNREFUSED…) in `cause`. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Delay requested by the server: `retry-after-ms` (OpenAI), else `Retry-After` in seconds or as an
 * HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
