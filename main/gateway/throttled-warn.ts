// Security warnings can be triggered by anyone on the machine (a wrong token, a foreign Origin, a
// connection storm); logging each one would let them flood the log ring. One line per kind per
// interval, with the number suppressed meanwhile.
import type { Logger } from '../util/logger';

/** Logs `msg` as a warning unless a warning of the same `kind` was logged within the interval. */
export type ThrottledWarn = (kind: string, msg: string, data?: Record<string, unknown>) => void;

export function createThrottledWarn(logger: Logger, intervalMs: number, now: () => number): ThrottledWarn {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (kind, msg, data = {}) => {
    const entry = last.get(kind);
    const t = now();
    if (entry && t - entry.at < intervalMs) {
      entry.suppressed += 1;
      return;
    }
    logger.warn(msg, entry && entry.suppressed > 0 ? { ...data, suppressedSinceLast: entry.suppressed } : data);
    last.set(kind, { at: t, suppressed: 0 });
  };
}
