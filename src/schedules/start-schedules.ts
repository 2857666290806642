import { createHash } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job, type JobSchedulerJson } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { ChannelSchema, ScheduleConfig } from '../config/config-file.js';
import type { Clock } from '../core/clock.js';
import type { Conversation, Invocation, Platform } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import type { Report } from '../core/report.js';
import type { SystemModule } from '../core/system.js';
import type { ReportDraft } from '../runner/run-diagnostic.js';
import { hasChanges, type FindingDiff } from '../store/finding-history.js';
import type { z } from 'zod';
import { formatClockIn, formatElapsed } from './format-time.js';
import { recordRunHistory } from './record-run-history.js';
import { resolveScheduledRun, type ScheduledRun } from './resolve-scheduled-run.js';
import { MAX_STALLED_COUNT } from '../jobs/max-stalled-count.js';

/** The queue of scheduled runs. */
export const SCHEDULES_QUEUE = 'schedules';
/** Job scheduler ids are `schedule:<name>`: only these are ever removed when a schedule leaves the config. */
export const SCHEDULER_PREFIX = 'schedule:';

/** Job data of a scheduled run: the schedule's name only (the worker reads the rest from its config). */
export interface ScheduleJob {
  readonly schedule: string;
}

export interface StartSchedulesOptions {
  readonly connection: Redis;
  readonly prefix: string;
  readonly db: pg.Pool;
  readonly schedules: readonly ScheduleConfig[];
  readonly systems: readonly SystemModule[];
  readonly channels: Readonly<Record<string, z.infer<typeof ChannelSchema>>>;
  /** Chat platforms this process can post to. */
  readonly platforms: readonly Platform[];
  /** Runs a workflow and stores its report, calling `beforeReport` first (src/runner `runDiagnostic`). */
  readonly runDiagnostic: (
    invocation: Invocation,
    beforeReport: (invocation: Invocation, draft: ReportDraft) => Promise<ReportDraft>,
  ) => Promise<Report>;
  /** Queues the post of a stored report (`chat-posts`), once per `postId`. */
  readonly postReport: (invocation: Invocation, conversation: Conversation, postId: string) => Promise<void>;
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** When a scheduled job was due: the millis in its id (`repeat:<scheduler id>:<millis>`), else its delay's end. */
export function dueTimeOf(job: Pick<Job, 'id' | 'timestamp' | 'delay'>): number {
  const millis = Number(job.id?.slice(job.id.lastIndexOf(':') + 1));
  return Number.isSafeInteger(millis) && millis > 0 ? millis : job.timestamp + (job.delay ?? 0);
}

/**
 * How late a run may start before it says so: one `every` interval, at most a minute (a cron schedule: a minute),
 * and never less than 5 s (a busy worker is not an outage).
 */
export function lateToleranceMs(schedule: Pick<ScheduleConfig, 'every'>): number {
  return Math.max(5000, Math.min(schedule.every ?? 60_000, 60_000));
}

/** The repeat options of a schedule's job scheduler. */
function repeatOf(s: ScheduleConfig): { pattern: string; tz: string } | { every: number } {
  return s.every !== undefined ? { every: s.every } : { pattern: s.pattern!, tz: s.timezone };
}

function isSameScheduler(current: JobSchedulerJson, s: ScheduleConfig): boolean {
  const wanted = repeatOf(s);
  const data = current.template?.data as Partial<ScheduleJob> | undefined;
  return (
    data?.schedule === s.name &&
    ('every' in wanted
      ? current.every === wanted.every && !current.pattern
      : current.pattern === wanted.pattern && (current.tz ?? 'UTC') === wanted.tz && !current.every)
  );
}

/**
 * Brings the job schedulers in Redis in step with the config: removes `schedule:*` schedulers whose schedule is no
 * longer configured, creates missing ones, and replaces changed ones. An unchanged scheduler whose next iteration
 * exists is left alone: re-upserting a cron scheduler would move an overdue iteration to the next cron time and lose
 * the catch-up run after an outage. Returns the ids removed and upserted.
 */
export async function syncJobSchedulers(
  queue: Queue,
  schedules: readonly ScheduleConfig[],
): Promise<{ removed: string[]; upserted: string[] }> {
  const existing = await queue.getJobSchedulers(0, -1);
  const wanted = new Map(schedules.map((s) => [`${SCHEDULER_PREFIX}${s.name}`, s]));
  const removed: string[] = [];
  const upserted: string[] = [];
  for (const current of existing) {
    if (current.key.startsWith(SCHEDULER_PREFIX) && !wanted.has(current.key)) {
      await queue.removeJobScheduler(current.key);
      removed.push(current.key);
    }
  }
  for (const [id, s] of wanted) {
    const current = existing.find((e) => e.key === id);
    if (current && isSameScheduler(current, s) && current.next) {
      const pending = await queue.getJob(`repeat:${id}:${current.next}`);
      if (pending) continue;
    }
    await queue.upsertJobScheduler(id, repeatOf(s), {
      name: 'run',
      data: { schedule: s.name } satisfies ScheduleJob,
      // A run that could not store its report (Postgres down) is tried again; the retry is the same invocation.
      opts: {
        attempts: 3,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: { count: 100 },
        removeOnFail: { count: 100 },
      },
    });
    upserted.push(id);
  }
  return { removed, upserted };
}

/** Where a schedule's report goes: one conversation per platform of its channel that this process can post to. */
function destinationsOf(
  channel: z.infer<typeof ChannelSchema> | undefined,
  platforms: readonly Platform[],
): Conversation[] {
  const out: Conversation[] = [];
  if (channel?.slack && platforms.includes('slack')) out.push({ platform: 'slack', channelId: channel.slack });
  if (channel?.teams && platforms.includes('teams')) {
    out.push({ platform: 'teams', channelId: channel.teams.conversationId });
  }
  return out;
}

/** The outcome of one scheduled run, for logs and tests. */
export interface ScheduledRunOutcome {
  readonly invocationId: string;
  /** When the tick was due, ms. */
  readonly due: number;
  readonly late: boolean;
  readonly posted: boolean;
  readonly diff?: FindingDiff;
}

/**
 * Scheduled runs (issue 14): each configured schedule is one BullMQ job scheduler (`schedule:<name>`) on the
 * `schedules` queue, kept in step with the config at start ({@link syncJobSchedulers}). BullMQ creates one job per
 * tick however many workers run (the next iteration is created by the worker that takes the current one), and skips
 * ticks no worker was there for: after an outage the one overdue iteration runs once, and its report says it is
 * late. Each run goes through the same path as a command (stored report, invocation, finding history) and posts as
 * a new message in the schedule's channel, unless `onlyOnChange` and nothing changed since the previous run.
 */
export function startSchedules(o: StartSchedulesOptions): {
  close(): Promise<void>;
  /** Resolves when the schedulers are in step with the config (rejects if Redis refused). */
  readonly synced: Promise<void>;
  /** Runs of this process, newest last (bounded), for tests. */
  readonly outcomes: ScheduledRunOutcome[];
  /** The `schedules` queue's job schedulers as Redis holds them (for `/runbook schedules`). */
  listSchedulers(): Promise<JobSchedulerJson[]>;
} {
  const log = o.logger.child({ queue: SCHEDULES_QUEUE });
  const byName = new Map(o.schedules.map((s) => [s.name, s]));
  const runs = new Map<string, ScheduledRun | { problem: string }>();
  for (const s of o.schedules) {
    const run = resolveScheduledRun(
      o.systems.find((m) => m.id === s.system),
      s,
    );
    runs.set(s.name, run);
    if ('problem' in run) log.error({ schedule: s.name }, `schedule "${s.name}" cannot run: ${run.problem}`);
  }
  const outcomes: ScheduledRunOutcome[] = [];
  let closing = false;
  const queue = new Queue<ScheduleJob>(SCHEDULES_QUEUE, { connection: o.connection, prefix: o.prefix });
  queue.on('error', (err) => log.error({ err: { message: err.message } }, 'queue error'));

  const processRun = async (job: Job<ScheduleJob>): Promise<void> => {
    const name = typeof job.data?.schedule === 'string' ? job.data.schedule : '';
    const s = byName.get(name);
    // A leftover iteration of a schedule removed from the config (another process still runs the old config).
    if (!s) return;
    const run = runs.get(name);
    if (!run || 'problem' in run) throw new UnrecoverableError(`schedule ${name} cannot run`);
    const due = dueTimeOf(job);
    const startedAt = job.processedOn ?? o.clock.now();
    const late = startedAt - due > lateToleranceMs(s);
    const invocationId = `sch_${createHash('sha256').update(`${name}\0${due}`).digest('hex').slice(0, 20)}`;
    const destinations = destinationsOf(o.channels[s.channel], o.platforms);
    const conversation: Conversation = destinations[0] ?? { platform: 'terminal', channelId: `schedule:${name}` };
    const invocation: Invocation = {
      invocationId,
      system: s.system,
      workflow: run.workflow,
      target: s.target,
      args: run.args,
      actor: { platform: conversation.platform, userId: `schedule:${name}`, name: `schedule ${name}` },
      conversation,
      requestedAt: new Date(due).toISOString(),
    };
    let diff: FindingDiff | undefined;
    await o.runDiagnostic(invocation, async (inv, draft) => {
      const recorded = await recordRunHistory(
        o.db,
        inv,
        { ...draft, title: run.title },
        {
          now: new Date(o.clock.now()),
          schedule: { name, timezone: s.timezone },
        },
      );
      diff = recorded.diff;
      if (!late) return recorded.draft;
      const now = new Date(startedAt);
      const lateLine =
        `Late: due ${formatClockIn(new Date(due), now, s.timezone)}, ran ${formatClockIn(now, now, s.timezone)} ` +
        `(${formatElapsed(startedAt - due)} late: no worker ran the schedule at its time; missed runs are not replayed).`;
      return { ...recorded.draft, notes: [lateLine, ...(recorded.draft.notes ?? [])] };
    });
    const quiet = s.onlyOnChange && diff !== undefined && !hasChanges(diff) && !late;
    if (!quiet) {
      if (destinations.length === 0) {
        log.warn(
          { schedule: name, channel: s.channel },
          'schedule channel has no destination on a configured chat platform',
        );
      }
      for (const d of destinations) {
        await o.postReport(
          invocation,
          d,
          d === destinations[0] ? `report:${invocationId}` : `report:${invocationId}:${d.platform}`,
        );
      }
    }
    outcomes.push({ invocationId, due, late, posted: !quiet && destinations.length > 0, ...(diff ? { diff } : {}) });
    if (outcomes.length > 1000) outcomes.shift();
    log.info({ schedule: name, invocationId, late, posted: !quiet }, 'scheduled run finished');
  };

  const worker = new Worker<ScheduleJob>(SCHEDULES_QUEUE, processRun, {
    connection: o.connection,
    prefix: o.prefix,
    concurrency: o.concurrency,
    lockDuration: o.lockDurationMs,
    maxStalledCount: MAX_STALLED_COUNT,
    // Started once the schedulers are in step with the config, so that what runs first is decided by the config.
    autorun: false,
  });
  worker.on('error', (err) => log.error({ err: { message: err.message } }, 'worker error'));
  worker.on('failed', (job, err) =>
    log.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: { message: err.message } }, 'scheduled run failed'),
  );
  const valid = o.schedules.filter((s) => !('problem' in (runs.get(s.name) ?? { problem: '' })));
  const synced = syncJobSchedulers(queue as unknown as Queue, valid).then(
    ({ removed, upserted }) => {
      if (removed.length || upserted.length) log.info({ removed, upserted }, 'job schedulers in step with the config');
    },
    (err: Error) => {
      log.warn({ err: { message: err.message } }, 'could not bring the schedules in step with the config');
      throw err;
    },
  );
  synced
    .catch(() => {})
    .finally(() => {
      if (closing) return;
      worker.run().catch((err: Error) => log.error({ err: { message: err.message } }, 'schedules worker stopped'));
    });
  return {
    synced,
    outcomes,
    listSchedulers: () => queue.getJobSchedulers(0, -1),
    async close() {
      closing = true;
      await synced.catch(() => {});
      await worker.close();
      await queue.close();
    },
  };
}
