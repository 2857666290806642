import type { Exposition } from '../../integrations/prometheus/parse-exposition.js';
import { getValue } from '../../integrations/prometheus/query.js';
import { formatNumber, formatSeconds } from '../../src/core/format.js';
import type { KyroObservations } from './observe.js';

/**
 * Readers shared by the KyroDB rules and workflows: each takes the observations and returns a typed value, or
 * undefined when the probe that holds it failed or the value is absent. Units stay KyroDB's (ns, fractions).
 */

/** KyroDB's SLO defaults (`config.rs: SloConfig`), used only when `/slo` could not be read. */
export const DEFAULT_SLO_THRESHOLDS = {
  p99LatencyNs: 10_000_000,
  minCacheHitRate: 0.7,
  maxErrorRate: 0.001,
  minAvailability: 0.999,
  minSamples: 100,
} as const;

export interface SloThresholds {
  readonly p99LatencyNs: number;
  readonly minCacheHitRate: number;
  readonly maxErrorRate: number;
  readonly minAvailability: number;
  readonly minSamples: number;
  /** `slo` when read from `/slo`, `default` when it could not be read. */
  readonly source: 'slo' | 'default';
}

/** The parsed exposition, undefined when the metrics probe failed. */
export function readMetrics(obs: KyroObservations): Exposition | undefined {
  return obs.metrics.ok ? obs.metrics.value : undefined;
}

/** A metric sample's value when it is present and a finite number. */
export function readMetric(obs: KyroObservations, name: string, labels?: Record<string, string>): number | undefined {
  const expo = readMetrics(obs);
  if (!expo) return undefined;
  const v = getValue(expo, name, labels);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** The thresholds `/slo` reports, else KyroDB's defaults. */
export function readSloThresholds(obs: KyroObservations): SloThresholds {
  if (!obs.slo.ok) return { ...DEFAULT_SLO_THRESHOLDS, source: 'default' };
  const t = obs.slo.value.slo_thresholds;
  return {
    p99LatencyNs: t.p99_latency_ns,
    minCacheHitRate: t.min_cache_hit_rate,
    maxErrorRate: t.max_error_rate,
    minAvailability: t.min_availability,
    minSamples: t.min_samples,
    source: 'slo',
  };
}

/** Query latency percentiles, ns (`kyrodb_query_latency_ns{percentile}`); p99 falls back to `/slo`. */
export function readQueryLatency(obs: KyroObservations): { p50?: number; p95?: number; p99?: number } {
  const at = (p: string): number | undefined => readMetric(obs, 'kyrodb_query_latency_ns', { percentile: p });
  const p99 = at('99') ?? (obs.slo.ok ? obs.slo.value.current_metrics.p99_latency_ns : undefined);
  return { p50: at('50'), p95: at('95'), p99 };
}

/** The HNSW P99, ns (`kyrodb_hnsw_latency_ns` is the P99 already). */
export function readHnswP99(obs: KyroObservations): number | undefined {
  return readMetric(obs, 'kyrodb_hnsw_latency_ns');
}

/** Cache hit rate as a fraction: the gauge, else `/slo` `current_metrics`. */
export function readHitRate(obs: KyroObservations): number | undefined {
  return (
    readMetric(obs, 'kyrodb_cache_hit_rate') ?? (obs.slo.ok ? obs.slo.value.current_metrics.cache_hit_rate : undefined)
  );
}

/** Queries since start (`kyrodb_queries_total`). */
export function readQueriesTotal(obs: KyroObservations): number | undefined {
  return readMetric(obs, 'kyrodb_queries_total');
}

export interface TierHits {
  readonly hot: number;
  readonly cold: number;
}

/** `kyrodb_tier_hits_total{tier}`: lookups that missed the cache and were served by the hot tier or HNSW (cold). */
export function readTierHits(obs: KyroObservations): TierHits | undefined {
  const hot = readMetric(obs, 'kyrodb_tier_hits_total', { tier: 'hot' });
  const cold = readMetric(obs, 'kyrodb_tier_hits_total', { tier: 'cold' });
  return hot === undefined || cold === undefined ? undefined : { hot, cold };
}

export const ERROR_CATEGORIES = ['validation', 'timeout', 'internal', 'resource_exhausted'] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** `kyrodb_errors_total{category}` since start; undefined when no category is printed. */
export function readErrors(obs: KyroObservations): Partial<Record<ErrorCategory, number>> | undefined {
  const out: Partial<Record<ErrorCategory, number>> = {};
  let any = false;
  for (const c of ERROR_CATEGORIES) {
    const v = readMetric(obs, 'kyrodb_errors_total', { category: c });
    if (v !== undefined) {
      out[c] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

/** Uptime, s: `/health` `uptime_seconds`, else `kyrodb_uptime_seconds`. */
export function readUptimeSeconds(obs: KyroObservations): number | undefined {
  return obs.health.ok ? obs.health.value.uptime_seconds : readMetric(obs, 'kyrodb_uptime_seconds');
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'unknown';

/** `kyrodb_wal_circuit_breaker_state`: 0 closed, 1 open, 2 half-open. */
export function readBreaker(obs: KyroObservations): { value: number; state: BreakerState } | undefined {
  const value = readMetric(obs, 'kyrodb_wal_circuit_breaker_state');
  if (value === undefined) return undefined;
  const state: BreakerState = value === 0 ? 'closed' : value === 1 ? 'open' : value === 2 ? 'half-open' : 'unknown';
  return { value, state };
}

/** True when `/health` says the WAL error handler disabled writes. */
export function isWalInconsistent(obs: KyroObservations): boolean {
  return obs.health.ok && 'reason' in obs.health.value && /WAL inconsistent/i.test(obs.health.value.reason);
}

/** The `/health` reason, when degraded or unhealthy. */
export function healthReason(obs: KyroObservations): string | undefined {
  return obs.health.ok && 'reason' in obs.health.value ? obs.health.value.reason : undefined;
}

/** `15.23 ms` from ns. */
export function formatNs(ns: number): string {
  return formatSeconds(ns / 1e9);
}

/** `15.23 ms (15,234,000 ns)`: the converted value and the raw one the operator will see in `/metrics`. */
export function formatNsRaw(ns: number): string {
  return `${formatNs(ns)} (${formatNumber(ns)} ns)`;
}

/** A fraction as a percentage: 0.741055 → `74.11 %`. */
export function formatRate(fraction: number): string {
  return `${formatNumber(Math.round(fraction * 10_000) / 100)} %`;
}

/** A small fraction as a percentage with more digits: 0.000115 → `0.0115 %`. */
export function formatSmallRate(fraction: number): string {
  return `${new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 }).format(fraction * 100)} %`;
}

/** Bytes in binary units: 6442450944 → `6 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${formatNumber(Math.round(v * 10) / 10)} ${units[i]}`;
}

/** `5 min 2 s` from seconds, rounded to the second. */
export function formatUptime(seconds: number): string {
  return formatSeconds(Math.round(seconds));
}
