import { describe, expect, it } from 'vitest';
import { decodeAttributedBody, encodeAttributedBody } from './typedstream';
import { appleMsToIso, parseIsoTimestamp, unixMsToAppleNs, APPLE_EPOCH_UNIX_MS } from './apple-time';

describe('attributedBody typedstream', () => {
  it('round-trips short, 1-byte-length text through the real header', () => {
    const blob = encodeAttributedBody('hello 👋');
    expect(blob.subarray(0, 13).toString('latin1')).toBe('\u0004\u000bstreamtyped');
    expect(decodeAttributedBody(blob)).toBe('hello 👋');
  });

  it('uses 0x81 + uint16 LE for 128..65535 bytes and 0x82 + uint32 LE above', () => {
    const medium = 'm'.repeat(300);
    const mediumBlob = encodeAttributedBody(medium);
    const tag = mediumBlob.indexOf(Buffer.from([0x01, 0x2b]));
    expect([...mediumBlob.subarray(tag + 2, tag + 5)]).toEqual([0x81, 300 & 0xff, 300 >> 8]);
    expect(decodeAttributedBody(mediumBlob)).toBe(medium);
    const long = 'é'.repeat(40_000); // 80,000 bytes
    const longBlob = encodeAttributedBody(long);
    const longTag = longBlob.indexOf(Buffer.from([0x01, 0x2b]));
    expect(longBlob[longTag + 2]).toBe(0x82);
    expect(longBlob.readUInt32LE(longTag + 3)).toBe(80_000);
    expect(decodeAttributedBody(longBlob)).toBe(long);
  });

  it('reproduces the heuristic quirks: leading newlines dropped, text containing 86 84 breaks', () => {
    expect(decodeAttributedBody(encodeAttributedBody('\n\tindented'))).toBe('indented');
    // U+2184 is E2 86 84: the segment ends mid-character, no rule matches, the whole blob is decoded.
    expect(decodeAttributedBody(encodeAttributedBody('before ↄ after'))).toMatch(/^streamtyped/);
  });

  it('keeps the longest candidate and falls back to the whole blob', () => {
    const two = Buffer.concat([
      Buffer.from([0x01, 0x2b, 0x02]), Buffer.from('ab'), Buffer.from([0x86, 0x84]),
      Buffer.from([0x01, 0x2b, 0x05]), Buffer.from('longer'.slice(0, 5)), Buffer.from([0x86, 0x84]),
    ]);
    expect(decodeAttributedBody(two)).toBe('longe');
    expect(decodeAttributedBody(Buffer.from('\u0001plain bytes'))).toBe('plain bytes');
    expect(decodeAttributedBody(Buffer.alloc(0))).toBe('');
  });

  it('decodes UTF-16LE bodies (BOM FF FE)', () => {
    expect(decodeAttributedBody(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('\u0002hi 🎉', 'utf16le')]))).toBe('hi 🎉');
  });

  it('reproduces the older decoders for version profiles', () => {
    const long = 'x'.repeat(200);
    // ≤0.6.x: 0x81 not stripped, lossy decode → junk in front.
    const legacy = decodeAttributedBody(encodeAttributedBody(long), 'legacy');
    expect(legacy.endsWith(long)).toBe(true);
    expect(legacy.startsWith('\ufffd')).toBe(true);
    // 0.7.x: a printable one-byte length (32..126 bytes) competes and wins.
    expect(decodeAttributedBody(encodeAttributedBody('a'.repeat(65)), 'v07')).toBe(`A${'a'.repeat(65)}`);
    expect(decodeAttributedBody(encodeAttributedBody('a'.repeat(65)), 'current')).toBe('a'.repeat(65));
  });
});

describe('Apple-epoch dates', () => {
  it('converts Unix ms to nanoseconds since 2001 exactly and back to ISO with ms', () => {
    const unix = Date.parse('2026-01-30T21:59:57.123Z');
    const ns = unixMsToAppleNs(unix);
    expect(ns).toBe(BigInt(unix - APPLE_EPOCH_UNIX_MS) * 1_000_000n);
    expect(appleMsToIso(Number(ns / 1_000_000n))).toBe('2026-01-30T21:59:57.123Z');
    expect(appleMsToIso(null)).toBe('2001-01-01T00:00:00.000Z');
  });

  it('accepts only full ISO timestamps with a timezone', () => {
    expect(parseIsoTimestamp('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(parseIsoTimestamp('2026-01-01T02:00:00.5+02:00')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 500));
    expect(parseIsoTimestamp('2026-01-01')).toBeNull();
    expect(parseIsoTimestamp('2026-01-01T00:00:00')).toBeNull();
  });
});
