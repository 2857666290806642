import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/report.js';
import {
  NOW,
  calmObservations,
  calmMetricsText,
  sampleObservations,
  sampleWith,
  setMetric,
} from '../../test/support/kyrodb/observations.js';
import { kyroLatencyRules } from './rules/index.js';
import type { KyroObservations } from './observe.js';
import { evaluateRule } from './rules/index.js';

/** The "P99 Latency High" rules on the §2.5 sample (p99 15.2 ms, HNSW p99 9.12 ms, hit rate 0.741). */

function finding(code: string, obs: KyroObservations): Finding {
  const rule = kyroLatencyRules.find((r) => r.code === code);
  if (!rule) throw new Error(`no rule ${code}`);
  const f = evaluateRule(rule, obs, NOW);
  if (!f) throw new Error(`rule ${code} had nothing to read`);
  return f;
}

describe('kyrodb.latency.query-p99', () => {
  it('lists p50/p95/p99 converted from ns against the /slo threshold', () => {
    const f = finding('kyrodb.latency.query-p99', sampleObservations());
    expect(f.severity).toBe('warning');
    expect(f.evidence).toBe(
      'query p50 412 µs, p95 4.21 ms, p99 15.23 ms — SLO p99 ≤ 10 ms; raw p99 15.23 ms (15,234,000 ns)',
    );
    expect(f.runbookCorrection).toContain('NANOSECONDS');
  });

  it('is ok at exactly the threshold', () => {
    const obs = sampleObservations({
      metricsText: sampleWith({ 'kyrodb_query_latency_ns{percentile="99"}': 10_000_000 }),
    });
    expect(finding('kyrodb.latency.query-p99', obs).severity).toBe('ok');
  });
});

describe('kyrodb.latency.slow-layer', () => {
  // kyrodb_hnsw_latency_ns is the whole search call, cache hits included (real-systems.md KyroDB 5): the rule no
  // longer blames HNSW from it, whatever its share of the query p99.
  it('never blames HNSW from its share of the query p99; says the layer cannot be told, with both fixes', () => {
    const f = finding('kyrodb.latency.slow-layer', sampleObservations());
    expect(f.severity).toBe('warning');
    expect(f.title).toBe("P99 over SLO; which layer is slow cannot be told from KyroDB's metrics");
    expect(f.evidence).toContain('kyrodb_hnsw_latency_ns 9.12 ms (whole search call, cache hits included');
    expect(f.nextStep).toContain('iostat -x 1 5');
    expect(f.nextStep).toContain('`hnsw.ef_search` exists (default 50)');
    expect(f.nextStep).toContain('SLOWER');
    expect(f.runbookCorrection).toContain('`kyrodb_hnsw_vector_count` → none (gRPC `Metrics.cold_tier_size`)');
    const all = sampleObservations({ metricsText: sampleWith({ kyrodb_hnsw_latency_ns: 15_234_000 }) });
    expect(finding('kyrodb.latency.slow-layer', all).title).not.toContain('HNSW');
  });

  it('names the cache when the hit rate is under its SLO (that is measured), not the layer itself', () => {
    const text = sampleWith({ kyrodb_hnsw_latency_ns: 3_000_000, kyrodb_cache_hit_rate: '0.352013' });
    const f = finding('kyrodb.latency.slow-layer', sampleObservations({ metricsText: text }));
    expect(f.title).toBe('P99 over SLO and the cache (Layer 1) misses often; the slow layer itself is not measured');
    expect(f.nextStep).toContain('`cache.strategy: lru` (lowercase)');
    expect(f.runbookCorrection).toContain("the runbook's `strategy: LRU` does not parse");
  });

  it('blames nothing while the p99 is within SLO', () => {
    expect(finding('kyrodb.latency.slow-layer', calmObservations())).toMatchObject({
      severity: 'ok',
      title: 'No slow layer',
    });
  });
});

describe('kyrodb.latency.cache-hit-rate', () => {
  const withRate = (rate: string) =>
    finding(
      'kyrodb.latency.cache-hit-rate',
      sampleObservations({ metricsText: sampleWith({ kyrodb_cache_hit_rate: rate }) }),
    );

  it('ok at 74 % with the cache details', () => {
    const f = withRate('0.741055');
    expect(f.severity).toBe('ok');
    // No evictions, cache size or learned-cache accuracy: the real server never updates those.
    expect(f.evidence).toBe('cache hit rate 74.11 % (1,366,000 hits / 477,321 misses, predictor trained) — SLO ≥ 70 %');
  });

  it('under the SLO: warning with the P1 row', () => {
    const f = withRate('0.650000');
    expect(f.severity).toBe('warning');
    expect(f.nextStep).toMatch(/^Runbook severity P1 /);
  });

  it("under the runbook's 40 %: warning with the P3 next-day row and the fraction correction", () => {
    const f = withRate('0.352013');
    expect(f.title).toBe("Cache hit rate below the runbook's 40 %");
    expect(f.nextStep).toMatch(/^Runbook severity P3 if the cache hit rate stays below 40 % — respond next day/);
    expect(f.runbookCorrection).toContain('is a fraction (0.0-1.0)');
  });

  it('names an untrained hybrid-cache predictor', () => {
    const text = setMetric(sampleWith({ kyrodb_cache_hit_rate: '0.500000' }), 'kyrodb_hsc_predictor_trained', 0);
    const f = finding('kyrodb.latency.cache-hit-rate', sampleObservations({ metricsText: text }));
    expect(f.evidence).toContain('hybrid-cache predictor NOT trained yet');
  });
});

describe('kyrodb.latency.cold-tier-load', () => {
  it('ok on the sample (22.57 % of queries reach HNSW), warning above half', () => {
    const f = finding('kyrodb.latency.cold-tier-load', sampleObservations());
    expect(f).toMatchObject({ severity: 'ok' });
    expect(f.evidence).toBe(
      'of 1,843,321 queries: cache 1,366,000, hot tier 61,200, cold tier (HNSW) 416,121 = 22.57 % — threshold 50 %',
    );
    const heavy = sampleWith({ 'kyrodb_tier_hits_total{tier="cold"}': 1_000_000 });
    expect(finding('kyrodb.latency.cold-tier-load', sampleObservations({ metricsText: heavy })).severity).toBe(
      'warning',
    );
  });

  it('says so when no query was served yet', () => {
    const idle = calmObservations({ metricsText: setMetric(calmMetricsText(), 'kyrodb_queries_total', 0) });
    expect(finding('kyrodb.latency.cold-tier-load', idle).evidence).toBe('no queries served yet');
  });
});
