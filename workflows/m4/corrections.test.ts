import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedM4 } from '../../integrations/m4/simulator/schema.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { REQUIRED_CORRECTIONS, SQL_CORRECTIONS, fillSql } from './corrections.js';
import { NOW, createM4Harness, type M4Harness } from '../../test/support/m4/harness.js';
import { outboxWorkflow } from './outbox.js';
import { m4Remediations } from './remediations.js';
import { runWorkflow } from './run.js';
import { createStreamWorkflow } from './stream.js';

let pool: pg.Pool;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 2 });
});
afterAll(async () => {
  await pool.end();
});

const values = { runId: 'r-7c1f2a', nextSeq: 7 };

describe('the runbook’s SQL against the real M4 schema', () => {
  const sql = Object.entries(SQL_CORRECTIONS).filter(([, c]) => !('shell' in c && c.shell));

  it.each(sql)(
    '%s: the runbook’s version fails with "column does not exist", the corrected one runs',
    async (_name, c) => {
      await seedM4(pool, 'stuck-outbox', { nowMs: NOW });
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await expect(client.query(fillSql(c.runbook, values))).rejects.toMatchObject({ code: '42703' });
        await client.query('ROLLBACK');
        await client.query('BEGIN');
        await expect(client.query(fillSql(c.corrected, values))).resolves.toBeDefined();
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    },
  );

  it('the corrected lag query runs too (the runbook’s version is a jq pipeline over text logs)', async () => {
    await seedM4(pool, 'stuck-outbox', { nowMs: NOW });
    const r = await pool.query(SQL_CORRECTIONS.publishLag.corrected);
    expect(r.rows.map((x: { seq: number }) => x.seq)).toEqual([7, 8, 9]);
  });

  it('the corrected last resort cancels only a started run and removes only its outbox row', async () => {
    await seedM4(pool, 'stuck-outbox', { nowMs: NOW });
    await pool.query(fillSql(SQL_CORRECTIONS.clearStuckRun.corrected, { runId: 'r-7c1f2a' }));
    await pool.query(fillSql(SQL_CORRECTIONS.clearStuckRun.corrected, { runId: 'r-5e2d80' }));
    const rows = await pool.query<{ id: string; state: string; outbox: number }>(
      `SELECT r.id, r.state, (SELECT count(*)::int FROM run_outbox o WHERE o."runId" = r.id) AS outbox FROM runs r ORDER BY r.id`,
    );
    expect(rows.rows).toEqual([
      { id: 'r-5e2d80', state: 'finished', outbox: 1 },
      { id: 'r-7c1f2a', state: 'cancelled', outbox: 0 },
    ]);
  });
});

describe('the required corrections reach the operator', () => {
  let h: M4Harness;
  beforeAll(async () => {
    h = await createM4Harness(await createTestDatabase());
  });
  afterAll(async () => {
    await h.close();
  });

  it('quoting, LISTEN/NOTIFY, events_inserted, consola, start-worker: each in a report of a stuck system', async () => {
    await h.seed('stuck-outbox');
    const reports = [
      await h.run(runWorkflow, { runId: 'r-7c1f2a' }),
      await h.run(outboxWorkflow),
      await h.run(createStreamWorkflow({ probeMs: 200 }), { runId: 'r-7c1f2a' }),
    ];
    const text = JSON.stringify(reports.map((r) => ({ findings: r.findings, notes: r.notes })));
    for (const c of REQUIRED_CORRECTIONS) expect(text, c.id).toContain(JSON.stringify(c.text).slice(1, -1));
    // The corrected queries shown are the ones that run (see above), filled in for this run.
    expect(text).toContain(
      JSON.stringify(fillSql(SQL_CORRECTIONS.runState.corrected, { runId: 'r-7c1f2a' })).slice(1, -1),
    );
    expect(m4Remediations.find((r) => r.id === 'cancel-run')!.describeCall({ runId: 'r-7c1f2a' })).toContain(
      fillSql(SQL_CORRECTIONS.clearStuckRun.corrected, { runId: 'r-7c1f2a' }),
    );
  });
});
