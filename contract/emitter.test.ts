import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter';

interface Events {
  tick: number;
  done: { reason: string };
}

describe('Emitter', () => {
  it('delivers typed payloads to the listeners of that event only, until they unsubscribe', () => {
    const emitter = new Emitter<Events>();
    const ticks: number[] = [];
    const reasons: string[] = [];
    const off = emitter.on('tick', (n) => ticks.push(n));
    emitter.on('done', ({ reason }) => reasons.push(reason));
    emitter.emit('tick', 1);
    emitter.emit('done', { reason: 'x' });
    off();
    emitter.emit('tick', 2);
    expect(ticks).toEqual([1]);
    expect(reasons).toEqual(['x']);
    expect(emitter.listenerCount('tick')).toBe(0);
    expect(emitter.listenerCount()).toBe(1);
  });

  it('a throwing listener is reported and does not stop the others', () => {
    const errors: string[] = [];
    const emitter = new Emitter<Events>((error, event) => errors.push(`${String(event)}: ${(error as Error).message}`));
    const seen: number[] = [];
    emitter.on('tick', () => {
      throw new Error('broken');
    });
    emitter.on('tick', (n) => seen.push(n));
    expect(() => emitter.emit('tick', 7)).not.toThrow();
    expect(seen).toEqual([7]);
    expect(errors).toEqual(['tick: broken']);
  });

  it('once() fires a single time; a listener may unsubscribe others while an event is delivered', () => {
    const emitter = new Emitter<Events>();
    const seen: string[] = [];
    emitter.once('tick', (n) => seen.push(`once ${n}`));
    let offSecond = () => {};
    emitter.on('tick', () => offSecond());
    offSecond = emitter.on('tick', (n) => seen.push(`second ${n}`));
    emitter.emit('tick', 1);
    emitter.emit('tick', 2);
    // The copy taken at emit time still reaches `second` for event 1.
    expect(seen).toEqual(['once 1', 'second 1']);
    emitter.clear();
    expect(emitter.listenerCount()).toBe(0);
  });
});
