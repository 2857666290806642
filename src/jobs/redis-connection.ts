import { Redis } from 'ioredis';
import type { Secret } from '../core/secret.js';

/**
 * Redis connections. Producers (web) fail fast so a request can answer 503 and the sender retry; workers wait
 * forever for Redis to come back (BullMQ requires `maxRetriesPerRequest: null` on worker connections).
 */
export function createRedisConnection(url: Secret, role: 'producer' | 'worker', onError: (err: Error) => void): Redis {
  const redis = new Redis(url.reveal(), {
    lazyConnect: false,
    ...(role === 'producer'
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true }),
  });
  // Without a listener ioredis would print connection errors (with the URL) to stderr itself.
  redis.on('error', onError);
  return redis;
}
