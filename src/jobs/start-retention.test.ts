/**
 * The retention prune's scheduling on a real Redis and Postgres: two worker processes' worth of startRetention make
 * one job scheduler, each tick runs once (not once per worker), prunes, and the metric shows it.
 */
import { Queue } from 'bullmq';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../test/support/namespace.js';
import { bullmqConnections, createMigratedTestPool } from '../../test/support/services.js';
import { RetentionSchema } from '../config/config-file.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { registerRetentionMetrics } from '../store/retention-metrics.js';
import { RETENTION_QUEUE, RETENTION_SCHEDULER, startRetention } from './start-retention.js';

let db: pg.Pool;
const { connect, disconnectAll } = bullmqConnections();

beforeAll(async () => {
  db = await createMigratedTestPool(5);
}, 60_000);
afterAll(async () => {
  disconnectAll();
  await db?.end();
});

describe('startRetention', () => {
  it('keeps one scheduler for the deployment however many workers start, and each tick runs once', async () => {
    const prefix = uniqueName('retention');
    for (let i = 0; i < 5; i++) {
      await db.query(
        `insert into identities (principal, resolved_at) values ($1, now() - interval '60 days'), ($2, now())`,
        [`slack:UOLD${i}`, `slack:UNEW${i}`],
      );
    }
    // Every second instead of daily, so that the test sees ticks (a cron pattern with a seconds field).
    const config = RetentionSchema.parse({ batchSize: 2, pattern: '* * * * * *' });
    const options = { prefix, db, policy: config, pattern: config.pattern, clock: systemClock, logger: silentLogger };
    const startedAt = Date.now();
    const workers = [startRetention({ ...options, connection: connect() })];
    // The second worker process starts a moment later, as in a rolling start.
    await new Promise((r) => setTimeout(r, 300));
    workers.push(startRetention({ ...options, connection: connect() }));

    const queue = new Queue(RETENTION_QUEUE, { connection: connect(), prefix });
    try {
      const registry = new Registry();
      registerRetentionMetrics(registry, db);
      await expect
        .poll(async () => (await registry.metrics()).match(/pruned_total\{table="identities"\} (\d+)/)?.[1], {
          timeout: 10_000,
        })
        .toBe('5');
      expect((await db.query(`select principal from identities`)).rowCount).toBe(5);
      await new Promise((r) => setTimeout(r, 2500));
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.pattern, s.tz])).toEqual([[RETENTION_SCHEDULER, '* * * * * *', 'UTC']]);
      // One run per tick, not one per worker: at most one job per elapsed second, each on its own tick.
      const elapsedTicks = Math.ceil((Date.now() - startedAt) / 1000);
      const done = await queue.getJobs(['completed']);
      expect(done.length).toBeGreaterThanOrEqual(2);
      expect(done.length).toBeLessThanOrEqual(elapsedTicks);
      expect(new Set(done.map((j) => j.id)).size).toBe(done.length);
      expect(await queue.getFailedCount()).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
