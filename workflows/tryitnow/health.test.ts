import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type StartedNatsServer } from '../../integrations/tryitnow/simulator/start-nats-server.js';
import { startRedis, type StartedService } from '../../src/dev/local-services.js';
import { evaluateRules } from '../../src/core/rule.js';
import { healthRules, healthWorkflow, type HealthObservations } from './health.js';
import { startWorld, type World, type WorldOptions } from '../../test/support/tryitnow/world.js';

/** The health workflow with a real NATS and Valkey, and the API and Caddy fakes in states the scenarios lack. */

let nats: StartedNatsServer;
let redis: StartedService;
let world: World | undefined;

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNatsServer(), startRedis()]);
});

afterEach(async () => {
  await world?.close();
  world = undefined;
});

afterAll(async () => {
  await Promise.all([nats?.stop(), redis?.stop()]);
});

async function worldWith(o: Partial<WorldOptions> = {}): Promise<World> {
  world = await startWorld({ natsUrl: nats.url, natsMonitorUrl: nats.monitorUrl, valkeyUrl: redis.url, ...o });
  return world;
}

describe('health workflow', () => {
  it('an API that cannot ping its Valkey is critical, with the 503 body the runbook does not mention', async () => {
    const w = await worldWith({ routes: [] });
    w.api.setStoreAvailable(false);
    const r = await w.run(healthWorkflow);
    const api = r.byCode.get('tryitnow.health.api');
    expect(api).toMatchObject({
      severity: 'critical',
      title: 'Try It Now API cannot reach its store (Valkey)',
      evidence: 'GET /health → 503 {"status":"unhealthy","error":"store unavailable"}',
    });
    expect(api?.runbookCorrection).toContain('HTTP 503');
    expect(r.findings[0]?.code).toBe('tryitnow.health.api'); // worst first
    expect(api?.nextStep).toContain('the `demo_pool_*` gauges stay frozen');
    expect(r.summary).toBe('API unhealthy, NATS ok, Valkey ok, Caddy 0 routes; 1 critical');
  });

  it('names the container runtime the API reports', async () => {
    const w = await worldWith({ mode: 'docker' });
    const r = await w.run(healthWorkflow);
    expect(r.byCode.get('tryitnow.health.api')?.evidence).toBe(
      'GET /health → 200 {"status":"ok"}, container mode docker',
    );
  });

  it('a Caddy without the demo server: normal on a server that has not acquired, unknown without /metrics', async () => {
    // The healthy scenario's counters show acquires: a missing demo server there was deleted (critical, see
    // real-server.test.ts); without the API key /metrics cannot tell, and the bot says so.
    const w = await worldWith({ caddyServerExists: false, serverKey: 'k', botKey: null });
    const r = await w.run(healthWorkflow);
    expect(r.byCode.get('tryitnow.health.caddy')).toMatchObject({
      severity: 'inconclusive',
      title: 'Caddy has no `demo` server; whether that is normal cannot be told',
    });
    expect(r.byCode.get('tryitnow.health.caddy')?.evidence).toContain('requires an API key');
  });

  it('only Caddy down: one inconclusive line, the other components still checked', async () => {
    const w = await worldWith({ caddyUnreachable: true, routes: ['a'] });
    const r = await w.run(healthWorkflow);
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([
      ['tryitnow.probe.caddy', 'inconclusive'],
      ['tryitnow.health.api', 'ok'],
      ['tryitnow.health.nats', 'ok'],
      ['tryitnow.health.valkey', 'ok'],
    ]);
  });
});

describe('health rules', () => {
  const ok = { ok: true as const };
  const base: HealthObservations = {
    api: { ...ok, value: { status: 'ok', mode: 'podman', httpStatus: 200 } },
    nats: { ...ok, value: { status: 'ok', httpStatus: 200 } },
    valkey: { ...ok, value: 'PONG' },
    caddy: { ...ok, value: { serverExists: true, routes: [] } },
    metrics: { ok: false, error: new Error('not read') },
  };

  it('a NATS /healthz 503 is critical with its error text', () => {
    const f = evaluateRules(
      healthRules,
      {
        ...base,
        nats: { ...ok, value: { status: 'unavailable', error: 'JetStream not enabled', httpStatus: 503 } },
      },
      0,
    ).find((x) => x.code === 'tryitnow.health.nats');
    expect(f).toMatchObject({
      severity: 'critical',
      evidence: 'GET /healthz → 503 status "unavailable": JetStream not enabled',
    });
  });

  it('a PING answered with anything but PONG is a warning', () => {
    const f = evaluateRules(healthRules, { ...base, valkey: { ...ok, value: 'LOADING' } }, 0).find(
      (x) => x.code === 'tryitnow.health.valkey',
    );
    expect(f?.severity).toBe('warning');
  });
});
