import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { pruneExpired, type RetentionPolicy } from '../store/prune-expired.js';
import { MAX_STALLED_COUNT } from './max-stalled-count.js';

/** The queue of the retention prune; also the id of its job scheduler. */
export const RETENTION_QUEUE = 'retention';
export const RETENTION_SCHEDULER = 'retention-prune';

export interface StartRetentionOptions {
  readonly connection: Redis;
  readonly prefix: string;
  readonly db: pg.Pool;
  readonly policy: RetentionPolicy;
  /** Cron pattern, UTC. */
  readonly pattern: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The daily prune: one BullMQ job scheduler per deployment (every worker process upserts the same id, and BullMQ
 * keeps one job per tick however many workers run), processed by whichever worker takes the tick. A new scheduler
 * runs its first iteration at once. Missed ticks are skipped, not replayed: the prune is by age, so the next run
 * catches up.
 */
export function startRetention(o: StartRetentionOptions): { close(): Promise<void> } {
  const log = o.logger.child({ queue: RETENTION_QUEUE });
  const queue = new Queue(RETENTION_QUEUE, {
    connection: o.connection,
    prefix: o.prefix,
    defaultJobOptions: { removeOnComplete: { count: 30 }, removeOnFail: { count: 30 } },
  });
  queue.on('error', (err) => log.error({ err: { message: err.message } }, 'queue error'));
  const abort = new AbortController();
  const worker = new Worker(
    RETENTION_QUEUE,
    async () => {
      await pruneExpired({ db: o.db, policy: o.policy, clock: o.clock, logger: log, signal: abort.signal });
    },
    // One prune at a time per process; a long one must not be taken over as stalled while it runs.
    {
      connection: o.connection,
      prefix: o.prefix,
      concurrency: 1,
      lockDuration: 120_000,
      maxStalledCount: MAX_STALLED_COUNT,
    },
  );
  worker.on('error', (err) => log.error({ err: { message: err.message } }, 'worker error'));
  worker.on('failed', (_job, err) => log.warn({ err: { message: err.message } }, 'retention prune failed'));
  queue
    .upsertJobScheduler(
      RETENTION_SCHEDULER,
      { pattern: o.pattern, tz: 'UTC' },
      // The prune is by age and idempotent: a run that failed (Postgres down) is simply tried again.
      { name: 'prune', data: {}, opts: { attempts: 5, backoff: { type: 'exponential', delay: 60_000 } } },
    )
    .catch((err: Error) => log.warn({ err: { message: err.message } }, 'could not schedule the retention prune'));
  return {
    async close() {
      abort.abort();
      await worker.close();
      await queue.close();
    },
  };
}
