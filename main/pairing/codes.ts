// Generating pairing codes. Their format (alphabet, length, normalization, the validity check) is
// part of the contract (contract/pairing-code.ts), shared with the control API's validation. Codes
// come from the OS CSPRNG; a code is a one-hour credential, so it must not be guessable from
// earlier ones.
import { randomBytes } from 'node:crypto';
import { PAIRING_CODE_ALPHABET, PAIRING_CODE_LENGTH } from '../../contract/pairing-code';

export { isValidPairingCode, normalizePairingCode, PAIRING_CODE_ALPHABET, PAIRING_CODE_LENGTH } from '../../contract/pairing-code';

/** Attempts to find a code that no pending request uses before giving up. */
export const MAX_CODE_ATTEMPTS = 500;

// Rejection sampling: a byte maps to a character by `byte % alphabet.length`, which is only
// uniform for bytes below the largest multiple of the alphabet size. With 32 characters every
// byte qualifies (256 = 8 × 32); the check keeps the code unbiased if the alphabet ever changes.
const UNBIASED_BYTE_LIMIT = 256 - (256 % PAIRING_CODE_ALPHABET.length);

export type RandomBytes = (size: number) => Uint8Array;

export function generatePairingCode(random: RandomBytes = randomBytes): string {
  let code = '';
  while (code.length < PAIRING_CODE_LENGTH) {
    for (const byte of random(PAIRING_CODE_LENGTH * 2)) {
      if (byte >= UNBIASED_BYTE_LIMIT) continue;
      code += PAIRING_CODE_ALPHABET[byte % PAIRING_CODE_ALPHABET.length];
      if (code.length === PAIRING_CODE_LENGTH) break;
    }
  }
  return code;
}

export class PairingCodeSpaceError extends Error {
  constructor(attempts: number) {
    super(`Could not generate a pairing code unused by pending requests after ${attempts} attempts.`);
    this.name = 'PairingCodeSpaceError';
  }
}

/** A fresh code that is not in `taken` (the codes of pending requests). */
export function generateUniqueCode(taken: ReadonlySet<string>, generate: () => string = generatePairingCode): string {
  for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt += 1) {
    const code = generate();
    if (!taken.has(code)) return code;
  }
  throw new PairingCodeSpaceError(MAX_CODE_ATTEMPTS);
}
