import { formatNumber } from '../../src/core/format.js';
import {
  CACHE_HIT_RATE_CORRECTION,
  CACHE_STRATEGY_CORRECTION,
  EF_SEARCH_NOTE,
  NS_CORRECTION,
  TRAINING_KEYS_CORRECTION,
  metricNameCorrection,
} from './corrections.js';
import { ESCALATIONS } from './escalation.js';
import type { KyroObservations } from './observe.js';
import { SECTIONS, type FindingDraft, type KyroRule } from './rules.js';
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
} from './signals.js';

/**
 * The runbook's "P99 Latency High" section as rules: is the query p99 over its SLO, and which layer is slow — the
 * cache (Layer 1), HNSW (Layer 3), or neither (disk I/O) — each with the runbook's fix, corrected.
 */

export const LATENCY_THRESHOLDS = {
  /** HNSW p99 above this share of the p99 SLO is slow on its own (8 ms with the 10 ms default). */
  hnswP99SloRatio: 0.8,
  /** HNSW is "the slow layer" when its p99 is at least this share of the query p99. */
  hnswDominantShare: 0.5,
  /** Runbook: "If <40%: Cache not trained yet or too small" (and P3 "Cache hit rate <40%"). */
  runbookHitRateFloor: 0.4,
  /** Cold tier (HNSW) serving more than this share of all queries means the cache is not absorbing the load. */
  coldTierQueryShare: 0.5,
} as const;

const n = formatNumber;

const HNSW_FIX =
  `Runbook "Layer 3 (HNSW) Slow", corrected: ${EF_SEARCH_NOTE} The runbook checks \`kyrodb_hnsw_vector_count\`, ` +
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
    };
  },
};

/** Which layer explains a p99 breach, in the runbook's order of suspicion. */
function slowLayer(obs: KyroObservations): FindingDraft | null {
  const p99 = readQueryLatency(obs).p99;
  if (p99 === undefined) return null;
  const t = readSloThresholds(obs);
  const hnsw = readHnswP99(obs);
  const rate = readHitRate(obs);
  const hnswText = hnsw !== undefined ? `HNSW p99 ${formatNs(hnsw)}` : 'HNSW p99 unknown';
  const rateText = rate !== undefined ? `cache hit rate ${formatRate(rate)}` : 'cache hit rate unknown';
  const context = `query p99 ${formatNs(p99)} vs SLO ${formatNs(t.p99LatencyNs)}; ${hnswText}; ${rateText}`;
  if (readQueriesTotal(obs) === 0) return { severity: 'ok', evidence: 'no queries served yet: no layer to judge' };
  if (p99 <= t.p99LatencyNs) {
    return { severity: 'ok', evidence: `${context} — no layer to blame` };
  }
  if (hnsw !== undefined && p99 > 0 && hnsw >= p99 * LATENCY_THRESHOLDS.hnswDominantShare) {
    return {
      severity: 'warning',
      title: 'Slow layer: HNSW (Layer 3, the cold tier)',
      evidence:
        `${context} — HNSW alone takes ${Math.round((hnsw / p99) * 100)} % of the query p99 ` +
        `(blamed from ${LATENCY_THRESHOLDS.hnswDominantShare * 100} %)`,
      nextStep: HNSW_FIX,
      runbookCorrection: metricNameCorrection(['kyrodb_hnsw_latency_p99', 'kyrodb_hnsw_vector_count']),
    };
  }
  if (rate !== undefined && rate < t.minCacheHitRate) {
    return {
      severity: 'warning',
      title: 'Slow layer: the cache (Layer 1) misses too often',
      evidence: `${context} — hit rate under its SLO ${formatRate(t.minCacheHitRate)}: most queries pay the HNSW search`,
      nextStep: CACHE_FIX,
      runbookCorrection: `${CACHE_HIT_RATE_CORRECTION} ${CACHE_STRATEGY_CORRECTION}`,
    };
  }
  return {
    severity: 'warning',
    title: 'Slow layer: neither cache nor HNSW — suspect disk I/O',
    evidence: `${context} — HNSW below ${LATENCY_THRESHOLDS.hnswDominantShare * 100} % of the p99 and the cache within SLO`,
    nextStep: DISK_IO_FIX,
    runbookCorrection: metricNameCorrection(['kyrodb_cache_latency_p99', 'kyrodb_hot_tier_latency_p99']),
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

const hnswP99: KyroRule = {
  code: 'kyrodb.latency.hnsw-p99',
  title: 'HNSW search is slow',
  okTitle: 'HNSW search latency normal',
  section: SECTIONS.hnswSlow,
  escalation: ESCALATIONS.sloBreach,
  nextStep: HNSW_FIX,
  runbookCorrection: metricNameCorrection(['kyrodb_hnsw_latency_p99', 'kyrodb_hnsw_vector_count']),
  evaluate(obs) {
    const hnsw = readHnswP99(obs);
    if (hnsw === undefined) return null;
    const t = readSloThresholds(obs);
    const limit = t.p99LatencyNs * LATENCY_THRESHOLDS.hnswP99SloRatio;
    const searches = readMetric(obs, 'kyrodb_hnsw_searches_total');
    if (searches === 0) return { severity: 'ok', evidence: 'no HNSW search yet' };
    const over = searches !== undefined ? ` over ${n(searches)} searches` : '';
    return {
      severity: hnsw > limit ? 'warning' : 'ok',
      evidence:
        `HNSW p99 ${formatNsRaw(hnsw)}${over} — threshold ${formatNs(limit)} ` +
        `(${LATENCY_THRESHOLDS.hnswP99SloRatio * 100} % of the ${formatNs(t.p99LatencyNs)} p99 SLO)`,
    };
  },
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
    const evictions = readMetric(obs, 'kyrodb_cache_evictions_total');
    const size = readMetric(obs, 'kyrodb_cache_size');
    const trained = readMetric(obs, 'kyrodb_hsc_predictor_trained');
    const accuracy = readMetric(obs, 'kyrodb_learned_cache_accuracy');
    const details = [
      hits !== undefined && misses !== undefined ? `${n(hits)} hits / ${n(misses)} misses` : undefined,
      evictions !== undefined ? `${n(evictions)} evictions` : undefined,
      size !== undefined ? `${n(size)} entries cached` : undefined,
      accuracy !== undefined ? `learned-cache accuracy ${formatRate(accuracy)}` : undefined,
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

/** The latency workflow's checks, in report order. */
export const kyroLatencyRules: readonly KyroRule[] = [queryP99, slowLayerRule, hnswP99, cacheHitRate, coldTierLoad];
