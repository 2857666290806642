/**
 * `npm run check`, schedules and durations part (issue 14): one line per schedule (what it runs when, where it posts,
 * its next run as Redis holds it) and, per target whose runbook durations the config overrides, whether a schedule
 * measures them. Pure over what it is given; `run-setup-check.ts` reads the job schedulers from Redis.
 */
import type { JobSchedulerJson } from 'bullmq';
import type { ChannelSchema, ScheduleConfig } from '../config/config-file.js';
import type { Platform } from '../core/invocation.js';
import { fail, ok, warn, type CheckLine } from '../core/setup-check.js';
import type { SystemModule } from '../core/system.js';
import { formatClockIn, formatElapsed } from '../schedules/format-time.js';
import { resolveScheduledRun } from '../schedules/resolve-scheduled-run.js';
import { SCHEDULER_PREFIX } from '../schedules/start-schedules.js';
import type { z } from 'zod';

export interface SchedulesSetupOptions {
  readonly schedules: readonly ScheduleConfig[];
  readonly systems: readonly SystemModule[];
  readonly channels: Readonly<Record<string, z.infer<typeof ChannelSchema>>>;
  /** The chat platforms the environment turns on (the worker posts only to these). */
  readonly platforms: readonly Platform[];
  /** The `schedules` queue's job schedulers as Redis holds them; a string says why they could not be read. */
  readonly schedulers: readonly JobSchedulerJson[] | string;
  readonly now: Date;
}

/** `every 1m` / `0 9 * * * (Europe/Berlin)`. */
function whenOf(s: ScheduleConfig): string {
  return s.every !== undefined ? `every ${formatElapsed(s.every)}` : `"${s.pattern}" (${s.timezone})`;
}

/** Whether Redis holds the schedule as configured (the worker re-creates a changed one at its start). */
function inStep(current: JobSchedulerJson, s: ScheduleConfig): boolean {
  return s.every !== undefined
    ? current.every === s.every && !current.pattern
    : current.pattern === s.pattern && (current.tz ?? 'UTC') === s.timezone && !current.every;
}

/** One line per schedule: `schedules.<name>`. */
export function checkSchedulesSetup(o: SchedulesSetupOptions): CheckLine[] {
  return o.schedules.map((s, i) => {
    const name = `schedules.${s.name}`;
    const system = o.systems.find((m) => m.id === s.system);
    const run = resolveScheduledRun(system, s);
    if ('problem' in run) {
      return fail(
        name,
        `cannot run: ${run.problem}`,
        `schedules[${i}].${s.workflow !== undefined ? 'workflow' : 'checklist'}`,
      );
    }
    const what = `${run.title.replace(/ \(schedule [^)]*\)$/, '')} on ${s.system}.${s.target}, ${whenOf(s)}`;
    const channel = o.channels[s.channel];
    const reachable = [
      channel?.slack && o.platforms.includes('slack') ? 'slack' : '',
      channel?.teams && o.platforms.includes('teams') ? 'teams' : '',
    ].filter(Boolean);
    if (reachable.length === 0) {
      const has = [channel?.slack ? 'slack' : '', channel?.teams ? 'teams' : ''].filter(Boolean).join(' and ');
      return warn(
        name,
        `${what}: channel ${s.channel} has no destination on a configured chat platform (it has ${has || 'none'}; ` +
          `on: ${o.platforms.join(', ') || 'none'}), so its reports are stored but not posted`,
        has === 'slack'
          ? 'SLACK_BOT_TOKEN (with SLACK_SIGNING_SECRET or Socket Mode)'
          : has === 'teams'
            ? 'MICROSOFT_APP_ID and the other Teams settings'
            : `channels.${s.channel}`,
      );
    }
    const into = `into ${s.channel} (${reachable.join(', ')})${s.onlyOnChange ? ', only on change' : ''}`;
    if (typeof o.schedulers === 'string') {
      return ok(name, `${what}, ${into}; next run unknown (${o.schedulers})`);
    }
    const current = o.schedulers.find((j) => j.key === `${SCHEDULER_PREFIX}${s.name}`);
    if (!current || !inStep(current, s)) {
      return warn(
        name,
        `${what}, ${into}; ${current ? 'Redis still holds its previous timing' : 'not in Redis yet'}: no worker has started with this config since`,
        'start (or restart) a worker: it brings the schedules in Redis in step with the config',
      );
    }
    const next =
      current.next !== undefined
        ? `next run ${formatClockIn(new Date(current.next), o.now, s.timezone)}${s.timezone === 'UTC' ? '' : ` ${s.timezone}`}`
        : 'no next run in Redis';
    return ok(name, `${what}, ${into}; ${next}`);
  });
}

export interface DurationsSetupOptions {
  readonly schedules: readonly ScheduleConfig[];
  readonly systems: readonly Pick<SystemModule, 'id' | 'thresholds'>[];
  /** `thresholds:`: per system, ms by name. */
  readonly thresholds: Readonly<Record<string, Readonly<Record<string, number>> | undefined>>;
  /** The configured instances, per system. */
  readonly targets: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;
}

/**
 * Per target of a system whose `held` durations the config overrides: `thresholds.<system>.<target>`. Held durations
 * are measured across runs of an `every:` schedule (a cron schedule's runs are too far apart to hold a condition
 * through); a target without one keeps its rules' severities, and the override does nothing there.
 */
export function checkDurationsSetup(o: DurationsSetupOptions): CheckLine[] {
  const lines: CheckLine[] = [];
  for (const [system, overrides] of Object.entries(o.thresholds)) {
    const specs = o.systems.find((m) => m.id === system)?.thresholds ?? [];
    const held = Object.entries(overrides ?? {}).filter(([n]) => specs.some((s) => s.name === n && s.kind === 'held'));
    if (held.length === 0) continue;
    const names = held.map(([n, ms]) => `${n} ${formatElapsed(ms)}`).join(', ');
    for (const target of Object.keys(o.targets[system] ?? {})) {
      const name = `thresholds.${system}.${target}`;
      const every = o.schedules
        .filter((s) => s.system === system && s.target === target && s.every !== undefined)
        .sort((a, b) => a.every! - b.every!)[0];
      lines.push(
        every
          ? ok(
              name,
              `${names}: measured across the runs of schedule ${every.name} (every ${formatElapsed(every.every!)})`,
            )
          : warn(
              name,
              `durations are not measured for ${system}.${target}: no every: schedule (${names} do nothing there; its findings keep their rules' severity)`,
              `schedules: an entry with system: ${system}, target: ${target} and every: (e.g. 1m)`,
            ),
      );
    }
  }
  return lines;
}
