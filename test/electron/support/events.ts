// Waiting for an event instead of sleeping: resolves with the first payload that satisfies `match`.
import type { Emitter } from '../../../contract/emitter';

export function nextEvent<Events extends object, E extends keyof Events>(
  emitter: Emitter<Events>,
  event: E,
  match: (payload: Events[E]) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<Events[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, timeoutMs);
    const off = emitter.on(event, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}
