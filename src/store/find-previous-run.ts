import type pg from 'pg';
import type { RunFinding } from './finding-history.js';

/**
 * The run of the same workflow (a checklist: `checklist:daily`) on the same target just before `at`, by hand or
 * scheduled, other than `runId`: what a by-hand checklist run compares itself with. Undefined for the first.
 */
export async function findPreviousRun(
  db: pg.Pool,
  q: { system: string; target: string; workflow: string; runId: string; at: Date },
): Promise<{ at: Date; findings: RunFinding[] } | undefined> {
  const { rows } = await db.query<{ at: Date; findings: RunFinding[] }>(
    `select at, findings from finding_runs
     where system = $1 and target = $2 and workflow = $3 and run_id <> $4 and at <= $5
     order by at desc limit 1`,
    [q.system, q.target, q.workflow, q.runId, q.at],
  );
  return rows[0];
}
