/** The finding history on a real Postgres: since when a finding holds, a schedule's diff, values, retention. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/namespace.js';
import { RetentionSchema } from '../config/config-file.js';
import { fixedClock } from '../core/clock.js';
import type { Invocation } from '../core/invocation.js';
import { silentLogger } from '../core/logger.js';
import type { Finding } from '../core/report.js';
import { digestSummary, recordRunHistory } from '../schedules/record-run-history.js';
import { findingValueAt, lastScheduleRuns, recordFindingRun } from './finding-history.js';
import { migrate } from './migrate.js';
import { pruneExpired } from './prune-expired.js';

let db: pg.Pool;
beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createTestDatabase(), max: 3 });
  await migrate(db, silentLogger);
}, 60_000);
afterAll(async () => {
  await db?.end();
});

const T0 = Date.parse('2026-12-06T02:14:00Z');
const H = 3_600_000;
const f = (code: string, severity: Finding['severity'], value?: number): Finding => ({
  code,
  severity,
  title: `Title of ${code}`,
  evidence: `evidence of ${code}`,
  ...(value === undefined ? {} : { value }),
});
const run = (runId: string, at: number, findings: Finding[], schedule: string | null = 'daily', workflow = 'health') =>
  recordFindingRun(db, { runId, system: 'corvo', target: 'prod', workflow, schedule, at: new Date(at), findings });

describe('recordFindingRun', () => {
  it('a run whose target did not answer clears nothing: what it could not read is "not re-checked"', async () => {
    const sys = { system: 'kyrodb', target: 'blind', workflow: 'health', schedule: 'blind-daily' };
    await recordFindingRun(db, { ...sys, runId: 'b1', at: new Date(T0), findings: [f('k.breaker', 'critical')] });
    const down: Finding = { ...f('k.probe.unreachable', 'inconclusive'), probeFailure: true };
    const blind = await recordFindingRun(db, { ...sys, runId: 'b2', at: new Date(T0 + H), findings: [down] });
    expect(blind.diff).toMatchObject({ cleared: [], unchecked: [{ code: 'k.breaker', severity: 'critical' }] });
    expect(digestSummary(blind.diff!, new Date(T0 + H), 'UTC')).toBe(
      'since the last run (02:14 UTC): 1 new inconclusive, 1 not re-checked (the target did not answer)',
    );
    const held = await db.query(`select cleared_at from finding_history where target = 'blind' and code = 'k.breaker'`);
    expect(held.rows[0].cleared_at).toBeNull();
    // Once the target answers again without it, it has cleared.
    const back = await recordFindingRun(db, {
      ...sys,
      runId: 'b3',
      at: new Date(T0 + 2 * H),
      findings: [f('k.breaker', 'ok')],
    });
    expect(back.diff).toMatchObject({
      cleared: [{ code: 'k.probe.unreachable' }, { code: 'k.breaker', severity: 'critical' }],
      unchecked: [],
    });
  });

  it('keeps since when each finding holds, and what changed since the schedule’s previous run', async () => {
    const first = await run('r1', T0, [f('a', 'warning'), f('b', 'ok')]);
    expect(first.since.size).toBe(0);
    expect(first.diff).toMatchObject({ previousAt: null, appeared: [{ code: 'a' }], cleared: [], changed: [] });

    const second = await run('r2', T0 + H, [f('a', 'warning'), f('b', 'ok'), f('c', 'critical')]);
    expect(second.since.get('a')).toEqual(new Date(T0));
    expect(second.since.get('b')).toEqual(new Date(T0));
    expect(second.since.has('c')).toBe(false);
    expect(second.diff).toMatchObject({
      previousAt: new Date(T0),
      appeared: [{ code: 'c' }],
      cleared: [],
      changed: [],
    });

    // A run by hand of another workflow of the same target neither clears these nor counts as the schedule's run.
    await run('hand', T0 + 90 * 60_000, [f('x', 'warning')], null, 'jobs-stuck-active');

    const third = await run('r3', T0 + 2 * H, [f('b', 'warning'), f('c', 'warning')]);
    expect(third.diff).toMatchObject({
      previousAt: new Date(T0 + H),
      appeared: [{ code: 'b', severity: 'warning' }],
      cleared: [{ code: 'a', severity: 'warning' }],
      changed: [{ before: { code: 'c', severity: 'critical' }, now: { code: 'c', severity: 'warning' } }],
    });
    // b turned from ok to warning: it holds since now, not since it was first seen ok.
    expect(third.since.has('b')).toBe(false);
    expect(third.since.get('c')).toEqual(new Date(T0 + H));
    expect(digestSummary(third.diff!, new Date(T0 + 2 * H), 'UTC')).toBe(
      'since the last run (03:14 UTC): 1 new warning, 1 changed severity, 1 cleared',
    );

    // a cleared at r3; back at r4 it holds since r4.
    const fourth = await run('r4', T0 + 3 * H, [f('a', 'warning'), f('b', 'warning'), f('c', 'warning')]);
    expect(fourth.since.has('a')).toBe(false);
    expect(fourth.since.get('b')).toEqual(new Date(T0 + 2 * H));
    const x = await db.query(`select cleared_at from finding_history where code = 'x'`);
    expect(x.rows[0].cleared_at).toBeNull();

    // A retried run (same id) records nothing twice and still compares with the run before it.
    const retried = await run('r4', T0 + 3 * H + 5000, [f('a', 'warning'), f('b', 'warning'), f('c', 'warning')]);
    expect(retried.diff?.previousAt).toEqual(new Date(T0 + 2 * H));
    expect((await db.query(`select 1 from finding_runs where schedule = 'daily'`)).rowCount).toBe(4);

    const last = await lastScheduleRuns(db, ['daily', 'never']);
    expect(last.get('daily')).toMatchObject({ runId: 'r4', verdict: 'warning', at: new Date(T0 + 3 * H) });
    expect(last.has('never')).toBe(false);
  });

  it('keeps values to compare with the same day of last week', async () => {
    const week = 7 * 24 * H;
    const base = Date.parse('2026-11-01T09:00:00Z');
    await recordFindingRun(db, {
      runId: 'w1',
      system: 'kyrodb',
      target: 'prod',
      workflow: 'latency',
      schedule: 'weekly',
      at: new Date(base),
      findings: [f('kyrodb.p99', 'ok', 12.5)],
    });
    await recordFindingRun(db, {
      runId: 'w2',
      system: 'kyrodb',
      target: 'prod',
      workflow: 'latency',
      schedule: 'weekly',
      at: new Date(base + week),
      findings: [f('kyrodb.p99', 'warning', 40)],
    });
    const lastWeek = await findingValueAt(db, {
      system: 'kyrodb',
      target: 'prod',
      code: 'kyrodb.p99',
      at: new Date(base + week - week + 60_000),
      toleranceMs: H,
    });
    expect(lastWeek).toEqual({ at: new Date(base), value: 12.5 });
    expect(
      await findingValueAt(db, {
        system: 'kyrodb',
        target: 'prod',
        code: 'kyrodb.p99',
        at: new Date(0),
        toleranceMs: H,
      }),
    ).toBeUndefined();
  });
});

describe('recordRunHistory', () => {
  it('says since when a finding holds, in the schedule’s time zone, and names what changed', async () => {
    const invocation = (id: string): Invocation => ({
      invocationId: id,
      system: 'tryitnow',
      target: 'prod',
      workflow: 'health',
      args: {},
      actor: { platform: 'slack', userId: 'schedule:tin' },
      conversation: { platform: 'slack', channelId: 'C1' },
      requestedAt: new Date(T0).toISOString(),
    });
    const draft = (findings: Finding[]) => ({ title: 'Try It Now daily checklist', summary: 's', findings, notes: [] });
    const schedule = { name: 'tin', timezone: 'UTC' };
    await recordRunHistory(db, invocation('t1'), draft([f('p', 'warning')]), { now: new Date(T0), schedule });
    const later = new Date(T0 + 6 * H + 46 * 60_000);
    const { draft: out, diff } = await recordRunHistory(
      db,
      invocation('t2'),
      draft([f('p', 'warning'), f('q', 'critical'), f('ok', 'ok')]),
      { now: later, schedule },
    );
    expect(out.findings.map((x) => x.evidence)).toEqual([
      'evidence of p\nOpen since 02:14 UTC (6 h 46 min).',
      'evidence of q',
      'evidence of ok',
    ]);
    expect(out.summary).toBe('s · since the last run (02:14 UTC): 1 new critical');
    expect(out.notes).toEqual(['New since the last run (critical): Title of q (q)']);
    expect(diff?.appeared.map((x) => x.code)).toEqual(['q']);

    const berlin = await recordRunHistory(db, invocation('t3'), draft([f('p', 'warning')]), {
      now: new Date(T0 + 7 * H),
      schedule: { name: 'tin', timezone: 'Europe/Berlin' },
    });
    expect(berlin.draft.findings[0]!.evidence).toBe('evidence of p\nOpen since 03:14 (7 h).');
    expect(berlin.draft.notes).toEqual(['Cleared since the last run (was critical): Title of q (q)']);
  });
});

describe('retention of the finding history', () => {
  it('prunes runs older than findingHistory and findings no run has seen for as long', async () => {
    const now = T0 + 200 * 24 * H;
    await run('old-run', now - 100 * 24 * H, [f('gone', 'warning')], 'prune-test', 'prune-wf');
    await run('new-run', now - 24 * H, [f('kept', 'warning')], 'prune-test', 'prune-wf2');
    const policy = RetentionSchema.parse({});
    expect(policy.findingHistory).toBe(90 * 24 * H);
    const counts = await pruneExpired({ db, policy, clock: fixedClock(now), logger: silentLogger });
    expect(counts.finding_runs).toBeGreaterThanOrEqual(1);
    expect((await db.query(`select run_id from finding_runs where schedule = 'prune-test'`)).rows).toEqual([
      { run_id: 'new-run' },
    ]);
    const codes = (await db.query(`select code from finding_history where target = 'prod' and system = 'corvo'`)).rows;
    expect(codes.map((r) => r.code)).toContain('kept');
    expect(codes.map((r) => r.code)).not.toContain('gone');
  });
});
