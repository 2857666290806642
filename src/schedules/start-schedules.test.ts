/**
 * Scheduled runs on a real Redis and Postgres: one run per tick with two workers, schedules removed from the config
 * leave Redis at the next start, one late catch-up run after an outage, onlyOnChange.
 */
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { uniqueName } from '../../test/support/namespace.js';
import { bullmqConnections, createMigratedTestPool } from '../../test/support/services.js';
import { ScheduleSchema } from '../config/config-file.js';
import { systemClock } from '../core/clock.js';
import type { Conversation, Invocation } from '../core/invocation.js';
import { silentLogger } from '../core/logger.js';
import type { Finding } from '../core/report.js';
import { createChecklistWorkflow, workflowAsDailyChecklist } from '../core/checklist.js';
import type { SystemModule } from '../core/system.js';
import type { Workflow } from '../core/workflow.js';
import { runDiagnostic, type RunDiagnosticDeps } from '../runner/run-diagnostic.js';
import { loadReport } from '../store/reports.js';
import { SCHEDULES_QUEUE, startSchedules, type StartSchedulesOptions } from './start-schedules.js';

let db: pg.Pool;
const { connect, disconnectAll } = bullmqConnections();

beforeAll(async () => {
  db = await createMigratedTestPool(6);
}, 60_000);
afterAll(async () => {
  disconnectAll();
  await db?.end();
});

/** A system whose health workflow reports what the test sets, per target; its daily checklist is that health check. */
const current: Record<string, Finding[]> = {};
const fakeHealth: Workflow<unknown> = {
  id: 'health',
  title: 'Fake health',
  description: 'test',
  run: async (ctx) => ({ findings: current[ctx.target] ?? [] }),
};
const fake: SystemModule = {
  id: 'fake',
  displayName: 'Fake',
  instanceSchema: z.object({}),
  createClients: () => ({}),
  workflows: [
    fakeHealth,
    createChecklistWorkflow({
      system: 'fake',
      displayName: 'Fake',
      checklists: [workflowAsDailyChecklist({ section: 'Health', text: 'Health', workflow: fakeHealth })],
    }),
  ],
  remediations: [],
};
const deps: RunDiagnosticDeps = {
  db: undefined as unknown as pg.Pool,
  systems: [fake],
  clientsFor: () => ({}),
  engineWorkflows: {},
  clock: systemClock,
  logger: silentLogger,
  timeoutMs: 10_000,
};

function start(prefix: string, schedules: unknown[], posts: { postId: string; conversation: Conversation }[]) {
  const options: StartSchedulesOptions = {
    connection: connect(),
    prefix,
    db,
    schedules: schedules.map((s) => ScheduleSchema.parse(s)),
    systems: [fake],
    channels: { ops: { slack: 'C0OPS' } },
    platforms: ['slack'],
    runDiagnostic: (invocation: Invocation, beforeReport) => runDiagnostic(invocation, { ...deps, db, beforeReport }),
    postReport: async (_invocation, conversation, postId) => {
      posts.push({ postId, conversation });
    },
    concurrency: 2,
    lockDurationMs: 30_000,
    clock: systemClock,
    logger: silentLogger,
  };
  return startSchedules(options);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const every = (name: string, target: string, extra: Record<string, unknown> = {}) => ({
  name,
  system: 'fake',
  target,
  checklist: 'daily',
  every: '1s',
  channel: 'ops',
  ...extra,
});

async function runsOf(schedule: string): Promise<{ run_id: string; at: Date }[]> {
  return (await db.query(`select run_id, at from finding_runs where schedule = $1 order by at`, [schedule])).rows;
}

describe('startSchedules', () => {
  it('runs each tick once with two workers, as a new message titled with the schedule', async () => {
    const prefix = uniqueName('sched');
    current.t1 = [{ code: 'fake.a', severity: 'warning', title: 'A is high', evidence: 'a = 3' }];
    const posts: { postId: string; conversation: Conversation }[] = [];
    const startedAt = Date.now();
    const one = start(prefix, [every('two-workers', 't1')], posts);
    const two = start(prefix, [every('two-workers', 't1')], posts);
    await Promise.all([one.synced, two.synced]);
    await sleep(4500);
    await Promise.all([one.close(), two.close()]);
    const elapsedTicks = Math.ceil((Date.now() - startedAt) / 1000);

    const outcomes = [...one.outcomes, ...two.outcomes];
    const runs = await runsOf('two-workers');
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.length).toBeLessThanOrEqual(elapsedTicks);
    // Never two runs for one tick: each run is its own tick's invocation, and ticks are a second apart.
    expect(new Set(outcomes.map((o) => o.invocationId)).size).toBe(outcomes.length);
    expect(outcomes.length).toBe(runs.length);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.at.getTime() - runs[i - 1]!.at.getTime()).toBeGreaterThan(500);
    }
    // Both workers may take ticks; each run posted once, as a top-level message in the schedule's channel.
    expect(posts.map((p) => p.postId).sort()).toEqual(outcomes.map((o) => `report:${o.invocationId}`).sort());
    expect(new Set(posts.map((p) => p.postId)).size).toBe(runs.length);
    expect(posts.every((p) => p.conversation.channelId === 'C0OPS' && p.conversation.threadId === undefined)).toBe(
      true,
    );

    const report = await loadReport(db, runs[1]!.run_id);
    expect(report?.title).toBe('Fake daily checklist');
    expect(report?.target).toBe('t1');
    expect(report?.summary).toMatch(/since the last run \(\d\d:\d\d UTC\): no change$/);
    expect(report?.findings[0]?.evidence).toMatch(/^a = 3\nOpen since \d\d:\d\d UTC \(\d s\)\.$/);
    const queue = new Queue(SCHEDULES_QUEUE, { connection: connect(), prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }, 30_000);

  it('removes schedulers of schedules gone from the config at the next start, and only those', async () => {
    const prefix = uniqueName('sched');
    const queue = new Queue(SCHEDULES_QUEUE, { connection: connect(), prefix });
    try {
      // Not one of ours (no `schedule:` prefix): never removed.
      await queue.upsertJobScheduler('other', { pattern: '0 0 1 1 *' }, { name: 'other', data: {} });
      const daily = { ...every('keep', 't2'), every: undefined, pattern: '0 9 * * *', timezone: 'Europe/Berlin' };
      const first = start(prefix, [daily, { ...every('drop', 't2'), every: '1h' }], []);
      await first.synced;
      await first.close();
      expect((await queue.getJobSchedulers()).map((s) => s.key).sort()).toEqual([
        'other',
        'schedule:drop',
        'schedule:keep',
      ]);

      const second = start(prefix, [daily], []);
      await second.synced;
      await second.close();
      const left = await queue.getJobSchedulers();
      expect(left.map((s) => [s.key, s.pattern, s.tz]).sort()).toEqual([
        ['other', '0 0 1 1 *', undefined],
        ['schedule:keep', '0 9 * * *', 'Europe/Berlin'],
      ]);
      expect(await queue.getDelayedCount()).toBe(2);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }, 30_000);

  it('after no worker ran for several ticks, runs once, late, then on time again', async () => {
    const prefix = uniqueName('sched');
    current.t3 = [];
    const schedule = [every('catch-up', 't3')];
    const first = start(prefix, schedule, []);
    await first.synced;
    await sleep(1500);
    await first.close();
    const before = (await runsOf('catch-up')).length;
    expect(before).toBeGreaterThanOrEqual(1);
    expect(first.outcomes.length).toBeGreaterThanOrEqual(1);
    expect(first.outcomes.every((o) => !o.late)).toBe(true);

    // Eight ticks with no worker.
    await sleep(8000);
    const second = start(prefix, schedule, []);
    await second.synced;
    await sleep(2600);
    await second.close();
    const after = (await runsOf('catch-up')).slice(before);
    // The missed ticks are not replayed: one catch-up run, then the ticks from now on.
    expect(after.length).toBeGreaterThanOrEqual(2);
    expect(after.length).toBeLessThanOrEqual(4);
    expect(second.outcomes.map((o) => o.late)).toEqual([true, ...after.slice(1).map(() => false)]);
    const report = await loadReport(db, second.outcomes[0]!.invocationId);
    expect(report?.notes?.[0]).toMatch(/^Late: due \d\d:\d\d UTC, ran \d\d:\d\d UTC \(\d+ s late: no worker ran/);
    const queue = new Queue(SCHEDULES_QUEUE, { connection: connect(), prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }, 40_000);

  it('keeps the overdue iteration of a cron schedule across a restart (upserting it again would skip it)', async () => {
    const prefix = uniqueName('sched');
    current.t5 = [];
    const schedule = [{ ...every('cron-catch-up', 't5'), every: undefined, pattern: '*/2 * * * * *' }];
    const first = start(prefix, schedule, []);
    await first.synced;
    await expect.poll(() => first.outcomes.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    await first.close();
    await sleep(5000);
    const restartedAt = Date.now();
    const second = start(prefix, schedule, []);
    await second.synced;
    await expect.poll(() => second.outcomes.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    await second.close();
    // The first run after the restart is the tick that was due while no worker ran.
    expect(second.outcomes[0]!.due).toBeLessThan(restartedAt - 1000);
    const queue = new Queue(SCHEDULES_QUEUE, { connection: connect(), prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }, 30_000);

  it('onlyOnChange posts the runs where a finding appeared or cleared, naming it', async () => {
    const prefix = uniqueName('sched');
    current.t4 = [{ code: 'fake.ok', severity: 'ok', title: 'All fine', evidence: 'fine' }];
    const posts: { postId: string; conversation: Conversation }[] = [];
    const s = start(prefix, [every('changes', 't4', { onlyOnChange: true })], posts);
    await s.synced;
    await expect.poll(() => s.outcomes.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(posts).toEqual([]);
    current.t4 = [{ code: 'fake.b', severity: 'critical', title: 'B is down', evidence: 'b = 0' }];
    await expect.poll(() => posts.length, { timeout: 5000 }).toBe(1);
    const changed = s.outcomes.find((o) => o.posted)!;
    expect((await loadReport(db, changed.invocationId))?.notes).toEqual([
      'New since the last run (critical): B is down (fake.b)',
    ]);
    const n = s.outcomes.length;
    await expect.poll(() => s.outcomes.length, { timeout: 5000 }).toBeGreaterThanOrEqual(n + 2);
    expect(posts.length).toBe(1);
    current.t4 = [];
    await expect.poll(() => posts.length, { timeout: 5000 }).toBe(2);
    await s.close();
    const queue = new Queue(SCHEDULES_QUEUE, { connection: connect(), prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }, 30_000);
});
