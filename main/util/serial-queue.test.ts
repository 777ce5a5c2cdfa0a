import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, KeyedSerialQueue, SerialQueue } from './serial-queue';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('KeyedSerialQueue', () => {
  it('runs tasks of one key in order, one at a time, and other keys in parallel', async () => {
    const queue = new KeyedSerialQueue<string>();
    const log: string[] = [];
    const gate = deferred();
    const a1 = queue.run('a', async () => {
      log.push('a1 start');
      await gate.promise;
      log.push('a1 end');
    });
    const a2 = queue.run('a', () => log.push('a2'));
    const b1 = queue.run('b', () => log.push('b1'));
    await b1;
    await new Promise((r) => setImmediate(r)); // b's entry is dropped once its chain settles
    expect(log).toEqual(['a1 start', 'b1']);
    expect(queue.activeKeys).toBe(1);
    gate.resolve();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
    await queue.idle();
    expect(queue.activeKeys).toBe(0);
  });

  it('a failing task rejects its own caller and does not stop the next', async () => {
    const queue = new KeyedSerialQueue<number>();
    const first = queue.run(1, () => {
      throw new Error('boom');
    });
    const second = queue.run(1, () => 'ok');
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('ok');
  });

  it('idle() also waits for work queued while waiting', async () => {
    const queue = new KeyedSerialQueue<string>();
    const log: string[] = [];
    void queue.run('x', async () => {
      void queue.run('y', () => log.push('y'));
      log.push('x');
    });
    await queue.idle();
    expect(log).toEqual(['x', 'y']);
  });
});

describe('SerialQueue', () => {
  it('is a mutex', async () => {
    const queue = new SerialQueue();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        queue.run(async () => {
          inside += 1;
          most = Math.max(most, inside);
          await new Promise((r) => setImmediate(r));
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(queue.busy).toBe(false);
  });
});

describe('ConcurrencyLimit', () => {
  it('runs at most max at once and queues the rest in order', async () => {
    const limit = new ConcurrencyLimit(2);
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      limit.run(async () => {
        started.push(i);
        await gate.promise;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect(limit.queued).toBe(1);
    gates[0]!.resolve();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.resolve();
    gates[2]!.resolve();
    await Promise.all(runs);
    expect(limit.running).toBe(0);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(/positive integer/);
  });

  it('never runs more than max at once, queues the rest in order, and frees slots on errors', async () => {
    const limit = new ConcurrencyLimit(3);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const tasks = Array.from({ length: 20 }, (_, i) =>
      limit.run(async () => {
        started.push(i);
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5 + (i % 3)));
        running -= 1;
        if (i % 4 === 0) throw new Error(`task ${i} failed`);
        return i;
      }),
    );
    const results = await Promise.allSettled(tasks);
    expect(peak).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(15);
    expect(limit.running).toBe(0);
    expect(limit.queued).toBe(0);
  });
});
