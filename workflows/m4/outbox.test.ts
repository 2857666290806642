import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createM4Database } from '../../integrations/m4/index.js';
import { Secret } from '../../src/core/secret.js';
import { getFreePort } from '../../src/dev/local-services.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { M4_CODES } from './codes.js';
import { M4_CORRECTIONS, SQL_CORRECTIONS } from './corrections.js';
import { createM4Harness, type M4Harness } from '../../test/support/m4/harness.js';
import { outboxWorkflow } from './outbox.js';

let h: M4Harness;

beforeAll(async () => {
  h = await createM4Harness(await createTestDatabase());
});
afterAll(async () => {
  await h.close();
});

describe('/m4 outbox on a real Postgres', () => {
  it('healthy: backlog, lag, indexes and locks all ok', async () => {
    await h.seed('healthy');
    const r = await h.run(outboxWorkflow);
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([
      [M4_CODES.backlog, 'ok'],
      [M4_CODES.lag, 'ok'],
      [M4_CODES.indexes, 'ok'],
      [M4_CODES.locks, 'ok'],
    ]);
    expect(r.byCode.get(M4_CODES.lag)?.evidence).toMatch(
      /^no event waiting to be published; published in the last 5 min: 6, lag p50 [\d.]+ ms, p95 [\d.]+ ms, max 31 ms/,
    );
    expect(r.byCode.get(M4_CODES.indexes)?.evidence).toBe(
      'present: run_events_runId_seq_key run_events(runId, seq) UNIQUE · run_events_runId_publishedAt_idx ' +
        'run_events(runId, publishedAt) · run_outbox_pkey run_outbox(runId) PRIMARY KEY',
    );
    expect(r.summary).toBe('1 started run(s), 0 event(s) waiting; all 4 checks ok');
  });

  it('outbox-backlog: backlog warning (average 210 > 100), lag critical with a nudge for the oldest run', async () => {
    await h.seed('outbox-backlog');
    const r = await h.run(outboxWorkflow);
    const backlog = r.byCode.get(M4_CODES.backlog)!;
    expect(backlog.severity).toBe('warning');
    expect(backlog.title).toBe('Outbox backlog averages 210 events per started run');
    expect(backlog.evidence).toContain(
      'top: r-b10c01 300 (nextSeq 101, lastSeq 400) · r-b10c02 200 (nextSeq 61, lastSeq 260) · r-b10c03 130 (nextSeq 21, lastSeq 150)',
    );
    expect(backlog.runbookCorrection).toContain(SQL_CORRECTIONS.backlog.corrected);
    const lag = r.byCode.get(M4_CODES.lag)!;
    expect(lag.severity).toBe('critical');
    expect(lag.title).toBe('Outbox publish lag: oldest event waiting 2 min 15 s');
    expect(lag.evidence).toContain('632 event(s) waiting, the oldest for 2 min 15 s (r-b10c01 seq 101)');
    expect(lag.actions?.map((a) => [a.remediation, a.params.runId, a.level])).toEqual([
      ['nudge', 'r-b10c01', 'confirm'],
    ]);
    for (const c of [M4_CORRECTIONS.consolaLogs, M4_CORRECTIONS.listenNotify, M4_CORRECTIONS.eventsInserted]) {
      expect(lag.runbookCorrection).toContain(c.text);
    }
    expect(r.verdict).toBe('critical');
    expect(r.findings[0]?.code).toBe(M4_CODES.lag);
  });

  it('real M4: backlog totals and publish lag agree — a finished run whose outbox has not drained is named', async () => {
    await h.seed('outbox-backlog');
    const r = await h.run(outboxWorkflow);
    const backlog = r.byCode.get(M4_CODES.backlog)!;
    // 630 in the started runs' backlog (the runbook's query) + 2 of r-b10c04, finished before its tail was published.
    expect(backlog.evidence).toContain(
      '; plus 2 event(s) of 1 finished run(s) whose outbox has not drained (r-b10c04) — RunFinished marks a run ' +
        "finished before it is published, so the runbook's query (started runs only) leaves them out: 632 events wait " +
        'in all, as the publish-lag check counts',
    );
    expect(r.byCode.get(M4_CODES.lag)!.evidence).toContain('632 event(s) waiting');
    expect(r.summary).toMatch(
      /^3 started run\(s\), 632 event\(s\) waiting \(2 of them in 1 finished run\(s\) not yet drained\); /,
    );
  });

  it('stuck-outbox: a small backlog is fine, but 25 min of lag is critical', async () => {
    await h.seed('stuck-outbox');
    const r = await h.run(outboxWorkflow);
    expect(r.byCode.get(M4_CODES.backlog)?.severity).toBe('ok');
    expect(r.byCode.get(M4_CODES.lag)).toMatchObject({
      severity: 'critical',
      title: 'Outbox publish lag: oldest event waiting 24 min 59 s',
    });
    expect(r.byCode.get(M4_CODES.lag)?.actions?.[0]?.params).toEqual({ runId: 'r-7c1f2a' });
  });

  it('finished: no started run, nothing waiting, nothing published lately', async () => {
    await h.seed('finished');
    const r = await h.run(outboxWorkflow);
    expect(r.verdict).toBe('ok');
    expect(r.byCode.get(M4_CODES.backlog)?.title).toBe('No started runs, no outbox backlog');
    expect(r.byCode.get(M4_CODES.lag)?.evidence).toMatch(
      /^no event waiting to be published; none published in the last 5 min/,
    );
  });

  it('uses the injected clock for the lag: 50 ms is normal, 300 ms a warning', async () => {
    await h.seed('stuck-outbox');
    const ts7 = h.sim.data.events.find((e) => e.runId === 'r-7c1f2a' && e.seq === 7)!.ts;
    expect((await h.run(outboxWorkflow, {}, ts7 + 50)).byCode.get(M4_CODES.lag)?.severity).toBe('ok');
    expect((await h.run(outboxWorkflow, {}, ts7 + 300)).byCode.get(M4_CODES.lag)?.severity).toBe('warning');
  });

  it('a missing index is reported by columns: (runId, publishedAt) warning, unique (runId, seq) critical', async () => {
    await h.seed('healthy');
    await h.pool.query('DROP INDEX "run_events_runId_publishedAt_idx"');
    let ix = (await h.run(outboxWorkflow)).byCode.get(M4_CODES.indexes)!;
    expect(ix.severity).toBe('warning');
    expect(ix.title).toBe('Required index missing: run_events(runId, publishedAt)');
    await h.pool.query('DROP INDEX "run_events_runId_seq_key"');
    // A plain index on the same columns is not the required UNIQUE one.
    await h.pool.query('CREATE INDEX "some_other_name" ON run_events ("runId", seq)');
    ix = (await h.run(outboxWorkflow)).byCode.get(M4_CODES.indexes)!;
    expect(ix.severity).toBe('critical');
    expect(ix.evidence).toContain('run_events(runId, seq) UNIQUE missing');
    await h.pool.query('DROP INDEX "some_other_name"');
    await h.seed('healthy');
    expect((await h.run(outboxWorkflow)).byCode.get(M4_CODES.indexes)?.severity).toBe('ok');
  });

  it('waiting locks on the run tables are a warning', async () => {
    await h.seed('healthy');
    const holder = new pg.Client({ connectionString: h.databaseUrl, application_name: 'm4-api' });
    const waiter = new pg.Client({ connectionString: h.databaseUrl, application_name: 'm4-api' });
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE run_events IN SHARE MODE');
      const waiting = waiter.query(`UPDATE run_events SET "fn" = "fn" WHERE "runId" = 'r-3a9b71' AND seq = 1`);
      waiting.catch(() => undefined);
      let severity: string | undefined;
      for (let i = 0; i < 40 && severity !== 'warning'; i++) {
        severity = (await h.run(outboxWorkflow)).byCode.get(M4_CODES.locks)?.severity;
        if (severity !== 'warning') await new Promise((r) => setTimeout(r, 50));
      }
      expect(severity).toBe('warning');
      await holder.query('ROLLBACK');
      await waiting;
    } finally {
      await holder.end();
      await waiter.end();
    }
  });
});

describe('/m4 outbox when it cannot read', () => {
  it('a database without the M4 tables: tables missing, the table probes inconclusive', async () => {
    const empty = await createTestDatabase();
    const db = createM4Database({ databaseUrl: new Secret(empty), statementTimeoutMs: 2000, connectTimeoutMs: 2000 });
    const h2 = await createM4Harness(await createTestDatabase(), { clients: { db } });
    try {
      const r = await h2.run(outboxWorkflow);
      expect(r.byCode.get(M4_CODES.indexes)).toMatchObject({
        severity: 'critical',
        title: 'M4 tables missing: runs, run_events, run_outbox',
      });
      expect(r.byCode.get('m4.probe.backlog')?.severity).toBe('inconclusive');
      expect(r.byCode.get('m4.probe.lag')?.evidence).toContain('an M4 table is missing');
      // real M4 has no migration files: its tables come from `prisma db push`, and both messages say so.
      expect(r.byCode.get('m4.probe.lag')?.evidence).toContain(
        'M4 has no migration files: its tables are created by `prisma db push` from packages/database',
      );
      expect(r.byCode.get(M4_CODES.indexes)?.nextStep).toContain('created by `prisma db push`');
    } finally {
      await h2.close();
    }
  });

  it('an unreachable database: one inconclusive finding, the workflow still returns', async () => {
    const port = await getFreePort();
    const db = createM4Database({
      databaseUrl: new Secret(`postgres://m4:pw-SECRET@127.0.0.1:${port}/m4`),
      statementTimeoutMs: 1000,
      connectTimeoutMs: 1000,
    });
    const h2 = await createM4Harness(await createTestDatabase(), { clients: { db } });
    try {
      const r = await h2.run(outboxWorkflow);
      expect(r.codes).toEqual([M4_CODES.probeDatabase]);
      expect(r.findings[0]?.evidence).toMatch(/connection refused .*\(all 4 probes failed\)$/);
      expect(JSON.stringify(r)).not.toContain('pw-SECRET');
    } finally {
      await h2.close();
    }
  });
});
