import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createM4Database } from '../../integrations/m4/index.js';
import { Secret } from '../../src/core/secret.js';
import { getFreePort } from '../../src/dev/local-services.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { M4_CODES } from './codes.js';
import { M4_CORRECTIONS } from './corrections.js';
import { NOW, createM4Harness, type M4Harness } from '../../test/support/m4/harness.js';
import { NEVER_SET_PUBLISHED_AT_NOTE, runWorkflow } from './run.js';

const MIN = 60_000;
let h: M4Harness;

beforeAll(async () => {
  h = await createM4Harness(await createTestDatabase());
});
afterAll(async () => {
  await h.close();
});

const allActions = (r: Awaited<ReturnType<M4Harness['run']>>) => r.findings.flatMap((f) => f.actions ?? []);

describe('/m4 run <runId> on a real Postgres', () => {
  it('healthy: a running run within 10 minutes, outbox caught up, nothing offered', async () => {
    await h.seed('healthy');
    const r = await h.run(runWorkflow, { runId: 'r-3a9b71' });
    expect(r.verdict).toBe('ok');
    expect(r.codes).toEqual([M4_CODES.runState, M4_CODES.runStuck, M4_CODES.outboxCursor]);
    expect(r.byCode.get(M4_CODES.runStuck)?.title).toBe('Run r-3a9b71 is running (2 min, within 10 min)');
    expect(r.byCode.get(M4_CODES.outboxCursor)?.evidence).toMatch(/^nextSeq 7 > lastSeq 6/);
    expect(allActions(r)).toEqual([]);
    expect(r.summary).toBe('r-3a9b71: started 2 min ago, outbox caught up; all 3 checks ok');
  });

  it('stuck-outbox: run stuck 25 min, outbox stuck at seq 7; nudge (confirm) and cancel-run (approval) offered', async () => {
    await h.seed('stuck-outbox');
    const r = await h.run(runWorkflow, { runId: 'r-7c1f2a' });
    expect(r.verdict).toBe('critical');
    const stuck = r.byCode.get(M4_CODES.runStuck)!;
    expect(stuck).toMatchObject({ severity: 'critical', title: 'Run r-7c1f2a has no RunFinished after 25 min' });
    expect(stuck.evidence).toContain('threshold 10 min');
    expect(stuck.actions).toEqual([
      {
        remediation: 'cancel-run',
        label: 'Cancel run (last resort)',
        params: { runId: 'r-7c1f2a', lastSeq: '9' },
        level: 'approval',
        destructive: true,
      },
    ]);
    const outbox = r.byCode.get(M4_CODES.outboxStuck)!;
    expect(outbox.severity).toBe('critical');
    expect(outbox.evidence).toContain('nextSeq 7 ≤ lastSeq 9: 3 event(s) unpublished');
    expect(outbox.evidence).toContain('publishedAt NULL');
    expect(outbox.actions).toEqual([
      {
        remediation: 'nudge',
        label: 'Nudge outbox',
        params: { runId: 'r-7c1f2a' },
        level: 'confirm',
        destructive: false,
      },
    ]);
    expect(outbox.runbookCorrection).toContain(M4_CORRECTIONS.listenNotify.text);
    expect(outbox.runbookCorrection).toContain(M4_CORRECTIONS.noStartWorker.text);
    // The runbook says: still stuck after 30 s → check DB locks. Nobody holds one here.
    expect(r.byCode.get(M4_CODES.locks)?.severity).toBe('ok');
    expect(r.findings.slice(0, 2).map((f) => f.severity)).toEqual(['critical', 'critical']);
    expect(r.summary).toBe('r-7c1f2a: started 25 min ago, outbox stuck at seq 7 (3 unpublished); 2 critical');
  });

  it('never offers to set publishedAt, and says why', async () => {
    await h.seed('stuck-outbox');
    const r = await h.run(runWorkflow, { runId: 'r-7c1f2a' });
    expect(
      allActions(r)
        .map((a) => a.remediation)
        .sort(),
    ).toEqual(['cancel-run', 'nudge']);
    expect(r.notes?.[0]).toBe(NEVER_SET_PUBLISHED_AT_NOTE);
    expect(NEVER_SET_PUBLISHED_AT_NOTE).toMatch(/never offers to set publishedAt/);
  });

  it('seq-gap: critical with the evidence engineering asks for, "do not insert", no button at all', async () => {
    await h.seed('seq-gap');
    const r = await h.run(runWorkflow, { runId: 'r-9d3e5b' });
    const gap = r.byCode.get(M4_CODES.seqGap)!;
    expect(gap.severity).toBe('critical');
    expect(gap.title).toBe('Seq gap in run r-9d3e5b: event 7 is missing');
    for (const part of ['runId r-9d3e5b', 'expected seq 7', 'last published seq 6', 'lastSeq 9', 'missing seqs 7']) {
      expect(gap.evidence).toContain(part);
    }
    expect(gap.nextStep).toMatch(/^DO NOT insert the missing event\. Alert the backend team/);
    expect(gap.runbookCorrection).toContain(`SELECT * FROM run_events WHERE "runId" = 'r-9d3e5b' AND seq = 7;`);
    expect(r.byCode.get(M4_CODES.runStuck)?.severity).toBe('critical');
    expect(allActions(r)).toEqual([]);
    expect(r.byCode.has(M4_CODES.outboxStuck)).toBe(false);
    expect(r.summary).toContain('seq gap at 7');
  });

  it('finished: every check ok, the run is not stuck', async () => {
    await h.seed('finished');
    const r = await h.run(runWorkflow, { runId: 'r-5e2d80' });
    expect(r.verdict).toBe('ok');
    expect(r.byCode.get(M4_CODES.runStuck)?.title).toBe('Run r-5e2d80 is finished, not stuck');
    expect(r.byCode.get(M4_CODES.runState)?.evidence).toContain('finishedAt 2025-10-21T13:58:56.120Z');
    expect(allActions(r)).toEqual([]);
  });

  it('real M4: a run finished before its outbox drained says "finished, outbox not yet drained", not "not stuck"', async () => {
    await h.seed('finished-undrained');
    const r = await h.run(runWorkflow, { runId: 'r-e4d2f0' });
    const stuck = r.byCode.get(M4_CODES.runStuck)!;
    expect(stuck).toMatchObject({ severity: 'critical', title: 'Run r-e4d2f0 is finished, outbox not yet drained' });
    expect(stuck.title).not.toContain('not stuck');
    expect(stuck.evidence).toContain(
      'but nextSeq 9 ≤ lastSeq 10: 2 event(s) — including the final RunFinished at seq 10 — not yet published',
    );
    expect(stuck.evidence).toContain("appendEvent sets state = 'finished' when RunFinished is appended");
    expect(stuck.nextStep).toContain('Nudge the outbox');
    // The outbox finding offers the nudge; no cancel (the run is not started, and a cancel would lose the tail).
    expect(allActions(r).map((a) => a.remediation)).toEqual(['nudge']);
    expect(r.summary).toMatch(/^r-e4d2f0: finished, outbox stuck at seq 9 \(2 unpublished\); /);
    // Once drained, it is simply finished.
    await h.pool.query(
      `UPDATE run_events SET "publishedAt" = (now() AT TIME ZONE 'UTC') WHERE "runId" = 'r-e4d2f0' AND seq >= 9`,
    );
    await h.pool.query(`UPDATE run_outbox SET "nextSeq" = 11 WHERE "runId" = 'r-e4d2f0'`);
    const drained = await h.run(runWorkflow, { runId: 'r-e4d2f0' });
    expect(drained.byCode.get(M4_CODES.runStuck)).toMatchObject({
      severity: 'ok',
      title: 'Run r-e4d2f0 is finished, not stuck',
    });
  });

  it('real M4: times read as UTC whatever the session time zone (timestamp(3) holds UTC wall time)', async () => {
    const url = await createTestDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET timezone = 'America/Los_Angeles'`);
    await admin.end();
    const la = await createM4Harness(url, { scenario: 'stuck-outbox' });
    try {
      expect((await la.pool.query<{ TimeZone: string }>('SHOW timezone')).rows[0]?.TimeZone).toBe(
        'America/Los_Angeles',
      );
      const r = await la.run(runWorkflow, { runId: 'r-7c1f2a' });
      // Started 25 min before NOW — not 25 min ± 7 h — and the outbox waited 25 min, not hours.
      expect(r.byCode.get(M4_CODES.runState)?.evidence).toContain(
        `startedAt ${new Date(NOW - 25 * MIN).toISOString()} (25 min ago)`,
      );
      expect(r.byCode.get(M4_CODES.runStuck)?.title).toBe('Run r-7c1f2a has no RunFinished after 25 min');
      expect(r.byCode.get(M4_CODES.outboxCursor)).toBeUndefined();
      // The cancel writes finishedAt in UTC too.
      await la.remediate('cancel-run', { runId: 'r-7c1f2a', lastSeq: '9' });
      const after = await la.run(runWorkflow, { runId: 'r-7c1f2a' }, Date.now());
      expect(after.byCode.get(M4_CODES.runStuck)?.evidence).toMatch(/finishedAt (\S+)\)$/);
      const finishedAt = Date.parse(/finishedAt (\S+)\)$/.exec(after.byCode.get(M4_CODES.runStuck)!.evidence)![1]!);
      expect(Math.abs(finishedAt - Date.now())).toBeLessThan(60_000);
    } finally {
      await la.close();
    }
  });

  it('outbox-backlog: a young run (not stuck) whose outbox is: nudge only', async () => {
    await h.seed('outbox-backlog');
    const r = await h.run(runWorkflow, { runId: 'r-b10c01' });
    expect(r.byCode.get(M4_CODES.runStuck)?.severity).toBe('ok');
    expect(r.byCode.get(M4_CODES.outboxStuck)?.severity).toBe('critical');
    expect(r.byCode.get(M4_CODES.outboxStuck)?.evidence).toContain('300 event(s) unpublished');
    expect(allActions(r).map((a) => a.remediation)).toEqual(['nudge']);
  });

  it('uses the injected clock: the same rows are in flight, slow, then stuck', async () => {
    const d = await h.sim.setScenario('stuck-outbox').then(() => h.sim.data);
    const ts7 = d.events.find((e) => e.runId === 'r-7c1f2a' && e.seq === 7)!.ts;
    const at = async (now: number) => (await h.run(runWorkflow, { runId: 'r-7c1f2a' }, now)).byCode;
    const inFlight = await at(ts7 + 200);
    expect(inFlight.get(M4_CODES.outboxStuck)).toMatchObject({
      severity: 'ok',
      title: 'Outbox publishing (event in flight)',
    });
    expect(inFlight.get(M4_CODES.runStuck)?.severity).toBe('ok');
    expect(inFlight.has(M4_CODES.locks)).toBe(false);
    expect((await at(ts7 + 5000)).get(M4_CODES.outboxStuck)?.severity).toBe('warning');
    const later = await at(ts7 + 9 * MIN);
    expect(later.get(M4_CODES.outboxStuck)?.severity).toBe('critical');
    expect(later.get(M4_CODES.runStuck)?.severity).toBe('ok');
    expect((await at(NOW)).get(M4_CODES.runStuck)?.severity).toBe('critical');
  });

  it('a run that never got past RunStarted: stuck, with the queue explained', async () => {
    await h.seed('healthy');
    await h.pool.query(
      `INSERT INTO runs (id, state, "startedAt", "lastSeq", "updatedAt")
       VALUES ('r-lost', 'started', (to_timestamp($1 / 1000.0) AT TIME ZONE 'UTC'), 1, now())`,
      [NOW - 40 * MIN],
    );
    await h.pool.query(
      `INSERT INTO run_events (id, "runId", seq, ts, type, source, "publishedAt")
       VALUES ('e-lost-1', 'r-lost', 1, $1, 'RunStarted', 'api', now())`,
      [NOW - 40 * MIN],
    );
    await h.pool.query(`INSERT INTO run_outbox ("runId", "nextSeq", "updatedAt") VALUES ('r-lost', 2, now())`);
    const r = await h.run(runWorkflow, { runId: 'r-lost' });
    const stuck = r.byCode.get(M4_CODES.runStuck)!;
    expect(stuck.severity).toBe('critical');
    expect(stuck.nextStep).toContain('never picked the job up');
    expect(stuck.nextStep).toContain('carries no runId');
    expect(stuck.actions?.[0]?.remediation).toBe('cancel-run');
  });

  it('a hand-set publishedAt at the cursor: critical, escalate, no nudge and no cancel', async () => {
    await h.seed('stuck-outbox');
    await h.pool.query(`UPDATE run_events SET "publishedAt" = now() WHERE "runId" = 'r-7c1f2a' AND seq = 7`);
    const r = await h.run(runWorkflow, { runId: 'r-7c1f2a' });
    expect(r.byCode.get(M4_CODES.publishedAtCursor)?.severity).toBe('critical');
    expect(r.byCode.has(M4_CODES.outboxStuck)).toBe(false);
    expect(allActions(r)).toEqual([]);
  });

  it('after the last-resort cancel: cancelled, no outbox row, nothing stuck', async () => {
    await h.seed('stuck-outbox');
    await h.clients.db.cancelRun('r-7c1f2a');
    const r = await h.run(runWorkflow, { runId: 'r-7c1f2a' });
    expect(r.verdict).toBe('ok');
    expect(r.byCode.get(M4_CODES.outboxCursor)?.title).toBe('Run r-7c1f2a has no outbox row (cancelled)');
    expect(r.byCode.get(M4_CODES.runStuck)?.title).toBe('Run r-7c1f2a is cancelled, not stuck');
  });

  it('reports lock waits on the run tables when the outbox is stuck', async () => {
    await h.seed('stuck-outbox');
    const holder = new pg.Client({ connectionString: h.databaseUrl, application_name: 'm4-api' });
    const waiter = new pg.Client({ connectionString: h.databaseUrl, application_name: 'm4-api' });
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE run_outbox IN SHARE MODE');
      const waiting = waiter.query(`UPDATE run_outbox SET "nextSeq" = "nextSeq" WHERE "runId" = 'r-7c1f2a'`);
      waiting.catch(() => undefined);
      let locks;
      for (let i = 0; i < 40; i++) {
        locks = (await h.run(runWorkflow, { runId: 'r-7c1f2a' })).byCode.get(M4_CODES.locks);
        if (locks?.severity === 'warning') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(locks?.severity).toBe('warning');
      expect(locks?.evidence).toMatch(/RowExclusiveLock on run_outbox \(waiting.*blocked by pid \d+/);
      await holder.query('ROLLBACK');
      await waiting;
    } finally {
      await holder.end();
      await waiter.end();
    }
  });

  it('unknown run: a warning that explains what a missing row means', async () => {
    await h.seed('healthy');
    const r = await h.run(runWorkflow, { runId: 'r-nope' });
    expect(r.codes).toEqual([M4_CODES.runNotFound]);
    expect(r.byCode.get(M4_CODES.runNotFound)?.severity).toBe('warning');
    expect(r.summary).toBe('Run r-nope not found');
  });

  it('without a run id (e.g. a re-check started with no arguments): inconclusive, nothing queried', async () => {
    const r = await h.run(runWorkflow, {});
    expect(r.codes).toEqual([M4_CODES.noRunId]);
    expect(r.verdict).toBe('inconclusive');
  });
});

describe('/m4 run with the database down', () => {
  it('returns one inconclusive finding without the DSN, and still the notes', async () => {
    const port = await getFreePort();
    const dsn = `postgres://m4:pw-SECRET@127.0.0.1:${port}/m4`;
    const down = createM4Database({ databaseUrl: new Secret(dsn), statementTimeoutMs: 1000, connectTimeoutMs: 1000 });
    const h2 = await createM4Harness(await createTestDatabase(), { clients: { db: down } });
    try {
      const r = await h2.run(runWorkflow, { runId: 'r-7c1f2a' });
      expect(r.codes).toEqual([M4_CODES.probeDatabase]);
      const f = r.findings[0]!;
      expect(f.severity).toBe('inconclusive');
      expect(f.evidence).toContain('connection refused');
      expect(JSON.stringify(r)).not.toContain('pw-SECRET');
      expect(r.notes).toContain(NEVER_SET_PUBLISHED_AT_NOTE);
    } finally {
      await h2.close();
    }
  });
});
