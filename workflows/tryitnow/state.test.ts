import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  demoIds,
  healthyLayout,
  hostnameOf,
  ids,
  ports,
  seedValkey,
  type ValkeyLayout,
} from '../../integrations/tryitnow/simulator/seed-valkey.js';
import { getFreePort, startRedis, type StartedService } from '../../src/dev/local-services.js';
import { stateWorkflow } from './state.js';
import { startWorld, type World, type WorldOptions } from '../../test/support/tryitnow/world.js';

/** The state workflow over a real `redis-server` standing in for Valkey, and the Caddy admin fake. */

let redis: StartedService;
let admin: Redis;
let world: World | undefined;
let natsPort: number;

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  natsPort = await getFreePort(); // NATS is not read by this workflow
});

afterEach(async () => {
  await world?.close();
  world = undefined;
});

afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

async function stateOf(layout: ValkeyLayout, o: Partial<WorldOptions> = {}) {
  await seedValkey(redis.url, layout);
  world = await startWorld({
    natsUrl: `nats://127.0.0.1:${natsPort}`,
    natsMonitorUrl: `http://127.0.0.1:${natsPort}`,
    valkeyUrl: redis.url,
    // Routes are keyed by hostname: the healthy layout's assigned demos, by their records' hostnames.
    routes: demoIds('a', 5).map(hostnameOf),
    ...o,
  });
  return world.run(stateWorkflow);
}

describe('state workflow', () => {
  it('never sends KEYS, only SCAN and bounded reads', async () => {
    await admin.config('RESETSTAT');
    const r = await stateOf(healthyLayout());
    expect(r.verdict).toBe('ok');
    const stats = await admin.info('commandstats');
    expect(stats).toMatch(/^cmdstat_scan:/m);
    expect(stats).not.toMatch(/^cmdstat_keys:/m);
    expect(stats).not.toMatch(/^cmdstat_smembers:/m);
  });

  it('ids in pool:ready or a state set without instance:{id} are orphan hints', async () => {
    const layout = healthyLayout();
    const r = await stateOf({
      ...layout,
      ready: [...(layout.ready ?? []), 'ghost-1'],
      states: { ...layout.states, assigned: [...(layout.states?.assigned ?? []), 'ghost-2'] },
    });
    const f = r.byCode.get('tryitnow.state.orphan-refs');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toBe('no instance:{id} for pool:ready: ghost-1; state:assigned: ghost-2');
  });

  it('an instance record no list or set names is an unreferenced hint', async () => {
    const layout = healthyLayout();
    const r = await stateOf({ ...layout, instances: [...(layout.instances ?? []), 'lost-7'] });
    const f = r.byCode.get('tryitnow.state.unreferenced-instances');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toBe('1 instance record of 15 referenced nowhere: lost-7');
  });

  it('assigned demos without a route are flagged', async () => {
    const assigned = demoIds('a', 5);
    const r = await stateOf(healthyLayout(), { routes: assigned.slice(0, 3).map(hostnameOf) });
    const f = r.byCode.get('tryitnow.state.missing-routes');
    expect(f?.severity).toBe('warning');
    const missing = assigned.slice(3).sort();
    expect(f?.evidence).toBe(
      `2 assigned demos of 5 without a route: ${missing.map((id) => `${id} (demo-route-${hostnameOf(id)})`).join(', ')}`,
    );
  });

  it('offers at most five clear-route buttons, for the orphaned routes only', async () => {
    const r = await stateOf(healthyLayout(), { routes: [...demoIds('a', 5).map(hostnameOf), ...ids('old', 7)] });
    const f = r.byCode.get('tryitnow.state.orphan-routes');
    expect(f?.evidence).toBe(
      "7 routes of 12 match no instance's hostname: demo-route-old-1, demo-route-old-2, demo-route-old-3, " +
        'demo-route-old-4, demo-route-old-5 …; the other 5 belong to live demos and are left alone (matched by ' +
        'hostname: route @id demo-route-<hostname>, the hostname from instance:{id})',
    );
    expect(f?.actions?.map((a) => a.params['route-id'])).toEqual(ids('demo-route-old', 5));
    expect(f?.runbookCorrection).toContain('removes the whole `demo` server');
  });

  it('a port both free and in use is a warning', async () => {
    const r = await stateOf({ ...healthyLayout(), portsAvailable: ports(20000, 3), portsInUse: ports(20002, 2) });
    const f = r.byCode.get('tryitnow.state.ports');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toBe(
      'ports:available set of 3, ports:in_use set of 2; 1 port both available and in use: 20002',
    );
  });

  it('a pool:ready that is not a list is flagged (the API would get WRONGTYPE)', async () => {
    await stateOf(healthyLayout());
    await admin.del('pool:ready');
    await admin.set('pool:ready', 'oops');
    const r = await world!.run(stateWorkflow);
    const f = r.byCode.get('tryitnow.state.keys');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toContain('unexpected type: pool:ready is a string');
  });

  it('names docker in the clean-up command when the API runs docker', async () => {
    const r = await stateOf(healthyLayout(), { mode: 'docker' });
    expect(r.notes?.[0]).toContain("`docker ps -a | grep demo- | awk '{print $1}' | xargs docker rm -f`");
    expect(r.notes?.[0]).not.toContain('podman');
  });

  it('Valkey down, Caddy up: one Valkey finding; Caddy-only checks need Valkey and are skipped', async () => {
    const port = await getFreePort();
    world = await startWorld({
      natsUrl: `nats://127.0.0.1:${natsPort}`,
      natsMonitorUrl: `http://127.0.0.1:${natsPort}`,
      valkeyUrl: `redis://127.0.0.1:${port}`,
      routes: ['a-1'],
      timeoutMs: 1500,
    });
    const r = await world.run(stateWorkflow);
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['tryitnow.probe.valkey', 'inconclusive']]);
    expect(r.findings[0]?.evidence).toContain('connection refused');
  });
});
