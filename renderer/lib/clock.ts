// One clock for every relative time on screen ("2 min ago", "59:12 left"): a single 1 s timer
// that runs only while something shows a time, and wakes only the elements that show one (each
// subscribes through useNow), never the screens around them.
import { useSyncExternalStore } from 'react';

const TICK_MS = 1_000;
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;
let now = Date.now();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === undefined) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const notify of [...listeners]) notify();
    }, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

function snapshot(): number {
  // While nothing ticks, the time of the current second (stable across calls within a render).
  if (timer === undefined) now = Math.floor(Date.now() / TICK_MS) * TICK_MS;
  return now;
}

/** The current time, re-rendering the calling component once a second. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}
