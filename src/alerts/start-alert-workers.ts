import { DelayedError, UnrecoverableError, Worker, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import type { BotQueues } from '../jobs/create-queues.js';
import { unrecoverableIfPermanent } from '../jobs/unrecoverable-if-permanent.js';
import {
  AlertEventJobSchema,
  IncidentActionJobSchema,
  IncidentPostJobSchema,
  QUEUES,
  type AlertEventJob,
  type IncidentActionJob,
  type IncidentPostJob,
} from '../jobs/job-schemas.js';
import { processAlertEvent, type ProcessAlertEventDeps, type ProcessAlertEventResult } from './process-alert-event.js';
import { reconcileStormSummary, reconcileThread, type ReconcileDeps } from './reconcile-incident-posts.js';
import { alertEventJobId } from './record-alert-event.js';
import { MAX_STALLED_COUNT } from '../jobs/max-stalled-count.js';

export interface AlertWorkerDeps {
  readonly connection: Redis;
  readonly prefix: string;
  readonly queues: BotQueues;
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly process: ProcessAlertEventDeps;
  readonly reconcile: ReconcileDeps;
  readonly logger: Logger;
  /** How often recorded-but-unprocessed events are re-queued, ms. Default 30 000. */
  readonly sweepEveryMs?: number;
  /** Carries out a click on an incident root, or the silence sweep (issue 12). Absent: no `incident-actions` worker. */
  readonly incidentActions?: (job: IncidentActionJob, queuedAt: number) => Promise<void>;
  /** How often active silences are checked for their end-of-silence reminder, ms. Default 60 000. */
  readonly silenceSweepEveryMs?: number;
}

/** How long a job waits for its event's row to appear, ms. */
const UNKNOWN_EVENT_PATIENCE_MS = 60_000;

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120);

/** Queues the chat follow-ups of an applied event: one job per change (coalesced by the render guard). */
async function queueFollowUps(queues: BotQueues, r: ProcessAlertEventResult): Promise<void> {
  for (const t of r.threads) {
    await queues.incidentPosts.add(
      'thread',
      { kind: 'thread', incidentId: t.incidentId, platform: t.platform },
      { jobId: `thr-${t.incidentId}-${t.platform}-${t.version}` },
    );
  }
  for (const s of r.summaries) {
    await queues.incidentPosts.add(
      'storm-summary',
      { kind: 'storm-summary', platform: s.platform, channelId: s.channelId, windowStart: s.windowStart.toISOString() },
      { jobId: `sum-${s.platform}-${safe(s.channelId)}-${s.windowStart.getTime()}-${s.suppressed}` },
    );
  }
}

/**
 * Re-queues events recorded but never queued, or queued long ago and still not processed (Redis lost the job), and
 * threads left behind. Returns how many events were re-queued.
 */
export async function sweepAlerts(deps: Pick<AlertWorkerDeps, 'process' | 'queues' | 'logger'>): Promise<number> {
  const { rows } = await deps.process.db.query<{ id: string }>(
    `select id from alert_events
     where (queued_at is null and received_at < now() - interval '30 seconds')
        or (processed_at is null and queued_at < now() - interval '2 minutes')
     order by received_at limit 500`,
  );
  const stamp = Math.floor(Date.now() / 60_000);
  for (const { id } of rows) {
    await deps.queues.alertEvents.add(
      'event',
      { kind: 'event', eventId: id },
      { jobId: `${alertEventJobId(id)}-s${stamp}` },
    );
    await deps.process.db.query(`update alert_events set queued_at = now() where id = $1 and queued_at is null`, [id]);
  }
  if (rows.length) deps.logger.warn({ events: rows.length }, 're-queued alert events whose job was lost');
  // Threads left behind (their job failed for good, or Redis lost it): a root never posted, or a note of the last
  // hour still unposted a minute after it was recorded.
  const { rows: threads } = await deps.process.db.query<{ incident_id: string; platform: string }>(
    `select t.incident_id, t.platform from incident_threads t
     where not t.suppressed and (
       (t.root_message_id is null and t.created_at between now() - interval '1 hour' and now() - interval '1 minute')
       or exists (
         select 1 from incident_notes n
         where n.incident_id = t.incident_id
           and n.created_at between now() - interval '1 hour' and now() - interval '1 minute'
           and not exists (select 1 from chat_posts p where p.post_id = 'note:' || n.id || ':' || t.platform)))
     limit 200`,
  );
  for (const t of threads) {
    await deps.queues.incidentPosts.add(
      'thread',
      { kind: 'thread', incidentId: t.incident_id, platform: t.platform as 'slack' | 'teams' | 'terminal' },
      { jobId: `thr-${t.incident_id}-${t.platform}-s${stamp}` },
    );
  }
  if (threads.length) deps.logger.warn({ threads: threads.length }, 're-queued incident threads left behind');
  return rows.length;
}

/**
 * The alert workers: `alert-events` applies recorded events to incidents in Postgres and queues the chat follow-ups;
 * `incident-posts` brings roots, notes and storm summaries up to date, paced per channel and waiting in the queue
 * (not in memory) for its slot or a 429's `Retry-After`.
 */
export function startAlertWorkers(deps: AlertWorkerDeps): { close(timeoutMs?: number): Promise<void> } {
  const log = deps.logger;
  const options = {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    lockDuration: deps.lockDurationMs,
    stalledInterval: deps.stalledIntervalMs,
    maxStalledCount: MAX_STALLED_COUNT,
  };

  const alertEvents = new Worker<AlertEventJob>(
    QUEUES.alertEvents,
    (async (job, token) => {
      const parsed = AlertEventJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError('invalid alert event job data');
      if (parsed.data.kind === 'sweep') {
        await sweepAlerts(deps);
        return;
      }
      const result = await processAlertEvent(parsed.data.eventId, deps.process);
      if (result.outcome === 'unknown-event') {
        // The web queues and records at the same time: the row may not be committed yet, or its recording failed
        // and the sender's retry will bring it (same job id). Wait a while for it, then give up (a row that turns
        // up later is re-queued by the sweep).
        if (Date.now() - job.timestamp > UNKNOWN_EVENT_PATIENCE_MS || !token) {
          throw new UnrecoverableError('alert event not found');
        }
        await job.moveToDelayed(Date.now() + 250, token);
        throw new DelayedError();
      }
      if (result.outcome === 'deferred' && token) {
        await job.moveToDelayed(Date.now() + 100 + Math.floor(Math.random() * 100), token);
        throw new DelayedError();
      }
      await queueFollowUps(deps.queues, result);
    }) as Processor<AlertEventJob>,
    options,
  );

  const incidentPosts = new Worker<IncidentPostJob>(
    QUEUES.incidentPosts,
    (async (job, token) => {
      const parsed = IncidentPostJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError('invalid incident post job data');
      const data = parsed.data;
      let result;
      try {
        result =
          data.kind === 'thread'
            ? await reconcileThread(deps.reconcile, data.incidentId, data.platform, job.id!)
            : await reconcileStormSummary(
                deps.reconcile,
                data.platform,
                data.channelId,
                new Date(data.windowStart),
                job.id!,
              );
      } catch (err) {
        throw unrecoverableIfPermanent(err);
      }
      if (result.kind === 'wait' && token) {
        // Waits in Redis (survives restarts), not in this process.
        await job.moveToDelayed(Date.now() + result.ms, token);
        throw new DelayedError();
      }
    }) as Processor<IncidentPostJob>,
    options,
  );

  const handleAction = deps.incidentActions;
  const incidentActions = handleAction
    ? new Worker<IncidentActionJob>(
        QUEUES.incidentActions,
        (async (job) => {
          const parsed = IncidentActionJobSchema.safeParse(job.data);
          if (!parsed.success) throw new UnrecoverableError('invalid incident action job data');
          await handleAction(parsed.data, job.timestamp).catch((err: unknown) => {
            throw unrecoverableIfPermanent(err);
          });
        }) as Processor<IncidentActionJob>,
        options,
      )
    : undefined;
  if (incidentActions) {
    deps.queues.incidentActions
      .upsertJobScheduler(
        'silence-sweep',
        { every: deps.silenceSweepEveryMs ?? 60_000 },
        { name: 'silence-sweep', data: { kind: 'silence-sweep' } },
      )
      .catch((err: Error) => log.warn({ err: { message: err.message } }, 'could not schedule the silence sweep'));
  }

  const all = [alertEvents, incidentPosts, ...(incidentActions ? [incidentActions] : [])];
  for (const w of all) {
    w.on('error', (err) => log.error({ queue: w.name, err: { message: err.message } }, 'worker error'));
    w.on('failed', (job, err) =>
      log.warn(
        { queue: w.name, jobId: job?.id, attempt: job?.attemptsMade, err: { message: err.message } },
        'job failed',
      ),
    );
  }
  // One scheduler for the whole deployment (upsert is idempotent across worker processes).
  deps.queues.alertEvents
    .upsertJobScheduler(
      'alert-events-sweep',
      { every: deps.sweepEveryMs ?? 30_000 },
      { name: 'sweep', data: { kind: 'sweep' } },
    )
    .catch((err: Error) => log.warn({ err: { message: err.message } }, 'could not schedule the alert events sweep'));

  return {
    async close(timeoutMs = 25_000) {
      const graceful = Promise.all(all.map((w) => w.close()));
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
      if ((await Promise.race([graceful.then(() => 'ok' as const), timer])) === 'timeout') {
        log.warn({ timeoutMs }, 'alert workers did not finish in time; closing forcefully');
        await Promise.all(all.map((w) => w.close(true)));
      }
    },
  };
}
