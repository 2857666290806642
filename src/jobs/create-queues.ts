import { Queue, type DefaultJobOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import {
  QUEUES,
  type AlertEventJob,
  type ChatPostJob,
  type DiagnosticJob,
  type IncidentActionJob,
  type IncidentPostJob,
  type InteractionJob,
  type RemediationJob,
} from './job-schemas.js';

/** Retention: completed jobs stay a day so that their jobId keeps deduplicating redeliveries (Slack retries). */
const RETENTION: Pick<DefaultJobOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
};

export interface BotQueues {
  readonly diagnostics: Queue<DiagnosticJob>;
  readonly chatPosts: Queue<ChatPostJob>;
  readonly interactions: Queue<InteractionJob>;
  readonly remediations: Queue<RemediationJob>;
  readonly alertEvents: Queue<AlertEventJob>;
  readonly incidentPosts: Queue<IncidentPostJob>;
  readonly incidentActions: Queue<IncidentActionJob>;
  close(): Promise<void>;
}

/** The producer side of every queue, on one shared connection, with an `error` listener each. */
export function createQueues(connection: Redis, prefix: string, logger: Logger): BotQueues {
  // A diagnostic reads its target and records what it found, so running it again is safe. Enough attempts to outlast
  // a Postgres or Redis restart (1 s doubling: about two minutes): three ran out in a 4 s Postgres restart in the soak,
  // and the acknowledged command was never answered.
  const diagnostics = new Queue<DiagnosticJob>(QUEUES.diagnostics, {
    connection,
    prefix,
    defaultJobOptions: { ...RETENTION, attempts: 8, backoff: { type: 'exponential', delay: 1000, jitter: 0.3 } },
  });
  const chatPosts = new Queue<ChatPostJob>(QUEUES.chatPosts, {
    connection,
    prefix,
    defaultJobOptions: { ...RETENTION, attempts: 8, backoff: { type: 'exponential', delay: 1000, jitter: 0.3 } },
  });
  const interactions = new Queue<InteractionJob>(QUEUES.interactions, {
    connection,
    prefix,
    defaultJobOptions: { ...RETENTION, attempts: 5, backoff: { type: 'exponential', delay: 1000, jitter: 0.3 } },
  });
  // Retrying the job is safe: a failed step is recorded as `failed` and never re-run, and a retry after a crash
  // mid-step finds the record `executing` and reports outcome-unknown instead of running it again. Retries only
  // cover what happens before the point of no return (Postgres briefly down, the target lock held).
  const remediations = new Queue<RemediationJob>(QUEUES.remediations, {
    connection,
    prefix,
    defaultJobOptions: { ...RETENTION, attempts: 3, backoff: { type: 'fixed', delay: 2000 } },
  });
  // Processing an event is idempotent (Postgres remembers what was applied), so retries are safe; they cover
  // Postgres being briefly down. Many attempts: an alert must not be lost to a short outage.
  const alertEvents = new Queue<AlertEventJob>(QUEUES.alertEvents, {
    connection,
    prefix,
    defaultJobOptions: { ...RETENTION, attempts: 12, backoff: { type: 'exponential', delay: 1000, jitter: 0.3 } },
  });
  const incidentPosts = new Queue<IncidentPostJob>(QUEUES.incidentPosts, {
    connection,
    prefix,
    defaultJobOptions: { ...RETENTION, attempts: 8, backoff: { type: 'exponential', delay: 1000, jitter: 0.3 } },
  });
  // Retries cover what happens before the request (Postgres briefly down): the action's record, keyed by the click,
  // keeps a retry from sending it twice (a retry after the write re-checks PagerDuty instead). Enough attempts to
  // outlast a Postgres restart, as for diagnostics.
  const incidentActions = new Queue<IncidentActionJob>(QUEUES.incidentActions, {
    connection,
    prefix,
    defaultJobOptions: { ...RETENTION, attempts: 8, backoff: { type: 'exponential', delay: 1000, jitter: 0.3 } },
  });
  for (const q of [diagnostics, chatPosts, interactions, remediations, alertEvents, incidentPosts, incidentActions]) {
    q.on('error', (err) => logger.error({ queue: q.name, err: { message: err.message } }, 'queue error'));
  }
  return {
    diagnostics,
    chatPosts,
    interactions,
    remediations,
    alertEvents,
    incidentPosts,
    incidentActions,
    async close() {
      await Promise.all([
        diagnostics.close(),
        chatPosts.close(),
        interactions.close(),
        remediations.close(),
        alertEvents.close(),
        incidentPosts.close(),
        incidentActions.close(),
      ]);
    },
  };
}
