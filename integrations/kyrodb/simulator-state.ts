/**
 * The KyroDB simulator's state per scenario, and the server logic that derives `/health`, `/ready` and `/slo` from it
 * the way KyroDB does (`engine/src/metrics.rs: health_status`, `kyrodb_server.rs: apply_wal_health_overrides`,
 * `reference/targets.md` §2.2). Values are made up; units are KyroDB's: latencies in ns, hit rate 0-1.
 */

export const KYRO_SCENARIOS = [
  'healthy',
  'degraded-latency',
  'unhealthy-wal',
  'cache-thrash',
  'starting',
  'training-crashloop',
  'unreachable',
] as const;
export type KyroScenario = (typeof KYRO_SCENARIOS)[number];

/** Error categories of `kyrodb_errors_total{category}`, in the order KyroDB prints them. */
export const ERROR_CATEGORIES = ['validation', 'timeout', 'internal', 'resource_exhausted'] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** The hybrid semantic cache's lifecycle stats (`kyrodb_hsc_*`, printed only while that strategy is active). */
export interface HscStats {
  predictorTrained: 0 | 1;
  predictorThreshold: number;
  cacheThreshold: number;
  admissionControllerEnabled: 0 | 1;
  admissionBias: number;
  targetUtilization: number;
  cacheUtilization: number;
  trackedDocs: number;
  hotDocCount: number;
  accessLoggerDepth: number;
  semanticEnabled: 0 | 1;
  semanticCachedEmbeddings: number;
  admissionControllerAdjustments: number;
  trainingSkips: number;
  semanticFastPathDecisions: number;
  semanticSlowPathDecisions: number;
  semanticHits: number;
  semanticMisses: number;
}

/** Every counter and gauge of `export_prometheus`, as numbers. */
export interface KyroMetrics {
  queriesTotal: number;
  queriesFailed: number;
  /** Query latency percentiles, ns. */
  latencyP50Ns: number;
  latencyP95Ns: number;
  latencyP99Ns: number;
  cacheHits: number;
  cacheMisses: number;
  cacheEvictions: number;
  cacheSize: number;
  learnedPredictions: number;
  learnedFalsePositives: number;
  learnedFalseNegatives: number;
  learnedAccuracy: number;
  hnswSearches: number;
  /** The HNSW P99, ns. */
  hnswLatencyNs: number;
  tierHitsHot: number;
  tierHitsCold: number;
  memoryUsedBytes: number;
  diskUsedBytes: number;
  activeConnections: number;
  inserts: number;
  insertsFailed: number;
  hotTierFlushes: number;
  walWrites: number;
  walWritesFailed: number;
  walRetries: number;
  /** 0 closed, 1 open, 2 half-open. Only updated when a WAL write is attempted. */
  walCircuitBreakerState: 0 | 1 | 2;
  walDiskFullErrors: number;
  hnswCorruptionDetected: number;
  hnswFallbackRecoverySuccess: number;
  hnswFallbackRecoveryFailed: number;
  trainingCrashes: number;
  trainingRestarts: number;
  trainingCyclesCompleted: number;
  errors: Record<ErrorCategory, number>;
}

/** SLO thresholds (`config.rs: SloConfig` defaults; the latency in ns as `/slo` prints it). */
export interface SloThresholds {
  p99LatencyNs: number;
  minCacheHitRate: number;
  maxErrorRate: number;
  minAvailability: number;
  minSamples: number;
}

export const DEFAULT_SLO: SloThresholds = {
  p99LatencyNs: 10_000_000,
  minCacheHitRate: 0.7,
  maxErrorRate: 0.001,
  minAvailability: 0.999,
  minSamples: 100,
};

export interface SimState {
  scenario: KyroScenario;
  /** False while the engine loads (`/health` says `starting`). */
  engineReady: boolean;
  /** The WAL error handler marked the WAL inconsistent: writes are disabled. */
  walInconsistent: boolean;
  /** Uptime when the scenario was set, s. */
  uptimeSeconds: number;
  metrics: KyroMetrics;
  /** Undefined when the hybrid-cache strategy is not active (no `kyrodb_hsc_*` lines). */
  hsc: HscStats | undefined;
  slo: SloThresholds;
}

function healthyMetrics(): KyroMetrics {
  return {
    queriesTotal: 1_843_321,
    queriesFailed: 184,
    latencyP50Ns: 380_000,
    latencyP95Ns: 2_150_000,
    latencyP99Ns: 4_870_000,
    cacheHits: 1_511_523,
    cacheMisses: 331_798,
    cacheEvictions: 40_211,
    cacheSize: 10_000,
    learnedPredictions: 1_843_000,
    learnedFalsePositives: 90_033,
    learnedFalseNegatives: 145_612,
    learnedAccuracy: 0.8723,
    hnswSearches: 331_798,
    hnswLatencyNs: 3_920_000,
    tierHitsHot: 41_200,
    tierHitsCold: 290_598,
    memoryUsedBytes: 6_442_450_944,
    diskUsedBytes: 48_318_382_080,
    activeConnections: 14,
    inserts: 1_200_000,
    insertsFailed: 0,
    hotTierFlushes: 118,
    walWrites: 1_200_000,
    walWritesFailed: 0,
    walRetries: 3,
    walCircuitBreakerState: 0,
    walDiskFullErrors: 0,
    hnswCorruptionDetected: 0,
    hnswFallbackRecoverySuccess: 0,
    hnswFallbackRecoveryFailed: 0,
    trainingCrashes: 0,
    trainingRestarts: 0,
    trainingCyclesCompleted: 143,
    errors: { validation: 150, timeout: 34, internal: 0, resource_exhausted: 0 },
  };
}

function healthyHsc(): HscStats {
  return {
    predictorTrained: 1,
    predictorThreshold: 0.5,
    cacheThreshold: 0.412,
    admissionControllerEnabled: 1,
    admissionBias: 0,
    targetUtilization: 0.85,
    cacheUtilization: 0.83,
    trackedDocs: 120_000,
    hotDocCount: 9_800,
    accessLoggerDepth: 1_200,
    semanticEnabled: 1,
    semanticCachedEmbeddings: 8_400,
    admissionControllerAdjustments: 42,
    trainingSkips: 3,
    semanticFastPathDecisions: 1_500_000,
    semanticSlowPathDecisions: 343_321,
    semanticHits: 120_000,
    semanticMisses: 30_000,
  };
}

/** The state a scenario starts in. */
export function createScenarioState(scenario: KyroScenario): SimState {
  const base: SimState = {
    scenario,
    engineReady: true,
    walInconsistent: false,
    uptimeSeconds: 86_012,
    metrics: healthyMetrics(),
    hsc: healthyHsc(),
    slo: { ...DEFAULT_SLO },
  };
  const m = base.metrics;
  switch (scenario) {
    case 'healthy':
    case 'unreachable':
      return base;
    case 'degraded-latency':
      // HNSW dominates the tail: a query p99 of 15.2 ms, of which the HNSW search alone is 13.9 ms.
      Object.assign(m, {
        latencyP50Ns: 1_210_000,
        latencyP95Ns: 9_870_000,
        latencyP99Ns: 15_234_000,
        hnswLatencyNs: 13_910_000,
      });
      base.uptimeSeconds = 18_000;
      return base;
    case 'unhealthy-wal':
      // Failed fsyncs: the breaker opened after 3 failures and the error handler marked the WAL inconsistent.
      Object.assign(m, {
        walWritesFailed: 17,
        walRetries: 51,
        walCircuitBreakerState: 1,
        insertsFailed: 17,
        errors: { validation: 150, timeout: 34, internal: 17, resource_exhausted: 0 },
      });
      base.walInconsistent = true;
      base.uptimeSeconds = 7_200;
      return base;
    case 'cache-thrash':
      // Cache too small for the working set: 35 % hit rate, evictions churning, most lookups fall to HNSW (cold).
      Object.assign(m, {
        queriesTotal: 1_832_321,
        queriesFailed: 183,
        latencyP50Ns: 2_410_000,
        latencyP95Ns: 6_980_000,
        latencyP99Ns: 8_700_000,
        cacheHits: 645_000,
        cacheMisses: 1_187_321,
        cacheEvictions: 2_904_211,
        learnedAccuracy: 0.41,
        hnswSearches: 1_187_321,
        hnswLatencyNs: 4_100_000,
        tierHitsHot: 37_321,
        tierHitsCold: 1_150_000,
      });
      base.hsc = { ...healthyHsc(), predictorTrained: 0, cacheUtilization: 1, trainingSkips: 9 };
      base.uptimeSeconds = 1_500;
      return base;
    case 'starting':
      base.engineReady = false;
      base.uptimeSeconds = 4;
      base.metrics = {
        ...zeroMetrics(),
        memoryUsedBytes: 536_870_912,
        diskUsedBytes: m.diskUsedBytes,
      };
      base.hsc = {
        ...healthyHsc(),
        predictorTrained: 0,
        cacheUtilization: 0,
        trackedDocs: 0,
        hotDocCount: 0,
        accessLoggerDepth: 0,
        semanticCachedEmbeddings: 0,
        admissionControllerAdjustments: 0,
        trainingSkips: 0,
        semanticFastPathDecisions: 0,
        semanticSlowPathDecisions: 0,
        semanticHits: 0,
        semanticMisses: 0,
      };
      return base;
    case 'training-crashloop':
      // The training task keeps panicking; the supervisor restarts it (7 of max_restarts 10 used).
      Object.assign(m, {
        queriesTotal: 240_000,
        queriesFailed: 19,
        cacheHits: 187_200,
        cacheMisses: 52_800,
        hnswSearches: 52_800,
        tierHitsHot: 6_800,
        tierHitsCold: 46_000,
        learnedPredictions: 240_000,
        learnedAccuracy: 0.5521,
        trainingCrashes: 7,
        trainingRestarts: 7,
        trainingCyclesCompleted: 2,
        errors: { validation: 15, timeout: 4, internal: 0, resource_exhausted: 0 },
      });
      base.hsc = { ...healthyHsc(), predictorTrained: 0, trainingSkips: 0 };
      base.uptimeSeconds = 2_400;
      return base;
  }
}

function zeroMetrics(): KyroMetrics {
  const zero = Object.fromEntries(Object.keys(healthyMetrics()).map((k) => [k, 0])) as unknown as KyroMetrics;
  return {
    ...zero,
    walCircuitBreakerState: 0,
    errors: { validation: 0, timeout: 0, internal: 0, resource_exhausted: 0 },
  };
}

/** `kyrodb_cache_hit_rate`: hits / (hits + misses), 0 before the first lookup. */
export function cacheHitRate(m: KyroMetrics): number {
  const lookups = m.cacheHits + m.cacheMisses;
  return lookups === 0 ? 0 : m.cacheHits / lookups;
}

/** `/slo` `current_metrics`. Availability is 1 − error rate, as in the §2.3 sample (0.0002 → 0.9998). */
export function currentSlo(m: KyroMetrics): {
  p99LatencyNs: number;
  cacheHitRate: number;
  errorRate: number;
  availability: number;
} {
  const errorRate = m.queriesTotal === 0 ? 0 : m.queriesFailed / m.queriesTotal;
  return {
    p99LatencyNs: m.latencyP99Ns,
    cacheHitRate: round(cacheHitRate(m), 6),
    errorRate: round(errorRate, 6),
    availability: round(1 - errorRate, 6),
  };
}

export interface SloBreaches {
  p99Latency: boolean;
  cacheHitRate: boolean;
  errorRate: boolean;
  availability: boolean;
}

/** Breaches are only judged once `min_samples` queries were seen (inferred from `health_status`, which says healthy before). */
export function sloBreaches(state: SimState): SloBreaches {
  const c = currentSlo(state.metrics);
  if (state.metrics.queriesTotal < state.slo.minSamples) {
    return { p99Latency: false, cacheHitRate: false, errorRate: false, availability: false };
  }
  return {
    p99Latency: c.p99LatencyNs > state.slo.p99LatencyNs,
    cacheHitRate: c.cacheHitRate < state.slo.minCacheHitRate,
    errorRate: c.errorRate > state.slo.maxErrorRate,
    availability: c.availability < state.slo.minAvailability,
  };
}

export type HealthBody =
  | { status: 'healthy'; uptime_seconds: number }
  | { status: 'degraded'; reason: string; uptime_seconds: number }
  | { status: 'starting'; uptime_seconds: number }
  | { status: 'unhealthy'; reason: string; uptime_seconds: number };

/**
 * `health_status` + `apply_wal_health_overrides`: starting until ready; healthy below `min_samples`; one SLO
 * violation degraded, two or more unhealthy; WAL inconsistent → unhealthy; a failed WAL write turns a healthy
 * server degraded. Reason texts follow the §2.3 samples (the error-rate and availability wordings are inferred).
 */
export function healthBody(state: SimState, uptimeSeconds: number): HealthBody {
  if (!state.engineReady) return { status: 'starting', uptime_seconds: uptimeSeconds };
  if (state.walInconsistent) {
    return { status: 'unhealthy', reason: 'WAL inconsistent; writes disabled', uptime_seconds: uptimeSeconds };
  }
  const b = sloBreaches(state);
  const c = currentSlo(state.metrics);
  const violations: string[] = [];
  if (b.p99Latency) violations.push(`P99 latency ${c.p99LatencyNs}ns exceeds SLO`);
  if (b.cacheHitRate) violations.push(`Cache hit rate ${(c.cacheHitRate * 100).toFixed(2)}% below SLO`);
  if (b.errorRate) violations.push(`Error rate ${(c.errorRate * 100).toFixed(3)}% exceeds SLO`);
  if (b.availability) violations.push(`Availability ${(c.availability * 100).toFixed(3)}% below SLO`);
  if (violations.length >= 2) {
    return { status: 'unhealthy', reason: violations.join('; '), uptime_seconds: uptimeSeconds };
  }
  if (violations.length === 1) {
    return { status: 'degraded', reason: violations[0] as string, uptime_seconds: uptimeSeconds };
  }
  if (state.metrics.walWritesFailed > 0) {
    return {
      status: 'degraded',
      reason: `${state.metrics.walWritesFailed} failed WAL writes observed`,
      uptime_seconds: uptimeSeconds,
    };
  }
  return { status: 'healthy', uptime_seconds: uptimeSeconds };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
