import type pg from 'pg';
import type { Report } from '../core/report.js';

/** Stores a report; a retried job overwrites the earlier attempt's report. */
export async function saveReport(db: pg.Pool, report: Report): Promise<void> {
  await db.query(
    `insert into reports (invocation_id, report) values ($1, $2)
     on conflict (invocation_id) do update set report = excluded.report, created_at = now()`,
    [report.invocationId, JSON.stringify(report)],
  );
}

/** Loads a stored report. */
export async function loadReport(db: pg.Pool, invocationId: string): Promise<Report | undefined> {
  const { rows } = await db.query(`select report from reports where invocation_id = $1`, [invocationId]);
  return rows[0]?.report as Report | undefined;
}
