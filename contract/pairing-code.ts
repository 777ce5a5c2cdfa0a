// What a pairing code looks like: 8 characters a person can read out or type from a phone screen,
// from an alphabet without look-alikes (0/O, 1/I). Shared by the gateway (which generates and
// checks codes), the control API's validation and the CLI. Generation (from the OS CSPRNG) stays
// in main/pairing/codes.ts: it needs Node.

export const PAIRING_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const PAIRING_CODE_LENGTH = 8;

const CODE_PATTERN = new RegExp(`^[${PAIRING_CODE_ALPHABET}]{${PAIRING_CODE_LENGTH}}$`);

/** Codes are matched case-insensitively and without surrounding blanks. */
export function normalizePairingCode(input: string): string {
  return input.trim().toUpperCase();
}

export function isValidPairingCode(code: string): boolean {
  return CODE_PATTERN.test(code);
}

/**
 * Why `input` cannot be a pairing code, in words a person can act on, or undefined when it has the
 * right shape: `WRONG123` → `"O" and "1" are never used in pairing codes (they use A–Z without I
 * and O, and 2–9), e.g. ABCD2345`.
 */
export function describePairingCodeProblem(input: string): string | undefined {
  const code = normalizePairingCode(input);
  const example = 'e.g. ABCD2345';
  const alphabet = 'A–Z without I and O, and the digits 2–9';
  if (code === '') return `the code is empty; a pairing code is ${PAIRING_CODE_LENGTH} characters, ${example}`;
  const bad = [...new Set([...code].filter((char) => !PAIRING_CODE_ALPHABET.includes(char)))];
  if (bad.length > 0) {
    const listed = bad.map((char) => (/^[\x21-\x7e]$/.test(char) ? `"${char}"` : `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`));
    const names = listed.length === 1 ? listed[0] : `${listed.slice(0, -1).join(', ')} and ${listed.at(-1)}`;
    return `${names} ${bad.length === 1 ? 'is' : 'are'} never used in pairing codes; codes use ${alphabet}, ${example}`;
  }
  if (code.length !== PAIRING_CODE_LENGTH) {
    return `the code has ${code.length} characters; a pairing code has exactly ${PAIRING_CODE_LENGTH}, ${example}`;
  }
  return undefined;
}
