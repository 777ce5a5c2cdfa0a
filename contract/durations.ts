// Short durations as the CLI and the app print them: `45s`, `5m`, `2h`, `4d`. One formatter, so
// an age ("3m ago") and a countdown ("57m left") read the same wherever they are shown. Pure.

/** Whole units, rounded down: `0s`…`59s`, `1m`…`59m`, `1h`…`47h`, then days. Negative counts as 0. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}
