// The one way this code base runs async work "one after another": tasks queued under the same key
// run strictly in order, one at a time; different keys run in parallel. A failed task does not
// stop the tasks queued after it (each caller gets its own result or error).
//
// Used for: messages of one chat (the inbound pipeline), one session's model calls (the agent),
// writes to one locked file (file-lock), and start/stop/reload of the gateway and the channel
// (a SerialQueue: one key).
//
// Cost: one promise per task and one map entry per key that has work, dropped when the key's
// last task settles, so a gateway that saw a million chats does not keep a million entries.

export class KeyedSerialQueue<Key> {
  /** The tail of each key's chain: settles when the last task queued under the key has settled. */
  private readonly tails = new Map<Key, Promise<void>>();

  /** Runs `task` after every task already queued under `key` has settled. */
  run<T>(key: Key, task: () => Promise<T> | T): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous ? previous.then(task) : Promise.resolve().then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a task running or queued. */
  get activeKeys(): number {
    return this.tails.size;
  }

  /** Resolves once every task queued so far (and any queued meanwhile) has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}

/** A KeyedSerialQueue with a single key: a mutex for async work. */
export class SerialQueue {
  private readonly queue = new KeyedSerialQueue<0>();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    return this.queue.run(0, task);
  }

  /** True while a task runs or waits. */
  get busy(): boolean {
    return this.queue.activeKeys > 0;
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }
}

/**
 * A bound on how many tasks run at once (a counting semaphore with a FIFO queue): callers beyond
 * the bound wait their turn, nobody is turned away. Used to cap concurrent model calls.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`ConcurrencyLimit: max must be a positive integer (got ${max})`);
  }

  /** Tasks running. */
  get running(): number {
    return this.active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.head < this.waiting.length) {
      // The slot passes straight to the next waiter (`active` stays the same).
      const next = this.waiting[this.head]!;
      this.waiting[this.head] = undefined as unknown as () => void;
      this.head += 1;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      next();
    } else {
      this.active -= 1;
    }
  }
}
