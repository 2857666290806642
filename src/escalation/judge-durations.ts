/**
 * The runbooks' durations applied to a run's findings (issue 14). A bad finding that carries a `duration` is pending
 * until its condition has held that long across consecutive runs — measured from the finding history (first seen of
 * the uninterrupted streak) — then it takes its severity. Only schedules measure durations: a target with no
 * `every:` schedule is told so, and its findings keep the severity the rule gave.
 */
import type pg from 'pg';
import { isBad } from '../core/rule.js';
import type { Finding } from '../core/report.js';
import { formatClockIn, formatElapsed } from '../schedules/format-time.js';

/** How a finding's duration stands in this run. */
export type DurationState =
  /** No duration on the finding (or it is ok). */
  | 'none'
  /** Held shorter than the threshold: reported as pending. */
  | 'pending'
  /** Held at least the threshold: the finding has its severity. */
  | 'held'
  /** The target has no `every:` schedule: durations are not measured. */
  | 'unmeasured';

/** What judging needs besides the findings. */
export interface DurationJudgeInput {
  /** Per code, first seen of the streak that this run continues (absent: this run starts it). */
  readonly since: ReadonlyMap<string, Date>;
  readonly now: Date;
  /** The system's threshold by name, ms (configured, else the runbook's). */
  readonly thresholdMs: (name: string) => number;
  /** True when the target has an `every:` schedule, the runs that measure durations. */
  readonly measured: boolean;
  /**
   * Per code: the last run that saw it, when no run saw it for longer than the schedules allow (workers down, the
   * target not answering). The condition was not observed in between, so its duration restarts at this run.
   */
  readonly unobserved?: ReadonlyMap<string, Date>;
}

/** What durations did to the findings. */
export interface JudgedFindings {
  readonly findings: Finding[];
  /** Per code of a finding with a duration: its state. */
  readonly states: ReadonlyMap<string, DurationState>;
  /** Per code: how long the condition has held, ms. */
  readonly heldMs: ReadonlyMap<string, number>;
}

/** Said on a finding with a duration when the target has no `every:` schedule. */
export const NOT_MEASURED_TEXT = 'durations are measured only by schedules; this target has none';

function consequence(f: Finding): string {
  if (f.escalation?.page) return `${f.escalation.level}, pages the on-call`;
  if (f.escalation) return `${f.escalation.level}, ${f.severity}`;
  return f.severity;
}

/**
 * Pending findings become warnings (a critical one) with " (pending)" in the title and a line saying how long the
 * condition has held against the runbook's duration; held ones say so; with no schedule, the line says durations
 * are not measured. Pure: the history is read by {@link loadStreaks}.
 */
export function judgeDurations(findings: readonly Finding[], input: DurationJudgeInput): JudgedFindings {
  const states = new Map<string, DurationState>();
  const heldMs = new Map<string, number>();
  const out = findings.map((f): Finding => {
    if (!f.duration || (!isBad(f.severity) && f.severity !== 'inconclusive')) return f;
    const name = f.duration.threshold;
    const threshold = input.thresholdMs(name);
    const thresholdText = `${formatElapsed(threshold)} (${name})`;
    if (!input.measured) {
      states.set(f.code, 'unmeasured');
      return {
        ...f,
        evidence: `${f.evidence}\nThe runbook's duration ${thresholdText} is not measured: ${NOT_MEASURED_TEXT}.`,
      };
    }
    const since = input.since.get(f.code) ?? input.now;
    const held = Math.max(0, input.now.getTime() - since.getTime());
    heldMs.set(f.code, held);
    const lastSeen = input.unobserved?.get(f.code);
    const evidence = lastSeen
      ? `${f.evidence}\nNot observed for ${formatElapsed(input.now.getTime() - lastSeen.getTime())} (no run saw this ` +
        `target since ${formatClockIn(lastSeen, input.now, 'UTC')}): whether it held meanwhile is not known, so its ` +
        'duration counts from this run.'
      : f.evidence;
    if (held >= threshold) {
      states.set(f.code, 'held');
      return {
        ...f,
        evidence: `${evidence}\nHeld for ${formatElapsed(held)} across scheduled runs: past the runbook's ${thresholdText}.`,
      };
    }
    states.set(f.code, 'pending');
    return {
      ...f,
      // Pending keeps the finding visible (a warning, not ok) without claiming the runbook's severity yet.
      severity: f.severity === 'critical' ? 'warning' : f.severity,
      title: `${f.title} (pending)`,
      evidence:
        `${evidence}\nPending: held for ${formatElapsed(held)}; the runbook makes it ${consequence(f)} after ` +
        `${thresholdText}.` +
        (f.severity === 'critical' ? ' Shown as a warning until then: it is critical once held that long.' : ''),
    };
  });
  return { findings: out, states, heldMs };
}

/**
 * Per code, the first seen of the streak a run now would continue: the finding is in the history, not cleared and
 * not ok (`since`); and since when it has carried its duration at every run (`durationSince`: what durations are
 * measured from — the same code at a milder condition with no duration does not count). Read before the run is
 * recorded. With `maxGapMs` (the longest time between two runs of the target's
 * schedules), a streak no run saw for longer is not continued: nobody looked in between, so its first seen moves to
 * `now` (kept so by the run's recording) and the code is returned in `unobserved` with when it was last seen.
 */
export async function loadStreaks(
  db: pg.Pool,
  q: { system: string; target: string; codes: readonly string[]; now: Date; maxGapMs?: number },
): Promise<{ since: Map<string, Date>; durationSince: Map<string, Date>; unobserved: Map<string, Date> }> {
  const since = new Map<string, Date>();
  const durationSince = new Map<string, Date>();
  const unobserved = new Map<string, Date>();
  if (q.codes.length === 0) return { since, durationSince, unobserved };
  const { rows } = await db.query<{ code: string; first_seen: Date; last_seen: Date; duration_since: Date | null }>(
    `select code, first_seen, last_seen, duration_since from finding_history
     where system = $1 and target = $2 and code = any($3::text[]) and cleared_at is null and severity <> 'ok'
       and first_seen <= $4`,
    [q.system, q.target, q.codes, q.now],
  );
  for (const r of rows) {
    if (q.maxGapMs !== undefined && q.now.getTime() - r.last_seen.getTime() > q.maxGapMs) {
      unobserved.set(r.code, r.last_seen);
    } else {
      since.set(r.code, r.first_seen);
      if (r.duration_since) durationSince.set(r.code, r.duration_since);
    }
  }
  if (unobserved.size > 0) {
    await db.query(
      `update finding_history set first_seen = $4,
         duration_since = case when duration_since is null then null else $4::timestamptz end
       where system = $1 and target = $2 and code = any($3::text[]) and cleared_at is null and last_seen < $4`,
      [q.system, q.target, [...unobserved.keys()], q.now],
    );
  }
  return { since, durationSince, unobserved };
}
