import { formatSeconds } from '../../src/core/format.js';
import { isTargetError } from '../../src/core/target-error.js';

/** `ms` as "25 min", "1.5 s", "120 ms". */
export function duration(ms: number): string {
  return formatSeconds(ms / 1000);
}

/** ISO time, or "—". */
export function iso(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : new Date(ms).toISOString();
}

/** The TargetError's kind (`timeout`, `unreachable`…), or `unexpected`. */
export function errorKind(error: unknown): string {
  return isTargetError(error) ? error.kind : 'unexpected';
}
