/**
 * Test support: writes Try It Now's Valkey layout (`reference/targets.md` §5.2) into a real Redis/Valkey, so the
 * state workflow reads what the server would have left. The key names are the real ones; the shape of
 * `instance:{id}` (a hash) and the `state:ready` set are inferred. Never used in production.
 */
import { Redis } from 'ioredis';

export interface ValkeyLayout {
  /** `pool:ready`, a list of instance ids (RPUSH order). */
  readonly ready?: readonly string[];
  /** `state:<name>` sets of instance ids (`assigned`, `warming`, …). */
  readonly states?: Readonly<Record<string, readonly string[]>>;
  /** Ids that get an `instance:{id}` hash. */
  readonly instances?: readonly string[];
  /** `ports:available` and `ports:in_use` sets. */
  readonly portsAvailable?: readonly number[];
  readonly portsInUse?: readonly number[];
}

/** Empties the database (`FLUSHDB`) and writes `layout`. */
export async function seedValkey(redisUrl: string, layout: ValkeyLayout): Promise<void> {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.flushdb();
    const m = r.multi();
    if (layout.ready && layout.ready.length > 0) m.rpush('pool:ready', ...layout.ready);
    for (const [state, ids] of Object.entries(layout.states ?? {})) {
      if (ids.length > 0) m.sadd(`state:${state}`, ...ids);
    }
    for (const id of layout.instances ?? []) {
      m.hset(`instance:${id}`, { id, container_id: `c-${id}`, created_at: '2026-01-17T10:00:00Z' });
    }
    if (layout.portsAvailable && layout.portsAvailable.length > 0) {
      m.sadd('ports:available', ...layout.portsAvailable.map(String));
    }
    if (layout.portsInUse && layout.portsInUse.length > 0) m.sadd('ports:in_use', ...layout.portsInUse.map(String));
    await m.exec();
  } finally {
    r.disconnect();
  }
}

/** `n` ids `<prefix>-1` … `<prefix>-n`. */
export function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
}

/** Ports `from` … `from + n - 1`. */
export function ports(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

/** A consistent layout matching the simulator's `healthy` pool: 9 ready, 5 assigned, 1 warming, all with records. */
export function healthyLayout(): ValkeyLayout {
  const ready = ids('r', 9);
  const assigned = ids('a', 5);
  const warming = ids('w', 1);
  return {
    ready,
    states: { ready, assigned, warming },
    instances: [...ready, ...assigned, ...warming],
    portsAvailable: ports(20100, 20),
    portsInUse: ports(20000, 15),
  };
}
