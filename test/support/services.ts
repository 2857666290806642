/**
 * A test file's handles on the run's shared Redis and Postgres (started by global-setup): a migrated database of its
 * own, and Redis connections for BullMQ closed together after the file.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { inject } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase } from './namespace.js';

/** A pool of `max` connections on a fresh database with every migration applied. */
export async function createMigratedTestPool(max: number): Promise<pg.Pool> {
  const db = new pg.Pool({ connectionString: await createTestDatabase(), max });
  try {
    await migrate(db, silentLogger);
  } catch (err) {
    await db.end();
    throw err;
  }
  return db;
}

/** Redis connections as BullMQ's workers want them (no per-request retry limit); `disconnectAll` closes each one. */
export function bullmqConnections(): { connect(): Redis; disconnectAll(): void } {
  const connections: Redis[] = [];
  return {
    connect() {
      const r = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
      connections.push(r);
      return r;
    },
    disconnectAll() {
      for (const r of connections) r.disconnect();
    },
  };
}
