import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition } from '../../integrations/prometheus/parse-exposition.js';
import { BOUNDS, renderExposition, type MetricsState } from '../../integrations/tryitnow/simulator/exposition.js';
import { createScenarioState } from '../../integrations/tryitnow/simulator/state.js';
import { getFreePort } from '../../src/dev/local-services.js';
import { evaluateRules } from '../../src/core/rule.js';
import { poolRules, poolWorkflow, type PoolObservations } from './pool.js';
import { severities, startWorld, type World, type WorldOptions } from '../../test/support/tryitnow/world.js';

let world: World | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A world whose NATS and Valkey are not needed (the pool workflow reads only the API). */
async function apiWorld(o: Partial<WorldOptions>) {
  const port = await getFreePort();
  world = await startWorld({
    natsUrl: `nats://127.0.0.1:${port}`,
    natsMonitorUrl: `http://127.0.0.1:${port}`,
    valkeyUrl: `redis://127.0.0.1:${port}`,
    ...o,
  });
  return world;
}

describe('pool workflow over HTTP', () => {
  it('without the API key both probes are inconclusive, and the report says /metrics needs the key', async () => {
    const w = await apiWorld({ serverKey: 'secret-key', botKey: null });
    const r = await w.run(poolWorkflow);
    expect(severities(r.findings)).toEqual({
      'tryitnow.probe.pool-stats': 'inconclusive',
      'tryitnow.probe.metrics': 'inconclusive',
    });
    const metrics = r.byCode.get('tryitnow.probe.metrics');
    expect(metrics?.title).toBe("The metrics (GET /metrics) of prod rejected the bot's credentials");
    expect(metrics?.runbookCorrection).toContain('`/metrics` sits behind the same `API_KEY`');
    expect(metrics?.nextStep).toContain('apiKey');
    expect(JSON.stringify(r)).not.toContain('secret-key');
  });

  it('when the API cannot read Valkey, the frozen demo_pool_* gauges are not taken for the pool level', async () => {
    const w = await apiWorld({ scenario: 'pool-low', timeoutMs: 1000 });
    w.api.setStoreAvailable(false);
    const r = await w.run(poolWorkflow);
    expect(r.byCode.get('tryitnow.probe.pool-stats')?.evidence).toContain('timed out after 1000 ms');
    const ready = r.byCode.get('tryitnow.pool.ready');
    expect(ready?.severity).toBe('critical');
    expect(ready?.evidence).toContain('the demo_pool_* gauges still read ready 1 of 10');
    expect(ready?.evidence).toContain('they are not the pool now');
  });

  it('lists the runbook-to-real metric names in its notes', async () => {
    const w = await apiWorld({});
    const r = await w.run(poolWorkflow);
    expect(r.notes?.[0]).toContain(
      '`try_it_now_provisions_total{method,status}` → `demo_provisions_total{method,result}`',
    );
  });
});

/** Observations from a metrics state, without HTTP: the rules are data. */
function observe(metrics: MetricsState, stats = metrics.pool): PoolObservations {
  return {
    stats: { ok: true, value: stats },
    metrics: { ok: true, value: parseExposition(renderExposition(metrics)) },
  };
}

const healthy = createScenarioState('healthy').metrics;

function criu(perBucket: number[], overflow: number, mean: number) {
  let running = 0;
  const cumulative = BOUNDS.fast.map((_, i) => (running += perBucket[i] ?? 0));
  const count = running + overflow;
  return { cumulative, count, sum: count * mean };
}

describe('pool rules', () => {
  it('ready exactly at 50 % is ok, just under is a warning, under 20 % critical', () => {
    const at = (ready: number) =>
      evaluateRules(poolRules, observe(healthy, { ...healthy.pool, ready, target: 10 }), 0).find(
        (f) => f.code === 'tryitnow.pool.ready',
      )?.severity;
    expect([at(5), at(4), at(2), at(1), at(0)]).toEqual(['ok', 'warning', 'warning', 'critical', 'critical']);
  });

  it('a failure share above 25 % on a tiny sample is only a warning', () => {
    const f = evaluateRules(
      poolRules,
      observe({
        ...healthy,
        provisions: [
          { labels: { method: 'cold_start', result: 'failure' }, value: 2 },
          { labels: { method: 'criu_restore', result: 'success' }, value: 3 },
        ],
      }),
      0,
    ).find((x) => x.code === 'tryitnow.pool.provision-failures');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toContain('only 5 provisions so far, too few to call it critical');
  });

  it('exactly 10 % failing is ok, above is a warning', () => {
    const share = (failed: number, ok: number) =>
      evaluateRules(
        poolRules,
        observe({
          ...healthy,
          provisions: [
            { labels: { method: 'criu_restore', result: 'failure' }, value: failed },
            { labels: { method: 'criu_restore', result: 'success' }, value: ok },
          ],
        }),
        0,
      ).find((x) => x.code === 'tryitnow.pool.provision-failures')?.severity;
    expect([share(10, 90), share(11, 89), share(26, 74)]).toEqual(['ok', 'warning', 'critical']);
  });

  it('no provision yet: the *Vec is absent from /metrics, and that is not an error', () => {
    const f = evaluateRules(poolRules, observe({ ...healthy, provisions: [], provisionDuration: [] }), 0);
    expect(f.find((x) => x.code === 'tryitnow.pool.provision-failures')?.title).toBe('No provision recorded yet');
    expect(f.find((x) => x.code === 'tryitnow.pool.provision-duration')?.title).toBe('No provision timed yet');
  });

  it('CRIU restores averaging more than 10 s are critical though the histogram stops at 2 s', () => {
    const f = evaluateRules(
      poolRules,
      observe({ ...healthy, criuRestoreDuration: criu([0, 0, 0, 0, 0, 0, 0, 0, 0, 5], 95, 11) }),
      0,
    ).find((x) => x.code === 'tryitnow.pool.criu-restore');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('CRIU restores take 11 s on average');
    expect(f?.evidence).toMatch(/^p95 ≥ 2 s, mean 11 s over 100 restores; 95 of 100 took longer than 2 s/);
  });

  it('no CRIU restore observed: ok, with the never-set demo_criu_available explained', () => {
    const f = evaluateRules(
      poolRules,
      observe({ ...healthy, criuRestoreDuration: { cumulative: BOUNDS.fast.map(() => 0), count: 0, sum: 0 } }),
      0,
    ).find((x) => x.code === 'tryitnow.pool.criu-restore');
    expect(f?.severity).toBe('ok');
    expect(f?.title).toBe('No CRIU restore observed yet');
    expect(f?.runbookCorrection).toContain('`demo_criu_available` is declared but never set');
  });

  it('a target of 0 is not a division by zero', () => {
    const f = evaluateRules(poolRules, observe(healthy, { ...healthy.pool, ready: 0, target: 0 }), 0).find(
      (x) => x.code === 'tryitnow.pool.ready',
    );
    expect(f?.severity).toBe('ok');
  });
});
