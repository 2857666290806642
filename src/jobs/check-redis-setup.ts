import { Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/env.js';
import { Secret } from '../core/secret.js';
import { describeError, fail, ok, warn, type CheckLine } from '../core/setup-check.js';
import { redisTargetOptions } from './redis-connection.js';

/**
 * `npm run check`, Redis part (BullMQ's production guidance): `maxmemory-policy noeviction` (any other policy may
 * evict queued jobs and their locks under memory pressure) and persistence on (AOF or RDB snapshots), read with
 * `CONFIG GET`. Managed Redis often refuses CONFIG: then the line says the policy cannot be known from here.
 */
export async function checkRedisSetup(
  target: RedisTarget | Secret,
  o: { timeoutMs?: number } = {},
): Promise<CheckLine[]> {
  const t: RedisTarget = target instanceof Secret ? { kind: 'url', url: target } : target;
  const { url, options } = redisTargetOptions(t);
  const redisOptions: RedisOptions = {
    ...options,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: o.timeoutMs ?? 5000,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // Sentinel: give up when no sentinel answers, instead of retrying forever.
    sentinelRetryStrategy: () => null,
  };
  const redis = url === undefined ? new Redis(redisOptions) : new Redis(url, redisOptions);
  // Without a listener ioredis prints connection errors (with the URL) itself.
  redis.on('error', () => {});
  try {
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      const hint =
        t.kind === 'url'
          ? 'REDIS_URL: redis://[user:password@]host:port'
          : `REDIS_SENTINELS (host:port,…) and REDIS_SENTINEL_NAME: sentinels that monitor "${t.name}"`;
      return [fail('redis', `not reachable: ${describeError(err)}`, hint)];
    }
    let policy: string | undefined;
    let appendonly: string | undefined;
    let save: string | undefined;
    try {
      policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
      appendonly = ((await redis.config('GET', 'appendonly')) as string[])[1];
      save = ((await redis.config('GET', 'save')) as string[])[1];
    } catch (err) {
      return [
        ok('redis', 'reachable (PING)'),
        warn(
          'redis.config',
          `cannot read the configuration (CONFIG GET refused: ${describeError(err)}), so eviction and persistence cannot be checked from here`,
          'confirm with your provider: maxmemory-policy noeviction, and AOF or RDB persistence',
        ),
      ];
    }
    const lines: CheckLine[] = [ok('redis', 'reachable (PING)')];
    lines.push(
      policy === 'noeviction'
        ? ok('redis.maxmemory-policy', 'noeviction: queued jobs are never evicted')
        : fail(
            'redis.maxmemory-policy',
            `maxmemory-policy is ${policy ?? '(unknown)'}: under memory pressure Redis may evict queued jobs and their locks`,
            'set maxmemory-policy noeviction in redis.conf (or CONFIG SET maxmemory-policy noeviction, then CONFIG REWRITE)',
          ),
    );
    const aof = appendonly === 'yes';
    const rdb = save !== undefined && save.trim() !== '';
    lines.push(
      aof || rdb
        ? ok(
            'redis.persistence',
            [aof ? 'AOF on' : '', rdb ? `RDB snapshots (save ${save})` : ''].filter(Boolean).join(', '),
          )
        : warn(
            'redis.persistence',
            'no persistence (appendonly no, save ""): a Redis restart loses every queued and scheduled job',
            'appendonly yes (or an RDB save schedule) in redis.conf',
          ),
    );
    return lines;
  } finally {
    redis.disconnect();
  }
}
