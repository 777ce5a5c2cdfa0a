// Token buckets for the control API: a bucket holds up to `capacity` tokens and refills
// continuously at `capacity / windowMs`. Each request takes one token; an empty bucket says how
// long until the next token, which the server returns as `retryAfterMs`.
//
// The clock is injectable so tests can step time instead of sleeping.

export type Clock = () => number;

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

export interface TokenBucket {
  /** Takes one token if there is one. */
  take(): TakeResult;
  /** Milliseconds until a token is available (0: one is available now). Takes nothing. */
  waitMs(): number;
  /** Gives back a token taken for an attempt that turned out not to count (never above capacity). */
  giveBack(): void;
}

export interface TokenBucketOptions {
  /** Burst size: the most requests allowed back to back. */
  capacity: number;
  /** Time in which an empty bucket refills completely. */
  windowMs: number;
  now?: Clock;
}

export function createTokenBucket({ capacity, windowMs, now = Date.now }: TokenBucketOptions): TokenBucket {
  if (!(capacity > 0) || !(windowMs > 0)) throw new RangeError('Token bucket needs capacity > 0 and windowMs > 0');
  const refillPerMs = capacity / windowMs;
  let tokens = capacity;
  let updatedAt = now();

  function refill(): void {
    const t = now();
    tokens = Math.min(capacity, tokens + (t - updatedAt) * refillPerMs);
    updatedAt = t;
  }

  function waitMs(): number {
    refill();
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / refillPerMs);
  }

  return {
    take() {
      const wait = waitMs();
      if (wait > 0) return { ok: false, retryAfterMs: wait };
      tokens -= 1;
      return { ok: true };
    },
    waitMs,
    giveBack() {
      refill();
      tokens = Math.min(capacity, tokens + 1);
    },
  };
}

/**
 * Takes one token from every bucket, or from none: a request refused by the global bucket must
 * not use up the caller's own allowance (and the other way round).
 */
export function takeFromAll(buckets: readonly TokenBucket[]): TakeResult {
  const wait = Math.max(0, ...buckets.map((bucket) => bucket.waitMs()));
  if (wait > 0) return { ok: false, retryAfterMs: wait };
  // Time only moves forward, so every bucket that had a token a moment ago still has one.
  for (const bucket of buckets) bucket.take();
  return { ok: true };
}
