import { describe, expect, it } from 'vitest';
import { Admission } from './admission';

function room(limits: { perAddress: number; total: number; minAgeMs?: number; hardTotal?: number }) {
  let now = 0;
  const dropped: string[] = [];
  const admission = new Admission<string>({ minAgeMs: 1_000, ...limits }, (item) => dropped.push(item), () => now);
  return { admission, dropped, advance: (ms: number) => (now += ms) };
}

describe('Admission', () => {
  it('drops the oldest of an address past its share, never the newcomer', () => {
    const { admission, dropped, advance } = room({ perAddress: 2, total: 10 });
    admission.admit('a', 'a1');
    admission.admit('a', 'a2');
    admission.admit('b', 'b1');
    advance(1_000);
    admission.admit('a', 'a3');
    expect(dropped).toEqual(['a1']);
    expect(admission.size).toBe(3);
  });

  it('drops the oldest of all past the total; removed items take no room; admitting again makes it the newest', () => {
    const { admission, dropped, advance } = room({ perAddress: 5, total: 3 });
    admission.admit('a', 'a1');
    admission.admit('b', 'b1');
    admission.admit('c', 'c1');
    admission.remove('a1');
    advance(1_000);
    admission.admit('d', 'd1');
    expect(dropped).toEqual([]);
    admission.admit('e', 'e1');
    expect(dropped).toEqual(['b1']);
    admission.admit('c', 'c1');
    advance(1_000);
    admission.admit('f', 'f1');
    expect(dropped).toEqual(['b1', 'd1']);
  });

  it('lets young connections stretch the room (a fast reconnect loop cannot push out a newcomer), up to the hard total', () => {
    const { admission, dropped, advance } = room({ perAddress: 2, total: 4, hardTotal: 6 });
    for (let i = 1; i <= 5; i++) admission.admit('attacker', `x${i}`);
    expect(dropped).toEqual([]);
    admission.admit('attacker', 'owner');
    admission.admit('attacker', 'x6');
    expect(dropped).toEqual(['x1']); // only the hard total reached past the young ones
    advance(1_000);
    admission.admit('attacker', 'x7');
    // Now old enough: the oldest give way down to the share of the address.
    expect(admission.size).toBe(2);
    expect(dropped).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'owner']);
  });
});
