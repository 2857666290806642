import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Secret } from '../core/secret.js';
import type { RedisTarget } from '../config/env.js';
import { startSentinelTopology, type SentinelTopology } from '../../test/support/sentinel-topology.js';
import { createRedisConnection } from './redis-connection.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createRedisConnection', () => {
  it('REDIS_URL: one server, as before', async () => {
    const r = createRedisConnection(new Secret(inject('redisUrl')), 'producer', () => {});
    try {
      await once(r, 'ready');
      await expect(r.ping()).resolves.toBe('PONG');
    } finally {
      r.disconnect();
    }
  });

  describe('Sentinel', () => {
    let topo: SentinelTopology;
    let target: RedisTarget;
    beforeAll(async () => {
      topo = await startSentinelTopology({ name: 'connmaster' });
      target = { kind: 'sentinel', sentinels: topo.sentinels, name: topo.name };
    }, 40_000);
    afterAll(async () => topo?.stop());

    it('follows SENTINEL FAILOVER at once, and every write it acknowledged is on the new master', async () => {
      const errors: string[] = [];
      const producer = createRedisConnection(target, 'producer', (e) => errors.push(e.message));
      const worker = createRedisConnection(target, 'worker', () => {});
      try {
        await Promise.all([once(producer, 'ready'), once(worker, 'ready')]);
        await expect(producer.ping()).resolves.toBe('PONG');
        const acked: string[] = [];
        let refused = 0;
        let stop = false;
        const writer = (async () => {
          for (let i = 0; !stop; i++) {
            const key = `conn-test:${i}`;
            try {
              await producer.set(key, '1');
              acked.push(key);
            } catch {
              refused++;
            }
            await sleep(10);
          }
        })();
        await sleep(500);
        const { from, to } = await topo.failover();
        expect(to).not.toBe(from);
        // Both connections reach the new master without being recreated.
        const switched = Date.now();
        const deadline = Date.now() + 20_000;
        let onNew = false;
        while (!onNew && Date.now() < deadline) {
          onNew = await Promise.all([producer.set('conn-test:probe', '1'), worker.set('conn-test:probe2', '1')])
            .then(() => producer.stream?.remotePort === to && worker.stream?.remotePort === to)
            .catch(() => false);
          if (!onNew) await sleep(100);
        }
        expect(onNew).toBe(true);
        const followMs = Date.now() - switched;
        await sleep(500);
        stop = true;
        await writer;
        // Read from the master the sentinels name now.
        const present = await worker.exists(...acked);
        expect(acked.length).toBeGreaterThan(50);
        expect(present).toBe(acked.length);
        console.info(
          `sentinel failover: ${acked.length} writes acknowledged, all present; ${refused} refused; both on the new master ${followMs} ms after the sentinels named it`,
        );
      } finally {
        producer.disconnect();
        worker.disconnect();
      }
    }, 40_000);
  });
});
