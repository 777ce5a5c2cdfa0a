// Coalescing: many "something changed" signals in a short time become one call. The first signal
// schedules `flush` after `delayMs`; signals until then ride along. `now()` flushes at once (a
// state change that must not wait). Used for health pushes: a burst of 5,000 messages produces a
// handful of health events, and the first one still goes out within `delayMs` of the first message.

export interface Coalescer {
  /** Asks for a flush within `delayMs` (no-op if one is already scheduled). */
  schedule(): void;
  /** Flushes now, dropping the scheduled flush. */
  now(): void;
  /** Drops the scheduled flush without calling it. */
  cancel(): void;
  readonly pending: boolean;
}

export function createCoalescer(delayMs: number, flush: () => void): Coalescer {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return {
    schedule() {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        flush();
      }, delayMs);
      // A pending health push must not keep the process alive.
      (timer as { unref?: () => void }).unref?.();
    },
    now() {
      cancel();
      flush();
    },
    cancel,
    get pending() {
      return timer !== undefined;
    },
  };
}
