/**
 * Streamhouse's wording for durations and lists in evidence lines. Its durations are whole seconds past one second
 * (`4 min 12 s`), unlike the core's `formatSeconds` (`4.2 s`), so the ages of heartbeats and leases read the same in
 * every finding.
 */

/** `4 min 12 s ago` from a past epoch-ms time. */
export function ago(ms: number, nowMs: number): string {
  return `${formatAge(nowMs - ms)} ago`;
}

/** A duration in ms as `850 ms`, `42 s`, `4 min 12 s`, `2 h 5 min`. */
export function formatAge(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(abs / 1000);
  const sign = ms < 0 ? '-' : '';
  if (s < 60) return `${sign}${s} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const r = s - m * 60;
    return `${sign}${m} min${r ? ` ${r} s` : ''}`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.round((s - h * 3600) / 60);
  return `${sign}${h} h${m ? ` ${m} min` : ''}`;
}

/** The first `max` items joined with `; `, and `; +N more` when cut. */
export function listText(items: readonly string[], max: number): string {
  const shown = items.slice(0, max).join('; ');
  return items.length > max ? `${shown}; +${items.length - max} more` : shown;
}
