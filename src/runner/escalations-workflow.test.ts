import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/namespace.js';
import { silentLogger } from '../core/logger.js';
import { claimTrigger, markSendFailed } from '../escalation/escalation-store.js';
import { migrate } from '../store/migrate.js';
import { createEscalationsWorkflow } from './escalations-workflow.js';

let db: pg.Pool;
const nowMs = Date.parse('2026-12-06T03:00:00Z');
const clock = { now: () => nowMs };

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createTestDatabase(), max: 4 });
  await migrate(db, silentLogger);
}, 60_000);
afterAll(async () => {
  await db?.end();
});

describe('/runbook escalations', () => {
  it('lists a page PagerDuty refused instead of saying no one needed paging', async () => {
    const k = { system: 'kyrodb', target: 'prod', code: 'kyrodb.wal.circuit-breaker' };
    await claimTrigger(db, {
      ...k,
      dedupKey: 'runbook-bot/kyrodb/prod/kyrodb.wal.circuit-breaker',
      streakSince: new Date(nowMs - 3_700_000),
      level: 'P0',
      summary: '[P0] KyroDB prod: Writes are refused (kyrodb.wal.circuit-breaker)',
      workflow: 'health',
      requestedBy: 'auto',
      claimedBy: 'run-1',
      now: new Date(nowMs - 60_000),
      staleMs: 120_000,
    });
    await markSendFailed(db, k, 'run-1', {
      retryable: false,
      error: 'PagerDuty Events API answered 400: Event object is invalid',
      now: new Date(nowMs - 60_000),
    });
    // The finding is still open in the history; a refused page of a cleared finding is not listed.
    await db.query(
      `insert into finding_history (system, target, code, workflow, severity, title, value, first_seen, last_seen,
         last_run_id, cleared_at)
       values ('kyrodb','prod','kyrodb.wal.circuit-breaker','health','critical','Writes are refused',null,$1,$2,'run-1',null),
              ('kyrodb','old','kyrodb.wal.circuit-breaker','health','critical','Writes are refused',null,$1,$2,'run-0',$2)`,
      [new Date(nowMs - 3_700_000), new Date(nowMs - 60_000)],
    );
    await claimTrigger(db, {
      ...k,
      target: 'old',
      dedupKey: 'runbook-bot/kyrodb/old/kyrodb.wal.circuit-breaker',
      streakSince: new Date(nowMs - 3_700_000),
      level: 'P0',
      summary: '[P0] KyroDB old: Writes are refused (kyrodb.wal.circuit-breaker)',
      workflow: 'health',
      requestedBy: 'auto',
      claimedBy: 'run-0',
      now: new Date(nowMs - 60_000),
      staleMs: 120_000,
    });
    await markSendFailed(db, { ...k, target: 'old' }, 'run-0', {
      retryable: false,
      error: '400',
      now: new Date(nowMs),
    });
    const result = await createEscalationsWorkflow(db, clock, true).run({} as never, new AbortController().signal);
    expect(result.summary).toBe('No page open in PagerDuty; 1 page refused by PagerDuty (not retried)');
    expect(result.findings).toEqual([
      expect.objectContaining({
        severity: 'critical',
        title: 'kyrodb prod: kyrodb.wal.circuit-breaker (P0) — not paged',
        evidence: expect.stringContaining(
          'refused by PagerDuty (PagerDuty Events API answered 400: Event object is invalid): not sent again for this streak',
        ),
      }),
    ]);
  });
});
