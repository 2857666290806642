/**
 * A test file's handles on the run's shared Redis and Postgres (started by global-setup): a migrated database of its
 * own, and Redis connections for BullMQ closed together after the file.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { inject } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createQueues, type BotQueues } from '../../src/jobs/create-queues.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase, uniqueName } from './namespace.js';

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

/** What the command path runs on: a migrated database, and the bot's queues on a prefix of their own. */
export interface CommandPathServices {
  readonly db: pg.Pool;
  readonly queues: BotQueues;
  /** Empties the queues through BullMQ's own API (the prefix leaves nothing in the shared Redis), then closes all. */
  close(): Promise<void>;
}

/** The command path's services for a test file; `name` prefixes its queues. */
export async function startCommandPathServices(name: string): Promise<CommandPathServices> {
  const db = await createMigratedTestPool(3);
  const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  const queues = createQueues(connection, uniqueName(name), silentLogger);
  return {
    db,
    queues,
    async close() {
      await Promise.all([
        queues.diagnostics.obliterate({ force: true }),
        queues.interactions.obliterate({ force: true }),
      ]);
      await queues.close();
      connection.disconnect();
      await db.end();
    },
  };
}
