/**
 * The KyroDB simulator's state per scenario, and the server logic that derives `/health`, `/ready` and `/slo` from it
 * the way KyroDB does (`engine/src/metrics.rs: health_status`, `kyrodb_server.rs: apply_wal_health_overrides`,
 * `reference/targets.md` §2.2), corrected by what the REAL server did (`reference/real-systems.md`, KyroDB 1-8):
 *
 * - the families the real server never updates stay 0: `kyrodb_wal_circuit_breaker_state`, `kyrodb_wal_writes_total`,
 *   `kyrodb_wal_retries_total`, `kyrodb_wal_disk_full_errors`, `kyrodb_learned_cache_*`,
 *   `kyrodb_cache_evictions_total`, `kyrodb_hot_tier_flushes_total`, the HNSW corruption and fallback-recovery
 *   counters; `kyrodb_cache_size` stays put (only a gRPC `Metrics` call moves it);
 * - a refused write shows as `kyrodb_inserts_total` (attempts) and `kyrodb_inserts_failed` rising together, plus
 *   `kyrodb_errors_total{category="internal"}`; `/health` then says "N failed WAL writes observed" (sticky until
 *   restart) when the WAL refused it, and stays healthy when the < 5 % free-disk check refused it first;
 * - failed queries are not in `kyrodb_queries_total`: `/slo` error_rate is failed ÷ successful and its availability
 *   underflows once failures outnumber successes;
 * - `kyrodb_hnsw_searches_total` counts every search, cache hits included, and `kyrodb_hnsw_latency_ns` times the
 *   whole search call (so it tracks the query p99);
 * - while recovering the HTTP port is closed (connection refused), not 503.
 *
 * Values are made up; units are KyroDB's: latencies in ns, hit rate 0-1.
 */

export const KYRO_SCENARIOS = [
  'healthy',
  'degraded-latency',
  'unhealthy-wal',
  'cache-thrash',
  'starting',
  'training-crashloop',
  'unreachable',
  'wal-refusing',
  'disk-low-refusing',
  'wal-recovered',
  'recovering',
  'slo-overflow',
  'bad-query-vectors',
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

/**
 * The application's insert traffic, advanced once per `/metrics` scrape (a deterministic stand-in for time passing:
 * two scrapes of one check see exactly one step).
 */
export interface WriteTraffic {
  /** Insert attempts per step. */
  attemptsPerStep: number;
  /** True while every attempt is refused (breaker open, or disk < 5 % free). */
  refused: boolean;
}

export interface SimState {
  scenario: KyroScenario;
  /** The HTTP port is closed (KyroDB opens it only after WAL recovery). */
  portClosed: boolean;
  /** Insert traffic per scrape; undefined: nobody writes. */
  writes: WriteTraffic | undefined;
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
    // Never updated by the real server (real-systems.md KyroDB 7): always 0.
    cacheEvictions: 0,
    // Only a gRPC `Metrics` call refreshes it; nobody called it here.
    cacheSize: 0,
    learnedPredictions: 0,
    learnedFalsePositives: 0,
    learnedFalseNegatives: 0,
    learnedAccuracy: 0,
    // Every search, cache hits included (real-systems.md KyroDB 5).
    hnswSearches: 1_843_321,
    // The whole search call's p99, cache hits included: it tracks the query p99.
    hnswLatencyNs: 4_870_000,
    tierHitsHot: 41_200,
    tierHitsCold: 290_598,
    memoryUsedBytes: 6_442_450_944,
    // The whole filesystem's used bytes, not KyroDB's data (real-systems.md KyroDB 7).
    diskUsedBytes: 48_318_382_080,
    activeConnections: 14,
    inserts: 1_200_000,
    insertsFailed: 0,
    // These five never move on the real server: the WAL updates a private metrics object.
    hotTierFlushes: 0,
    walWrites: 0,
    walWritesFailed: 0,
    walRetries: 0,
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
    portClosed: false,
    writes: { attemptsPerStep: 42, refused: false },
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
      // A query p99 of 15.2 ms. The "HNSW" p99 is the whole search call, so it reads the same: it cannot say which
      // layer is slow.
      Object.assign(m, {
        latencyP50Ns: 1_210_000,
        latencyP95Ns: 9_870_000,
        latencyP99Ns: 15_234_000,
        hnswLatencyNs: 15_234_000,
      });
      base.uptimeSeconds = 18_000;
      return base;
    case 'unhealthy-wal':
      // Failed fsyncs: the error handler marked the WAL inconsistent. The breaker gauge still reads 0 (never updated);
      // only the copied kyrodb_wal_writes_failed and the refused inserts show it.
      Object.assign(m, {
        walWritesFailed: 17,
        insertsFailed: 17,
        errors: { validation: 150, timeout: 34, internal: 17, resource_exhausted: 0 },
      });
      base.writes = { attemptsPerStep: 42, refused: true };
      base.walInconsistent = true;
      base.uptimeSeconds = 7_200;
      return base;
    case 'wal-refusing':
      // The WAL circuit breaker is really open ("WAL circuit breaker is open - writes disabled" on every insert):
      // three failed WAL writes opened it; every attempt since fails. /health is 200 degraded with the sticky reason.
      Object.assign(m, {
        walWritesFailed: 3,
        insertsFailed: 3,
        errors: { validation: 150, timeout: 34, internal: 3, resource_exhausted: 0 },
      });
      base.writes = { attemptsPerStep: 42, refused: true };
      base.uptimeSeconds = 7_200;
      return base;
    case 'disk-low-refusing':
      // Below 5 % free disk, inserts are refused BEFORE the WAL ("Insert rejected: disk space critically low"): only
      // kyrodb_inserts_failed and errors_total{internal} move, and /health stays healthy.
      Object.assign(m, {
        insertsFailed: 12,
        errors: { validation: 150, timeout: 34, internal: 12, resource_exhausted: 0 },
      });
      base.writes = { attemptsPerStep: 42, refused: true };
      base.uptimeSeconds = 7_200;
      return base;
    case 'wal-recovered':
      // Space was freed: the breaker closed by itself after 60 s and writes succeed again, yet /health stays
      // degraded with "3 failed WAL writes observed" until the next restart.
      Object.assign(m, {
        walWritesFailed: 3,
        insertsFailed: 45,
        errors: { validation: 150, timeout: 34, internal: 45, resource_exhausted: 0 },
      });
      base.writes = { attemptsPerStep: 42, refused: false };
      base.uptimeSeconds = 7_200;
      return base;
    case 'recovering':
      // Replaying the WAL: the HTTP port opens only afterwards (56 s for 1,800 vectors on the real server).
      base.portClosed = true;
      return base;
    case 'slo-overflow':
      // Failures outnumber successes (counters reset at the restart 10 min ago): 350 good queries, 400 failed.
      // KyroDB's /slo then says error_rate 400/350 = 1.142857 and availability (350 - 400 as u64) / 350 = 5.27e16.
      Object.assign(m, {
        queriesTotal: 350,
        queriesFailed: 400,
        cacheHits: 280,
        cacheMisses: 70,
        hnswSearches: 350,
        tierHitsHot: 10,
        tierHitsCold: 60,
        inserts: 0,
        errors: { validation: 400, timeout: 0, internal: 0, resource_exhausted: 0 },
      });
      base.writes = undefined;
      base.uptimeSeconds = 600;
      return base;
    case 'bad-query-vectors':
      // 20 query vectors of the wrong dimension beside 190 good queries: two SLOs breached (error rate and
      // availability), /health unhealthy, out of /ready — and errors_total{internal} is 0.
      Object.assign(m, {
        queriesTotal: 190,
        queriesFailed: 20,
        cacheHits: 150,
        cacheMisses: 40,
        hnswSearches: 190,
        tierHitsHot: 5,
        tierHitsCold: 35,
        inserts: 0,
        errors: { validation: 20, timeout: 0, internal: 0, resource_exhausted: 0 },
      });
      base.writes = undefined;
      base.uptimeSeconds = 300;
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
        hnswSearches: 1_832_321,
        hnswLatencyNs: 8_700_000,
        tierHitsHot: 37_321,
        tierHitsCold: 1_150_000,
      });
      base.hsc = { ...healthyHsc(), predictorTrained: 0, cacheUtilization: 1, trainingSkips: 9 };
      base.uptimeSeconds = 1_500;
      return base;
    case 'starting':
      // The ~100 ms after recovery when the port is open but the engine not yet marked ready.
      base.writes = undefined;
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
        hnswSearches: 240_000,
        tierHitsHot: 6_800,
        tierHitsCold: 46_000,
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

/** 2^64, the modulus of KyroDB's unsigned (u64) subtraction. */
const U64 = 2 ** 64;

/**
 * `/slo` `current_metrics` with the real server's arithmetic (real-systems.md KyroDB 6): `kyrodb_queries_total` holds
 * only the successful queries, so error_rate = failed ÷ successful, and availability = (successful − failed) ÷
 * successful in unsigned integers, which wraps around once failed > successful (350 good, 400 failed: error_rate
 * 1.142857, availability 5.27e16). A debug build panics there instead; this simulates the release build.
 */
export function currentSlo(m: KyroMetrics): {
  p99LatencyNs: number;
  cacheHitRate: number;
  errorRate: number;
  availability: number;
} {
  const ok = m.queriesTotal;
  const failed = m.queriesFailed;
  const errorRate = ok === 0 ? 0 : failed / ok;
  const availability = ok === 0 ? 1 : failed > ok ? (U64 - (failed - ok)) / ok : (ok - failed) / ok;
  return {
    p99LatencyNs: m.latencyP99Ns,
    cacheHitRate: round(cacheHitRate(m), 6),
    errorRate: round(errorRate, 6),
    availability: round(availability, 6),
  };
}

/** One step of the application's insert traffic (called once per `/metrics` scrape). */
export function advanceWrites(state: SimState): void {
  const w = state.writes;
  if (!w || !state.engineReady || state.portClosed) return;
  const m = state.metrics;
  m.inserts += w.attemptsPerStep;
  if (w.refused) {
    m.insertsFailed += w.attemptsPerStep;
    m.errors.internal += w.attemptsPerStep;
  }
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
