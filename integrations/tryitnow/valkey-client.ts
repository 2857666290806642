import { Redis, type RedisOptions } from 'ioredis';
import type { ClientDeps } from '../../src/core/system.js';
import { TargetError } from '../../src/core/target-error.js';
import type { ServiceAddress } from './config.js';
import { describeSocketError, type CallOptions } from './http.js';
import { InstanceRecordSchema, type InstanceRecord } from './schemas.js';

/** What the Valkey client needs of the instance config. */
export interface TryItNowValkeyConfig {
  readonly valkeyUrl: ServiceAddress;
  readonly timeoutMs?: number;
}

/** A key's Redis type (`none` when it does not exist) and its size (LLEN/SCARD/ZCARD/HLEN/STRLEN; 0 for none). */
export interface KeyInfo {
  readonly key: string;
  readonly type: string;
  readonly size: number;
}

/**
 * One `instance:{id}` as read: the parsed JSON record, absent, or there but not the JSON Try It Now writes (a hash,
 * bad JSON, no hostname) — then `reason` says what was found.
 */
export type InstanceRecordRead =
  | { readonly id: string; readonly kind: 'record'; readonly record: InstanceRecord }
  | { readonly id: string; readonly kind: 'missing' }
  | { readonly id: string; readonly kind: 'unreadable'; readonly reason: string };

/** Some of a collection, never all of a huge one. */
export interface Bounded<T> {
  readonly items: readonly T[];
  /** False when the limit cut the result short. */
  readonly complete: boolean;
}

/**
 * Read-only access to Try It Now's Valkey (`reference/targets.md` §5.2: `pool:ready`, `state:{state}`,
 * `ports:available`, `ports:in_use`, `instance:{id}`). Keys are listed with `SCAN` (never `KEYS`, which blocks the
 * server) and every read is bounded. The connection is opened on first use and re-opened after it drops. Throws only
 * {@link TargetError}.
 */
export interface TryItNowValkeyClient {
  /** `PING` → `PONG`. */
  ping(o?: CallOptions): Promise<string>;
  /** `TYPE` and the matching size command for each key, in one pipeline. */
  keyInfo(keys: readonly string[], o?: CallOptions): Promise<KeyInfo[]>;
  /** `SCAN 0 MATCH pattern COUNT 100` … until the cursor returns to 0 or `limit` keys were found. Sorted. */
  scanKeys(pattern: string, limit: number, o?: CallOptions): Promise<Bounded<string>>;
  /** Up to `limit` members of a list (`LRANGE`), set (`SSCAN`) or sorted set (`ZRANGE`); none for other types. */
  members(key: string, limit: number, o?: CallOptions): Promise<Bounded<string>>;
  /** `EXISTS` per key, in one pipeline. */
  exists(keys: readonly string[], o?: CallOptions): Promise<boolean[]>;
  /**
   * `TYPE` then `GET instance:{id}` for each id (pipelined in pages of {@link RECORD_PAGE}), parsed as Try It Now's
   * JSON instance record. Same order as `ids`.
   */
  instanceRecords(ids: readonly string[], o?: CallOptions): Promise<InstanceRecordRead[]>;
  close(): Promise<void>;
}

/** `GET`s per pipeline when reading instance records. */
const RECORD_PAGE = 500;

const DEFAULT_TIMEOUT_MS = 5000;
const SCAN_COUNT = 100;
/** SCAN calls per listing at most: with MATCH, a call can return nothing while the cursor walks on. */
const MAX_SCAN_CALLS = 1000;

const SIZE_COMMAND: Readonly<Record<string, string>> = {
  list: 'llen',
  set: 'scard',
  zset: 'zcard',
  hash: 'hlen',
  string: 'strlen',
  stream: 'xlen',
};

export function createTryItNowValkeyClient(config: TryItNowValkeyConfig, deps: ClientDeps): TryItNowValkeyClient {
  const timeoutMs = config.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const address = config.valkeyUrl;
  const u = new URL(address.url);
  const db = Number.parseInt(u.pathname.replace(/^\//, '') || '0', 10);
  let redis: Redis | undefined;
  let connecting: Promise<Redis> | undefined;
  let closed = false;

  function options(): RedisOptions {
    return {
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : 6379,
      db: Number.isFinite(db) ? db : 0,
      // Revealed only here, to the Valkey they belong to.
      username: address.password !== undefined ? address.username?.reveal() || undefined : undefined,
      password: address.password?.reveal() ?? undefined,
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
      connectionName: 'runbook-bot',
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      // No background reconnect loop and no retries: a diagnostic wants the failure now; the next call reconnects.
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    };
  }

  async function connection(what: string): Promise<Redis> {
    if (closed) throw new TargetError('unreachable', `${what}: the Valkey client was closed`);
    if (redis && redis.status === 'ready') return redis;
    if (!connecting) {
      const r = new Redis(options());
      // ioredis reports the real cause (ECONNREFUSED, WRONGPASS…) as an 'error' event and rejects connect() with a
      // bare "Connection is closed.": keep the event's error. The listener also stops ioredis printing it.
      let cause: unknown;
      r.on('error', (err: unknown) => {
        cause = err;
      });
      redis = r;
      connecting = r
        .connect()
        .then(() => r)
        .catch((err: unknown) => {
          r.disconnect();
          if (redis === r) redis = undefined;
          throw cause ?? err;
        })
        .finally(() => {
          connecting = undefined;
        });
    }
    try {
      return await connecting;
    } catch (err) {
      throw valkeyError(err, `${what}: could not connect to Valkey`, address.host, timeoutMs);
    }
  }

  async function call<T>(what: string, o: CallOptions | undefined, fn: (r: Redis) => Promise<T>): Promise<T> {
    if (o?.signal?.aborted) throw new TargetError('timeout', `${what} was cancelled before Valkey answered`);
    let onAbort: (() => void) | undefined;
    const cancelled = new Promise<never>((_, reject) => {
      onAbort = () => reject(new TargetError('timeout', `${what} was cancelled before Valkey answered`));
      o?.signal?.addEventListener('abort', onAbort, { once: true });
    });
    cancelled.catch(() => undefined);
    try {
      return await Promise.race([
        (async () => {
          const r = await connection(what);
          try {
            return await fn(r);
          } catch (err) {
            throw valkeyError(err, what, address.host, timeoutMs);
          }
        })(),
        cancelled,
      ]);
    } finally {
      if (onAbort) o?.signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    ping: (o) => call('Valkey PING', o, (r) => r.ping()),
    keyInfo: (keys, o) =>
      call('Valkey TYPE', o, async (r) => {
        if (keys.length === 0) return [];
        const types = await pipelined<string>(
          r,
          keys.map((k) => ['type', k]),
        );
        const sizes = await pipelined<number>(
          r,
          keys.map((k, i) => {
            const cmd = SIZE_COMMAND[types[i] ?? ''];
            return cmd ? [cmd, k] : ['exists', k];
          }),
        );
        return keys.map((key, i) => {
          const type = types[i] ?? 'none';
          return { key, type, size: SIZE_COMMAND[type] ? Number(sizes[i] ?? 0) : 0 };
        });
      }),
    scanKeys: (pattern, limit, o) =>
      call(`Valkey SCAN ${pattern}`, o, async (r) => {
        const found = new Set<string>();
        let cursor = '0';
        for (let calls = 0; calls < MAX_SCAN_CALLS; calls++) {
          const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
          for (const k of keys) found.add(k);
          cursor = next;
          if (cursor === '0') return { items: [...found].sort(), complete: true };
          if (found.size >= limit) break;
        }
        return { items: [...found].sort().slice(0, limit), complete: false };
      }),
    members: (key, limit, o) =>
      call(`Valkey read ${key}`, o, async (r) => {
        const type = await r.type(key);
        if (type === 'list') {
          const len = await r.llen(key);
          return { items: await r.lrange(key, 0, limit - 1), complete: len <= limit };
        }
        if (type === 'zset') {
          const len = await r.zcard(key);
          return { items: await r.zrange(key, 0, limit - 1), complete: len <= limit };
        }
        if (type === 'set') {
          const found = new Set<string>();
          let cursor = '0';
          for (let calls = 0; calls < MAX_SCAN_CALLS; calls++) {
            const [next, members] = await r.sscan(key, cursor, 'COUNT', SCAN_COUNT);
            for (const m of members) found.add(m);
            cursor = next;
            if (cursor === '0') return { items: [...found], complete: found.size <= limit };
            if (found.size >= limit) break;
          }
          return { items: [...found].slice(0, limit), complete: false };
        }
        return { items: [], complete: true };
      }),
    exists: (keys, o) =>
      call('Valkey EXISTS', o, async (r) => {
        if (keys.length === 0) return [];
        const counts = await pipelined<number>(
          r,
          keys.map((k) => ['exists', k]),
        );
        return counts.map((c) => Number(c) > 0);
      }),
    instanceRecords: (ids, o) =>
      call('Valkey GET instance:{id}', o, async (r) => {
        const out: InstanceRecordRead[] = [];
        for (let i = 0; i < ids.length; i += RECORD_PAGE) {
          const page = ids.slice(i, i + RECORD_PAGE);
          const types = await pipelined<string>(
            r,
            page.map((id) => ['type', `instance:${id}`]),
          );
          const strings = page.filter((_, j) => types[j] === 'string');
          const values = strings.length
            ? await pipelined<string | null>(
                r,
                strings.map((id) => ['get', `instance:${id}`]),
              )
            : [];
          const byId = new Map(strings.map((id, j) => [id, values[j] ?? null]));
          page.forEach((id, j) => out.push(readRecord(id, types[j] ?? 'none', byId.get(id) ?? null)));
        }
        return out;
      }),
    close: async () => {
      closed = true;
      const r = redis;
      redis = undefined;
      if (r) {
        try {
          if (r.status === 'ready') await r.quit();
          else r.disconnect();
        } catch {
          r.disconnect();
        }
      }
    },
  };
}

function readRecord(id: string, type: string, raw: string | null): InstanceRecordRead {
  if (type === 'none') return { id, kind: 'missing' };
  if (type !== 'string' || raw === null) {
    return { id, kind: 'unreadable', reason: `a ${type}, not the JSON string Try It Now writes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { id, kind: 'unreadable', reason: 'not JSON' };
  }
  const parsed = InstanceRecordSchema.safeParse(json);
  if (!parsed.success) return { id, kind: 'unreadable', reason: 'JSON without an id and hostname' };
  return { id, kind: 'record', record: parsed.data };
}

async function pipelined<T>(r: Redis, commands: string[][]): Promise<T[]> {
  const results = await r.pipeline(commands).exec();
  if (!results) throw new Error('pipeline aborted');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value as T;
  });
}

/** An ioredis failure as a chat-safe TargetError. */
function valkeyError(err: unknown, what: string, host: string, timeoutMs: number): TargetError {
  if (err instanceof TargetError) return err;
  const message = err instanceof Error ? err.message : '';
  if (/^(NOAUTH|WRONGPASS)/.test(message)) {
    return new TargetError('unauthorized', `${what}: Valkey rejected the credentials in valkeyUrl (${host})`, {
      cause: err,
    });
  }
  if (/^NOPERM/.test(message)) {
    return new TargetError('forbidden', `${what}: the Valkey user may not run this command (${host})`, { cause: err });
  }
  if (message === 'Command timed out') {
    return new TargetError('timeout', `${what}: Valkey did not answer within ${timeoutMs} ms (${host})`, {
      cause: err,
    });
  }
  if (/^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN)/.test(message)) {
    return new TargetError('unreachable', `${what}: Valkey is not serving (${message.split(' ')[0]}) (${host})`, {
      cause: err,
    });
  }
  if (/Connection is closed|Stream isn't writeable/.test(message)) {
    return new TargetError('unreachable', `${what}: the connection to Valkey closed (${host})`, { cause: err });
  }
  return describeSocketError(err, what, host, timeoutMs);
}
