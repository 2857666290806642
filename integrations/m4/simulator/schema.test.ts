import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/namespace.js';
import { M4_SCENARIOS, M4_SCHEMA_SQL, buildM4Scenario, seedM4, type M4ScenarioData } from './schema.js';

const NOW = Date.parse('2025-10-21T14:27:11.120Z');
const MIN = 60_000;

function primary(d: M4ScenarioData) {
  const run = d.runs.find((r) => r.id === d.runId)!;
  const outbox = d.outbox.find((o) => o.runId === d.runId)!;
  const events = d.events.filter((e) => e.runId === d.runId);
  return { run, outbox, events, atNext: events.find((e) => e.seq === outbox.nextSeq) };
}

describe('buildM4Scenario', () => {
  it('healthy: a young started run, every event published, cursor caught up', () => {
    const { run, outbox, events } = primary(buildM4Scenario('healthy', NOW));
    expect(run.state).toBe('started');
    expect(NOW - run.startedAtMs).toBeLessThan(10 * MIN);
    expect(outbox.nextSeq).toBe(run.lastSeq + 1);
    expect(events.every((e) => e.publishedAtMs !== null)).toBe(true);
  });

  it('stuck-outbox: the event at nextSeq exists unpublished, the run started more than 10 min ago', () => {
    const { run, outbox, atNext } = primary(buildM4Scenario('stuck-outbox', NOW));
    expect(run).toMatchObject({ id: 'r-7c1f2a', state: 'started', lastSeq: 9 });
    expect(outbox.nextSeq).toBe(7);
    expect(atNext).toMatchObject({ seq: 7, publishedAtMs: null });
    expect(NOW - run.startedAtMs).toBeGreaterThan(10 * MIN);
  });

  it('seq-gap: no event at nextSeq, later ones exist', () => {
    const { run, outbox, events, atNext } = primary(buildM4Scenario('seq-gap', NOW));
    expect(atNext).toBeUndefined();
    expect(outbox.nextSeq).toBeLessThanOrEqual(run.lastSeq);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 8, 9]);
  });

  it('finished: RunFinished is the last seq, state finished, all published', () => {
    const { run, outbox, events } = primary(buildM4Scenario('finished', NOW));
    expect(run.state).toBe('finished');
    expect(events.at(-1)).toMatchObject({ seq: run.lastSeq, type: 'RunFinished' });
    expect(run.finishedAtMs).toBe(events.at(-1)!.ts);
    expect(outbox.nextSeq).toBe(run.lastSeq + 1);
    expect(events.filter((e) => e.type === 'RunFinished')).toHaveLength(1);
  });

  it('outbox-backlog: many unpublished events, an average backlog above 100', () => {
    const d = buildM4Scenario('outbox-backlog', NOW);
    const started = d.runs.filter((r) => r.state === 'started');
    const backlogs = started.map((r) => r.lastSeq - d.outbox.find((o) => o.runId === r.id)!.nextSeq + 1);
    expect(backlogs).toEqual([300, 200, 130]);
    // Plus the last 2 events of r-b10c04, already `finished` (RunFinished sets the state before it is published).
    expect(d.runs.find((r) => r.id === 'r-b10c04')).toMatchObject({ state: 'finished', lastSeq: 40 });
    expect(d.events.filter((e) => e.publishedAtMs === null)).toHaveLength(632);
  });

  it('numbers seqs from 1 with RunStarted and never repeats one', () => {
    for (const s of M4_SCENARIOS) {
      const d = buildM4Scenario(s, NOW);
      for (const r of d.runs) {
        const seqs = d.events.filter((e) => e.runId === r.id).map((e) => e.seq);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(d.events.find((e) => e.runId === r.id && e.seq === 1)?.type).toBe('RunStarted');
      }
    }
  });
});

describe('M4_SCHEMA_SQL and seedM4 on a real Postgres', () => {
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 3 });
  });
  afterAll(async () => {
    await pool.end();
  });

  it('applies twice (idempotent) and has Prisma’s camelCase columns', async () => {
    await pool.query(M4_SCHEMA_SQL);
    await pool.query(M4_SCHEMA_SQL);
    const cols = await pool.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_name IN ('runs', 'run_events', 'run_outbox') ORDER BY table_name, ordinal_position`,
    );
    const by = (t: string) => cols.rows.filter((r) => r.table_name === t).map((r) => r.column_name);
    expect(by('runs')).toEqual(['id', 'state', 'startedAt', 'finishedAt', 'lastSeq', 'v', 'createdAt', 'updatedAt']);
    expect(by('run_events')).toEqual([
      'id',
      'runId',
      'seq',
      'ts',
      'type',
      'v',
      'source',
      'name',
      'fn',
      'publishedAt',
      'createdAt',
    ]);
    expect(by('run_outbox')).toEqual(['runId', 'nextSeq', 'updatedAt']);
  });

  it('makes an unquoted camelCase column fail, as on M4’s real database', async () => {
    await pool.query(M4_SCHEMA_SQL);
    await expect(pool.query(`SELECT lastSeq FROM runs`)).rejects.toMatchObject({ code: '42703' });
    await expect(pool.query(`SELECT "lastSeq" FROM runs`)).resolves.toBeDefined();
  });

  it('has Prisma’s index names, and a unique (runId, seq)', async () => {
    await pool.query(M4_SCHEMA_SQL);
    const idx = await pool.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE tablename IN ('runs', 'run_events', 'run_outbox') ORDER BY indexname`,
    );
    expect(idx.rows.map((r) => r.indexname)).toEqual([
      'run_events_pkey',
      'run_events_runId_publishedAt_idx',
      'run_events_runId_seq_key',
      'run_outbox_pkey',
      'runs_pkey',
    ]);
    await seedM4(pool, 'finished', { nowMs: NOW });
    await expect(
      pool.query(
        `INSERT INTO run_events ("id", "runId", "seq", "ts", "type", "source") VALUES ('dup', 'r-5e2d80', 3, 1, 'DebugTrace', 'worker')`,
      ),
    ).rejects.toMatchObject({ code: '23505' });
  });

  it('seeds each scenario, replacing the previous one, with UTC timestamps', async () => {
    for (const s of M4_SCENARIOS) {
      const d = await seedM4(pool, s, { nowMs: NOW });
      const counts = await pool.query<{ runs: number; events: number; outbox: number }>(
        `SELECT (SELECT count(*)::int FROM runs) AS runs, (SELECT count(*)::int FROM run_events) AS events,
                (SELECT count(*)::int FROM run_outbox) AS outbox`,
      );
      expect(counts.rows[0]).toEqual({ runs: d.runs.length, events: d.events.length, outbox: d.outbox.length });
    }
    const d = await seedM4(pool, 'stuck-outbox', { nowMs: NOW });
    const row = await pool.query<{ started: string }>(
      `SELECT to_char("startedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started FROM runs WHERE id = $1`,
      [d.runId],
    );
    expect(row.rows[0]?.started).toBe(new Date(NOW - 25 * MIN).toISOString());
  });
});
