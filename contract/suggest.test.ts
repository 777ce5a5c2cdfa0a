import { describe, expect, it } from 'vitest';
import { suggest } from './suggest';

describe('suggest', () => {
  const policies = ['pairing', 'allowlist', 'open', 'disabled'];

  it('finds typos: a swap, a missing or extra letter, a wrong case', () => {
    expect(suggest('opne', policies)).toBe('open');
    expect(suggest('alowlist', policies)).toBe('allowlist');
    expect(suggest('pairingg', policies)).toBe('pairing');
    expect(suggest('Disabled', policies)).toBe('disabled');
    expect(suggest('dmpolicy', ['dmPolicy', 'groupPolicy'])).toBe('dmPolicy');
  });

  it('offers nothing for unrelated words or short strings far from any candidate', () => {
    expect(suggest('everyone', policies)).toBeUndefined();
    expect(suggest('x', policies)).toBeUndefined();
    expect(suggest('lan', ['loopback'])).toBeUndefined();
  });
});
