import type pg from 'pg';
import type { Finding, Severity } from '../core/report.js';
import { worstSeverity } from '../core/report.js';

/** One finding as a run stored it (`finding_runs.findings`). */
export interface RunFinding {
  readonly code: string;
  readonly severity: Severity;
  readonly title: string;
  readonly value: number | null;
  /**
   * Carried over by a run whose target did not answer: open at the run before, not re-checked by this one. Kept in
   * the run's row so the next run still compares with it (and says it cleared only when it did).
   */
  readonly unchecked?: true;
}

/** A run to record: its id (the invocation id), where it ran and what it found. */
export interface FindingRunInput {
  readonly runId: string;
  readonly system: string;
  readonly target: string;
  readonly workflow: string;
  /** The schedule that ran it; null for a run by hand. */
  readonly schedule: string | null;
  readonly at: Date;
  readonly findings: readonly Pick<Finding, 'code' | 'severity' | 'title' | 'value' | 'probeFailure' | 'duration'>[];
}

/** What changed between a schedule's previous run and this one (non-ok findings only). */
export interface FindingDiff {
  /** When the previous run of the schedule ran; null for its first run (then every finding not ok has appeared). */
  readonly previousAt: Date | null;
  /** Not ok now, absent or ok before. */
  readonly appeared: readonly RunFinding[];
  /** Not ok before, absent or ok now (with their previous severity and title). */
  readonly cleared: readonly RunFinding[];
  /** Not ok both times, with another severity now. */
  readonly changed: readonly { readonly before: RunFinding; readonly now: RunFinding }[];
  /**
   * Not ok before and absent now while a probe of this run got no answer: not re-checked, so not cleared (a
   * target that stops answering must never read as "2 cleared").
   */
  readonly unchecked: readonly RunFinding[];
}

/** What recording a run learned. */
export interface RecordedRun {
  /** Per code: since when the finding holds, for findings already seen before this run. */
  readonly since: ReadonlyMap<string, Date>;
  /** Against the previous run of the same schedule; absent for a run by hand. */
  readonly diff?: FindingDiff;
}

const isOpen = (severity: string): boolean => severity !== 'ok';

function toRunFindings(findings: FindingRunInput['findings']): RunFinding[] {
  // One entry per code: a workflow that reports a code twice keeps its worst.
  const byCode = new Map<string, RunFinding>();
  for (const f of findings) {
    const prev = byCode.get(f.code);
    const entry: RunFinding = {
      code: f.code,
      severity: f.severity,
      title: f.title,
      value: typeof f.value === 'number' && Number.isFinite(f.value) ? f.value : null,
    };
    if (!prev || worstSeverity([prev, entry]) !== prev.severity) byCode.set(f.code, entry);
  }
  return [...byCode.values()];
}

/** Compares two runs' findings: what appeared, cleared or changed severity (ok findings count as absent). */
export function diffRuns(
  before: readonly RunFinding[] | null,
  now: readonly RunFinding[],
  previousAt: Date | null,
  /** A probe of this run got no answer: what is absent now was not re-checked. */
  blind = false,
): FindingDiff {
  // A schedule's first run: everything not ok is new.
  if (before === null)
    return {
      previousAt: null,
      appeared: now.filter((f) => isOpen(f.severity)),
      cleared: [],
      changed: [],
      unchecked: [],
    };
  const openBefore = new Map(before.filter((f) => isOpen(f.severity)).map((f) => [f.code, f]));
  const openNow = new Map(now.filter((f) => isOpen(f.severity)).map((f) => [f.code, f]));
  const appeared = [...openNow.values()].filter((f) => !openBefore.has(f.code));
  const gone = [...openBefore.values()].filter((f) => !openNow.has(f.code));
  const cleared = blind ? [] : gone;
  const unchecked = blind ? gone : [];
  const changed = [...openNow.values()].flatMap((f) => {
    const b = openBefore.get(f.code);
    return b && b.severity !== f.severity ? [{ before: b, now: f }] : [];
  });
  return { previousAt, appeared, cleared, changed, unchecked };
}

/** True when a digest has something to say: a finding appeared, cleared, or changed severity. */
export function hasChanges(diff: FindingDiff): boolean {
  return diff.appeared.length + diff.cleared.length + diff.changed.length > 0;
}

/**
 * Records one run's findings: a `finding_runs` row, and per finding its `finding_history` row (first seen is kept
 * while the finding holds: it resets when the finding had cleared, or turns between ok and not ok). Findings of the
 * same workflow and target that this run no longer reports are marked cleared — unless a probe of this run got no
 * answer (then they were not checked, and stay open). Returns since when each finding
 * already seen before holds, and, for a scheduled run, what changed since that schedule's previous run. A retried
 * run (same id) records nothing twice and compares with the run before it.
 */
export async function recordFindingRun(db: pg.Pool, run: FindingRunInput): Promise<RecordedRun> {
  const findings = toRunFindings(run.findings);
  // A probe got no answer: the findings this run does not report were not checked, so none of them has cleared.
  const blind = run.findings.some((f) => f.probeFailure === true);
  const client = await db.connect();
  try {
    await client.query('begin');
    // One run of a target at a time: two runs of the same target (two schedules, or a schedule and a person) must
    // not interleave their "first seen" updates.
    await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [`finding-history:${run.system}:${run.target}`]);
    let diff: FindingDiff | undefined;
    if (run.schedule !== null) {
      const prev = await client.query<{ at: Date; findings: RunFinding[] }>(
        `select at, findings from finding_runs
         where schedule = $1 and run_id <> $2 and at <= $3
         order by at desc limit 1`,
        [run.schedule, run.runId, run.at],
      );
      const row = prev.rows[0];
      diff = diffRuns(row ? row.findings : null, findings, row ? row.at : null, blind);
    }
    const inserted = await client.query(
      `insert into finding_runs (run_id, system, target, workflow, schedule, at, verdict, findings)
       values ($1,$2,$3,$4,$5,$6,$7,$8) on conflict (run_id) do nothing`,
      [
        run.runId,
        run.system,
        run.target,
        run.workflow,
        run.schedule,
        run.at,
        worstSeverity(findings),
        // A blind run keeps what it could not re-check, so the run after it still compares with those findings.
        JSON.stringify(
          diff && diff.unchecked.length > 0
            ? [...findings, ...diff.unchecked.map((f) => ({ ...f, value: null, unchecked: true as const }))]
            : findings,
        ),
      ],
    );
    if (inserted.rowCount === 1) {
      // The codes whose finding carries a runbook duration this run: their duration streak starts or goes on.
      const withDuration = new Set(run.findings.filter((f) => f.duration && isOpen(f.severity)).map((f) => f.code));
      for (const f of findings) {
        await client.query(
          `insert into finding_history
             (system, target, code, workflow, severity, title, value, first_seen, last_seen, last_run_id, cleared_at,
              duration_since)
           values ($1,$2,$3,$4,$5,$6,$7,$8,$8,$9,null,case when $10::boolean then $8::timestamptz end)
           on conflict (system, target, code) do update set
             first_seen = case
               when finding_history.cleared_at is null
                and (finding_history.severity = 'ok') = (excluded.severity = 'ok')
                and finding_history.last_seen <= excluded.last_seen
               then finding_history.first_seen else excluded.first_seen end,
             duration_since = case
               when excluded.duration_since is null then null
               when finding_history.cleared_at is null and finding_history.duration_since is not null
                and finding_history.last_seen <= excluded.last_seen
               then finding_history.duration_since else excluded.duration_since end,
             workflow = excluded.workflow, severity = excluded.severity, title = excluded.title,
             value = excluded.value, last_seen = excluded.last_seen, last_run_id = excluded.last_run_id,
             cleared_at = null`,
          [
            run.system,
            run.target,
            f.code,
            run.workflow,
            f.severity,
            f.title,
            f.value,
            run.at,
            run.runId,
            withDuration.has(f.code),
          ],
        );
      }
      if (!blind)
        await client.query(
          `update finding_history set cleared_at = $5
         where system = $1 and target = $2 and workflow = $3 and cleared_at is null and last_seen < $5
           and not (code = any($4::text[]))`,
          [run.system, run.target, run.workflow, findings.map((f) => f.code), run.at],
        );
    }
    const held = await client.query<{ code: string; first_seen: Date }>(
      `select code, first_seen from finding_history
       where system = $1 and target = $2 and code = any($3::text[]) and cleared_at is null and first_seen < $4`,
      [run.system, run.target, findings.map((f) => f.code), run.at],
    );
    await client.query('commit');
    return { since: new Map(held.rows.map((r) => [r.code, r.first_seen])), ...(diff ? { diff } : {}) };
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw new Error('while recording the finding history', { cause: err });
  } finally {
    client.release();
  }
}

/** The last run of each schedule named: when, and its verdict. */
export async function lastScheduleRuns(
  db: pg.Pool,
  schedules: readonly string[],
): Promise<Map<string, { at: Date; verdict: Severity; runId: string }>> {
  if (schedules.length === 0) return new Map();
  const { rows } = await db.query<{ schedule: string; at: Date; verdict: Severity; run_id: string }>(
    `select distinct on (schedule) schedule, at, verdict, run_id from finding_runs
     where schedule = any($1::text[]) order by schedule, at desc`,
    [schedules],
  );
  return new Map(rows.map((r) => [r.schedule, { at: r.at, verdict: r.verdict, runId: r.run_id }]));
}

/**
 * A value a finding had in an earlier run of the same target (KyroDB's P99 compared with the same day of last
 * week): the value of `code` in the run of `system`/`target` nearest to `at`, within `toleranceMs`.
 */
export async function findingValueAt(
  db: pg.Pool,
  q: { system: string; target: string; code: string; at: Date; toleranceMs: number },
): Promise<{ at: Date; value: number } | undefined> {
  const { rows } = await db.query<{ at: Date; value: number }>(
    `select r.at, (f->>'value')::double precision as value
     from finding_runs r, jsonb_array_elements(r.findings) f
     where r.system = $1 and r.target = $2 and f->>'code' = $3 and f->>'value' is not null
       and r.at between $4::timestamptz - make_interval(secs => $5) and $4::timestamptz + make_interval(secs => $5)
     order by abs(extract(epoch from r.at - $4::timestamptz)) limit 1`,
    [q.system, q.target, q.code, q.at, q.toleranceMs / 1000],
  );
  return rows[0];
}
