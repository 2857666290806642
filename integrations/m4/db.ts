import type { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import { pgError, type PgErrorTexts } from '../shared/pg-errors.js';
import { APPLICATION_NAME, createTargetDatabase } from '../shared/pg-target.js';

/**
 * Access to M4's Postgres (`reference/targets.md` §4.3). Every read runs in a `READ ONLY` transaction with a
 * transaction-local `statement_timeout`; every query is parameterised; every column is double-quoted (Prisma's
 * camelCase has no `@map`, so the runbook's unquoted SQL fails). The two writes exist only for the `nudge` and
 * `cancel-run` remediations. Every failure is a {@link TargetError} whose message never holds the DSN.
 */

/** The channel M4's outbox subscriber LISTENs on (`infra/workers/outbox-*.ts` at HEAD). */
export const OUTBOX_CHANNEL = 'agents_run_outbox';

/** Run ids as the bot accepts them (the API takes any string; these are the ones safe to echo and to show in SQL). */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The three tables the bot reads. */
export const M4_TABLES = ['runs', 'run_events', 'run_outbox'] as const;

/** One `runs` row. Times are epoch ms (the columns are UTC `timestamp(3)` written by Prisma). */
export interface RunRow {
  readonly id: string;
  readonly state: string;
  readonly startedAtMs: number;
  readonly finishedAtMs: number | null;
  readonly lastSeq: number;
}

/** One `run_outbox` row: the publish cursor of a run. */
export interface OutboxRow {
  readonly runId: string;
  readonly nextSeq: number;
  readonly updatedAtMs: number;
}

/** One `run_events` row. */
export interface EventRow {
  readonly id: string;
  readonly seq: number;
  /** Event time, epoch ms (a bigint column; node-postgres returns it as a string, converted here). */
  readonly ts: number;
  readonly type: string;
  readonly source: string;
  readonly name: string | null;
  readonly fn: string | null;
  readonly publishedAtMs: number | null;
}

/** Everything the "Run Stuck" checklist reads about one run, from one consistent snapshot. */
export interface RunInspection {
  readonly runId: string;
  /** Step 1. Null when there is no such run. */
  readonly run: RunRow | null;
  /** Step 2. Null when the run has no outbox row (never created, or removed by the last-resort cancel). */
  readonly outbox: OutboxRow | null;
  /** Step 4: the event at `nextSeq`; null when absent (a seq gap) or when there is no outbox row. */
  readonly eventAtNextSeq: EventRow | null;
  /** Highest seq with `publishedAt` set (what a client has been able to receive). */
  readonly lastPublishedSeq: number | null;
  /** The run's newest event. */
  readonly lastEvent: Pick<EventRow, 'seq' | 'ts' | 'type'> | null;
  /** How many of its events have no `publishedAt`. */
  readonly unpublishedCount: number;
  /** Seqs between `nextSeq` and `lastSeq` with no row (first {@link MISSING_SEQ_LIMIT}); empty when caught up. */
  readonly missingSeqs: readonly number[];
  /** How many seqs are missing in that range in all. */
  readonly missingSeqCount: number;
}

/** One started run with its outbox backlog (`runs."lastSeq" - run_outbox."nextSeq" + 1`). */
export interface BacklogRow {
  readonly runId: string;
  readonly nextSeq: number;
  readonly lastSeq: number;
  readonly backlog: number;
  readonly startedAtMs: number;
}

export interface BacklogOverview {
  /** Started runs by backlog, largest first, at most `limit`. */
  readonly top: readonly BacklogRow[];
  /** Started runs that have an outbox row. */
  readonly startedRuns: number;
  /** Sum and average of the backlog over those runs (negative backlogs count as 0 in the sum). */
  readonly totalBacklog: number;
  readonly averageBacklog: number;
  /**
   * Runs that are no longer `started` but whose outbox has not drained (`nextSeq <= lastSeq`). At HEAD appending
   * `RunFinished` sets `state = 'finished'` before the outbox publishes it, so the runbook's backlog query (started
   * runs only) leaves these events out while the publish lag counts them. At most 10 ids, largest backlog first.
   */
  readonly undrained: { readonly runs: number; readonly events: number; readonly runIds: readonly string[] };
}

/** Publish lag, from `run_events` itself: `lag_ms` is not readable from M4's text logs. */
export interface PublishLag {
  /** Events at or after their run's cursor without `publishedAt`, and how long the oldest has waited, ms. */
  readonly pending: {
    readonly count: number;
    readonly maxLagMs: number | null;
    readonly oldest: { readonly runId: string; readonly seq: number; readonly ts: number } | null;
  };
  /** `publishedAt - ts` of the events published in the last {@link RECENT_WINDOW_MS}. */
  readonly recent: {
    readonly count: number;
    readonly p50Ms: number | null;
    readonly p95Ms: number | null;
    readonly maxMs: number | null;
  };
}

/** One index of the run tables. */
export interface IndexRow {
  readonly table: string;
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
  readonly primary: boolean;
}

export interface IndexOverview {
  /** Which of the three tables exist (under the connection's search_path). */
  readonly tables: Readonly<Record<(typeof M4_TABLES)[number], boolean>>;
  readonly indexes: readonly IndexRow[];
}

/** A relation lock on a run table or one of its indexes, held or awaited by another session. */
export interface LockRow {
  readonly relation: string;
  readonly mode: string;
  readonly granted: boolean;
  readonly pid: number;
  /** `pg_stat_activity.state`; null when the bot's role may not see that session. */
  readonly state: string | null;
  /** Age of the session's transaction, ms; null when not visible. */
  readonly xactAgeMs: number | null;
  /** Sessions blocking this one (`pg_blocking_pids`), for row-level waits too. */
  readonly blockedBy: readonly number[];
}

/** What {@link M4Database.cancelRun} did. */
export interface CancelRunResult {
  /** True when the run was still `started` and is now `cancelled` (and its outbox row removed). */
  readonly changed: boolean;
  /** The run's state after the attempt; null when there is no such run. */
  readonly state: string | null;
  /** The removed outbox cursor (the seq engineering would need), when there was one. */
  readonly removedNextSeq: number | null;
  readonly lastSeq: number | null;
}

export interface QueryOptions {
  /** Checked before the transaction starts (pg cannot cancel a running statement; `statement_timeout` bounds it). */
  readonly signal?: AbortSignal;
}

export interface M4Database {
  /** The "Run Stuck" checklist (steps 1–4) for one run, in one REPEATABLE READ, READ ONLY snapshot. */
  inspectRun(runId: string, o?: QueryOptions): Promise<RunInspection>;
  /** The runbook's "Check outbox state without changes", quoted; plus totals over every started run. */
  backlog(o?: QueryOptions & { readonly limit?: number }): Promise<BacklogOverview>;
  /** Publish lag of pending events (against `nowMs`, the bot's clock) and of events published recently. */
  publishLag(o: QueryOptions & { readonly nowMs: number }): Promise<PublishLag>;
  /** Tables present and the indexes of `runs`, `run_events`, `run_outbox`, with their columns. */
  indexes(o?: QueryOptions): Promise<IndexOverview>;
  /** Relation locks of other sessions on the run tables and their indexes (the bot's own sessions excluded). */
  locks(o?: QueryOptions): Promise<LockRow[]>;
  /**
   * `SELECT pg_notify('agents_run_outbox', '{"runId":"<id>"}')`: wakes M4's outbox subscriber for that run, the same
   * signal `appendEvent` sends. Changes no row.
   */
  notifyOutbox(runId: string, o?: QueryOptions): Promise<void>;
  /**
   * The runbook's last resort, corrected: in ONE transaction, `UPDATE runs SET state = 'cancelled'` only while the
   * run is still `started` — and, with `expectedLastSeq`, still at the lastSeq the card showed (a run that appended
   * since is not stuck) — (a conditional UPDATE … RETURNING), and only then `DELETE FROM run_outbox`. A second call,
   * or a call on a run that finished or moved meanwhile, changes nothing and returns `changed: false`.
   */
  cancelRun(runId: string, o?: QueryOptions & { readonly expectedLastSeq?: number }): Promise<CancelRunResult>;
  /** Closes the pool. Calls after this fail with `unreachable`. */
  close(): Promise<void>;
}

export interface M4DatabaseOptions {
  readonly databaseUrl: Secret;
  /** Transaction-local `statement_timeout`, ms. */
  readonly statementTimeoutMs: number;
  /** Connect timeout, ms. */
  readonly connectTimeoutMs: number;
  /** Pool size. Default 2: the bot's queries are few and small. */
  readonly maxConnections?: number;
}

/** At most this many missing seqs are listed (their total is counted). */
export const MISSING_SEQ_LIMIT = 20;
/** The widest `nextSeq..lastSeq` range scanned for missing seqs. */
const MISSING_SCAN_RANGE = 100_000;
/** Window of "recent" publish lag, ms (the runbook's alerts speak of 5 minutes). */
export const RECENT_WINDOW_MS = 5 * 60_000;
/** `application_name` of the bot's sessions: its own locks are left out of {@link M4Database.locks}. */
export { APPLICATION_NAME } from '../shared/pg-target.js';

/** UTC `timestamp(3)` → epoch ms as a float8 (node-postgres would read a `timestamp` in the process's local zone). */
const ms = (column: string): string => `(extract(epoch FROM ${column}) * 1000)::float8`;

/**
 * The queries the bot runs, exported so tests execute every one of them against the real schema. `$n` parameters
 * only; identifiers are quoted.
 */
export const M4_QUERIES = {
  run: `SELECT "id", "state", "lastSeq", ${ms('"startedAt"')} AS started_ms, ${ms('"finishedAt"')} AS finished_ms
          FROM "runs" WHERE "id" = $1`,
  outbox: `SELECT "runId", "nextSeq", ${ms('"updatedAt"')} AS updated_ms FROM "run_outbox" WHERE "runId" = $1`,
  eventAtSeq: `SELECT "id", "seq", "ts"::float8 AS ts, "type", "source", "name", "fn", ${ms('"publishedAt"')} AS published_ms
                 FROM "run_events" WHERE "runId" = $1 AND "seq" = $2`,
  eventStats: `SELECT max("seq") FILTER (WHERE "publishedAt" IS NOT NULL) AS last_published_seq,
                      count(*) FILTER (WHERE "publishedAt" IS NULL)::int AS unpublished
                 FROM "run_events" WHERE "runId" = $1`,
  lastEvent: `SELECT "seq", "ts"::float8 AS ts, "type" FROM "run_events" WHERE "runId" = $1 ORDER BY "seq" DESC LIMIT 1`,
  missingSeqs: `SELECT s::int AS seq, count(*) OVER ()::int AS total
                  FROM generate_series($2::int, $3::int) AS s
                 WHERE NOT EXISTS (SELECT 1 FROM "run_events" e WHERE e."runId" = $1 AND e."seq" = s)
                 ORDER BY s LIMIT $4`,
  backlogTop: `SELECT o."runId", o."nextSeq", r."lastSeq", (r."lastSeq" - o."nextSeq" + 1) AS backlog,
                      ${ms('r."startedAt"')} AS started_ms
                 FROM "run_outbox" o JOIN "runs" r ON r."id" = o."runId"
                WHERE r."state" = 'started'
                ORDER BY backlog DESC, o."runId"
                LIMIT $1`,
  backlogTotals: `SELECT count(*)::int AS runs,
                         coalesce(sum(greatest(r."lastSeq" - o."nextSeq" + 1, 0)), 0)::float8 AS total,
                         coalesce(avg(r."lastSeq" - o."nextSeq" + 1), 0)::float8 AS average
                    FROM "run_outbox" o JOIN "runs" r ON r."id" = o."runId"
                   WHERE r."state" = 'started'`,
  // Finished (or otherwise ended) runs whose outbox still holds events: RunFinished marks the run finished first.
  undrained: `SELECT o."runId", (r."lastSeq" - o."nextSeq" + 1) AS backlog, count(*) OVER ()::int AS runs,
                     sum(r."lastSeq" - o."nextSeq" + 1) OVER ()::float8 AS events
                FROM "run_outbox" o JOIN "runs" r ON r."id" = o."runId"
               WHERE r."state" <> 'started' AND o."nextSeq" <= r."lastSeq"
               ORDER BY backlog DESC, o."runId"
               LIMIT 10`,
  // Pending = not yet published and at or after the cursor; rows of runs without an outbox row (cancelled by the
  // last resort) are left out, or they would count as lag forever. `$1` is the bot's clock: now - ts, in ms.
  pendingLag: `SELECT count(*)::int AS pending, max($1::float8 - e."ts")::float8 AS max_lag_ms
                 FROM "run_outbox" o
                 JOIN "run_events" e ON e."runId" = o."runId" AND e."publishedAt" IS NULL AND e."seq" >= o."nextSeq"`,
  oldestPending: `SELECT e."runId", e."seq", e."ts"::float8 AS ts
                    FROM "run_outbox" o
                    JOIN "run_events" e ON e."runId" = o."runId" AND e."publishedAt" IS NULL AND e."seq" >= o."nextSeq"
                   ORDER BY e."ts", e."runId" LIMIT 1`,
  recentLag: `SELECT count(*)::int AS n,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY lag)::float8 AS p50,
                     percentile_cont(0.95) WITHIN GROUP (ORDER BY lag)::float8 AS p95,
                     max(lag)::float8 AS max
                FROM (SELECT ${ms('e."publishedAt"')} - e."ts" AS lag
                        FROM "run_events" e
                       WHERE e."publishedAt" >= (to_timestamp($1::float8 / 1000.0) AT TIME ZONE 'UTC')) AS recent`,
  tables: `SELECT t AS table_name, to_regclass(t) IS NOT NULL AS present FROM unnest($1::text[]) AS t`,
  indexes: `SELECT t.relname::text AS table_name, c.relname::text AS index_name, i.indisunique AS is_unique,
                   i.indisprimary AS is_primary, array_agg(a.attname::text ORDER BY k.ord) AS columns
              FROM pg_index i
              JOIN pg_class c ON c.oid = i.indexrelid
              JOIN pg_class t ON t.oid = i.indrelid
              CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             WHERE t.oid IN (SELECT to_regclass(x) FROM unnest($1::text[]) AS x)
             GROUP BY t.relname, c.relname, i.indisunique, i.indisprimary
             ORDER BY t.relname, c.relname`,
  locks: `WITH tables AS (SELECT to_regclass(x) AS oid FROM unnest($1::text[]) AS x),
               rels AS (SELECT oid FROM tables WHERE oid IS NOT NULL
                        UNION SELECT i.indexrelid FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM tables))
          SELECT l.relation::regclass::text AS relation, l.mode, l.granted, l.pid, a.state,
                 ${ms('(clock_timestamp() - a.xact_start)')} AS xact_age_ms,
                 pg_blocking_pids(l.pid) AS blocked_by
            FROM pg_locks l
            LEFT JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'relation'
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND l.relation IN (SELECT oid FROM rels)
             AND l.pid <> pg_backend_pid()
             AND coalesce(a.application_name, '') <> $2
           ORDER BY l.granted, xact_age_ms DESC NULLS LAST, l.pid
           LIMIT 50`,
  notify: `SELECT pg_notify($1, $2)`,
  // $2: the lastSeq the card showed (NULL when typed by hand): a run that appended since is not stuck.
  cancelRun: `UPDATE "runs"
                 SET "state" = 'cancelled',
                     "finishedAt" = (now() AT TIME ZONE 'UTC'),
                     "updatedAt" = (now() AT TIME ZONE 'UTC')
               WHERE "id" = $1 AND "state" = 'started' AND ($2::int IS NULL OR "lastSeq" = $2::int)
           RETURNING "id", "lastSeq"`,
  deleteOutbox: `DELETE FROM "run_outbox" WHERE "runId" = $1 RETURNING "nextSeq"`,
  runStateOnly: `SELECT "state", "lastSeq" FROM "runs" WHERE "id" = $1`,
} as const;

/** Builds the database access. The pool is created on first use, so building clients never touches the network. */
export function createM4Database(o: M4DatabaseOptions): M4Database {
  const db = createTargetDatabase({
    databaseUrl: o.databaseUrl,
    maxConnections: o.maxConnections,
    connectTimeoutMs: o.connectTimeoutMs,
    statementTimeoutMs: o.statementTimeoutMs,
    queryTimeoutMarginMs: 2000,
    texts: M4_DB_TEXTS,
    closedName: 'client',
  });
  const transaction = db.transaction;

  return {
    async inspectRun(runId, q = {}) {
      checkRunId(runId, 'inspect the run');
      return transaction(`reading run ${runId}`, 'snapshot', q.signal, async (c) => {
        const runRow = (await c.query<Record<string, unknown>>(M4_QUERIES.run, [runId])).rows[0];
        const outboxRow = (await c.query<Record<string, unknown>>(M4_QUERIES.outbox, [runId])).rows[0];
        const stats = (await c.query<Record<string, unknown>>(M4_QUERIES.eventStats, [runId])).rows[0];
        const last = (await c.query<Record<string, unknown>>(M4_QUERIES.lastEvent, [runId])).rows[0];
        const run: RunRow | null = runRow
          ? {
              id: String(runRow.id),
              state: String(runRow.state),
              startedAtMs: num(runRow.started_ms),
              finishedAtMs: nullableNum(runRow.finished_ms),
              lastSeq: num(runRow.lastSeq),
            }
          : null;
        const outbox: OutboxRow | null = outboxRow
          ? { runId: String(outboxRow.runId), nextSeq: num(outboxRow.nextSeq), updatedAtMs: num(outboxRow.updated_ms) }
          : null;
        let eventAtNextSeq: EventRow | null = null;
        let missingSeqs: number[] = [];
        let missingSeqCount = 0;
        if (outbox) {
          const e = (await c.query<Record<string, unknown>>(M4_QUERIES.eventAtSeq, [runId, outbox.nextSeq])).rows[0];
          eventAtNextSeq = e ? eventRow(e) : null;
          if (run && outbox.nextSeq <= run.lastSeq) {
            const to = Math.min(run.lastSeq, outbox.nextSeq + MISSING_SCAN_RANGE);
            const rows = (
              await c.query<Record<string, unknown>>(M4_QUERIES.missingSeqs, [
                runId,
                outbox.nextSeq,
                to,
                MISSING_SEQ_LIMIT,
              ])
            ).rows;
            missingSeqs = rows.map((r) => num(r.seq));
            missingSeqCount = rows.length > 0 ? num(rows[0]!.total) : 0;
          }
        }
        return {
          runId,
          run,
          outbox,
          eventAtNextSeq,
          lastPublishedSeq: nullableNum(stats?.last_published_seq),
          lastEvent: last ? { seq: num(last.seq), ts: num(last.ts), type: String(last.type) } : null,
          unpublishedCount: num(stats?.unpublished ?? 0),
          missingSeqs,
          missingSeqCount,
        };
      });
    },

    async backlog(q = {}) {
      const limit = q.limit !== undefined && Number.isSafeInteger(q.limit) && q.limit > 0 ? Math.min(q.limit, 100) : 10;
      return transaction('reading the outbox backlog', 'snapshot', q.signal, async (c) => {
        const top = (await c.query<Record<string, unknown>>(M4_QUERIES.backlogTop, [limit])).rows;
        const totals = (await c.query<Record<string, unknown>>(M4_QUERIES.backlogTotals)).rows[0];
        const undrained = (await c.query<Record<string, unknown>>(M4_QUERIES.undrained)).rows;
        return {
          top: top.map((r) => ({
            runId: String(r.runId),
            nextSeq: num(r.nextSeq),
            lastSeq: num(r.lastSeq),
            backlog: num(r.backlog),
            startedAtMs: num(r.started_ms),
          })),
          startedRuns: num(totals?.runs ?? 0),
          totalBacklog: num(totals?.total ?? 0),
          averageBacklog: num(totals?.average ?? 0),
          undrained: {
            runs: num(undrained[0]?.runs ?? 0),
            events: num(undrained[0]?.events ?? 0),
            runIds: undrained.map((r) => String(r.runId)),
          },
        };
      });
    },

    async publishLag(q) {
      if (!Number.isFinite(q.nowMs)) throw validation('read the publish lag', 'nowMs must be a number');
      return transaction('reading the publish lag', 'snapshot', q.signal, async (c) => {
        const pending = (await c.query<Record<string, unknown>>(M4_QUERIES.pendingLag, [q.nowMs])).rows[0];
        const oldest = (await c.query<Record<string, unknown>>(M4_QUERIES.oldestPending)).rows[0];
        const recent = (await c.query<Record<string, unknown>>(M4_QUERIES.recentLag, [q.nowMs - RECENT_WINDOW_MS]))
          .rows[0];
        return {
          pending: {
            count: num(pending?.pending ?? 0),
            maxLagMs: nullableNum(pending?.max_lag_ms),
            oldest: oldest ? { runId: String(oldest.runId), seq: num(oldest.seq), ts: num(oldest.ts) } : null,
          },
          recent: {
            count: num(recent?.n ?? 0),
            p50Ms: nullableNum(recent?.p50),
            p95Ms: nullableNum(recent?.p95),
            maxMs: nullableNum(recent?.max),
          },
        };
      });
    },

    async indexes(q = {}) {
      return transaction('reading the indexes of the run tables', 'read only', q.signal, async (c) => {
        const tables = (await c.query<Record<string, unknown>>(M4_QUERIES.tables, [[...M4_TABLES]])).rows;
        const rows = (await c.query<Record<string, unknown>>(M4_QUERIES.indexes, [[...M4_TABLES]])).rows;
        const present = Object.fromEntries(M4_TABLES.map((t) => [t, false])) as Record<
          (typeof M4_TABLES)[number],
          boolean
        >;
        for (const t of tables) present[String(t.table_name) as (typeof M4_TABLES)[number]] = t.present === true;
        return {
          tables: present,
          indexes: rows.map((r) => ({
            table: String(r.table_name),
            name: String(r.index_name),
            columns: (r.columns as unknown[]).map(String),
            unique: r.is_unique === true,
            primary: r.is_primary === true,
          })),
        };
      });
    },

    async locks(q = {}) {
      return transaction('reading locks on the run tables', 'read only', q.signal, async (c) => {
        const rows = (await c.query<Record<string, unknown>>(M4_QUERIES.locks, [[...M4_TABLES], APPLICATION_NAME]))
          .rows;
        return rows.map((r) => ({
          relation: String(r.relation),
          mode: String(r.mode),
          granted: r.granted === true,
          pid: num(r.pid),
          state: r.state === null || r.state === undefined ? null : String(r.state),
          xactAgeMs: nullableNum(r.xact_age_ms),
          blockedBy: Array.isArray(r.blocked_by) ? r.blocked_by.map(num) : [],
        }));
      });
    },

    async notifyOutbox(runId, q = {}) {
      checkRunId(runId, 'nudge the outbox');
      // The payload format of the subscriber (§4.3): JSON with the runId; appendEvent also sends `seq`.
      const payload = JSON.stringify({ runId });
      await transaction(`notifying ${OUTBOX_CHANNEL} for run ${runId}`, 'read write', q.signal, async (c) => {
        await c.query(M4_QUERIES.notify, [OUTBOX_CHANNEL, payload]);
      });
    },

    async cancelRun(runId, q = {}) {
      checkRunId(runId, 'cancel the run');
      const expected = q.expectedLastSeq;
      if (expected !== undefined && (!Number.isSafeInteger(expected) || expected < 0 || expected > 2_147_483_647)) {
        throw validation('cancel the run', 'the expected lastSeq must be a non-negative integer');
      }
      return transaction(`cancelling run ${runId}`, 'read write', q.signal, async (c) => {
        // One conditional UPDATE: under READ COMMITTED a concurrent append (lastSeq) or RunFinished (state) that
        // committed first is re-checked against the WHERE, and this then touches nothing.
        const updated = (await c.query<Record<string, unknown>>(M4_QUERIES.cancelRun, [runId, expected ?? null]))
          .rows[0];
        if (!updated) {
          const now = (await c.query<Record<string, unknown>>(M4_QUERIES.runStateOnly, [runId])).rows[0];
          return {
            changed: false,
            state: now ? String(now.state) : null,
            removedNextSeq: null,
            lastSeq: now ? num(now.lastSeq) : null,
          };
        }
        const deleted = (await c.query<Record<string, unknown>>(M4_QUERIES.deleteOutbox, [runId])).rows[0];
        return {
          changed: true,
          state: 'cancelled',
          removedNextSeq: deleted ? num(deleted.nextSeq) : null,
          lastSeq: num(updated.lastSeq),
        };
      });
    },

    close: () => db.close(),
  };
}

function eventRow(r: Record<string, unknown>): EventRow {
  return {
    id: String(r.id),
    seq: num(r.seq),
    ts: num(r.ts),
    type: String(r.type),
    source: String(r.source),
    name: r.name === null || r.name === undefined ? null : String(r.name),
    fn: r.fn === null || r.fn === undefined ? null : String(r.fn),
    publishedAtMs: nullableNum(r.published_ms),
  };
}

/** BIGINT, NUMERIC and count(*) may arrive as strings; ms timestamps and seqs fit a double exactly. */
function num(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (value === null || value === undefined || !Number.isFinite(n)) {
    throw new TargetError('bad-response', 'the M4 database returned a non-numeric value where a number was expected');
  }
  return n;
}

function nullableNum(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

function validation(action: string, reason: string): TargetError {
  return new TargetError('api-error', `Did not ${action}: ${reason}`, { code: 'VALIDATION_ERROR' });
}

function checkRunId(runId: string, action: string): void {
  if (typeof runId !== 'string' || !RUN_ID_PATTERN.test(runId)) throw validation(action, 'the run id is not valid');
}

/** How this database's failures are worded (see {@link pgError}). */
const M4_DB_TEXTS: PgErrorTexts = {
  database: 'M4 database',
  missingTable:
    "an M4 table is missing — is databaseUrl M4's database? M4 has no migration files: its tables are created by " +
    '`prisma db push` from packages/database (run it there if this is the right database)',
  missingColumn: "a column the bot reads is missing — the schema differs from M4's Prisma schema",
  shuttingDown: 'is shutting down or starting up',
  startingUp: 'is shutting down or starting up',
  quoteTimeout: false,
  unknownError: 'unexpected error',
  codePattern: /^[A-Z][A-Z0-9_]+$/,
};

/**
 * Turns a pg or socket error into a TargetError. Only fixed sentences, the host and SQLSTATE codes reach the
 * message: the server's own text may quote the role or database name, and the DSN is never in it.
 */
export function databaseError(err: unknown, what: string, host: string, timeoutMs: number): TargetError {
  return pgError(err, what, host, timeoutMs, M4_DB_TEXTS);
}
