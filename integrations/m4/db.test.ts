import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../src/dev/local-services.js';
import { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { APPLICATION_NAME, M4_QUERIES, OUTBOX_CHANNEL, createM4Database, type M4Database } from './db.js';
import { seedM4 } from './simulator/schema.js';

const NOW = Date.parse('2025-10-21T14:27:11.120Z');
const MIN = 60_000;

let url: string;
let pool: pg.Pool;
let db: M4Database;
const extra: pg.Client[] = [];

/** A second session, as M4's own processes would have. */
async function session(applicationName = 'm4-api'): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  c.on('error', () => undefined);
  await c.connect();
  extra.push(c);
  return c;
}

beforeAll(async () => {
  url = await createTestDatabase();
  // Sessions of this database run in a zone that is not UTC: naive `now()` in a timestamp(3) column would be off.
  const dbName = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`ALTER DATABASE "${dbName}" SET timezone = 'Asia/Kolkata'`);
  await admin.end();
  pool = new pg.Pool({ connectionString: url, max: 4 });
  db = createM4Database({ databaseUrl: new Secret(url), statementTimeoutMs: 2000, connectTimeoutMs: 2000 });
});

afterEach(async () => {
  for (const c of extra.splice(0)) await c.end().catch(() => undefined);
});

afterAll(async () => {
  await db.close();
  await pool.end();
});

describe('inspectRun', () => {
  it('stuck-outbox: run row, cursor, the unpublished event at nextSeq, from quoted SQL', async () => {
    await seedM4(pool, 'stuck-outbox', { nowMs: NOW });
    const r = await db.inspectRun('r-7c1f2a');
    expect(r.run).toEqual({
      id: 'r-7c1f2a',
      state: 'started',
      startedAtMs: NOW - 25 * MIN,
      finishedAtMs: null,
      lastSeq: 9,
    });
    expect(r.outbox).toMatchObject({ runId: 'r-7c1f2a', nextSeq: 7 });
    expect(r.eventAtNextSeq).toMatchObject({ seq: 7, ts: NOW - 25 * MIN + 6 * 145, publishedAtMs: null });
    expect(r).toMatchObject({ lastPublishedSeq: 6, unpublishedCount: 3, missingSeqs: [], missingSeqCount: 0 });
    expect(r.lastEvent).toMatchObject({ seq: 9 });
  });

  it('seq-gap: no event at nextSeq, the missing seqs listed', async () => {
    await seedM4(pool, 'seq-gap', { nowMs: NOW });
    const r = await db.inspectRun('r-9d3e5b');
    expect(r.outbox?.nextSeq).toBe(7);
    expect(r.eventAtNextSeq).toBeNull();
    expect(r).toMatchObject({ missingSeqs: [7], missingSeqCount: 1, lastPublishedSeq: 6, unpublishedCount: 2 });
  });

  it('finished: exact UTC times even though the session zone is Asia/Kolkata', async () => {
    const d = await seedM4(pool, 'finished', { nowMs: NOW });
    const zone = await pool.query<{ TimeZone: string }>('SHOW timezone');
    expect(zone.rows[0]?.TimeZone).toBe('Asia/Kolkata');
    const r = await db.inspectRun('r-5e2d80');
    const seeded = d.runs.find((x) => x.id === 'r-5e2d80')!;
    expect(r.run).toMatchObject({
      state: 'finished',
      startedAtMs: seeded.startedAtMs,
      finishedAtMs: seeded.finishedAtMs,
    });
    expect(r.outbox?.nextSeq).toBe(9);
    expect(r.eventAtNextSeq).toBeNull();
    expect(r.missingSeqs).toEqual([]);
  });

  it('unknown run: nothing, and no error', async () => {
    await seedM4(pool, 'healthy', { nowMs: NOW });
    const r = await db.inspectRun('r-nope');
    expect(r).toMatchObject({ run: null, outbox: null, eventAtNextSeq: null, lastEvent: null, unpublishedCount: 0 });
  });

  it('refuses an id that could not be a run id, without querying', async () => {
    await expect(db.inspectRun("x' OR '1'='1")).rejects.toMatchObject({ kind: 'api-error', code: 'VALIDATION_ERROR' });
  });
});

describe('backlog and publishLag', () => {
  it('outbox-backlog: the runbook’s top-10 query, quoted, and totals', async () => {
    await seedM4(pool, 'outbox-backlog', { nowMs: NOW });
    const b = await db.backlog();
    expect(b.top.map((r) => [r.runId, r.backlog])).toEqual([
      ['r-b10c01', 300],
      ['r-b10c02', 200],
      ['r-b10c03', 130],
    ]);
    expect(b).toMatchObject({ startedRuns: 3, totalBacklog: 630, averageBacklog: 210 });
    expect((await db.backlog({ limit: 2 })).top).toHaveLength(2);
  });

  it('real M4: a finished run whose outbox has not drained is counted beside the started runs (632 = 630 + 2)', async () => {
    await seedM4(pool, 'outbox-backlog', { nowMs: NOW });
    const b = await db.backlog();
    // The runbook's query (started runs only) leaves r-b10c04 out: RunFinished already marked it finished.
    expect(b.top.map((r) => r.runId)).not.toContain('r-b10c04');
    expect(b.undrained).toEqual({ runs: 1, events: 2, runIds: ['r-b10c04'] });
    // …and the two totals now agree with the publish lag's pending count.
    expect(b.totalBacklog + b.undrained.events).toBe((await db.publishLag({ nowMs: NOW })).pending.count);
  });

  it('outbox-backlog: pending lag against the given clock, recent lag from publishedAt - ts', async () => {
    await seedM4(pool, 'outbox-backlog', { nowMs: NOW });
    const lag = await db.publishLag({ nowMs: NOW });
    expect(lag.pending).toEqual({
      count: 632,
      maxLagMs: 3 * MIN - 100 * 450,
      oldest: { runId: 'r-b10c01', seq: 101, ts: NOW - 3 * MIN + 100 * 450 },
    });
    expect(lag.recent.count).toBe(100 + 60 + 20 + 38);
    expect(lag.recent.maxMs).toBe(410);
    expect(lag.recent.p95Ms).toBeGreaterThan(300);
    // Same rows, a clock one minute later: one minute more lag.
    expect((await db.publishLag({ nowMs: NOW + MIN })).pending.maxLagMs).toBe(4 * MIN - 100 * 450);
  });

  it('healthy: nothing pending, recent lag in milliseconds', async () => {
    await seedM4(pool, 'healthy', { nowMs: NOW });
    const lag = await db.publishLag({ nowMs: NOW });
    expect(lag.pending).toEqual({ count: 0, maxLagMs: null, oldest: null });
    expect(lag.recent.count).toBe(6);
    expect(lag.recent.maxMs).toBe(31);
  });
});

describe('indexes and locks', () => {
  it('lists the tables and the indexes with their columns', async () => {
    await seedM4(pool, 'healthy', { nowMs: NOW });
    const ix = await db.indexes();
    expect(ix.tables).toEqual({ runs: true, run_events: true, run_outbox: true });
    expect(ix.indexes).toContainEqual({
      table: 'run_events',
      name: 'run_events_runId_seq_key',
      columns: ['runId', 'seq'],
      unique: true,
      primary: false,
    });
    expect(ix.indexes).toContainEqual({
      table: 'run_outbox',
      name: 'run_outbox_pkey',
      columns: ['runId'],
      unique: true,
      primary: true,
    });
    expect(ix.indexes.find((i) => i.name === 'run_events_runId_publishedAt_idx')?.columns).toEqual([
      'runId',
      'publishedAt',
    ]);
  });

  it('on a database without the M4 tables: all absent, no error', async () => {
    const empty = createM4Database({
      databaseUrl: new Secret(await createTestDatabase()),
      statementTimeoutMs: 2000,
      connectTimeoutMs: 2000,
    });
    try {
      expect(await empty.indexes()).toEqual({
        tables: { runs: false, run_events: false, run_outbox: false },
        indexes: [],
      });
      expect(await empty.locks()).toEqual([]);
      await expect(empty.inspectRun('r-1')).rejects.toMatchObject({ kind: 'bad-response', code: '42P01' });
    } finally {
      await empty.close();
    }
  });

  it('shows a held lock and a waiting writer blocked by it; leaves out the bot’s own sessions', async () => {
    await seedM4(pool, 'healthy', { nowMs: NOW });
    expect(await db.locks()).toEqual([]);
    const holder = await session('m4-api');
    const waiter = await session('m4-worker');
    const bot = await session(APPLICATION_NAME);
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE run_outbox IN SHARE MODE');
    await bot.query('BEGIN');
    await bot.query('SELECT count(*) FROM runs');
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const waiting = waiter.query(`UPDATE run_outbox SET "nextSeq" = "nextSeq" WHERE "runId" = 'r-3a9b71'`);
    waiting.catch(() => undefined);
    let locks = await db.locks();
    for (let i = 0; i < 50 && !locks.some((l) => !l.granted); i++) {
      await new Promise((r) => setTimeout(r, 50));
      locks = await db.locks();
    }
    expect(locks.find((l) => l.pid === holderPid)).toMatchObject({
      relation: 'run_outbox',
      mode: 'ShareLock',
      granted: true,
    });
    expect(locks.find((l) => !l.granted)).toMatchObject({
      relation: 'run_outbox',
      mode: 'RowExclusiveLock',
      blockedBy: [holderPid],
    });
    expect(locks.some((l) => l.relation === 'runs')).toBe(false);
    await holder.query('ROLLBACK');
    await waiting;
    await bot.query('ROLLBACK');
  });

  it('a statement that waits on a lock longer than statement_timeout fails as a timeout', async () => {
    await seedM4(pool, 'healthy', { nowMs: NOW });
    const slow = createM4Database({
      databaseUrl: new Secret(url),
      statementTimeoutMs: 300,
      connectTimeoutMs: 2000,
      maxConnections: 1,
    });
    const holder = await session();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE runs IN ACCESS EXCLUSIVE MODE');
    try {
      const started = Date.now();
      const err = await slow.inspectRun('r-3a9b71').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TargetError);
      expect(err).toMatchObject({ kind: 'timeout', code: '57014' });
      expect(Date.now() - started).toBeLessThan(2000);
      await holder.query('ROLLBACK');
      // The connection that failed mid-transaction was discarded: the pool's only slot works again.
      expect((await slow.inspectRun('r-3a9b71')).run?.state).toBe('started');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await slow.close();
    }
  });
});

describe('notifyOutbox', () => {
  it('is received by a LISTEN agents_run_outbox session with the subscriber’s payload', async () => {
    const listener = await session('m4-api');
    await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
    const received = new Promise<pg.Notification>((resolve) => listener.once('notification', resolve));
    await db.notifyOutbox('r-7c1f2a');
    const n = await Promise.race([
      received,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no notification')), 3000)),
    ]);
    expect(n.channel).toBe('agents_run_outbox');
    expect(JSON.parse(n.payload ?? '')).toEqual({ runId: 'r-7c1f2a' });
  });
});

describe('cancelRun', () => {
  const state = async (id: string) =>
    (
      await pool.query<{ state: string; finished_ms: number | null; outbox: number }>(
        `SELECT r."state", (extract(epoch FROM r."finishedAt") * 1000)::float8 AS finished_ms,
                (SELECT count(*)::int FROM run_outbox o WHERE o."runId" = r."id") AS outbox
           FROM runs r WHERE r."id" = $1`,
        [id],
      )
    ).rows[0];

  it('cancels a started run once, removes its outbox row, and is a no-op the second time', async () => {
    await seedM4(pool, 'stuck-outbox', { nowMs: NOW });
    const before = Date.now();
    expect(await db.cancelRun('r-7c1f2a')).toEqual({
      changed: true,
      state: 'cancelled',
      removedNextSeq: 7,
      lastSeq: 9,
    });
    const after = await state('r-7c1f2a');
    expect(after).toMatchObject({ state: 'cancelled', outbox: 0 });
    // finishedAt is UTC (now() AT TIME ZONE 'UTC'), not the session's Asia/Kolkata wall clock.
    expect(Math.abs(after!.finished_ms! - before)).toBeLessThan(60_000);
    expect(await db.cancelRun('r-7c1f2a')).toEqual({
      changed: false,
      state: 'cancelled',
      removedNextSeq: null,
      lastSeq: 9,
    });
    // The events stay as they were: nobody sets publishedAt by hand.
    expect((await db.inspectRun('r-7c1f2a')).unpublishedCount).toBe(3);
  });

  it('leaves a finished run and an unknown run alone', async () => {
    const d = await seedM4(pool, 'finished', { nowMs: NOW });
    const seeded = d.runs.find((r) => r.id === 'r-5e2d80')!;
    expect(await db.cancelRun('r-5e2d80')).toMatchObject({ changed: false, state: 'finished' });
    expect(await state('r-5e2d80')).toEqual({ state: 'finished', finished_ms: seeded.finishedAtMs, outbox: 1 });
    expect(await db.cancelRun('r-unknown')).toEqual({
      changed: false,
      state: null,
      removedNextSeq: null,
      lastSeq: null,
    });
  });

  it('does nothing when the run finishes while the cancel waits for its row', async () => {
    await seedM4(pool, 'stuck-outbox', { nowMs: NOW });
    const publisher = await session('m4-api');
    await publisher.query('BEGIN');
    await publisher.query(`UPDATE runs SET "state" = 'finished' WHERE "id" = 'r-7c1f2a'`);
    const cancelling = db.cancelRun('r-7c1f2a');
    await new Promise((r) => setTimeout(r, 200));
    await publisher.query('COMMIT');
    expect(await cancelling).toMatchObject({ changed: false, state: 'finished' });
    expect(await state('r-7c1f2a')).toMatchObject({ state: 'finished', outbox: 1 });
  });
});

describe('failures', () => {
  it('an unreachable database is a TargetError that never shows the DSN', async () => {
    const port = await getFreePort();
    const dsn = `postgres://m4reader:s3cr3t-Pa55@127.0.0.1:${port}/screengraph`;
    const down = createM4Database({ databaseUrl: new Secret(dsn), statementTimeoutMs: 1000, connectTimeoutMs: 1000 });
    try {
      const err = (await down.inspectRun('r-1').catch((e: unknown) => e)) as TargetError;
      expect(err).toBeInstanceOf(TargetError);
      expect(err.kind).toBe('unreachable');
      expect(err.message).toContain(`127.0.0.1:${port}`);
      for (const leak of ['s3cr3t-Pa55', 'm4reader', dsn, 'postgres://']) expect(err.message).not.toContain(leak);
      await expect(down.notifyOutbox('r-1')).rejects.toMatchObject({ kind: 'unreachable' });
      await expect(down.cancelRun('r-1')).rejects.toMatchObject({ kind: 'unreachable' });
    } finally {
      await down.close();
    }
  });

  it('after close, calls fail as unreachable', async () => {
    const closed = createM4Database({ databaseUrl: new Secret(url), statementTimeoutMs: 1000, connectTimeoutMs: 1000 });
    await closed.close();
    await expect(closed.backlog()).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('an aborted signal stops a call before it starts', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(db.locks({ signal: ac.signal })).rejects.toMatchObject({ kind: 'timeout' });
  });
});

describe('M4_QUERIES', () => {
  it('every query parses and runs on the real schema (parameters typed as the bot binds them)', async () => {
    await seedM4(pool, 'stuck-outbox', { nowMs: NOW });
    const params: Record<keyof typeof M4_QUERIES, unknown[]> = {
      run: ['r-7c1f2a'],
      outbox: ['r-7c1f2a'],
      eventAtSeq: ['r-7c1f2a', 7],
      eventStats: ['r-7c1f2a'],
      lastEvent: ['r-7c1f2a'],
      missingSeqs: ['r-7c1f2a', 7, 9, 20],
      backlogTop: [10],
      backlogTotals: [],
      undrained: [],
      pendingLag: [NOW],
      oldestPending: [],
      recentLag: [NOW - 5 * MIN],
      tables: [['runs', 'run_events', 'run_outbox']],
      indexes: [['runs', 'run_events', 'run_outbox']],
      locks: [['runs', 'run_events', 'run_outbox'], APPLICATION_NAME],
      notify: ['some_other_channel', '{}'],
      cancelRun: ['r-none', null],
      deleteOutbox: ['r-none'],
      runStateOnly: ['r-7c1f2a'],
    };
    for (const [name, sql] of Object.entries(M4_QUERIES)) {
      await expect(pool.query(sql, params[name as keyof typeof M4_QUERIES]), name).resolves.toBeDefined();
    }
  });
});
