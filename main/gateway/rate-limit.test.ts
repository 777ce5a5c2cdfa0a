import { describe, expect, it } from 'vitest';
import { createTokenBucket, takeFromAll } from './rate-limit';

describe('token bucket', () => {
  it('allows a burst of `capacity`, then refills continuously', () => {
    let now = 0;
    const bucket = createTokenBucket({ capacity: 10, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 10; i += 1) expect(bucket.take()).toEqual({ ok: true });
    expect(bucket.take()).toEqual({ ok: false, retryAfterMs: 6_000 });
    now += 5_999;
    expect(bucket.take()).toEqual({ ok: false, retryAfterMs: 1 });
    now += 1;
    expect(bucket.take()).toEqual({ ok: true });
    expect(bucket.take().ok).toBe(false);
  });

  it('never holds more than its capacity after a long idle time', () => {
    let now = 0;
    const bucket = createTokenBucket({ capacity: 3, windowMs: 1_000, now: () => now });
    now += 1_000_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()].map((r) => r.ok)).toEqual([true, true, true, false]);
  });

  it('rejects nonsense limits', () => {
    expect(() => createTokenBucket({ capacity: 0, windowMs: 1 })).toThrow(RangeError);
    expect(() => createTokenBucket({ capacity: 1, windowMs: 0 })).toThrow(RangeError);
  });
});

describe('takeFromAll', () => {
  it('takes from every bucket or from none, reporting the longest wait', () => {
    let now = 0;
    const clock = () => now;
    const mine = createTokenBucket({ capacity: 5, windowMs: 5_000, now: clock });
    const global = createTokenBucket({ capacity: 2, windowMs: 60_000, now: clock });
    expect(takeFromAll([mine, global]).ok).toBe(true);
    expect(takeFromAll([mine, global]).ok).toBe(true);
    expect(takeFromAll([mine, global])).toEqual({ ok: false, retryAfterMs: 30_000 });
    // The refused attempt did not use up `mine`: three tokens are still there.
    expect([mine.take(), mine.take(), mine.take(), mine.take()].map((r) => r.ok)).toEqual([true, true, true, false]);
    now += 30_000;
    expect(takeFromAll([mine, global]).ok).toBe(true);
  });
});

describe('giveBack', () => {
  it('returns a taken token, never above the capacity', () => {
    const now = 0;
    const bucket = createTokenBucket({ capacity: 2, windowMs: 60_000, now: () => now });
    expect(bucket.take().ok).toBe(true);
    expect(bucket.take().ok).toBe(true);
    expect(bucket.take().ok).toBe(false);
    bucket.giveBack();
    expect(bucket.take().ok).toBe(true);
    bucket.giveBack();
    bucket.giveBack();
    bucket.giveBack();
    expect([bucket.take(), bucket.take(), bucket.take()].map((r) => r.ok)).toEqual([true, true, false]);
  });
});
