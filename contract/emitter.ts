// The one typed event emitter of the code base, used on every side (gateway, CLI, renderer, app):
// `on()` returns the function that unsubscribes, and a listener that throws is reported to
// `onListenerError` instead of stopping the other listeners or the code that emitted.
// Pure TypeScript (no Node `events`), so the browser build can use it too.

export type Listener<Payload> = (payload: Payload) => void;

export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly onListenerError: (error: unknown, event: keyof Events) => void = () => {}) {}

  /** Subscribes to one event; returns the unsubscribe function. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const stored = listener as Listener<never>;
    set.add(stored);
    return () => {
      set.delete(stored);
    };
  }

  /** Subscribes for the next occurrence only. */
  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return;
    // A copy: a listener may unsubscribe itself (or another) while we iterate.
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[E]>)(payload);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  /** Listeners of one event, or of all events. */
  listenerCount(event?: keyof Events): number {
    if (event !== undefined) return this.listeners.get(event)?.size ?? 0;
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  /** Drops every listener (the emitter's owner is gone for good). */
  clear(): void {
    this.listeners.clear();
  }
}
