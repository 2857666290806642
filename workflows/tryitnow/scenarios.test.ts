import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { demoId, hostnameOf } from '../../integrations/tryitnow/simulator/seed-valkey.js';
import type { TryItNowScenario } from '../../integrations/tryitnow/simulator/index.js';
import type { TryItNowWorkers } from '../../integrations/tryitnow/simulator/workers.js';
import { startNatsServer, type StartedNatsServer } from '../../integrations/tryitnow/simulator/start-nats-server.js';
import { getFreePort, startRedis, type StartedService } from '../../src/dev/local-services.js';
import { healthWorkflow } from './health.js';
import { poolWorkflow } from './pool.js';
import { queueWorkflow } from './queue.js';
import { stateWorkflow } from './state.js';
import { severities, startScenarioWorld, startWorld, type World } from '../../test/support/tryitnow/world.js';

/**
 * Every workflow in every simulator scenario, over the real clients: the Try It Now API and Caddy are loopback
 * fakes; NATS (`nats-server -js`, a PROVISIONING stream with the §5.3 consumers) and Valkey (`redis-server`) are real.
 */

let nats: StartedNatsServer;
let redis: StartedService;
let nc: NatsConnection;
let world: World | undefined;
let workers: TryItNowWorkers | undefined;

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNatsServer(), startRedis()]);
  nc = await connect({ servers: nats.url.replace('nats://', '') });
});

afterEach(async () => {
  await workers?.giveUp();
  workers = undefined;
  await world?.close();
  world = undefined;
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete('PROVISIONING').catch(() => undefined);
});

afterAll(async () => {
  await nc?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

async function worldFor(scenario: TryItNowScenario): Promise<World> {
  if (scenario === 'unreachable') {
    const [p1, p2, p3] = [await getFreePort(), await getFreePort(), await getFreePort()];
    return startWorld({
      scenario,
      natsUrl: `nats://127.0.0.1:${p1}`,
      natsMonitorUrl: `http://127.0.0.1:${p2}`,
      valkeyUrl: `redis://127.0.0.1:${p3}`,
      timeoutMs: 1500,
    });
  }
  return startScenarioWorld({ scenario, nats, valkeyUrl: redis.url, onWorkers: (w) => (workers = w) });
}

describe('health per scenario', () => {
  it.each(['healthy', 'pool-low', 'provision-failures'] as const)('%s: all four components ok', async (scenario) => {
    world = await worldFor(scenario);
    const r = await world.run(healthWorkflow);
    expect(severities(r.findings)).toEqual({
      'tryitnow.health.api': 'ok',
      'tryitnow.health.nats': 'ok',
      'tryitnow.health.valkey': 'ok',
      'tryitnow.health.caddy': 'ok',
    });
    expect(r.summary).toMatch(/^API ok \(podman\), NATS ok, Valkey ok, Caddy \d+ routes; all 4 checks ok$/);
  });

  it('unreachable: one inconclusive finding per component, and the workflow still returns', async () => {
    world = await worldFor('unreachable');
    const r = await world.run(healthWorkflow);
    expect(severities(r.findings)).toEqual({
      'tryitnow.probe.api-health': 'inconclusive',
      'tryitnow.probe.nats-monitor': 'inconclusive',
      'tryitnow.probe.valkey': 'inconclusive',
      'tryitnow.probe.caddy': 'inconclusive',
    });
    expect(r.byCode.get('tryitnow.probe.valkey')?.title).toBe('Valkey of prod is unreachable');
    expect(r.summary).toBe('API ?, NATS ?, Valkey ?, Caddy ?; 4 inconclusive');
  });
});

describe('pool per scenario', () => {
  it('healthy: ready 9/10, failures 0.9 %, CRIU p95 well under 2 s', async () => {
    world = await worldFor('healthy');
    const r = await world.run(poolWorkflow);
    expect(severities(r.findings)).toEqual({
      'tryitnow.pool.ready': 'ok',
      'tryitnow.pool.provision-failures': 'ok',
      'tryitnow.pool.provision-duration': 'ok',
      'tryitnow.pool.criu-restore': 'ok',
    });
    expect(r.byCode.get('tryitnow.pool.ready')?.evidence).toMatch(/^ready 9 of target 10 \(90 %\)/);
    expect(r.byCode.get('tryitnow.pool.provision-failures')?.evidence).toMatch(
      /^2 of 219 provisions failed .*\(0\.9 %\)/,
    );
    // The CRIU correction is shown even when healthy: the runbook's 5 s / 10 s cannot be read at all.
    expect(r.byCode.get('tryitnow.pool.criu-restore')?.runbookCorrection).toMatch(/tops out at a 2 s bucket/);
    expect(r.summary).toBe('Pool 9/10 ready; all 4 checks ok');
  });

  it('pool-low: ready 1/10 is critical', async () => {
    world = await worldFor('pool-low');
    const r = await world.run(poolWorkflow);
    const ready = r.byCode.get('tryitnow.pool.ready');
    expect(ready?.severity).toBe('critical');
    expect(ready?.evidence).toMatch(/^ready 1 of target 10 \(10 %\) — warning below 50 %, critical below 20 %/);
    expect(ready?.evidence).toContain('at capacity (POOL_MAX_SIZE)');
    expect(ready?.runbookCorrection).toContain('`try_it_now_pool_ready` → `demo_pool_ready_instances`');
    expect(r.byCode.get('tryitnow.pool.provision-failures')?.severity).toBe('ok');
    expect(r.verdict).toBe('critical');
  });

  it('provision-failures: 43 % failing is critical, CRIU beyond the 2 s bucket, pool at 40 %', async () => {
    world = await worldFor('provision-failures');
    const r = await world.run(poolWorkflow);
    expect(severities(r.findings)).toMatchObject({
      'tryitnow.pool.ready': 'warning',
      'tryitnow.pool.provision-failures': 'critical',
      'tryitnow.pool.criu-restore': 'warning',
    });
    const f = r.byCode.get('tryitnow.pool.provision-failures');
    expect(f?.evidence).toMatch(/^75 of 175 provisions failed since the server started \(42\.8 %\)/);
    expect(f?.evidence).toContain('cold_start 35/75 failed, criu_restore 40/100 failed');
    expect(f?.runbookCorrection).toContain('label `result`');
    const criu = r.byCode.get('tryitnow.pool.criu-restore');
    expect(criu?.title).toBe('CRIU restore p95 above 2 s (whether above 5 s cannot be read)');
    expect(criu?.evidence).toContain('30 of 100 took longer than 2 s');
  });

  it('unreachable: both probes inconclusive', async () => {
    world = await worldFor('unreachable');
    const r = await world.run(poolWorkflow);
    expect(severities(r.findings)).toEqual({
      'tryitnow.probe.pool-stats': 'inconclusive',
      'tryitnow.probe.metrics': 'inconclusive',
    });
    expect(r.summary).toBe('Pool level unknown; 2 inconclusive');
  });
});

describe('queue per scenario', () => {
  it.each(['healthy', 'pool-low', 'provision-failures'] as const)(
    '%s: depth 0 reported as by design, not as a healthy queue',
    async (scenario) => {
      world = await worldFor(scenario);
      const r = await world.run(queueWorkflow);
      expect(severities(r.findings)).toEqual({
        'tryitnow.queue.stream': 'ok',
        'tryitnow.queue.consumers': 'ok',
        'tryitnow.queue.depth': 'ok',
        'tryitnow.queue.redelivered': 'ok',
        'tryitnow.queue.ack-pending': 'ok',
        'tryitnow.queue.waiting': 'ok',
      });
      const depth = r.byCode.get('tryitnow.queue.depth');
      expect(depth?.title).toBe('Queue depth 0 — by design');
      expect(depth?.evidence).toContain('0 is the normal reading because nothing publishes to this stream');
      expect(depth?.runbookCorrection).toContain('`PublishProvisionTask` and `PublishCleanupTask` are never called');
      expect(r.notes?.[0]).toMatch(/^By design: Nothing in Try It Now publishes/);
    },
  );

  it('unreachable: one inconclusive NATS finding, not three', async () => {
    world = await worldFor('unreachable');
    const r = await world.run(queueWorkflow);
    expect(severities(r.findings)).toEqual({ 'tryitnow.probe.nats': 'inconclusive' });
    expect(r.findings[0]?.title).toBe('NATS JetStream of prod is unreachable');
    expect(r.findings[0]?.evidence).toContain('connection refused');
  });
});

describe('state per scenario', () => {
  it('healthy: keys, ports and cross-checks all ok', async () => {
    world = await worldFor('healthy');
    const r = await world.run(stateWorkflow);
    expect(severities(r.findings)).toEqual({
      'tryitnow.state.keys': 'ok',
      'tryitnow.state.ports': 'ok',
      'tryitnow.state.orphan-refs': 'ok',
      'tryitnow.state.unreferenced-instances': 'ok',
      'tryitnow.state.orphan-routes': 'ok',
      'tryitnow.state.missing-routes': 'ok',
    });
    expect(r.byCode.get('tryitnow.state.keys')?.evidence).toBe(
      'pool:ready list of 9, state:assigned set of 5, state:ready set of 9',
    );
    expect(r.byCode.get('tryitnow.state.ports')?.runbookCorrection).toContain('the key is `ports:available`');
    expect(r.notes?.[0]).toContain('podman ps -a');
  });

  it('pool-low: 3 free ports is still ok', async () => {
    world = await worldFor('pool-low');
    const r = await world.run(stateWorkflow);
    expect(r.byCode.get('tryitnow.state.ports')?.evidence).toBe('ports:available set of 3, ports:in_use set of 20');
    expect(r.verdict).toBe('ok');
  });

  it('provision-failures: no free port is critical, and the stale route gets a clear-route button', async () => {
    world = await worldFor('provision-failures');
    const r = await world.run(stateWorkflow);
    expect(r.byCode.get('tryitnow.state.ports')?.severity).toBe('critical');
    expect(r.byCode.get('tryitnow.state.ports')?.evidence).toBe('ports:available absent, ports:in_use set of 10');
    const orphan = r.byCode.get('tryitnow.state.orphan-routes');
    expect(orphan?.severity).toBe('warning');
    const gone = `demo-route-${hostnameOf(demoId('gone-1'))}`;
    expect(orphan?.evidence).toBe(
      `1 route of 4 match no instance's hostname: ${gone}; the other 3 belong to live demos and are left alone ` +
        '(matched by hostname: route @id demo-route-<hostname>, the hostname from instance:{id})',
    );
    expect(orphan?.actions).toEqual([
      {
        remediation: 'clear-route',
        label: `Clear ${gone.slice(0, 21)}…`,
        params: { 'route-id': gone },
        level: 'approval',
        destructive: true,
      },
    ]);
  });

  it('unreachable: Valkey and Caddy inconclusive, the workflow still returns its manual notes', async () => {
    world = await worldFor('unreachable');
    const r = await world.run(stateWorkflow);
    expect(severities(r.findings)).toEqual({
      'tryitnow.probe.valkey': 'inconclusive',
      'tryitnow.probe.caddy': 'inconclusive',
    });
    expect(r.notes?.length).toBeGreaterThan(0);
    expect(r.summary).toBe('Valkey not read; 2 inconclusive');
  });
});
