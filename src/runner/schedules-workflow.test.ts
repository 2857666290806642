/** `/runbook schedules` and what a schedule runs, on a real Postgres. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMigratedTestPool } from '../../test/support/services.js';
import { ScheduleSchema } from '../config/config-file.js';
import { fixedClock } from '../core/clock.js';
import type { Invocation } from '../core/invocation.js';
import { createChecklistWorkflow } from '../core/checklist.js';
import type { SystemModule } from '../core/system.js';
import { resolveScheduledRun } from '../schedules/resolve-scheduled-run.js';
import { recordFindingRun } from '../store/finding-history.js';
import { createSchedulesWorkflow } from './schedules-workflow.js';

let db: pg.Pool;
beforeAll(async () => {
  db = await createMigratedTestPool(3);
}, 60_000);
afterAll(async () => {
  await db?.end();
});

const system = (id: string, displayName: string, workflows: string[], checklists: string[] = []): SystemModule => ({
  id,
  displayName,
  instanceSchema: z.object({}),
  createClients: () => ({}),
  workflows: [
    ...workflows.map((w) => ({
      id: w,
      title: `${displayName} ${w}`,
      description: '',
      run: async () => ({ findings: [] }),
    })),
    ...(checklists.length
      ? [
          createChecklistWorkflow<unknown>({
            system: id,
            displayName,
            checklists: checklists.map((name) => ({ name, section: name, items: [] })),
          }),
        ]
      : []),
  ],
  remediations: [],
});
const tryitnow = system('tryitnow', 'Try It Now', ['health', 'pool'], ['daily']);
const m4 = system('m4', 'M4', ['run']);

describe('resolveScheduledRun', () => {
  it('runs a named workflow, or a checklist of the system (its `checklist` workflow with the name)', () => {
    expect(resolveScheduledRun(tryitnow, { name: 'tin-pool', workflow: 'pool' })).toEqual({
      workflow: 'pool',
      args: {},
      title: 'Try It Now pool (schedule tin-pool)',
    });
    expect(resolveScheduledRun(tryitnow, { name: 'tin-daily', checklist: 'daily' })).toEqual({
      workflow: 'checklist',
      args: { checklist: 'daily' },
      title: 'Try It Now daily checklist',
    });
    expect(resolveScheduledRun(tryitnow, { name: 'x', checklist: 'weekly' })).toEqual({
      problem: 'Try It Now has no checklist "weekly" (one of: daily)',
    });
    expect(resolveScheduledRun(m4, { name: 'x', checklist: 'daily' })).toEqual({
      problem: 'M4 has no checklist "daily" (it has no checklists)',
    });
    expect(resolveScheduledRun(m4, { name: 'x', workflow: 'nope' })).toEqual({
      problem: 'M4 has no workflow "nope" (one of: run)',
    });
  });
});

describe('/runbook schedules', () => {
  it('lists each schedule with its target, timing, channel, last run and next run', async () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    const schedules = [
      {
        name: 'tin-daily',
        system: 'tryitnow',
        target: 'prod',
        checklist: 'daily',
        pattern: '0 9 * * *',
        timezone: 'Europe/Berlin',
        channel: 'ops',
      },
      {
        name: 'tin-pool',
        system: 'tryitnow',
        target: 'prod',
        workflow: 'pool',
        every: '10m',
        channel: 'ops',
        onlyOnChange: true,
      },
      { name: 'm4-daily', system: 'm4', target: 'prod', checklist: 'daily', every: '1d', channel: 'ops' },
    ].map((s) => ScheduleSchema.parse(s));
    await recordFindingRun(db, {
      runId: 'sch_1',
      system: 'tryitnow',
      target: 'prod',
      workflow: 'health',
      schedule: 'tin-daily',
      at: new Date(Date.parse('2026-12-06T08:00:00Z')),
      findings: [{ code: 'x', severity: 'warning', title: 'X' }],
    });
    const workflow = createSchedulesWorkflow({
      db,
      schedules,
      systems: [tryitnow, m4],
      getSchedulers: async () => [
        { key: 'schedule:tin-daily', next: Date.parse('2026-12-07T08:00:00Z') },
        { key: 'schedule:tin-pool', next: Date.parse('2026-12-06T10:10:00Z') },
      ],
      clock: fixedClock(now),
    });
    const result = await workflow.run({} as Invocation, new AbortController().signal);
    expect(result.summary).toBe('3 schedules configured');
    expect(result.findings).toEqual([
      {
        code: 'runbook.schedules.schedule',
        severity: 'ok',
        title: 'tin-daily: Try It Now daily checklist',
        evidence: [
          'tryitnow/prod · checklist daily · cron "0 9 * * *" (Europe/Berlin) · channel ops',
          'Last run: 09:00 (2 h ago), warning',
          'Next run: Dec 7, 09:00',
        ].join('\n'),
      },
      {
        code: 'runbook.schedules.schedule',
        severity: 'ok',
        title: 'tin-pool: Try It Now pool',
        evidence: [
          'tryitnow/prod · workflow pool · every 10 min · channel ops (only on change)',
          'Last run: none yet',
          'Next run: 10:10 UTC',
        ].join('\n'),
      },
      {
        code: 'runbook.schedules.cannot-run',
        severity: 'warning',
        title: 'm4-daily: cannot run',
        evidence: [
          'M4 has no checklist "daily" (it has no checklists).',
          'tryitnow/prod · checklist daily · every 1 d · channel ops'.replace('tryitnow', 'm4'),
          'Last run: none yet',
          'Next run: not scheduled in Redis',
        ].join('\n'),
        nextStep: 'Fix schedules entry "m4-daily" in the config file and restart the workers.',
      },
    ]);
  });
});
