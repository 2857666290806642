/**
 * Test and demo support: writes Try It Now's Valkey layout (`reference/targets.md` §5.2) into a real Redis/Valkey,
 * as the real server leaves it (`reference/real-systems.md`, Try It Now item 2): `instance:{id}` is a JSON string
 * (`domain.Instance`), ids are `demo-<uuid>`, the hostname (the Caddy route key) is another `demo-<uuid>`, and
 * `state:warming` is never written. Never used in production.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

export interface ValkeyLayout {
  /** `pool:ready`, a list of instance ids (RPUSH order). */
  readonly ready?: readonly string[];
  /** `state:<name>` sets of instance ids (`ready`, `assigned`). The real server never writes `state:warming`. */
  readonly states?: Readonly<Record<string, readonly string[]>>;
  /** Ids that get an `instance:{id}` JSON record (hostname {@link hostnameOf}). */
  readonly instances?: readonly string[];
  /** `ports:available` and `ports:in_use` sets. */
  readonly portsAvailable?: readonly number[];
  readonly portsInUse?: readonly number[];
}

/** A stable UUID-shaped name from a seed, so reports and tests read the same on every run. */
function uuidOf(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** An instance id as the real server makes them: `demo-<uuid>` (stable per seed). */
export function demoId(seed: string): string {
  return `demo-${uuidOf(`id:${seed}`)}`;
}

/** The hostname of the instance `id`: a different `demo-<uuid>`, as on the real server. */
export function hostnameOf(id: string): string {
  return `demo-${uuidOf(`host:${id}`)}`;
}

/** `n` ids `demoId('<prefix>-1')` … */
export function demoIds(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => demoId(`${prefix}-${i + 1}`));
}

/** The record Try It Now stores for `id` (`domain.Instance`, JSON). */
export function instanceRecord(id: string, state: string, port: number): Record<string, unknown> {
  const short = id.slice(5, 13);
  return {
    id,
    container_id: `c-${short}`,
    hostname: hostnameOf(id),
    port,
    state,
    db_prefix: `${short}_`,
    created_at: '2026-01-17T09:00:00Z',
    ...(state === 'assigned'
      ? {
          user_ip: '203.0.113.7',
          assigned_at: '2026-01-17T09:30:00Z',
          expires_at: '2026-01-17T10:30:00Z',
          expires_at_unix: 1768645800,
        }
      : {}),
  };
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
    const stateOf = (id: string) =>
      Object.entries(layout.states ?? {}).find(([, members]) => members.includes(id))?.[0] ?? 'ready';
    (layout.instances ?? []).forEach((id, i) => {
      m.set(`instance:${id}`, JSON.stringify(instanceRecord(id, stateOf(id), 20000 + i)));
    });
    if (layout.portsAvailable && layout.portsAvailable.length > 0) {
      m.sadd('ports:available', ...layout.portsAvailable.map(String));
    }
    if (layout.portsInUse && layout.portsInUse.length > 0) m.sadd('ports:in_use', ...layout.portsInUse.map(String));
    await m.exec();
  } finally {
    r.disconnect();
  }
}

/** `n` ids `<prefix>-1` … `<prefix>-n` (short ids for tests that name them). */
export function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
}

/** Ports `from` … `from + n - 1`. */
export function ports(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

/**
 * A consistent layout matching the simulator's `healthy` pool: 9 ready and 5 assigned `demo-<uuid>` instances, all
 * with JSON records; no `state:warming` (never written by the server).
 */
export function healthyLayout(): ValkeyLayout {
  const ready = demoIds('r', 9);
  const assigned = demoIds('a', 5);
  return {
    ready,
    states: { ready, assigned },
    instances: [...ready, ...assigned],
    portsAvailable: ports(20100, 20),
    portsInUse: ports(20000, 14),
  };
}
