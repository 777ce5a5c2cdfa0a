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
