/**
 * Where the M4 runbook is wrong about the real code (`reference/targets.md` §0.1 item 5 and §4.6), as data: the
 * findings quote these, and the tests hold every runbook SQL snippet against the real schema next to its correction.
 */

/** One correction, quoted by the findings it concerns. */
export interface RunbookCorrection {
  readonly id: string;
  readonly text: string;
}

export const M4_CORRECTIONS = {
  sqlQuoting: {
    id: 'sql-quoting',
    text:
      "Every SQL snippet in the runbook fails on M4's Postgres: Prisma's columns are camelCase with no @map, so unquoted " +
      'startedAt, lastSeq, runId, nextSeq and publishedAt fold to lower case ("column … does not exist"). ' +
      'Double-quote them: "lastSeq", "runId", "nextSeq".',
  },
  listenNotify: {
    id: 'listen-notify',
    text:
      'There is no 200 ms poll loop at HEAD (that was the runbook-era commit 8a149991): the outbox subscriber LISTENs ' +
      'on `agents_run_outbox` and publishes a run when appendEvent NOTIFYs, plus one global drain when it (re)connects. ' +
      '"Restart outbox worker (kills interval, recreates)" and "increase the poll interval" do not apply; the safe ' +
      `nudge is SELECT pg_notify('agents_run_outbox', '{"runId":"<id>"}').`,
  },
  eventsInserted: {
    id: 'events-inserted',
    text:
      '`metric.events_inserted` is no longer logged (removed at HEAD, only a comment remains), so counting it gives 0. ' +
      `Count appends in the database: SELECT count(*) FROM run_events WHERE "createdAt" > (now() AT TIME ZONE 'UTC') - interval '1 hour';`,
  },
  consolaLogs: {
    id: 'consola-logs',
    text:
      "M4 logs with consola as human-readable text, not JSON: the runbook's `jq` pipelines fail. Grep the text: " +
      `grep "metric.events_published" <log> | grep "runId: '<id>'" (lag_ms is on the same line). Errors are ` +
      '`outbox.publish.error`, `outbox.subscriber.error` and `outbox.subscriber.connect_failed`; there is no ' +
      '"outbox-publisher" tag, and "[agents-run] worker:job:start" carries no runId.',
  },
  noStartWorker: {
    id: 'no-start-worker',
    text:
      'There is no separate outbox worker: no pm2 `outbox-worker` and no `pnpm --filter @sg/feature-agents-run ' +
      'start-worker` (the package has only `build` and `dev:feature`). The run-worker and the outbox subscriber start ' +
      'inside the web/API process (packages/api/index.ts: startWorkersOnce): restarting that process is the restart.',
  },
  heartbeat: {
    id: 'heartbeat',
    text:
      'The "15 s heartbeat (see stream-run.ts)" helper is never used; keep-alives are oRPC\'s own event-source pings ' +
      '(5 s by default). There is no `stream-run` or `fromSeq` logging, so the "Client Flapping" greps find nothing.',
  },
} as const satisfies Record<string, RunbookCorrection>;

/** The corrections the bot must surface (§0.1 item 5). */
export const REQUIRED_CORRECTIONS: readonly RunbookCorrection[] = [
  M4_CORRECTIONS.sqlQuoting,
  M4_CORRECTIONS.listenNotify,
  M4_CORRECTIONS.eventsInserted,
  M4_CORRECTIONS.consolaLogs,
  M4_CORRECTIONS.noStartWorker,
];

/** One runbook SQL snippet and its working version. `<runId>` and `<nextSeq>` are placeholders. */
export interface SqlCorrection {
  readonly step: string;
  /** Verbatim from the runbook. */
  readonly runbook: string;
  /** What works on the real schema. */
  readonly corrected: string;
  /** Writes data: never shown as a copyable read query. */
  readonly writes?: boolean;
  /** The runbook's version is a shell pipeline, not SQL. */
  readonly shell?: boolean;
}

export const SQL_CORRECTIONS = {
  runState: {
    step: 'Run Stuck › 1. Check run state in DB',
    runbook: `SELECT id, state, startedAt, finishedAt, lastSeq FROM runs WHERE id = '<runId>';`,
    corrected: `SELECT id, state, "startedAt", "finishedAt", "lastSeq" FROM runs WHERE id = '<runId>';`,
  },
  outboxCursor: {
    step: 'Run Stuck › 2. Check outbox cursor',
    runbook: `SELECT runId, nextSeq, updatedAt FROM run_outbox WHERE runId = '<runId>';`,
    corrected: `SELECT "runId", "nextSeq", "updatedAt" FROM run_outbox WHERE "runId" = '<runId>';`,
  },
  eventAtNextSeq: {
    step: 'Run Stuck › 4. Check for gap',
    runbook: `SELECT * FROM run_events WHERE runId = '<runId>' AND seq = <nextSeq>;`,
    corrected: `SELECT * FROM run_events WHERE "runId" = '<runId>' AND seq = <nextSeq>;`,
  },
  maxPublishedSeq: {
    step: 'Rebuild Stream › 1. Identify last received seq',
    runbook: `SELECT MAX(seq) FROM run_events WHERE runId = '<runId>' AND publishedAt IS NOT NULL;`,
    corrected: `SELECT MAX(seq) FROM run_events WHERE "runId" = '<runId>' AND "publishedAt" IS NOT NULL;`,
  },
  explainEventAtNextSeq: {
    step: 'Outbox Lag › 2. Check DB query performance',
    runbook: `EXPLAIN ANALYZE SELECT * FROM run_events WHERE runId = '<runId>' AND seq = <nextSeq>;`,
    corrected: `EXPLAIN ANALYZE SELECT * FROM run_events WHERE "runId" = '<runId>' AND seq = <nextSeq>;`,
  },
  backlog: {
    step: 'Manual Outbox Nudge › Check outbox state without changes',
    runbook:
      `SELECT o.runId, o.nextSeq, r.lastSeq, (r.lastSeq - o.nextSeq + 1) AS backlog FROM run_outbox o ` +
      `JOIN runs r ON r.id = o.runId WHERE r.state = 'started' ORDER BY backlog DESC LIMIT 10;`,
    corrected:
      `SELECT o."runId", o."nextSeq", r."lastSeq", (r."lastSeq" - o."nextSeq" + 1) AS backlog FROM run_outbox o ` +
      `JOIN runs r ON r.id = o."runId" WHERE r.state = 'started' ORDER BY backlog DESC LIMIT 10;`,
  },
  publishLag: {
    step: 'Outbox Lag › Metrics (lag_ms, read from the database instead of logs)',
    runbook: `grep "metric.events_published" logs/*.log | jq -r '.lag_ms'`,
    shell: true,
    corrected:
      `SELECT "runId", seq, now() - to_timestamp(ts / 1000.0) AS lag FROM run_events ` +
      `WHERE "publishedAt" IS NULL ORDER BY ts LIMIT 10;`,
  },
  clearStuckRun: {
    step: 'Manual Outbox Nudge › Clear stuck run (LAST RESORT)',
    runbook:
      `UPDATE runs SET state = 'cancelled', finishedAt = NOW() WHERE id = '<runId>' AND state = 'started'; ` +
      `DELETE FROM run_outbox WHERE runId = '<runId>';`,
    // One statement, so one transaction; the DELETE only touches the row of a run the UPDATE just cancelled.
    corrected:
      `WITH cancelled AS (UPDATE runs SET state = 'cancelled', "finishedAt" = (now() AT TIME ZONE 'UTC'), ` +
      `"updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = '<runId>' AND state = 'started' RETURNING id) ` +
      `DELETE FROM run_outbox WHERE "runId" IN (SELECT id FROM cancelled);`,
    writes: true,
  },
} as const satisfies Record<string, SqlCorrection>;

/**
 * Fills the placeholders. Only for display: `runId` must already match `RUN_ID_PATTERN` (no quotes can occur), and
 * `nextSeq` is an integer read from the database.
 */
export function fillSql(sql: string, values: { readonly runId: string; readonly nextSeq?: number }): string {
  return sql
    .replaceAll('<runId>', values.runId)
    .replaceAll('<nextSeq>', values.nextSeq === undefined ? '<nextSeq>' : String(values.nextSeq));
}

/** "The runbook's `…` fails; use `…`" for one snippet. */
export function sqlCorrectionText(
  c: SqlCorrection,
  values: { readonly runId: string; readonly nextSeq?: number },
): string {
  return `${M4_CORRECTIONS.sqlQuoting.text} Corrected: ${fillSql(c.corrected, values)}`;
}
