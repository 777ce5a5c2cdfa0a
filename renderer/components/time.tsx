// Relative times and countdowns. Each one re-renders itself once a second (lib/clock.ts) and
// nothing around it, so a list of requests does not redraw because a clock moved.
import { useNow } from '../lib/clock';
import { ago, countdown, localTime } from '../lib/format';

/** "just now", "3 min ago"; `never` when there is no time. The exact time is the tooltip. */
export function RelativeTime({ iso, never = 'never' }: { iso: string | null | undefined; never?: string }) {
  const now = useNow();
  if (!iso) return <span>{never}</span>;
  return (
    <time dateTime={iso} title={localTime(iso)}>
      {ago(iso, now)}
    </time>
  );
}

/** Time left until `iso` as m:ss ("expired" after). */
export function Countdown({ iso }: { iso: string }) {
  const now = useNow();
  return (
    <time dateTime={iso} title={localTime(iso)} className="countdown">
      {countdown(iso, now)}
    </time>
  );
}

/** Whole seconds until `epochMs` ("now" at zero), e.g. a reconnect or a restart. */
export function SecondsLeft({ epochMs }: { epochMs: number }) {
  const now = useNow();
  const seconds = Math.max(0, Math.ceil((epochMs - now) / 1000));
  return <span className="countdown">{seconds > 0 ? `${seconds} s` : 'now'}</span>;
}
