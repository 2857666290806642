import type pg from 'pg';
import type { ScheduleConfig } from '../config/config-file.js';
import type { Clock } from '../core/clock.js';
import type { Finding } from '../core/report.js';
import type { SystemModule } from '../core/system.js';
import { formatClockIn, formatElapsed } from '../schedules/format-time.js';
import { resolveScheduledRun } from '../schedules/resolve-scheduled-run.js';
import { lastScheduleRuns } from '../store/finding-history.js';
import type { EngineWorkflow } from './run-diagnostic.js';

/** A job scheduler as Redis holds it (BullMQ `getJobSchedulers()`): its id and next run, ms. */
export interface SchedulerState {
  readonly key: string;
  readonly next?: number | null;
}

export interface SchedulesWorkflowOptions {
  readonly db: pg.Pool;
  readonly schedules: readonly ScheduleConfig[];
  readonly systems: readonly SystemModule[];
  /** The `schedules` queue's job schedulers. */
  readonly getSchedulers: () => Promise<readonly SchedulerState[]>;
  readonly clock: Clock;
}

/**
 * `/runbook schedules`: each configured schedule with its target, what it runs, when (pattern and time zone, or
 * interval), its channel, its last run (time and verdict, from the finding history) and its next run (from the job
 * scheduler in Redis).
 */
export function createSchedulesWorkflow(o: SchedulesWorkflowOptions): EngineWorkflow {
  return {
    id: 'schedules',
    title: 'Schedules',
    async run() {
      const now = new Date(o.clock.now());
      const [last, schedulers] = await Promise.all([
        lastScheduleRuns(
          o.db,
          o.schedules.map((s) => s.name),
        ),
        o.getSchedulers(),
      ]);
      const findings: Finding[] = o.schedules.map((s) => {
        const run = resolveScheduledRun(
          o.systems.find((m) => m.id === s.system),
          s,
        );
        const what = s.checklist !== undefined ? `checklist ${s.checklist}` : `workflow ${s.workflow}`;
        const when = s.every !== undefined ? `every ${formatElapsed(s.every)}` : `cron "${s.pattern}" (${s.timezone})`;
        const lastRun = last.get(s.name);
        const next = schedulers.find((j) => j.key === `schedule:${s.name}`)?.next;
        const lines = [
          `${s.system}/${s.target} · ${what} · ${when} · channel ${s.channel}${s.onlyOnChange ? ' (only on change)' : ''}`,
          lastRun
            ? `Last run: ${formatClockIn(lastRun.at, now, s.timezone)} (${formatElapsed(now.getTime() - lastRun.at.getTime())} ago), ${lastRun.verdict}`
            : 'Last run: none yet',
          next ? `Next run: ${formatClockIn(new Date(next), now, s.timezone)}` : 'Next run: not scheduled in Redis',
        ];
        if ('problem' in run) {
          return {
            code: 'runbook.schedules.cannot-run',
            severity: 'warning',
            title: `${s.name}: cannot run`,
            evidence: [`${run.problem}.`, ...lines].join('\n'),
            nextStep: `Fix schedules entry "${s.name}" in the config file and restart the workers.`,
          } satisfies Finding;
        }
        return {
          code: 'runbook.schedules.schedule',
          severity: 'ok',
          title: `${s.name}: ${run.title.replace(/ \(schedule [^)]*\)$/, '')}`,
          evidence: lines.join('\n'),
        } satisfies Finding;
      });
      return {
        findings,
        summary: o.schedules.length
          ? `${o.schedules.length} schedule${o.schedules.length === 1 ? '' : 's'} configured`
          : 'No schedules configured (schedules: in the config file)',
      };
    },
  };
}
