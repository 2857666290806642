import { Command, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/env.js';
import { Secret } from '../core/secret.js';

type SentinelTarget = Extract<RedisTarget, { kind: 'sentinel' }>;

/**
 * How long a write on a producer connection waits for a replica to confirm it (Sentinel mode), ms. A healthy replica
 * answers in a few ms; a request makes several writes and Slack wants its answer within 3 s.
 */
export const REPLICA_ACK_TIMEOUT_MS = 250;

/** Commands that change nothing: no replica confirmation needed after them. Everything else is treated as a write. */
const READ_ONLY = new Set([
  'auth',
  'client',
  'config',
  'dbsize',
  'echo',
  'exists',
  'get',
  'hexists',
  'hget',
  'hgetall',
  'hlen',
  'hmget',
  'info',
  'keys',
  'lindex',
  'llen',
  'lrange',
  'mget',
  'ping',
  'pttl',
  'quit',
  'role',
  'scan',
  'scard',
  'select',
  'sismember',
  'smembers',
  'time',
  'ttl',
  'type',
  'wait',
  'xlen',
  'xrange',
  'zcard',
  'zcount',
  'zrange',
  'zrangebyscore',
  'zrank',
  'zrevrange',
  'zscore',
]);

/** A write a replica did not confirm in time: it may be lost in a failover, so the request must not be acknowledged. */
export class ReplicaAckError extends Error {
  constructor() {
    super(`no replica confirmed the write within ${REPLICA_ACK_TIMEOUT_MS} ms (Redis failover in progress?)`);
    this.name = 'ReplicaAckError';
  }
}

/** ioredis options for one server (`REDIS_URL`) or a master found through Sentinel. */
export function redisTargetOptions(target: RedisTarget): { url?: string; options: RedisOptions } {
  if (target.kind === 'url') return { url: target.url.reveal(), options: {} };
  return {
    options: {
      sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: target.name,
      role: 'master',
      // Sentinel's +switch-master: disconnect at once and ask the sentinels for the new master. Without it ioredis
      // stays on the demoted master until Sentinel reconfigures it (failover-timeout, 3 min by default) and every
      // write in that window is lost on resync (platforms-2.md §9.3).
      failoverDetector: true,
      // A demoted master answers writes with READONLY: reconnect (to the master the sentinels name) and resend.
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
      ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword.reveal() } : {}),
      ...(target.password ? { password: target.password.reveal() } : {}),
    },
  };
}

/** Whether every sentinel that answers names `host:port` as the master of `name` now, with no failover under way. */
async function isNamedMaster(target: SentinelTarget, host: string, port: number): Promise<boolean> {
  const answers = await Promise.all(
    target.sentinels.map(async (s) => {
      const r = new Redis({
        host: s.host,
        port: s.port,
        lazyConnect: true,
        connectTimeout: 500,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        ...(target.sentinelPassword ? { password: target.sentinelPassword.reveal() } : {}),
      });
      r.on('error', () => {});
      try {
        await r.connect();
        const flat = (await r.call('SENTINEL', 'MASTER', target.name)) as string[];
        const f = new Map<string, string>();
        for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i]!, flat[i + 1]!);
        return f;
      } catch {
        return undefined;
      } finally {
        r.disconnect();
      }
    }),
  );
  const named = answers.filter((a) => a !== undefined);
  // The failover leader names the old master until it has seen the replica's promotion: "failover_in_progress"
  // is what tells that window apart.
  return (
    named.length > 0 &&
    named.every(
      (f) => f.get('ip') === host && Number(f.get('port')) === port && !(f.get('flags') ?? '').includes('failover'),
    )
  );
}

/**
 * Sentinel mode: after each write, `WAIT 1` for a replica to confirm it, and fail the call
 * when none does. Redis replicates asynchronously, so a write only the master saw is lost when a replica is
 * promoted; the web process acknowledges a request only after its job is written, so "acknowledged" must mean "on
 * a replica too". A failure becomes a 503 and the sender retries (the jobId deduplicates the retry).
 *
 * A master with no replica online (connected and synced) cannot confirm anything: the write is accepted only when the sentinels
 * still name this server as the master (after a failover whose old master is dead, until a replica rejoins);
 * otherwise this server was demoted behind our back (its replica was promoted away from it), so the connection is
 * dropped, ioredis asks the sentinels again, and the call fails.
 */
function requireReplicaAck(redis: Redis, target: SentinelTarget): void {
  const send = redis.sendCommand.bind(redis);
  let replicaLessUntil = 0;
  // The write, its WAIT and the INFO that follows must all have gone over one socket: ioredis resends what was in
  // flight after a reconnect (failoverDetector), so a WAIT or INFO could otherwise answer for another server.
  const sameSocket = (socket: unknown) => {
    if (redis.stream !== socket) throw new ReplicaAckError();
  };
  const confirm = async (socket: unknown): Promise<void> => {
    sameSocket(socket);
    // While the master is known to have no replica online, skip the WAIT that would time out on every write.
    if (Date.now() >= replicaLessUntil) {
      const acked = (await send(new Command('wait', [1, REPLICA_ACK_TIMEOUT_MS]))) as number;
      sameSocket(socket);
      if (acked >= 1) return;
    }
    const info = String(await send(new Command('info', ['replication'])));
    sameSocket(socket);
    const isMaster = /^role:master\s*$/m.test(info);
    const online = (info.match(/^slave\d+:.*state=online/gm) ?? []).length;
    const host = redis.stream?.remoteAddress;
    const port = redis.stream?.remotePort;
    if (isMaster && online === 0 && host && port) {
      if (await isNamedMaster(target, host, port)) {
        sameSocket(socket);
        replicaLessUntil = Date.now() + 1000;
        return;
      }
      redis.disconnect(true);
    }
    replicaLessUntil = 0;
    throw new ReplicaAckError();
  };
  redis.sendCommand = ((command: Command, stream?: unknown) => {
    const socket = redis.status === 'ready' ? redis.stream : undefined;
    const result = send(command, stream as never);
    if (READ_ONLY.has(command.name.toLowerCase())) return result;
    const confirmed = Promise.resolve(result).then(async (value) => {
      await confirm(socket);
      return value;
    });
    // ioredis drops the return value when it resends queued commands itself; never leave that one unhandled.
    confirmed.catch(() => {});
    return confirmed;
  }) as Redis['sendCommand'];
}

/**
 * Redis connections, for one server (`REDIS_URL`) or through Sentinel (`REDIS_SENTINELS`). Producers (web, locks)
 * fail fast so a request can answer 503 and the sender retry; workers wait forever for Redis to come back (BullMQ
 * requires `maxRetriesPerRequest: null` on worker connections). Every process gets its connections here.
 */
export function createRedisConnection(
  target: RedisTarget | Secret,
  role: 'producer' | 'worker',
  onError: (err: Error) => void,
): Redis {
  const t: RedisTarget = target instanceof Secret ? { kind: 'url', url: target } : target;
  const { url, options } = redisTargetOptions(t);
  const roleOptions: RedisOptions =
    role === 'producer'
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true };
  const all: RedisOptions = { lazyConnect: false, ...options, ...roleOptions };
  const redis = url === undefined ? new Redis(all) : new Redis(url, all);
  // Without a listener ioredis would print connection errors (with the URL) to stderr itself.
  redis.on('error', onError);
  // Workers enqueue follow-up jobs (posts, remediations) and record outcomes on their connection too: the same
  // rule applies (BullMQ's blocking connection is a duplicate without it, and only waits for jobs).
  if (t.kind === 'sentinel') requireReplicaAck(redis, t);
  return redis;
}
