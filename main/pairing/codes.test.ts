import { describe, expect, it } from 'vitest';
import {
  generatePairingCode,
  generateUniqueCode,
  isValidPairingCode,
  MAX_CODE_ATTEMPTS,
  normalizePairingCode,
  PAIRING_CODE_ALPHABET,
  PairingCodeSpaceError,
} from './codes';

describe('generatePairingCode', () => {
  it('makes 8-character codes from the look-alike-free alphabet', () => {
    expect(PAIRING_CODE_ALPHABET).toHaveLength(32);
    expect(PAIRING_CODE_ALPHABET).not.toMatch(/[01OI]/);
    for (let i = 0; i < 500; i += 1) {
      const code = generatePairingCode();
      expect(code).toMatch(/^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/);
      expect(isValidPairingCode(code)).toBe(true);
    }
  });

  it('maps random bytes onto the alphabet (byte mod 32)', () => {
    const bytes = [0, 1, 2, 31, 32, 63, 255, 224, 99, 99, 99, 99, 99, 99, 99, 99];
    expect(generatePairingCode(() => Uint8Array.from(bytes))).toBe('ABC9A99A');
  });

  it('draws more bytes when a batch is not enough', () => {
    let calls = 0;
    const code = generatePairingCode((size) => {
      calls += 1;
      return Uint8Array.from({ length: Math.min(size, 3) }, () => 1);
    });
    expect(code).toBe('BBBBBBBB');
    expect(calls).toBe(3);
  });

  it('is uniform over the alphabet (CSPRNG, no modulo bias)', () => {
    const counts = new Map<string, number>();
    const codes = 20_000;
    for (let i = 0; i < codes; i += 1) for (const ch of generatePairingCode()) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(32);
    const expected = (codes * 8) / 32; // 5000 per character, standard deviation ≈ 70
    for (const count of counts.values()) expect(Math.abs(count - expected)).toBeLessThan(expected * 0.1);
  });

  it('does not repeat in practice', () => {
    const seen = new Set(Array.from({ length: 5000 }, () => generatePairingCode()));
    expect(seen.size).toBe(5000);
  });
});

describe('generateUniqueCode', () => {
  it('regenerates when a generated code collides with a pending one', () => {
    const sequence = ['AAAAAAAA', 'AAAAAAAA', 'BBBBBBBB'];
    const code = generateUniqueCode(new Set(['AAAAAAAA']), () => sequence.shift() as string);
    expect(code).toBe('BBBBBBBB');
    expect(sequence).toEqual([]);
  });

  it(`gives up after ${MAX_CODE_ATTEMPTS} collisions with a clear error`, () => {
    let calls = 0;
    expect(() =>
      generateUniqueCode(new Set(['AAAAAAAA']), () => {
        calls += 1;
        return 'AAAAAAAA';
      }),
    ).toThrow(PairingCodeSpaceError);
    expect(calls).toBe(MAX_CODE_ATTEMPTS);
  });
});

describe('normalizePairingCode / isValidPairingCode', () => {
  it('trims and upper-cases', () => {
    expect(normalizePairingCode('  abcd2345 ')).toBe('ABCD2345');
  });
  it.each(['ABCD2345', 'ZZZZ9999'])('%s is valid', (code) => expect(isValidPairingCode(code)).toBe(true));
  it.each(['ABCD234', 'ABCD23450', 'ABCD2341', 'OBCD2345', 'abcd2345', ''])('%j is not valid', (code) => expect(isValidPairingCode(code)).toBe(false));
});
