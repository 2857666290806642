import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { fixedClock } from '../../src/core/clock.js';
import { isTargetError } from '../../src/core/target-error.js';
import { getFreePort, startRedis, type StartedService } from '../../src/dev/local-services.js';
import { TryItNowInstanceSchema } from './config.js';
import { demoId, hostnameOf, ids, seedValkey } from './simulator/seed-valkey.js';
import { createTryItNowValkeyClient, type TryItNowValkeyClient } from './valkey-client.js';

/** The Valkey client against a real `redis-server` started here (Valkey speaks the same protocol). */

const clock = fixedClock(0);
let redis: StartedService;
let admin: Redis;
let client: TryItNowValkeyClient;

function clientFor(valkeyUrl: string, timeoutMs = 2000): TryItNowValkeyClient {
  const config = TryItNowInstanceSchema.parse({
    url: 'http://127.0.0.1:1',
    natsUrl: 'nats://127.0.0.1:1',
    natsMonitorUrl: 'http://127.0.0.1:1',
    valkeyUrl,
    caddyAdminUrl: 'http://127.0.0.1:1',
    timeoutMs,
  });
  return createTryItNowValkeyClient(config, { clock });
}

/** How often the server ran a command (INFO commandstats), 0 when never. */
async function calls(command: string): Promise<number> {
  const info = await admin.info('commandstats');
  const m = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : 0;
}

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  client = clientFor(redis.url);
});

afterAll(async () => {
  await client?.close();
  admin?.disconnect();
  await redis?.stop();
});

beforeEach(async () => {
  await admin.flushdb();
});

describe('TryItNowValkeyClient against a real redis-server', () => {
  it('PINGs', async () => {
    expect(await client.ping()).toBe('PONG');
  });

  it('reads type and size of each key, absent keys as none', async () => {
    await seedValkey(redis.url, {
      ready: ids('r', 3),
      states: { assigned: ids('a', 2) },
      portsAvailable: [1, 2, 3, 4],
    });
    expect(await client.keyInfo(['pool:ready', 'state:assigned', 'ports:available', 'ports:in_use'])).toEqual([
      { key: 'pool:ready', type: 'list', size: 3 },
      { key: 'state:assigned', type: 'set', size: 2 },
      { key: 'ports:available', type: 'set', size: 4 },
      { key: 'ports:in_use', type: 'none', size: 0 },
    ]);
  });

  it('lists keys with SCAN, bounded, and never sends KEYS', async () => {
    await seedValkey(redis.url, { instances: ids('i', 250), states: { assigned: ['x'], warming: ['y'] } });
    const keysBefore = await calls('keys');
    const states = await client.scanKeys('state:*', 50);
    expect(states).toEqual({ items: ['state:assigned', 'state:warming'], complete: true });
    const some = await client.scanKeys('instance:*', 100);
    expect(some.complete).toBe(false);
    expect(some.items.length).toBe(100);
    const all = await client.scanKeys('instance:*', 1000);
    expect(all.complete).toBe(true);
    expect(all.items.length).toBe(250);
    expect(await calls('scan')).toBeGreaterThan(0);
    expect(await calls('keys')).toBe(keysBefore);
    expect(keysBefore).toBe(0);
  });

  it('reads members of lists and sets up to a limit', async () => {
    await seedValkey(redis.url, { ready: ids('r', 30), states: { assigned: ids('a', 30) } });
    const list = await client.members('pool:ready', 10);
    expect(list).toEqual({ items: ids('r', 10), complete: false });
    const set = await client.members('state:assigned', 100);
    expect(set.complete).toBe(true);
    expect([...set.items].sort()).toEqual([...ids('a', 30)].sort());
    expect(await client.members('nothing', 10)).toEqual({ items: [], complete: true });
  });

  it('checks existence in one pipeline', async () => {
    await seedValkey(redis.url, { instances: ['a', 'c'] });
    expect(await client.exists(['instance:a', 'instance:b', 'instance:c'])).toEqual([true, false, true]);
  });

  it('keeps a password out of messages and reports a wrong one as unauthorized', async () => {
    await admin.config('SET', 'requirepass', 's3cret');
    const authed = new Redis(redis.url, { password: 's3cret' });
    try {
      const wrong = clientFor(redis.url.replace('redis://', 'redis://:wrong@'));
      const right = clientFor(redis.url.replace('redis://', 'redis://:s3cret@'));
      try {
        const err: unknown = await wrong.ping().catch((e: unknown) => e);
        expect(isTargetError(err) && err.kind).toBe('unauthorized');
        expect((err as Error).message).not.toContain('wrong');
        expect(await right.ping()).toBe('PONG');
      } finally {
        await wrong.close();
        await right.close();
      }
    } finally {
      await authed.config('SET', 'requirepass', '');
      authed.disconnect();
    }
  });

  it('reports an unreachable Valkey fast, and reconnects when it is back', async () => {
    const port = await getFreePort();
    const dead = clientFor(`redis://127.0.0.1:${port}`, 1500);
    try {
      const started = Date.now();
      const err: unknown = await dead.ping().catch((e: unknown) => e);
      expect(isTargetError(err) && err.kind).toBe('unreachable');
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      expect(Date.now() - started).toBeLessThan(1500);
      const back = await startRedis({ port });
      try {
        expect(await dead.ping()).toBe('PONG');
      } finally {
        await back.stop();
      }
    } finally {
      await dead.close();
    }
  });

  it('reads instance records as the JSON strings Try It Now writes, and names any other shape', async () => {
    const id = demoId('x-1');
    await seedValkey(redis.url, { ready: [id], states: { ready: [id] }, instances: [id] });
    await admin.hset('instance:demo-hash', { id: 'demo-hash', hostname: 'h' });
    await admin.set('instance:demo-bad', '{not json');
    await admin.set('instance:demo-nohost', JSON.stringify({ id: 'demo-nohost' }));
    const reads = await client.instanceRecords([id, 'demo-hash', 'demo-bad', 'demo-nohost', 'demo-none']);
    expect(reads).toEqual([
      { id, kind: 'record', record: expect.objectContaining({ id, hostname: hostnameOf(id), state: 'ready' }) },
      { id: 'demo-hash', kind: 'unreadable', reason: 'a hash, not the JSON string Try It Now writes' },
      { id: 'demo-bad', kind: 'unreadable', reason: 'not JSON' },
      { id: 'demo-nohost', kind: 'unreadable', reason: 'JSON without an id and hostname' },
      { id: 'demo-none', kind: 'missing' },
    ]);
    expect(hostnameOf(id)).not.toBe(id);
  });
});
