import { formatNumber } from '../../../src/core/format.js';
import {
  CACHE_HIT_RATE_CORRECTION,
  CACHE_STRATEGY_CORRECTION,
  EF_SEARCH_NOTE,
  HNSW_METRICS_CORRECTION,
  NS_CORRECTION,
  TRAINING_KEYS_CORRECTION,
  metricNameCorrection,
} from '../corrections.js';
import { ESCALATIONS } from '../escalation.js';
import type { KyroObservations } from '../observe.js';
import type { KyroDraft, KyroRule } from './rule.js';
import { SECTIONS } from './sections.js';
import {
  formatNs,
  formatNsRaw,
  formatRate,
  readHitRate,
  readHnswP99,
  readMetric,
  readQueriesTotal,
  readQueryLatency,
  readSloThresholds,
  readTierHits,
} from '../signals.js';

/**
 * The runbook's "P99 Latency High" section as rules: is the query p99 over its SLO, and what the metrics can and
 * cannot say about the layer. They cannot name HNSW: on the real server `kyrodb_hnsw_latency_ns` is the whole search
 * call's p99 and `kyrodb_hnsw_searches_total` counts cache hits too (real-systems.md KyroDB 5), so comparing it with
 * the query p99 blamed HNSW for 100 % of a p99 while 80 % of searches were cache hits. What they can say: the cache
 * hit rate and the hot/cold tier split.
 */

export const LATENCY_THRESHOLDS = {
  /** Runbook: "If <40%: Cache not trained yet or too small" (and P3 "Cache hit rate <40%"). */
  runbookHitRateFloor: 0.4,
  /** Cold tier (HNSW) serving more than this share of all queries means the cache is not absorbing the load. */
  coldTierQueryShare: 0.5,
} as const;

const n = formatNumber;

const HNSW_FIX =
  `If it is HNSW (Layer 3) — the metrics cannot tell — the runbook's "Layer 3 (HNSW) Slow", corrected: ${EF_SEARCH_NOTE} The runbook checks \`kyrodb_hnsw_vector_count\`, ` +
  'which does not exist: read the vector count from gRPC `Metrics.cold_tier_size`; above ~10M vectors the index ' +
  'outgrows RAM (scale out). A bigger `cache.capacity` sends fewer queries to HNSW.';

const CACHE_FIX =
  'Runbook "Layer 1 (Cache) Slow", corrected: raise `cache.capacity` (default 10,000 entries) when the cache is full ' +
  'and evicting; if `kyrodb_hsc_predictor_trained` is 0 the hybrid cache has not finished training yet (it retrains ' +
  'every `cache.training_interval_secs`, default 600). To bypass the learned/hybrid cache: `cache.strategy: lru` ' +
  '(lowercase). Restart with `systemctl restart kyrodb` after a config change.';

const DISK_IO_FIX =
  'Runbook "Disk I/O Bottleneck": `iostat -x 1 5`; %iowait above 50 % means the disk is the bottleneck — move the ' +
  'data dir to faster storage (`systemctl stop kyrodb`, `rsync -av /var/lib/kyrodb/data /mnt/ssd/kyrodb/`, point ' +
  '`--data-dir` / `KYRODB_DATA_DIR` at it, start). Also check memory pressure (swapping) with `free -g`.';

/** "p50 412 µs, p95 4.21 ms, p99 15.23 ms". */
function percentilesText(obs: KyroObservations): string | undefined {
  const l = readQueryLatency(obs);
  const parts = (['p50', 'p95', 'p99'] as const)
    .filter((k) => l[k] !== undefined)
    .map((k) => `${k} ${formatNs(l[k]!)}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

const queryP99: KyroRule = {
  code: 'kyrodb.latency.query-p99',
  title: 'Query p99 latency over its SLO',
  okTitle: 'Query p99 latency within SLO',
  section: SECTIONS.p99High,
  escalation: ESCALATIONS.sloBreach,
  nextStep: 'See the slow-layer finding for which layer to fix.',
  runbookCorrection: `${NS_CORRECTION} ${metricNameCorrection(['kyrodb_query_latency_p99'])}`,
  evaluate(obs) {
    const p99 = readQueryLatency(obs).p99;
    if (p99 === undefined) return null;
    const t = readSloThresholds(obs);
    const queries = readQueriesTotal(obs);
    if (queries === 0) return { severity: 'ok', evidence: 'no queries served yet: no latency to judge' };
    const all = percentilesText(obs) ?? `p99 ${formatNs(p99)}`;
    return {
      severity: p99 > t.p99LatencyNs ? 'warning' : 'ok',
      evidence: `query ${all} — SLO p99 ≤ ${formatNs(t.p99LatencyNs)}; raw p99 ${formatNsRaw(p99)}`,
      // In ms, kept in the finding history: the weekly checklist compares it with the same day last week.
      value: p99 / 1e6,
    };
  },
};

/**
 * What the metrics say about the slow layer of a p99 breach: the cache hit rate when it is under its SLO (measured),
 * otherwise that the layer cannot be told — never "HNSW" from `kyrodb_hnsw_latency_ns`.
 */
function slowLayer(obs: KyroObservations): KyroDraft | null {
  const p99 = readQueryLatency(obs).p99;
  if (p99 === undefined) return null;
  const t = readSloThresholds(obs);
  const search = readHnswP99(obs);
  const rate = readHitRate(obs);
  const searches = readMetric(obs, 'kyrodb_hnsw_searches_total');
  const hits = readMetric(obs, 'kyrodb_cache_hits_total');
  const searchText =
    search !== undefined
      ? `kyrodb_hnsw_latency_ns ${formatNs(search)} (whole search call, cache hits included` +
        `${searches !== undefined && hits !== undefined ? `: ${n(searches)} searches, ${n(hits)} cache hits` : ''})`
      : 'kyrodb_hnsw_latency_ns unknown';
  const rateText = rate !== undefined ? `cache hit rate ${formatRate(rate)}` : 'cache hit rate unknown';
  const context = `query p99 ${formatNs(p99)} vs SLO ${formatNs(t.p99LatencyNs)}; ${searchText}; ${rateText}`;
  if (readQueriesTotal(obs) === 0) return { severity: 'ok', evidence: 'no queries served yet: no layer to judge' };
  if (p99 <= t.p99LatencyNs) {
    return { severity: 'ok', evidence: `${context} — no layer to blame` };
  }
  const cannotTell =
    'Which layer is slow cannot be told from /metrics: KyroDB exports no per-layer latency, and ' +
    'kyrodb_hnsw_latency_ns times the whole search call (cache hits included), so it tracks the query p99 whatever ' +
    'the slow layer is.';
  if (rate !== undefined && rate < t.minCacheHitRate) {
    return {
      severity: 'warning',
      title: 'P99 over SLO and the cache (Layer 1) misses often; the slow layer itself is not measured',
      evidence:
        `${context} — the hit rate is under its SLO ${formatRate(t.minCacheHitRate)}, so more queries pay the full ` +
        `search. ${cannotTell}`,
      nextStep: CACHE_FIX,
      runbookCorrection: `${HNSW_METRICS_CORRECTION} ${CACHE_HIT_RATE_CORRECTION} ${CACHE_STRATEGY_CORRECTION}`,
    };
  }
  return {
    severity: 'warning',
    title: "P99 over SLO; which layer is slow cannot be told from KyroDB's metrics",
    evidence: `${context} — the cache hit rate is within SLO. ${cannotTell}`,
    nextStep: `Look outside /metrics. ${DISK_IO_FIX} ${HNSW_FIX}`,
    runbookCorrection: `${HNSW_METRICS_CORRECTION} ${metricNameCorrection([
      'kyrodb_cache_latency_p99',
      'kyrodb_hot_tier_latency_p99',
      'kyrodb_hnsw_latency_p99',
      'kyrodb_hnsw_vector_count',
    ])}`,
  };
}

const slowLayerRule: KyroRule = {
  code: 'kyrodb.latency.slow-layer',
  title: 'A layer is slow',
  okTitle: 'No slow layer',
  section: SECTIONS.p99High,
  escalation: ESCALATIONS.sloBreach,
  nextStep: DISK_IO_FIX,
  evaluate: slowLayer,
};

const cacheHitRate: KyroRule = {
  code: 'kyrodb.latency.cache-hit-rate',
  title: 'Cache hit rate below its SLO',
  okTitle: 'Cache hit rate within SLO',
  section: SECTIONS.cacheSlow,
  escalation: ESCALATIONS.sloBreach,
  nextStep: CACHE_FIX,
  runbookCorrection: `${CACHE_HIT_RATE_CORRECTION} ${CACHE_STRATEGY_CORRECTION} ${TRAINING_KEYS_CORRECTION}`,
  evaluate(obs) {
    const rate = readHitRate(obs);
    if (rate === undefined) return null;
    const t = readSloThresholds(obs);
    const hits = readMetric(obs, 'kyrodb_cache_hits_total');
    const misses = readMetric(obs, 'kyrodb_cache_misses_total');
    // Not read: kyrodb_cache_evictions_total and kyrodb_learned_cache_* are never updated by the real server, and
    // kyrodb_cache_size moves only when someone calls the gRPC Metrics method.
    const trained = readMetric(obs, 'kyrodb_hsc_predictor_trained');
    const details = [
      hits !== undefined && misses !== undefined ? `${n(hits)} hits / ${n(misses)} misses` : undefined,
      trained === 0 ? 'hybrid-cache predictor NOT trained yet' : trained === 1 ? 'predictor trained' : undefined,
    ].filter((p): p is string => p !== undefined);
    const head = `cache hit rate ${formatRate(rate)}${details.length ? ` (${details.join(', ')})` : ''}`;
    const floor = LATENCY_THRESHOLDS.runbookHitRateFloor;
    if (readQueriesTotal(obs) === 0) return { severity: 'ok', evidence: `${head} — no queries yet` };
    if (rate < floor) {
      return {
        severity: 'warning',
        title: `Cache hit rate below the runbook's ${floor * 100} %`,
        evidence: `${head} — SLO ≥ ${formatRate(t.minCacheHitRate)}; runbook: below ${floor * 100} % the cache is untrained or too small`,
        escalation: ESCALATIONS.cacheHitRateLow,
      };
    }
    return {
      severity: rate < t.minCacheHitRate ? 'warning' : 'ok',
      evidence: `${head} — SLO ≥ ${formatRate(t.minCacheHitRate)}`,
    };
  },
};

const coldTierLoad: KyroRule = {
  code: 'kyrodb.latency.cold-tier-load',
  title: 'Most queries fall through to the cold tier (HNSW)',
  okTitle: 'Cold tier load normal',
  section: SECTIONS.cacheSlow,
  escalation: ESCALATIONS.cacheHitRateLow,
  nextStep: CACHE_FIX,
  runbookCorrection: metricNameCorrection(['kyrodb_cache_latency_p99', 'kyrodb_hot_tier_latency_p99']),
  evaluate(obs) {
    const tiers = readTierHits(obs);
    const queries = readQueriesTotal(obs);
    if (!tiers || queries === undefined) return null;
    if (queries === 0) return { severity: 'ok', evidence: 'no queries served yet' };
    const cache = readMetric(obs, 'kyrodb_cache_hits_total');
    const share = tiers.cold / queries;
    const limit = LATENCY_THRESHOLDS.coldTierQueryShare;
    return {
      severity: share > limit ? 'warning' : 'ok',
      evidence:
        `of ${n(queries)} queries: ${cache !== undefined ? `cache ${n(cache)}, ` : ''}hot tier ${n(tiers.hot)}, ` +
        `cold tier (HNSW) ${n(tiers.cold)} = ${formatRate(share)} — threshold ${formatRate(limit)}`,
    };
  },
};

/**
 * The latency workflow's checks, in report order. There is no "HNSW p99" check: `kyrodb_hnsw_latency_ns` is the
 * whole search call, so a check named for HNSW would blame it for any slow p99.
 */
export const kyroLatencyRules: readonly KyroRule[] = [queryP99, slowLayerRule, cacheHitRate, coldTierLoad];
