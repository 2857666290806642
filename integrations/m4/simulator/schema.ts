import pg from 'pg';

/**
 * M4's run tables exactly as Prisma creates them from `packages/database/prisma/schema.prisma` (`reference/targets.md`
 * §4.3): `@@map` table names, but **no `@map` on fields**, so every column is camelCase and must be double-quoted in
 * SQL. Index names are Prisma's defaults. Idempotent (`IF NOT EXISTS`). Used by tests, the demo and the simulator to
 * build a real database to diagnose; the bot never runs DDL against a real M4.
 */
export const M4_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS "runs" (
  "id" TEXT NOT NULL,
  "state" TEXT NOT NULL,
  "startedAt" TIMESTAMP(3) NOT NULL,
  "finishedAt" TIMESTAMP(3),
  "lastSeq" INTEGER NOT NULL DEFAULT 0,
  "v" INTEGER NOT NULL DEFAULT 1,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "runs_pkey" PRIMARY KEY ("id")
);

CREATE TABLE IF NOT EXISTS "run_events" (
  "id" TEXT NOT NULL,
  "runId" TEXT NOT NULL,
  "seq" INTEGER NOT NULL,
  "ts" BIGINT NOT NULL,
  "type" TEXT NOT NULL,
  "v" INTEGER NOT NULL DEFAULT 1,
  "source" TEXT NOT NULL,
  "name" TEXT,
  "fn" TEXT,
  "publishedAt" TIMESTAMP(3),
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "run_events_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "run_events_runId_fkey" FOREIGN KEY ("runId") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE IF NOT EXISTS "run_outbox" (
  "runId" TEXT NOT NULL,
  "nextSeq" INTEGER NOT NULL DEFAULT 1,
  "updatedAt" TIMESTAMP(3) NOT NULL,
  CONSTRAINT "run_outbox_pkey" PRIMARY KEY ("runId"),
  CONSTRAINT "run_outbox_runId_fkey" FOREIGN KEY ("runId") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE UNIQUE INDEX IF NOT EXISTS "run_events_runId_seq_key" ON "run_events"("runId", "seq");
CREATE INDEX IF NOT EXISTS "run_events_runId_publishedAt_idx" ON "run_events"("runId", "publishedAt");
`;

/** The situations the test database, the demo and the simulator can be put in. */
export type M4Scenario = 'healthy' | 'stuck-outbox' | 'seq-gap' | 'finished' | 'finished-undrained' | 'outbox-backlog';

export const M4_SCENARIOS: readonly M4Scenario[] = [
  'healthy',
  'stuck-outbox',
  'seq-gap',
  'finished',
  'finished-undrained',
  'outbox-backlog',
];

/** Event types of `packages/agents-contracts` (§4.2). */
export type RunEventType = 'RunStarted' | 'NodeStarted' | 'DebugTrace' | 'NodeFinished' | 'RunFinished';

/** One `runs` row; times are epoch ms (the columns are UTC `timestamp(3)`). */
export interface SeedRun {
  readonly id: string;
  readonly state: 'started' | 'finished' | 'cancelled';
  readonly startedAtMs: number;
  readonly finishedAtMs: number | null;
  readonly lastSeq: number;
  readonly updatedAtMs: number;
}

/** One `run_events` row. */
export interface SeedEvent {
  readonly id: string;
  readonly runId: string;
  readonly seq: number;
  /** Event time, epoch ms (`ts` is a bigint column). */
  readonly ts: number;
  readonly type: RunEventType;
  readonly source: 'api' | 'worker' | 'outbox' | 'replayer';
  readonly name: string | null;
  readonly fn: string | null;
  readonly publishedAtMs: number | null;
}

/** One `run_outbox` row. */
export interface SeedOutbox {
  readonly runId: string;
  readonly nextSeq: number;
  readonly updatedAtMs: number;
}

/** What a scenario consists of, and which run it is about. */
export interface M4ScenarioData {
  readonly scenario: M4Scenario;
  /** The run the scenario's symptom is about (`/m4 run <runId>`). */
  readonly runId: string;
  readonly runs: readonly SeedRun[];
  readonly events: readonly SeedEvent[];
  readonly outbox: readonly SeedOutbox[];
}

const MIN = 60_000;
const NODES = ['plan', 'act', 'verify', 'summarize'];
const FNS = ['callModel', 'parseAction', 'screenshot', 'diffState'];

interface RunSpec {
  readonly id: string;
  readonly startedAtMs: number;
  /**
   * Events appended, 1..lastSeq; the last is `RunFinished` when `finished`. At HEAD appending `RunFinished` sets
   * `state = 'finished'` at once, before the outbox publishes it, so a finished run may still have unpublished
   * events (`nextSeq <= lastSeq`) — real-systems.md, M4 2.
   */
  readonly lastSeq: number;
  readonly finished: boolean;
  /** Gap between consecutive events, ms. */
  readonly spacingMs: number;
  /** Outbox cursor: events below it are published. */
  readonly nextSeq: number;
  /** Publish lag of published events, ms (cycled). */
  readonly lagsMs: readonly number[];
  /** Seqs absent from `run_events` (an append bug). */
  readonly missing?: readonly number[];
}

function eventShape(
  seq: number,
  lastSeq: number,
  finished: boolean,
): Pick<SeedEvent, 'type' | 'source' | 'name' | 'fn'> {
  if (seq === 1) return { type: 'RunStarted', source: 'api', name: null, fn: null };
  if (finished && seq === lastSeq) return { type: 'RunFinished', source: 'worker', name: null, fn: null };
  const step = (seq - 2) % 3;
  const node = NODES[Math.floor((seq - 2) / 3) % NODES.length]!;
  if (step === 0) return { type: 'NodeStarted', source: 'worker', name: node, fn: null };
  if (step === 1) return { type: 'DebugTrace', source: 'worker', name: null, fn: FNS[(seq - 2) % FNS.length]! };
  return { type: 'NodeFinished', source: 'worker', name: node, fn: null };
}

function buildRun(spec: RunSpec): { run: SeedRun; events: SeedEvent[]; outbox: SeedOutbox } {
  const events: SeedEvent[] = [];
  for (let seq = 1; seq <= spec.lastSeq; seq++) {
    if (spec.missing?.includes(seq)) continue;
    const ts = spec.startedAtMs + (seq - 1) * spec.spacingMs;
    const lag = spec.lagsMs[(seq - 1) % spec.lagsMs.length]!;
    events.push({
      id: `evt_${spec.id}_${seq}`,
      runId: spec.id,
      seq,
      ts,
      ...eventShape(seq, spec.lastSeq, spec.finished),
      publishedAtMs: seq < spec.nextSeq ? ts + lag : null,
    });
  }
  const lastTs = spec.startedAtMs + (spec.lastSeq - 1) * spec.spacingMs;
  const run: SeedRun = {
    id: spec.id,
    state: spec.finished ? 'finished' : 'started',
    startedAtMs: spec.startedAtMs,
    finishedAtMs: spec.finished ? lastTs : null,
    lastSeq: spec.lastSeq,
    updatedAtMs: lastTs,
  };
  // appendEvent touches run_outbox."updatedAt"; so does each publish.
  const lastPublished = events.filter((e) => e.publishedAtMs !== null).at(-1)?.publishedAtMs ?? spec.startedAtMs;
  return {
    run,
    events,
    outbox: { runId: spec.id, nextSeq: spec.nextSeq, updatedAtMs: Math.max(lastTs, lastPublished) },
  };
}

function specsFor(scenario: M4Scenario, now: number): { runId: string; specs: RunSpec[] } {
  // A run that finished long ago, present in every scenario: history the checks must not flag.
  const done: RunSpec = {
    id: 'r-5e2d80',
    startedAtMs: now - 30 * MIN,
    lastSeq: 8,
    finished: true,
    spacingMs: 15_000,
    nextSeq: 9,
    lagsMs: [12, 18, 9, 25],
  };
  switch (scenario) {
    case 'healthy':
      return {
        runId: 'r-3a9b71',
        specs: [
          {
            id: 'r-3a9b71',
            startedAtMs: now - 2 * MIN,
            lastSeq: 6,
            finished: false,
            spacingMs: 15_000,
            nextSeq: 7,
            lagsMs: [14, 22, 8, 31],
          },
          done,
        ],
      };
    case 'finished':
      return { runId: done.id, specs: [done] };
    case 'finished-undrained':
      // RunFinished appended 3 min ago (state finished at once), but the outbox stopped before publishing its last
      // two events (seq 9 NodeFinished, seq 10 RunFinished): SSE clients never saw the end.
      return {
        runId: 'r-e4d2f0',
        specs: [
          {
            id: 'r-e4d2f0',
            startedAtMs: now - 12 * MIN,
            lastSeq: 10,
            finished: true,
            spacingMs: MIN,
            nextSeq: 9,
            lagsMs: [15, 21, 12],
          },
          done,
        ],
      };
    case 'stuck-outbox':
      // The sample of §4.5: r-7c1f2a, lastSeq 9, nextSeq 7, the event at seq 7 (NodeFinished "plan") unpublished.
      return {
        runId: 'r-7c1f2a',
        specs: [
          {
            id: 'r-7c1f2a',
            startedAtMs: now - 25 * MIN,
            lastSeq: 9,
            finished: false,
            spacingMs: 145,
            nextSeq: 7,
            lagsMs: [14, 11, 19],
          },
          done,
        ],
      };
    case 'seq-gap':
      return {
        runId: 'r-9d3e5b',
        specs: [
          {
            id: 'r-9d3e5b',
            startedAtMs: now - 15 * MIN,
            lastSeq: 9,
            finished: false,
            spacingMs: 400,
            nextSeq: 7,
            lagsMs: [16, 12, 21],
            missing: [7],
          },
          done,
        ],
      };
    case 'outbox-backlog':
      // Three busy started runs, 630 events in their backlog (average 210), the oldest unpublished for over 2 min;
      // and one run that just appended RunFinished (so it is already `finished`) with its last 2 events unpublished:
      // 632 events wait in all, as on the real M4 (real-systems.md: 640 pending beside 638 in the backlog).
      return {
        runId: 'r-b10c01',
        specs: [
          {
            id: 'r-b10c01',
            startedAtMs: now - 3 * MIN,
            lastSeq: 400,
            finished: false,
            spacingMs: 450,
            nextSeq: 101,
            lagsMs: [180, 240, 320, 410],
          },
          {
            id: 'r-b10c02',
            startedAtMs: now - 2 * MIN,
            lastSeq: 260,
            finished: false,
            spacingMs: 460,
            nextSeq: 61,
            lagsMs: [150, 260, 390],
          },
          {
            id: 'r-b10c03',
            startedAtMs: now - 1 * MIN,
            lastSeq: 150,
            finished: false,
            spacingMs: 390,
            nextSeq: 21,
            lagsMs: [210, 330],
          },
          {
            id: 'r-b10c04',
            startedAtMs: now - 4 * MIN,
            lastSeq: 40,
            finished: true,
            spacingMs: 5_000,
            nextSeq: 39,
            lagsMs: [190, 280],
          },
          done,
        ],
      };
  }
}

/**
 * The rows of a scenario, relative to `nowMs` (pass the test's injected clock):
 * - `healthy`: a run started 2 min ago, every event published (lag 8–31 ms), cursor caught up.
 * - `stuck-outbox`: run `r-7c1f2a` started 25 min ago, lastSeq 9, nextSeq 7; the event at seq 7 exists unpublished.
 * - `seq-gap`: run `r-9d3e5b` started 15 min ago, lastSeq 9, nextSeq 7; seq 7 is missing (8 and 9 exist, unpublished).
 * - `finished`: run `r-5e2d80` finished 28 min ago with `RunFinished` at seq 8, all published.
 * - `finished-undrained`: run `r-e4d2f0` is `finished` (RunFinished appended 3 min ago) but its outbox stopped at
 *   nextSeq 9: seq 9 and the RunFinished at seq 10 are unpublished.
 * - `outbox-backlog`: three started runs with 300/200/130 unpublished events, publish lag of minutes, and a
 *   finished run `r-b10c04` whose last 2 events are not yet published.
 * Every scenario also holds the finished run `r-5e2d80`.
 */
export function buildM4Scenario(scenario: M4Scenario, nowMs: number): M4ScenarioData {
  const { runId, specs } = specsFor(scenario, nowMs);
  const built = specs.map(buildRun);
  return {
    scenario,
    runId,
    runs: built.map((b) => b.run),
    events: built.flatMap((b) => b.events),
    outbox: built.map((b) => b.outbox),
  };
}

export interface SeedM4Options {
  /** The "now" the rows are relative to (run ages, publish lag). Default: the system clock. */
  readonly nowMs?: number;
}

/**
 * Test and demo helper: creates the M4 tables (idempotent) in the given database, empties them, and inserts the
 * scenario's rows in one transaction. Returns what it inserted. Never pointed at a real M4.
 */
export async function seedM4(
  target: pg.Pool | pg.ClientBase,
  scenario: M4Scenario,
  o: SeedM4Options = {},
): Promise<M4ScenarioData> {
  const data = buildM4Scenario(scenario, o.nowMs ?? Date.now());
  const db = target instanceof pg.Pool ? await target.connect() : target;
  try {
    await db.query(M4_SCHEMA_SQL);
    await db.query('BEGIN');
    try {
      await db.query('TRUNCATE "run_outbox", "run_events", "runs"');
      await insertRows(db, data);
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    if (target instanceof pg.Pool) (db as pg.PoolClient).release();
  }
  return data;
}

/** Epoch ms → UTC `timestamp(3)`, as Prisma stores `DateTime`. */
const UTC = (param: string): string => `(to_timestamp(${param} / 1000.0) AT TIME ZONE 'UTC')`;

/** Inserts rows into existing M4 tables (no truncation). Exported for tests that add rows to a scenario. */
export async function insertRows(
  db: pg.ClientBase | pg.Pool,
  rows: Pick<M4ScenarioData, 'runs' | 'events' | 'outbox'>,
): Promise<void> {
  for (const r of rows.runs) {
    await db.query(
      `INSERT INTO "runs" ("id", "state", "startedAt", "finishedAt", "lastSeq", "updatedAt")
       VALUES ($1, $2, ${UTC('$3::float8')}, ${UTC('$4::float8')}, $5, ${UTC('$6::float8')})`,
      [r.id, r.state, r.startedAtMs, r.finishedAtMs, r.lastSeq, r.updatedAtMs],
    );
  }
  if (rows.events.length > 0) {
    const e = rows.events;
    await db.query(
      `INSERT INTO "run_events" ("id", "runId", "seq", "ts", "type", "source", "name", "fn", "publishedAt")
       SELECT id, run_id, seq, ts, type, source, name, fn, ${UTC('published_ms')}
         FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::float8[])
           AS t(id, run_id, seq, ts, type, source, name, fn, published_ms)`,
      [
        e.map((x) => x.id),
        e.map((x) => x.runId),
        e.map((x) => x.seq),
        e.map((x) => x.ts),
        e.map((x) => x.type),
        e.map((x) => x.source),
        e.map((x) => x.name),
        e.map((x) => x.fn),
        e.map((x) => x.publishedAtMs),
      ],
    );
  }
  for (const o of rows.outbox) {
    await db.query(`INSERT INTO "run_outbox" ("runId", "nextSeq", "updatedAt") VALUES ($1, $2, ${UTC('$3::float8')})`, [
      o.runId,
      o.nextSeq,
      o.updatedAtMs,
    ]);
  }
}
