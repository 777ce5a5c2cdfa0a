import { describe, expect, it, vi } from 'vitest';
import { createCoalescer } from './coalesce';

describe('createCoalescer', () => {
  it('turns many signals within the delay into one flush; now() flushes at once', () => {
    vi.useFakeTimers();
    try {
      const flush = vi.fn();
      const coalescer = createCoalescer(100, flush);
      for (let i = 0; i < 50; i++) coalescer.schedule();
      expect(coalescer.pending).toBe(true);
      vi.advanceTimersByTime(99);
      expect(flush).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(flush).toHaveBeenCalledTimes(1);
      coalescer.schedule();
      coalescer.now();
      expect(flush).toHaveBeenCalledTimes(2);
      vi.advanceTimersByTime(200);
      expect(flush).toHaveBeenCalledTimes(2);
      coalescer.schedule();
      coalescer.cancel();
      vi.advanceTimersByTime(200);
      expect(flush).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
