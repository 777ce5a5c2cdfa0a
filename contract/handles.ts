// Sender handles as iMessage shows them (a phone number, an email address, rarely a name), and the
// one canonical form used to compare them: senders against allowFrom entries, pairing requests
// against approved senders. Shared by the gateway, the CLI and the screens, so a handle typed into
// a form is compared exactly as the gateway will compare it. Pure string code, no dependencies.

function stripPrefix(value: string, prefixes: readonly string[]): string | undefined {
  const lower = value.toLowerCase();
  for (const prefix of prefixes) {
    if (lower.startsWith(prefix)) return value.slice(prefix.length).trim();
  }
  return undefined;
}

/**
 * Canonical text of a handle, used to compare senders and allowFrom entries (spec §2.2):
 * emails are lower-cased; phone numbers become `+` and digits (no country code is inferred:
 * `(555) 222-3333` → `+5552223333`). Service, `tel:` and `whatsapp:` prefixes are ignored.
 * Anything else (a contact name) is returned trimmed, unlike the original, which turned it into
 * a bare `+`.
 */
export function normalizeHandle(raw: string): string {
  let value = String(raw ?? '').trim();
  for (;;) {
    const stripped = stripPrefix(value, ['imessage:', 'sms:', 'auto:', 'whatsapp:', 'tel:']);
    if (stripped === undefined) break;
    value = stripped;
  }
  return canonicalHandle(value);
}

/** Email → lower case, phone → `+digits`, anything else unchanged. Never strips a prefix. */
export function canonicalHandle(value: string): string {
  if (value.includes('@')) return value.toLowerCase();
  if (/\d/.test(value) && /^[+\d\s().\-/]+$/.test(value)) return `+${value.replace(/\D/g, '')}`;
  return value;
}

/**
 * A handle someone types to be texted or allowed: a phone number (digits with the usual `+ ( ) - .`
 * and spaces, at least 3 digits) or a plain email address. Nothing else — no contact names, no
 * shell or quoting characters — so a form can refuse `a;b`, `$(…)` or backticks before anything runs.
 */
export function isPlainHandle(value: string): boolean {
  const text = value.trim();
  if (/^\+?[0-9][0-9 ().-]*$/.test(text)) return text.replace(/\D/g, '').length >= 3;
  return /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/.test(text);
}
