// Messages stores `message.date` as nanoseconds since 2001-01-01T00:00:00Z ("Apple epoch").
// Those values (~8e17) exceed Number's exact range, so writes use BigInt and reads let SQLite divide
// down to milliseconds first (`date / 1000000`), which is exact and is all the ISO output needs.

export const APPLE_EPOCH_UNIX_MS = 978_307_200_000;

/** Unix milliseconds → Apple-epoch nanoseconds (exact). */
export function unixMsToAppleNs(unixMs: number): bigint {
  return BigInt(Math.trunc(unixMs) - APPLE_EPOCH_UNIX_MS) * 1_000_000n;
}

/** Apple-epoch milliseconds (as selected with `date / 1000000`) → ISO string with ms, UTC. NULL → the epoch. */
export function appleMsToIso(appleMs: number | null | undefined): string {
  return new Date(APPLE_EPOCH_UNIX_MS + (appleMs ?? 0)).toISOString();
}

/** Apple-epoch milliseconds → Unix milliseconds. */
export function appleMsToUnixMs(appleMs: number | null | undefined): number {
  return APPLE_EPOCH_UNIX_MS + (appleMs ?? 0);
}

// imsg accepts full date-times with a timezone and optional fractional seconds; date-only or
// zone-less values are rejected.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Parses an ISO-8601 timestamp the way imsg's `start`/`end` do; returns Unix ms or null when invalid. */
export function parseIsoTimestamp(value: string): number | null {
  if (!ISO_WITH_ZONE.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}
