import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition } from '../../prometheus/parse-exposition.js';
import { findSamples, getValue } from '../../prometheus/query.js';
import type { Clock } from '../../../src/core/clock.js';
import { HealthSchema, ReadySchema, SloSchema } from '../schemas.js';
import { KYRO_FAMILY_NAMES } from './exposition.js';
import { KYRO_SCENARIOS, startKyroSimulator, type KyroSimulator, type KyroSimulatorOptions } from './index.js';

/**
 * The simulator against `reference/targets.md` §2.2-2.5 with raw HTTP (fetch), not through our client: exact bodies,
 * status codes, content types, auth behaviour and the exposition's names, types, HELP texts and units.
 */

const sample = readFileSync(new URL('../fixtures/metrics-sample.prom', import.meta.url), 'utf8');
const KEY = 'kdb_sim_key_91';

const open: KyroSimulator[] = [];
afterEach(async () => {
  for (const sim of open.splice(0)) await sim.close();
});

async function simulator(options: KyroSimulatorOptions = {}): Promise<KyroSimulator> {
  const sim = await startKyroSimulator(options);
  open.push(sim);
  return sim;
}

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(url, { headers, method });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('KyroDB simulator: JSON endpoints', () => {
  it('answers the four /health shapes with exact bodies and the paired status codes', async () => {
    const sim = await simulator();
    const expected: Record<string, [number, string]> = {
      healthy: [200, '{"status":"healthy","uptime_seconds":86012}'],
      'degraded-latency': [
        200,
        '{"status":"degraded","reason":"P99 latency 15234000ns exceeds SLO","uptime_seconds":18000}',
      ],
      'cache-thrash': [200, '{"status":"degraded","reason":"Cache hit rate 35.20% below SLO","uptime_seconds":1500}'],
      starting: [503, '{"status":"starting","uptime_seconds":4}'],
      'unhealthy-wal': [
        503,
        '{"status":"unhealthy","reason":"WAL inconsistent; writes disabled","uptime_seconds":7200}',
      ],
      'training-crashloop': [200, '{"status":"healthy","uptime_seconds":2400}'],
    };
    for (const [scenario, [status, body]] of Object.entries(expected)) {
      sim.setScenario(scenario as never);
      const res = await get(`${sim.url}/health`);
      expect({ scenario, status: res.status, body: res.body }).toEqual({ scenario, status, body });
      expect(res.type).toBe('application/json');
      expect(HealthSchema.safeParse(JSON.parse(res.body)).success).toBe(true);
    }
  });

  it('answers /ready 200 when healthy or degraded and 503 otherwise', async () => {
    const sim = await simulator({ scenario: 'degraded-latency' });
    expect(await get(`${sim.url}/ready`)).toMatchObject({ status: 200, body: '{"ready":true,"status":"ready"}' });
    sim.setScenario('starting');
    expect(await get(`${sim.url}/ready`)).toMatchObject({ status: 503, body: '{"ready":false,"status":"not_ready"}' });
    sim.setScenario('unhealthy-wal');
    const res = await get(`${sim.url}/ready`);
    expect(res.status).toBe(503);
    expect(ReadySchema.parse(JSON.parse(res.body))).toEqual({ ready: false, status: 'not_ready' });
  });

  it('answers /slo (always 200) in the shape and key order of §2.3, with the SloConfig defaults', async () => {
    const sim = await simulator({ scenario: 'degraded-latency' });
    const res = await get(`${sim.url}/slo`);
    expect(res.status).toBe(200);
    expect(res.body).toBe(
      '{"slo_breaches":{"p99_latency":true,"cache_hit_rate":false,"error_rate":false,"availability":false},' +
        '"current_metrics":{"p99_latency_ns":15234000,"cache_hit_rate":0.82,"error_rate":0.0001,"availability":0.9999},' +
        '"slo_thresholds":{"p99_latency_ns":10000000,"min_cache_hit_rate":0.7,"max_error_rate":0.001,"min_availability":0.999,"min_samples":100}}',
    );
    expect(SloSchema.safeParse(JSON.parse(res.body)).success).toBe(true);
  });

  it('does not judge SLOs before min_samples queries (starting)', async () => {
    const sim = await simulator({ scenario: 'starting' });
    const slo = SloSchema.parse(JSON.parse((await get(`${sim.url}/slo`)).body));
    expect(Object.values(slo.slo_breaches)).toEqual([false, false, false, false]);
    expect(slo.current_metrics.availability).toBe(1);
  });

  it('has no /admin route: the runbook circuit-breaker reset gets an empty 404', async () => {
    const sim = await simulator({ scenario: 'unhealthy-wal' });
    expect(await get(`${sim.url}/admin/circuit-breaker/reset`, {}, 'POST')).toMatchObject({ status: 404, body: '' });
    expect(await get(`${sim.url}/health`, {}, 'POST')).toMatchObject({ status: 405, body: '' });
  });

  it('uses the injected clock for uptime', async () => {
    let now = Date.parse('2026-03-26T10:00:00Z');
    const clock: Clock = { now: () => now };
    const sim = await simulator({ clock });
    now += 90_500;
    expect(JSON.parse((await get(`${sim.url}/health`)).body)).toEqual({ status: 'healthy', uptime_seconds: 86_102 });
    const expo = parseExposition((await get(`${sim.url}/metrics`)).body);
    expect(getValue(expo, 'kyrodb_uptime_seconds')).toBe(86_102);
  });
});

describe('KyroDB simulator: auth (observability_auth_middleware)', () => {
  it('disabled (default): everything open except /usage, which needs the key once auth is enabled', async () => {
    const sim = await simulator({ apiKey: KEY });
    expect((await get(`${sim.url}/metrics`)).status).toBe(200);
    expect(await get(`${sim.url}/usage`)).toEqual({
      status: 401,
      type: 'text/plain; charset=utf-8',
      body: 'unauthorized',
    });
    expect((await get(`${sim.url}/usage`, { 'x-api-key': KEY })).status).toBe(200);
  });

  it('metrics_and_slo: a plain-text 401 "unauthorized" on /metrics and /slo only', async () => {
    const sim = await simulator({ apiKey: KEY, observabilityAuth: 'metrics_and_slo' });
    expect((await get(`${sim.url}/health`)).status).toBe(200);
    expect((await get(`${sim.url}/ready`)).status).toBe(200);
    for (const path of ['/metrics', '/slo']) {
      expect(await get(`${sim.url}${path}`, { 'x-api-key': 'nope' })).toEqual({
        status: 401,
        type: 'text/plain; charset=utf-8',
        body: 'unauthorized',
      });
    }
  });

  it('all: accepts the key as x-api-key or Authorization: Bearer', async () => {
    const sim = await simulator({ apiKey: KEY, observabilityAuth: 'all' });
    expect((await get(`${sim.url}/health`)).status).toBe(401);
    expect((await get(`${sim.url}/health`, { 'x-api-key': KEY })).status).toBe(200);
    expect((await get(`${sim.url}/health`, { authorization: `Bearer ${KEY}` })).status).toBe(200);
  });

  it('refuses to start with observability auth but no key', async () => {
    await expect(startKyroSimulator({ observabilityAuth: 'all' })).rejects.toThrow(/needs an apiKey/);
  });

  it('/usage: 404 with the JSON error when auth is disabled, 400 for a bad scope', async () => {
    const plain = await simulator();
    expect(await get(`${plain.url}/usage`)).toMatchObject({
      status: 404,
      body: '{"error":"usage tracking disabled (auth.enabled=false)"}',
    });
    const secured = await simulator({ apiKey: KEY });
    expect((await get(`${secured.url}/usage?scope=everyone`, { 'x-api-key': KEY })).status).toBe(400);
  });
});

describe('KyroDB simulator: /metrics exposition', () => {
  it('serves Prometheus 0.0.4 that parses without a problem, for every scenario', async () => {
    const sim = await simulator();
    for (const scenario of KYRO_SCENARIOS.filter((s) => s !== 'unreachable' && s !== 'recovering')) {
      await sim.setScenario(scenario);
      const res = await get(`${sim.url}/metrics`);
      expect(res.type).toBe('text/plain; version=0.0.4');
      const expo = parseExposition(res.body);
      expect({ scenario, problems: expo.problems }).toEqual({ scenario, problems: [] });
      expect([...expo.families.keys()]).toEqual(KYRO_FAMILY_NAMES);
    }
  });

  it('prints every family of the §2.5 sample with the same TYPE, HELP and label sets', async () => {
    const sim = await simulator();
    const ours = parseExposition((await get(`${sim.url}/metrics`)).body);
    const reference = parseExposition(sample);
    expect(reference.problems).toEqual([]);
    for (const [name, family] of reference.families) {
      const mine = ours.families.get(name);
      expect(mine, name).toBeDefined();
      expect({ name, type: mine?.type, help: mine?.help }).toEqual({ name, type: family.type, help: family.help });
      const labels = (f: typeof family) => f.samples.map((s) => JSON.stringify(s.labels)).sort();
      expect(labels(mine!)).toEqual(labels(family));
    }
  });

  it('prints the 18 kyrodb_hsc_* families of §2.4 (hybrid cache on)', async () => {
    const sim = await simulator();
    const expo = parseExposition((await get(`${sim.url}/metrics`)).body);
    const hsc = [...expo.families.keys()].filter((k) => k.startsWith('kyrodb_hsc_'));
    expect(hsc).toHaveLength(18);
    expect(expo.families.get('kyrodb_hsc_training_skips_total')?.type).toBe('counter');
    expect(expo.families.get('kyrodb_hsc_cache_utilization')?.type).toBe('gauge');
  });

  it('formats like KyroDB: latencies as integer ns, the hit rate as a 0-1 fraction with 6 decimals', async () => {
    const sim = await simulator({ scenario: 'cache-thrash' });
    const text = (await get(`${sim.url}/metrics`)).body;
    expect(text).toContain('\nkyrodb_query_latency_ns{percentile="99"} 8700000\n');
    // The whole search call's p99, like the real server: equal to the query p99 here.
    expect(text).toContain('\nkyrodb_hnsw_latency_ns 8700000\n');
    expect(text).toContain('\nkyrodb_cache_hit_rate 0.352013\n');
    expect(text).toContain('\nkyrodb_tier_hits_total{tier="cold"} 1150000\n');
    expect(text).not.toMatch(/_p99/);
  });

  it('models each scenario in the real metrics', async () => {
    const sim = await simulator();
    const read = async (scenario: (typeof KYRO_SCENARIOS)[number]) => {
      await sim.setScenario(scenario);
      return parseExposition((await get(`${sim.url}/metrics`)).body);
    };
    const wal = await read('unhealthy-wal');
    // The real server never updates the breaker gauge; only the copied kyrodb_wal_writes_failed moves.
    expect(getValue(wal, 'kyrodb_wal_circuit_breaker_state')).toBe(0);
    expect(getValue(wal, 'kyrodb_wal_writes_failed')).toBeGreaterThan(0);
    const training = await read('training-crashloop');
    expect(getValue(training, 'kyrodb_training_crashes_total')).toBe(7);
    expect(getValue(training, 'kyrodb_training_restarts_total')).toBe(7);
    const latency = await read('degraded-latency');
    expect(getValue(latency, 'kyrodb_hnsw_latency_ns')).toBeGreaterThan(10_000_000);
    const starting = await read('starting');
    expect(getValue(starting, 'kyrodb_ready')).toBe(0);
    expect(findSamples(starting, 'kyrodb_errors_total').map((s) => s.labels.category)).toEqual([
      'validation',
      'timeout',
      'internal',
      'resource_exhausted',
    ]);
  });
});

describe('KyroDB simulator: network behaviour', () => {
  it('unreachable: accepts then drops every connection', async () => {
    const sim = await simulator({ scenario: 'unreachable' });
    await expect(fetch(`${sim.url}/health`)).rejects.toThrow();
    expect(sim.requests).toEqual([]);
  });

  it('setLatency delays the answers', async () => {
    const sim = await simulator();
    sim.setLatency(150);
    const started = Date.now();
    await get(`${sim.url}/ready`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
