import { afterEach, describe, expect, it } from 'vitest';
import { createKyroClient, KyroInstanceSchema, type KyroClient } from '../../integrations/kyrodb/index.js';
import type { KyroClients } from '../../integrations/kyrodb/index.js';
import { parseExposition } from '../../integrations/prometheus/parse-exposition.js';
import { getValue } from '../../integrations/prometheus/query.js';
import {
  startKyroSimulator,
  type KyroScenario,
  type KyroSimulator,
} from '../../integrations/kyrodb/simulator/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Finding } from '../../src/core/report.js';
import type { Workflow } from '../../src/core/workflow.js';
import { CACHE_HIT_RATE_CORRECTION } from './corrections.js';
import { walkDecisionTree, decideWorkflow } from './decide.js';
import { branchFinding } from './decision-tree.js';
import {
  NOW,
  calmMetricsText,
  calmObservations,
  ok,
  sampleMetricsText,
  sampleObservations,
  setMetric,
  withMoreInserts,
} from '../../test/support/kyrodb/observations.js';
import { healthWorkflow } from './health.js';
import { kyroLatencyRules } from './rules/index.js';
import { latencyWorkflow } from './latency.js';
import { evaluateRules, kyroHealthRules } from './rules/index.js';

/**
 * What the REAL KyroDB server did (`reference/real-systems.md`, KyroDB 1-8), one describe per item: the rules on the
 * samples with the real server's behaviour, and the workflows over the real HTTP client against the simulator, which
 * now behaves like the real server by default. Each of these failed on the code before this change.
 */

const clock = fixedClock(NOW);
const open: { sim: KyroSimulator; client: KyroClient }[] = [];

afterEach(async () => {
  for (const { sim, client } of open.splice(0)) {
    await client.close();
    await sim.close();
  }
});

async function simulator(scenario: KyroScenario): Promise<{ sim: KyroSimulator; client: KyroClient }> {
  const sim = await startKyroSimulator({ scenario, clock });
  const client = createKyroClient(KyroInstanceSchema.parse({ url: sim.url, timeoutMs: 2000, writeWindowMs: 30 }), {
    clock,
  });
  const entry = { sim, client };
  open.push(entry);
  return entry;
}

async function run(workflow: Workflow<KyroClients>, scenario: KyroScenario) {
  const { sim, client } = await simulator(scenario);
  const result = await workflow.run({
    target: 'prod',
    clients: { kyrodb: client },
    args: {},
    clock,
    signal: new AbortController().signal,
    logger: silentLogger,
  });
  const byCode = new Map(result.findings.map((f) => [f.code, f]));
  return { ...result, byCode, sim };
}

/** Every text of a finding, for "never says X" checks. */
const textOf = (f: Finding): string => [f.title, f.evidence, f.nextStep, f.runbookCorrection].join(' ');

/** The sample exposition as the real server prints it: the families it never updates at 0. */
function realSample(text = sampleMetricsText()): string {
  let out = text;
  for (const series of [
    'kyrodb_wal_circuit_breaker_state',
    'kyrodb_wal_writes_total',
    'kyrodb_wal_retries_total',
    'kyrodb_wal_disk_full_errors',
    'kyrodb_cache_evictions_total',
    'kyrodb_hot_tier_flushes_total',
    'kyrodb_learned_cache_predictions_total',
    'kyrodb_learned_cache_accuracy',
    'kyrodb_learned_cache_false_positives_total',
    'kyrodb_learned_cache_false_negatives_total',
    'kyrodb_hnsw_corruption_detected_total',
    'kyrodb_hnsw_fallback_recovery_success',
    'kyrodb_hnsw_fallback_recovery_failed',
  ]) {
    out = setMetric(out, series, 0);
  }
  return out;
}

const NEVER_MOVING = [
  'kyrodb_wal_circuit_breaker_state',
  'kyrodb_wal_writes_total',
  'kyrodb_wal_retries_total',
  'kyrodb_wal_disk_full_errors',
  'kyrodb_learned_cache',
  'kyrodb_cache_evictions_total',
  'kyrodb_hot_tier_flushes_total',
  'kyrodb_hnsw_corruption_detected_total',
  'kyrodb_hnsw_fallback_recovery',
];

describe('real KyroDB 1: the breaker gauge never moves', () => {
  it('never shows "[ok] WAL circuit breaker closed" from the gauge while every insert is refused', () => {
    const before = realSample();
    const obs = sampleObservations({
      metricsText: before,
      laterMetricsText: withMoreInserts(before, { attempts: 42, failed: 42 }),
    });
    const findings = evaluateRules(kyroHealthRules, obs, NOW);
    const breaker = findings.find((f) => f.code === 'kyrodb.wal.circuit-breaker')!;
    expect(breaker.severity).toBe('critical');
    expect(breaker.title).not.toMatch(/closed/i);
    for (const f of findings.filter((x) => x.severity === 'ok')) {
      expect(f.title, f.code).not.toMatch(/circuit breaker closed|No HNSW corruption/i);
    }
  });

  it('no finding reads a family the real server never updates as evidence', () => {
    const obs = sampleObservations({ metricsText: realSample(), laterMetricsText: realSample() });
    for (const f of evaluateRules(kyroHealthRules, obs, NOW)) {
      // The exposition check only lists missing families; every other finding must not quote them.
      if (f.code === 'kyrodb.metrics.exposition') continue;
      for (const name of NEVER_MOVING) expect(f.evidence, `${f.code} quotes ${name}`).not.toContain(name);
    }
  });

  it('the health report names them once as "not measured by this version"', async () => {
    const r = await run(healthWorkflow, 'healthy');
    const note = r.notes?.find((n) => n.startsWith('Not measured by this KyroDB version'));
    expect(note).toContain('`kyrodb_wal_circuit_breaker_state`');
    expect(note).toContain('`kyrodb_hnsw_corruption_detected_total`');
    expect(r.findings.map((f) => f.title)).not.toContain('No HNSW corruption detected');
  });

  it('the simulator keeps the gauge and the WAL counters at 0, whatever the WAL does', async () => {
    const { sim } = await simulator('healthy');
    for (const scenario of ['healthy', 'unhealthy-wal', 'wal-refusing', 'wal-recovered'] as const) {
      await sim.setScenario(scenario);
      const expo = parseExposition(await (await fetch(`${sim.url}/metrics`)).text());
      for (const name of [
        'kyrodb_wal_circuit_breaker_state',
        'kyrodb_wal_writes_total',
        'kyrodb_wal_retries_total',
        'kyrodb_wal_disk_full_errors',
      ]) {
        expect({ scenario, name, value: getValue(expo, name) }).toEqual({ scenario, name, value: 0 });
      }
    }
  });
});

describe('real KyroDB 2: an open breaker shows only as failed inserts', () => {
  it('wal-refusing: "inserts failed 42 times since the last check and none succeeded: writes are refused"', async () => {
    const r = await run(healthWorkflow, 'wal-refusing');
    const f = r.byCode.get('kyrodb.wal.circuit-breaker')!;
    expect(f.severity).toBe('critical');
    expect(f.evidence).toContain(
      'KyroDB does not export its breaker state; inserts failed 42 times since the last check',
    );
    expect(f.evidence).toContain('none succeeded: writes are refused');
    expect(f.evidence).toContain('errors_total{internal} +42');
    expect(f.evidence).toContain('WAL circuit breaker is most likely open');
    expect(f.nextStep).toMatch(/^Runbook severity P0 /);
    expect(r.byCode.get('kyrodb.health.status')?.evidence).toContain('3 failed WAL writes observed');
  });

  it('the decision tree takes "circuit breaker open" from the inserts, not the gauge', async () => {
    const r = await run(decideWorkflow, 'wal-refusing');
    const f = r.byCode.get('kyrodb.decide.circuit-breaker')!;
    expect(f.severity).toBe('critical');
    expect(f.title).toContain('yes: writes are refused');
    expect(f.title).toContain('inserts failed 42 times');
    expect(f.nextStep).toMatch(/^Runbook severity P0 /);
    expect(r.summary).toContain('Logs show "circuit breaker open" → yes');
  });

  it('wal-recovered: the sticky /health reason is not "open now": writes succeed', async () => {
    const r = await run(healthWorkflow, 'wal-recovered');
    const f = r.byCode.get('kyrodb.wal.circuit-breaker')!;
    expect(f.severity).toBe('ok');
    expect(f.title).toBe('Writes succeed: 42 inserts in the last 30 ms, none failed');
    expect(f.evidence).toContain('sticky until the next restart');
    expect(r.byCode.get('kyrodb.health.status')?.nextStep).toContain('sticky until the next restart');
    const tree = await run(decideWorkflow, 'wal-recovered');
    expect(tree.byCode.get('kyrodb.decide.circuit-breaker')?.severity).toBe('ok');
  });

  it('a quiet system after failures gives no signal either way: inconclusive, not ok', () => {
    const text = setMetric(realSample(), 'kyrodb_inserts_failed', 40);
    const obs = sampleObservations({ metricsText: text, laterMetricsText: text });
    const f = evaluateRules(kyroHealthRules, obs, NOW).find((x) => x.code === 'kyrodb.wal.circuit-breaker')!;
    expect(f.severity).toBe('inconclusive');
    expect(f.evidence).toContain('a quiet system gives no signal either way');
    const branch = walkDecisionTree(obs, NOW).find((w) => w.branch.code === 'kyrodb.decide.circuit-breaker')!;
    expect(branch.outcome.severity).toBe('inconclusive');
  });

  it('the simulator: inserts_total and inserts_failed rise together, internal errors too, /health 200 degraded', async () => {
    const { sim } = await simulator('wal-refusing');
    const scrape = async () => parseExposition(await (await fetch(`${sim.url}/metrics`)).text());
    const a = await scrape();
    const b = await scrape();
    const delta = (name: string, labels?: Record<string, string>) =>
      getValue(b, name, labels)! - getValue(a, name, labels)!;
    expect(delta('kyrodb_inserts_total')).toBe(42);
    expect(delta('kyrodb_inserts_failed')).toBe(42);
    expect(delta('kyrodb_errors_total', { category: 'internal' })).toBe(42);
    const health = await fetch(`${sim.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'degraded', reason: '3 failed WAL writes observed' });
  });
});

describe('real KyroDB 3: disk nearly full refuses inserts with /health healthy', () => {
  it('disk-low-refusing: writes refused, /health healthy, the < 5 % free-disk cause named', async () => {
    const r = await run(healthWorkflow, 'disk-low-refusing');
    expect(r.byCode.get('kyrodb.health.status')?.severity).toBe('ok');
    const f = r.byCode.get('kyrodb.wal.circuit-breaker')!;
    expect(f.severity).toBe('critical');
    expect(f.evidence).toContain('/health healthy');
    expect(f.evidence).toContain('disk has < 5 % free');
    const tree = await run(decideWorkflow, 'disk-low-refusing');
    expect(tree.byCode.get('kyrodb.decide.circuit-breaker')?.evidence).toContain('< 5 % free-disk refusal');
  });
});

describe('real KyroDB 4: restarting looks unreachable', () => {
  it('recovering: the port is closed (connection refused) and reopens after recovery', async () => {
    const { sim } = await simulator('recovering');
    await expect(fetch(`${sim.url}/health`)).rejects.toThrow();
    await sim.setScenario('healthy');
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
  });

  it('the unreachable finding says it may be recovering, how to tell, and corrects the "503" symptom', async () => {
    const r = await run(healthWorkflow, 'recovering');
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.evidence).toContain('connection refused');
    expect(f.title).toBe('KyroDB prod is unreachable: not running, or still recovering');
    expect(f.nextStep).toContain('It may be recovering, not down');
    expect(f.nextStep).toContain('`systemctl status kyrodb`');
    expect(f.nextStep).toContain('journalctl -u kyrodb');
    expect(f.runbookCorrection).toContain('"connection refused"');
    expect(f.runbookCorrection).toContain('two or more SLO breaches');
    const tree = await run(decideWorkflow, 'recovering');
    expect(tree.summary).not.toContain('Not running? → Start server');
    expect(tree.summary).toContain('recovering');
  });
});

describe('real KyroDB 5: the HNSW metrics include cache hits', () => {
  it('does not blame HNSW by comparing its p99 with the query p99', () => {
    const obs = sampleObservations({ metricsText: realSample() });
    const findings = evaluateRules(kyroLatencyRules, obs, NOW);
    for (const f of findings) expect(f.title, f.code).not.toMatch(/HNSW \(Layer 3/);
    const layer = findings.find((f) => f.code === 'kyrodb.latency.slow-layer')!;
    expect(layer.severity).toBe('warning');
    expect(layer.title).toBe("P99 over SLO; which layer is slow cannot be told from KyroDB's metrics");
    expect(layer.evidence).toContain('whole search call, cache hits included');
    expect(layer.runbookCorrection).toContain('KyroDB exports no per-layer latency');
  });

  it('degraded-latency against the simulator: the HNSW p99 equals the query p99, and nothing blames HNSW', async () => {
    const r = await run(latencyWorkflow, 'degraded-latency');
    expect(r.summary).toMatch(/^P99 over SLO; which layer is slow cannot be told/);
    expect(r.findings.some((f) => /HNSW \(Layer 3/.test(f.title))).toBe(false);
    const expo = parseExposition(await (await fetch(`${r.sim.url}/metrics`)).text());
    expect(getValue(expo, 'kyrodb_hnsw_latency_ns')).toBe(
      getValue(expo, 'kyrodb_query_latency_ns', { percentile: '99' }),
    );
    expect(getValue(expo, 'kyrodb_hnsw_searches_total')).toBeGreaterThanOrEqual(
      getValue(expo, 'kyrodb_cache_hits_total')!,
    );
  });
});

describe('real KyroDB 6: /slo arithmetic overflows once failures outnumber successes', () => {
  it('the simulator answers like the release build: error_rate 1.142857, availability 5.27e16', async () => {
    const { sim, client } = await simulator('slo-overflow');
    const raw = (await (await fetch(`${sim.url}/slo`)).json()) as { current_metrics: Record<string, number> };
    expect(raw.current_metrics.error_rate).toBe(1.142857);
    expect(raw.current_metrics.availability).toBeCloseTo(5.27e16, -15);
    // The client's schema accepts it instead of turning the worst moment into "inconclusive".
    await expect(client.slo()).resolves.toMatchObject({ current_metrics: { error_rate: 1.142857 } });
  });

  it("computes the error rate from the counters and says KyroDB's own figure is wrong", async () => {
    const r = await run(healthWorkflow, 'slo-overflow');
    expect(r.findings.filter((f) => f.severity === 'inconclusive').map((f) => f.code)).toEqual([]);
    const rate = r.byCode.get('kyrodb.slo.error-rate')!;
    expect(rate.severity).toBe('warning');
    expect(rate.evidence).toContain('53.3 % (400 failed of 750 queries since restart)');
    expect(rate.evidence).toContain("KyroDB's own /slo error_rate 1.142857 is wrong");
    const availability = r.byCode.get('kyrodb.slo.availability')!;
    expect(availability.severity).toBe('warning');
    expect(availability.evidence).toContain("KyroDB's own /slo availability 5.27e+16 is wrong");
    expect(availability.runbookCorrection).toContain('attempt to subtract with overflow');
    // /health quotes KyroDB's own 114.286 %: the report puts the true figure beside it.
    expect(r.byCode.get('kyrodb.health.status')?.evidence).toContain('Error rate 114.286% exceeds SLO"');
    expect(r.byCode.get('kyrodb.health.status')?.evidence).toContain('the true error rate is 53.3 %');
  });
});

describe('real KyroDB 7: families that never move are not evidence of health', () => {
  it('no "No HNSW corruption detected"; disk used is the whole filesystem; no cache_size as "entries cached"', () => {
    const obs = calmObservations({ metricsText: realSample(calmMetricsText()) });
    const health = evaluateRules(kyroHealthRules, obs, NOW);
    expect(health.map((f) => f.title)).not.toContain('No HNSW corruption detected');
    expect(health.find((f) => f.code === 'kyrodb.resources.usage')?.evidence).toContain('whole filesystem');
    const latency = evaluateRules(kyroLatencyRules, obs, NOW);
    for (const f of latency) expect(textOf(f)).not.toMatch(/entries cached|evictions|learned-cache accuracy/);
  });

  it('the decision tree does not call the filesystem "used by KyroDB"', () => {
    const before = realSample();
    const obs = sampleObservations({
      health: ok({ status: 'unhealthy', reason: 'WAL inconsistent; writes disabled', uptime_seconds: 7200 }),
      metricsText: before,
      laterMetricsText: withMoreInserts(before, { attempts: 42, failed: 42 }),
    });
    const walked = walkDecisionTree(obs, NOW).find((w) => w.branch.code === 'kyrodb.decide.circuit-breaker')!;
    const f = branchFinding(walked.branch, walked.outcome);
    expect(f.severity).toBe('critical');
    expect(textOf(f)).not.toContain('used by KyroDB');
    expect(f.evidence).toContain('is the whole filesystem');
  });
});

describe('real KyroDB 8: counters reset, wrong-dimension queries, two different hit rates', () => {
  it('bad query vectors: the title names validation, not "internal or resource errors"', async () => {
    const r = await run(healthWorkflow, 'bad-query-vectors');
    expect(r.byCode.get('kyrodb.health.status')?.severity).toBe('critical');
    expect(r.byCode.get('kyrodb.health.ready')?.severity).toBe('critical');
    const f = r.byCode.get('kyrodb.errors.by-category')!;
    expect(f.severity).toBe('warning');
    expect(f.title).toContain('validation errors (20');
    expect(f.title).not.toContain('internal or resource');
    expect(f.evidence).toContain('internal 0: the failed queries are client errors');
  });

  it('a restart between the two scrapes (counters went down) is said, not read as a negative delta', () => {
    const before = realSample();
    const after = setMetric(setMetric(before, 'kyrodb_inserts_total', 10), 'kyrodb_uptime_seconds', 3);
    const obs = sampleObservations({ metricsText: before, laterMetricsText: after });
    const f = evaluateRules(kyroHealthRules, obs, NOW).find((x) => x.code === 'kyrodb.wal.circuit-breaker')!;
    expect(f).toMatchObject({ severity: 'inconclusive', title: 'KyroDB restarted during the write check' });
  });

  it('the gRPC Metrics cache_hit_rate is a different quantity, not the same in percent', () => {
    expect(CACHE_HIT_RATE_CORRECTION).not.toContain('0-100');
    expect(CACHE_HIT_RATE_CORRECTION).toContain('different quantity');
  });

  it('counts are said to be since the restart', () => {
    const obs = calmObservations({ health: ok({ status: 'healthy', uptime_seconds: 120 }) });
    const errors = evaluateRules(kyroHealthRules, obs, NOW).find((f) => f.code === 'kyrodb.errors.by-category')!;
    expect(errors.evidence).toMatch(/^errors since restart \(up 2 min\)/);
    const tree = walkDecisionTree(obs, NOW).map((w) => branchFinding(w.branch, w.outcome));
    expect(tree.find((f) => f.code === 'kyrodb.decide.panic')?.evidence).toContain('since restart');
  });
});
