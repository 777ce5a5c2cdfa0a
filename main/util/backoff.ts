// Exponential backoff with full jitter, bounded. Used by the imsg supervisor and the model client.
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0 = no jitter, 1 = delay drawn uniformly from [0, computed]. */
  jitter: number;
}

// 100 ms first: a one-off crash is back within a fraction of a second; a crash loop still slows
// to one attempt per 30 s after about nine failures in a row.
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 30_000, factor: 2, jitter: 0.5 };

/** Delay before attempt number `attempt` (0-based). `random` is injectable for tests. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  const jitterPart = base * policy.jitter * random();
  return Math.max(0, Math.round(base - jitterPart));
}
