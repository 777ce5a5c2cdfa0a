// `message.attributedBody`: an NSAttributedString archived in NSArchiver's "typedstream" format.
// Writing: a minimal but realistic blob (the real header, a C-string record holding the UTF-8 text,
// an attribute-run trailer). Reading: imsg's byte-level heuristic (spec §5.4), reproduced exactly,
// including its quirks (leading control characters dropped, text cut at the bytes 86 84), because
// clients see exactly what that heuristic produces.

import { TextDecoder } from 'node:util';

const HEADER = Buffer.concat([
  Buffer.from([0x04, 0x0b]), Buffer.from('streamtyped', 'latin1'),
  Buffer.from([0x81, 0xe8, 0x03, 0x84, 0x01, 0x40, 0x84, 0x84, 0x84, 0x12]), Buffer.from('NSAttributedString', 'latin1'),
  Buffer.from([0x00, 0x84, 0x84, 0x08]), Buffer.from('NSObject', 'latin1'),
  Buffer.from([0x00, 0x85, 0x92, 0x84, 0x84, 0x84, 0x08]), Buffer.from('NSString', 'latin1'),
  Buffer.from([0x01, 0x94, 0x84]),
]);

const STRING_TAG = Buffer.from([0x01, 0x2b]); // `+`: the C-string type tag
const STRING_END = Buffer.from([0x86, 0x84]);

/** Typedstream integer: one byte below 0x80, else 0x81 + uint16 LE, else 0x82 + uint32 LE. */
function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = 0x81;
    b.writeUInt16LE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = 0x82;
  b.writeUInt32LE(n, 1);
  return b;
}

/** Builds an attributedBody blob holding `text` (one message part, no formatting). */
export function encodeAttributedBody(text: string): Buffer {
  const utf8 = Buffer.from(text, 'utf8');
  // Attribute run: "iI" + run length (UTF-16 units) + NSDictionary {__kIMMessagePartAttributeName: 0}.
  const trailer = Buffer.concat([
    Buffer.from([0x02]), Buffer.from('iI', 'latin1'), Buffer.from([0x01]), encodeLength(text.length),
    Buffer.from([0x92, 0x84, 0x84, 0x84, 0x0c]), Buffer.from('NSDictionary', 'latin1'),
    Buffer.from([0x00, 0x94, 0x84, 0x01, 0x69, 0x01, 0x92, 0x84, 0x96, 0x96, 0x1d]),
    Buffer.from('__kIMMessagePartAttributeName', 'latin1'),
    Buffer.from([0x86, 0x92, 0x84, 0x84, 0x84, 0x08]), Buffer.from('NSNumber', 'latin1'),
    Buffer.from([0x00, 0x84, 0x84, 0x07]), Buffer.from('NSValue', 'latin1'),
    Buffer.from([0x00, 0x94, 0x84, 0x01, 0x2a, 0x84, 0x99, 0x99, 0x00, 0x86, 0x86, 0x86]),
  ]);
  return Buffer.concat([HEADER, STRING_TAG, encodeLength(utf8.length), utf8, STRING_END, trailer]);
}

/**
 * Which generation of imsg's decoder to reproduce:
 * - `legacy` (≤0.6.x): strip a one-byte length only, decode lossily (long texts start with junk);
 * - `v07` (0.7.x): 0x81/0x82 prefixes stripped, but the unstripped segment also competes, so
 *   32–126-byte texts gain their printable length byte in front;
 * - `current` (0.8.0+): the rules of spec §5.4.
 */
export type TypedStreamDecoder = 'legacy' | 'v07' | 'current';

let strictDecoder: TextDecoder | undefined;
let lossyDecoder: TextDecoder | undefined;

function decodeStrict(bytes: Uint8Array): string | null {
  strictDecoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

function decodeLossy(bytes: Uint8Array): string {
  lossyDecoder ??= new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  return lossyDecoder.decode(bytes);
}

// Unicode Cc (C0, DEL, C1); \n and \r are in C0.
const LEADING_CONTROLS = /^[\u0000-\u001f\u007f-\u009f]+/;

function stripLeadingControls(text: string): string {
  return text.replace(LEADING_CONTROLS, '');
}

function indexOfPair(buf: Buffer, a: number, b: number, from: number): number {
  for (let i = buf.indexOf(a, from); i !== -1 && i + 1 < buf.length; i = buf.indexOf(a, i + 1)) {
    if (buf[i + 1] === b) return i;
  }
  return -1;
}

function candidateFromSegment(segment: Buffer, decoder: TypedStreamDecoder): string {
  const first = segment[0];
  let stripped: Buffer | undefined;
  if (first !== undefined && first < 0x80 && first === segment.length - 1) stripped = segment.subarray(1);
  else if (decoder !== 'legacy' && first === 0x81 && segment.length >= 2) stripped = segment.subarray(2);
  else if (decoder !== 'legacy' && first === 0x82 && segment.length >= 3) stripped = segment.subarray(3);

  if (decoder === 'legacy') return stripLeadingControls(decodeLossy(stripped ?? segment));

  const fromStripped = stripped ? decodeStrict(stripped) : null;
  const whole = () => stripLeadingControls(decodeStrict(segment) ?? '');
  if (fromStripped === null) return whole();
  const candidate = stripLeadingControls(fromStripped);
  if (decoder === 'v07') {
    const unstripped = whole();
    return unstripped.length > candidate.length ? unstripped : candidate;
  }
  return candidate;
}

/** Recovers the message text from an attributedBody blob with imsg's heuristic. */
export function decodeAttributedBody(blob: Uint8Array | null | undefined, decoder: TypedStreamDecoder = 'current'): string {
  if (!blob || blob.length === 0) return '';
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (decoder !== 'legacy' && buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) {
    return stripLeadingControls(buf.subarray(2).toString('utf16le'));
  }
  let best = '';
  for (let tag = indexOfPair(buf, 0x01, 0x2b, 0); tag !== -1; tag = indexOfPair(buf, 0x01, 0x2b, tag + 1)) {
    const start = tag + 2;
    const end = indexOfPair(buf, 0x86, 0x84, start);
    if (end === -1) continue;
    const candidate = candidateFromSegment(buf.subarray(start, end), decoder);
    if (candidate.length > best.length) best = candidate;
  }
  if (best.length > 0) return best;
  return stripLeadingControls(decodeLossy(buf));
}
