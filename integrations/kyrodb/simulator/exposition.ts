/**
 * The simulator's `/metrics` text: Prometheus 0.0.4 as KyroDB's hand-written `export_prometheus` prints it
 * (`reference/targets.md` §2.4-2.5): same family names, order, types, HELP texts (those of the §2.5 sample; the
 * `kyrodb_hsc_*` texts it abbreviates are rebuilt), integers without decimals, ratios with 6 decimals, latencies in ns.
 */
import { ERROR_CATEGORIES, cacheHitRate, type HscStats, type KyroMetrics, type SimState } from './state.js';

type Value = { readonly kind: 'int' | 'f6'; readonly value: number };
type Line = readonly [labels: string, value: Value];

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly lines: (m: KyroMetrics, uptimeSeconds: number, ready: boolean) => readonly Line[];
}

const int = (value: number): Value => ({ kind: 'int', value });
const f6 = (value: number): Value => ({ kind: 'f6', value });
const one = (value: Value): readonly Line[] => [['', value]];

/** The core families, identical at the runbook commit and at HEAD, in KyroDB's order. */
const CORE_FAMILIES: readonly Family[] = [
  {
    name: 'kyrodb_queries_total',
    type: 'counter',
    help: 'Total number of queries',
    lines: (m) => one(int(m.queriesTotal)),
  },
  {
    name: 'kyrodb_queries_failed',
    type: 'counter',
    help: 'Total number of failed queries',
    lines: (m) => one(int(m.queriesFailed)),
  },
  {
    name: 'kyrodb_query_latency_ns',
    type: 'gauge',
    help: 'Query latency percentiles in nanoseconds',
    lines: (m) => [
      ['{percentile="50"}', int(m.latencyP50Ns)],
      ['{percentile="95"}', int(m.latencyP95Ns)],
      ['{percentile="99"}', int(m.latencyP99Ns)],
    ],
  },
  { name: 'kyrodb_cache_hits_total', type: 'counter', help: 'Total cache hits', lines: (m) => one(int(m.cacheHits)) },
  {
    name: 'kyrodb_cache_misses_total',
    type: 'counter',
    help: 'Total cache misses',
    lines: (m) => one(int(m.cacheMisses)),
  },
  {
    name: 'kyrodb_cache_hit_rate',
    type: 'gauge',
    help: 'Cache hit rate (0.0-1.0)',
    lines: (m) => one(f6(cacheHitRate(m))),
  },
  {
    name: 'kyrodb_cache_evictions_total',
    type: 'counter',
    help: 'Total cache evictions',
    lines: (m) => one(int(m.cacheEvictions)),
  },
  {
    name: 'kyrodb_cache_size',
    type: 'gauge',
    help: 'Current cache size (entries)',
    lines: (m) => one(int(m.cacheSize)),
  },
  {
    name: 'kyrodb_learned_cache_predictions_total',
    type: 'counter',
    help: 'Total learned cache predictions',
    lines: (m) => one(int(m.learnedPredictions)),
  },
  {
    name: 'kyrodb_learned_cache_accuracy',
    type: 'gauge',
    help: 'Learned cache prediction accuracy (0.0-1.0)',
    lines: (m) => one(f6(m.learnedAccuracy)),
  },
  {
    name: 'kyrodb_learned_cache_false_positives_total',
    type: 'counter',
    help: 'False positive predictions',
    lines: (m) => one(int(m.learnedFalsePositives)),
  },
  {
    name: 'kyrodb_learned_cache_false_negatives_total',
    type: 'counter',
    help: 'False negative predictions',
    lines: (m) => one(int(m.learnedFalseNegatives)),
  },
  {
    name: 'kyrodb_hnsw_searches_total',
    type: 'counter',
    help: 'Total HNSW k-NN searches',
    lines: (m) => one(int(m.hnswSearches)),
  },
  {
    name: 'kyrodb_hnsw_latency_ns',
    type: 'gauge',
    help: 'HNSW search latency P99 in nanoseconds',
    lines: (m) => one(int(m.hnswLatencyNs)),
  },
  {
    name: 'kyrodb_tier_hits_total',
    type: 'counter',
    help: 'Hits by tier',
    lines: (m) => [
      ['{tier="hot"}', int(m.tierHitsHot)],
      ['{tier="cold"}', int(m.tierHitsCold)],
    ],
  },
  {
    name: 'kyrodb_memory_used_bytes',
    type: 'gauge',
    help: 'Memory usage in bytes',
    lines: (m) => one(int(m.memoryUsedBytes)),
  },
  {
    name: 'kyrodb_disk_used_bytes',
    type: 'gauge',
    help: 'Disk usage in bytes',
    lines: (m) => one(int(m.diskUsedBytes)),
  },
  {
    name: 'kyrodb_active_connections',
    type: 'gauge',
    help: 'Current active connections',
    lines: (m) => one(int(m.activeConnections)),
  },
  { name: 'kyrodb_inserts_total', type: 'counter', help: 'Total insert operations', lines: (m) => one(int(m.inserts)) },
  {
    name: 'kyrodb_inserts_failed',
    type: 'counter',
    help: 'Total failed inserts',
    lines: (m) => one(int(m.insertsFailed)),
  },
  {
    name: 'kyrodb_hot_tier_flushes_total',
    type: 'counter',
    help: 'Total hot tier flushes',
    lines: (m) => one(int(m.hotTierFlushes)),
  },
  {
    name: 'kyrodb_wal_writes_total',
    type: 'counter',
    help: 'Total WAL write operations',
    lines: (m) => one(int(m.walWrites)),
  },
  {
    name: 'kyrodb_wal_writes_failed',
    type: 'counter',
    help: 'WAL write failures',
    lines: (m) => one(int(m.walWritesFailed)),
  },
  {
    name: 'kyrodb_wal_retries_total',
    type: 'counter',
    help: 'WAL write retries',
    lines: (m) => one(int(m.walRetries)),
  },
  {
    name: 'kyrodb_wal_circuit_breaker_state',
    type: 'gauge',
    help: 'WAL circuit breaker state (0=closed, 1=open, 2=half-open)',
    lines: (m) => one(int(m.walCircuitBreakerState)),
  },
  {
    name: 'kyrodb_wal_disk_full_errors',
    type: 'counter',
    help: 'Disk full errors during WAL writes',
    lines: (m) => one(int(m.walDiskFullErrors)),
  },
  {
    name: 'kyrodb_hnsw_corruption_detected_total',
    type: 'counter',
    help: 'HNSW snapshot corruption detections',
    lines: (m) => one(int(m.hnswCorruptionDetected)),
  },
  {
    name: 'kyrodb_hnsw_fallback_recovery_success',
    type: 'counter',
    help: 'Successful fallback recoveries',
    lines: (m) => one(int(m.hnswFallbackRecoverySuccess)),
  },
  {
    name: 'kyrodb_hnsw_fallback_recovery_failed',
    type: 'counter',
    help: 'Failed fallback recoveries',
    lines: (m) => one(int(m.hnswFallbackRecoveryFailed)),
  },
  {
    name: 'kyrodb_training_crashes_total',
    type: 'counter',
    help: 'Training task crashes',
    lines: (m) => one(int(m.trainingCrashes)),
  },
  {
    name: 'kyrodb_training_restarts_total',
    type: 'counter',
    help: 'Training task restarts',
    lines: (m) => one(int(m.trainingRestarts)),
  },
  {
    name: 'kyrodb_training_cycles_completed_total',
    type: 'counter',
    help: 'Completed training cycles',
    lines: (m) => one(int(m.trainingCyclesCompleted)),
  },
  {
    name: 'kyrodb_errors_total',
    type: 'counter',
    help: 'Errors by category',
    lines: (m) => ERROR_CATEGORIES.map((c): Line => [`{category="${c}"}`, int(m.errors[c])]),
  },
  {
    name: 'kyrodb_uptime_seconds',
    type: 'counter',
    help: 'Server uptime in seconds',
    lines: (_m, uptime) => one(int(uptime)),
  },
  {
    name: 'kyrodb_ready',
    type: 'gauge',
    help: 'Server readiness status (0=not ready, 1=ready)',
    lines: (_m, _u, ready) => one(int(ready ? 1 : 0)),
  },
];

interface HscFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly value: (h: HscStats) => Value;
}

/** The 18 `kyrodb_hsc_*` families (HEAD, hybrid cache only), gauges then counters, in the order of §2.4. */
const HSC_FAMILIES: readonly HscFamily[] = [
  {
    name: 'kyrodb_hsc_predictor_trained',
    type: 'gauge',
    help: 'Whether the HSC predictor has completed training (0|1)',
    value: (h) => int(h.predictorTrained),
  },
  {
    name: 'kyrodb_hsc_predictor_threshold',
    type: 'gauge',
    help: 'HSC predictor hotness threshold',
    value: (h) => f6(h.predictorThreshold),
  },
  {
    name: 'kyrodb_hsc_cache_threshold',
    type: 'gauge',
    help: 'Current effective HSC admission threshold',
    value: (h) => f6(h.cacheThreshold),
  },
  {
    name: 'kyrodb_hsc_admission_controller_enabled',
    type: 'gauge',
    help: 'Whether the HSC admission controller is enabled (0|1)',
    value: (h) => int(h.admissionControllerEnabled),
  },
  {
    name: 'kyrodb_hsc_admission_bias',
    type: 'gauge',
    help: 'Current HSC admission bias',
    value: (h) => f6(h.admissionBias),
  },
  {
    name: 'kyrodb_hsc_target_utilization',
    type: 'gauge',
    help: 'HSC target cache utilization (0.0-1.0)',
    value: (h) => f6(h.targetUtilization),
  },
  {
    name: 'kyrodb_hsc_cache_utilization',
    type: 'gauge',
    help: 'HSC current cache utilization (0.0-1.0)',
    value: (h) => f6(h.cacheUtilization),
  },
  {
    name: 'kyrodb_hsc_tracked_docs',
    type: 'gauge',
    help: 'Documents tracked by the HSC access logger',
    value: (h) => int(h.trackedDocs),
  },
  {
    name: 'kyrodb_hsc_hot_doc_count',
    type: 'gauge',
    help: 'Documents the HSC predictor considers hot',
    value: (h) => int(h.hotDocCount),
  },
  {
    name: 'kyrodb_hsc_access_logger_depth',
    type: 'gauge',
    help: 'Access events buffered for the next HSC training',
    value: (h) => int(h.accessLoggerDepth),
  },
  {
    name: 'kyrodb_hsc_semantic_enabled',
    type: 'gauge',
    help: 'Whether the HSC semantic layer is enabled (0|1)',
    value: (h) => int(h.semanticEnabled),
  },
  {
    name: 'kyrodb_hsc_semantic_cached_embeddings',
    type: 'gauge',
    help: 'Embeddings held by the HSC semantic layer',
    value: (h) => int(h.semanticCachedEmbeddings),
  },
  {
    name: 'kyrodb_hsc_admission_controller_adjustments_total',
    type: 'counter',
    help: 'HSC admission controller threshold adjustments',
    value: (h) => int(h.admissionControllerAdjustments),
  },
  {
    name: 'kyrodb_hsc_training_skips_total',
    type: 'counter',
    help: 'Retraining intervals skipped due to insufficient access events',
    value: (h) => int(h.trainingSkips),
  },
  {
    name: 'kyrodb_hsc_semantic_fast_path_decisions_total',
    type: 'counter',
    help: 'HSC admission decisions taken on the fast path',
    value: (h) => int(h.semanticFastPathDecisions),
  },
  {
    name: 'kyrodb_hsc_semantic_slow_path_decisions_total',
    type: 'counter',
    help: 'HSC admission decisions taken on the semantic slow path',
    value: (h) => int(h.semanticSlowPathDecisions),
  },
  {
    name: 'kyrodb_hsc_semantic_hits_total',
    type: 'counter',
    help: 'HSC semantic layer hits',
    value: (h) => int(h.semanticHits),
  },
  {
    name: 'kyrodb_hsc_semantic_misses_total',
    type: 'counter',
    help: 'HSC semantic layer misses',
    value: (h) => int(h.semanticMisses),
  },
];

/** Names of every family the simulator can print (core, then `kyrodb_hsc_*`). */
export const KYRO_FAMILY_NAMES: readonly string[] = [...CORE_FAMILIES, ...HSC_FAMILIES].map((f) => f.name);

function format(v: Value): string {
  return v.kind === 'f6' ? v.value.toFixed(6) : String(Math.trunc(v.value));
}

/** The whole exposition for a state at a given uptime, ending with a newline. */
export function renderExposition(state: SimState, uptimeSeconds: number): string {
  const out: string[] = [];
  const block = (name: string, type: string, help: string, lines: readonly Line[]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of lines) out.push(`${name}${labels} ${format(value)}`);
  };
  for (const f of CORE_FAMILIES)
    block(f.name, f.type, f.help, f.lines(state.metrics, uptimeSeconds, state.engineReady));
  const hsc = state.hsc;
  if (hsc) for (const f of HSC_FAMILIES) block(f.name, f.type, f.help, [['', f.value(hsc)]]);
  return `${out.join('\n')}\n`;
}
