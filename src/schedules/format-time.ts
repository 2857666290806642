/** Time texts of scheduled reports: clock times in a schedule's time zone and elapsed durations. */

/**
 * `02:14` in `timeZone` (with ` UTC` appended when the zone is UTC, so a reader knows), prefixed with the day
 * (`Dec 4, 02:14`) when `at` is not on the same day as `now` in that zone.
 */
export function formatClockIn(at: Date, now: Date, timeZone: string): string {
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const day = new Intl.DateTimeFormat('en-US', { timeZone, month: 'short', day: 'numeric' });
  const zone = timeZone === 'UTC' || timeZone === 'Etc/UTC' ? ' UTC' : '';
  const sameDay = day.format(at) === day.format(now) && Math.abs(now.getTime() - at.getTime()) < 86_400_000;
  return `${sameDay ? '' : `${day.format(at)}, `}${time.format(at)}${zone}`;
}

/** `45 s`, `12 min`, `6 h 46 min`, `2 d 3 h`. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}
