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

/** Successful queries since restart (`kyrodb_queries_total`; failed ones are not in it). */
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

/** `kyrodb_errors_total{category}` since restart; undefined when no category is printed. */
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

/** A counter from one scrape (finite, present), for the write check. */
function counterIn(expo: Exposition, name: string, labels?: Record<string, string>): number | undefined {
  const v = getValue(expo, name, labels);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** The insert counters since the last restart (`kyrodb_inserts_total` counts attempts, failed ones included). */
export interface InsertCounts {
  readonly attempts: number;
  readonly failed: number;
  /** `kyrodb_wal_writes_failed` (the one WAL counter the real server copies out), when printed. */
  readonly walFailed?: number;
  /** `kyrodb_errors_total{category="internal"}`, when printed. */
  readonly internal?: number;
}

function insertCountsIn(expo: Exposition): InsertCounts | undefined {
  const attempts = counterIn(expo, 'kyrodb_inserts_total');
  const failed = counterIn(expo, 'kyrodb_inserts_failed');
  if (attempts === undefined || failed === undefined) return undefined;
  return {
    attempts,
    failed,
    walFailed: counterIn(expo, 'kyrodb_wal_writes_failed'),
    internal: counterIn(expo, 'kyrodb_errors_total', { category: 'internal' }),
  };
}

/** "N failed WAL writes observed" from `/health` (sticky until restart), as N. */
export function stickyWalFailures(obs: KyroObservations): number | undefined {
  const m = /(\d+) failed WAL writes observed/i.exec(healthReason(obs) ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * What the write check saw. KyroDB does not export its WAL circuit breaker's state (the gauge is never updated), so
 * the only "refused now" signal is inserts failing with none succeeding between two scrapes:
 * - `refused`: attempts in the window, every one failed;
 * - `partly-failing`: some failed, some succeeded;
 * - `succeeding`: attempts in the window, none failed;
 * - `quiet`: no attempt in the window — no signal either way;
 * - `restarted`: a counter went down between the scrapes (counters reset at restart);
 * - `one-scrape`: no second scrape (`writeWindowMs: 0`, or it failed) — only the counters since restart.
 */
export type WriteCheck =
  | {
      readonly kind: 'refused' | 'partly-failing' | 'succeeding' | 'quiet';
      readonly windowMs: number;
      readonly attempts: number;
      readonly failed: number;
      readonly succeeded: number;
      /** Change of errors_total{internal} over the window, when printed. */
      readonly internal?: number;
      readonly sinceRestart: InsertCounts;
    }
  | { readonly kind: 'restarted'; readonly windowMs: number; readonly sinceRestart: InsertCounts }
  | { readonly kind: 'one-scrape'; readonly why: string; readonly sinceRestart: InsertCounts };

/** Reads the write check from the observations; undefined when the first scrape has no insert counters. */
export function assessWrites(obs: KyroObservations): WriteCheck | undefined {
  const first = readMetrics(obs);
  const before = first ? insertCountsIn(first) : undefined;
  if (!before) return undefined;
  const later = obs.later;
  if (!later) return { kind: 'one-scrape', why: 'one scrape only (writeWindowMs 0)', sinceRestart: before };
  if (!later.metrics.ok) {
    const why = later.metrics.error instanceof Error ? later.metrics.error.message : 'the second scrape failed';
    return { kind: 'one-scrape', why: `the second scrape failed: ${why}`, sinceRestart: before };
  }
  const after = insertCountsIn(later.metrics.value);
  if (!after) return { kind: 'one-scrape', why: 'the second scrape had no insert counters', sinceRestart: before };
  const uptimeBefore = counterIn(first!, 'kyrodb_uptime_seconds');
  const uptimeAfter = counterIn(later.metrics.value, 'kyrodb_uptime_seconds');
  const wentDown =
    after.attempts < before.attempts ||
    after.failed < before.failed ||
    (uptimeBefore !== undefined && uptimeAfter !== undefined && uptimeAfter < uptimeBefore);
  if (wentDown) return { kind: 'restarted', windowMs: later.afterMs, sinceRestart: after };
  const attempts = after.attempts - before.attempts;
  const failed = Math.min(after.failed - before.failed, attempts);
  const succeeded = attempts - failed;
  const internal =
    after.internal !== undefined && before.internal !== undefined ? after.internal - before.internal : undefined;
  const kind = attempts === 0 ? 'quiet' : failed === 0 ? 'succeeding' : succeeded === 0 ? 'refused' : 'partly-failing';
  return { kind, windowMs: later.afterMs, attempts, failed, succeeded, internal, sinceRestart: after };
}

/** Queries since restart: `kyrodb_queries_total` holds the SUCCESSFUL ones only; failed ones are apart. */
export interface QueryCounts {
  readonly succeeded: number;
  readonly failed: number;
  /** succeeded + failed. */
  readonly attempts: number;
  /** failed ÷ attempts (0 with no attempt): the true error rate, unlike /slo's failed ÷ successful. */
  readonly errorRate: number;
}

/** The query counters, undefined when `/metrics` could not be read. */
export function readQueryCounts(obs: KyroObservations): QueryCounts | undefined {
  const succeeded = readMetric(obs, 'kyrodb_queries_total');
  const failed = readMetric(obs, 'kyrodb_queries_failed');
  if (succeeded === undefined || failed === undefined) return undefined;
  const attempts = succeeded + failed;
  return { succeeded, failed, attempts, errorRate: attempts === 0 ? 0 : failed / attempts };
}

/**
 * The true error rate and availability: from the counters, else corrected from /slo's failed ÷ successful
 * (r ÷ (1 + r)). `kyro` is what /slo itself says, when read.
 */
export function readErrorRate(obs: KyroObservations):
  | {
      readonly errorRate: number;
      readonly availability: number;
      readonly counts?: QueryCounts;
      readonly kyro?: { readonly errorRate: number; readonly availability: number };
    }
  | undefined {
  const counts = readQueryCounts(obs);
  const kyro = obs.slo.ok
    ? { errorRate: obs.slo.value.current_metrics.error_rate, availability: obs.slo.value.current_metrics.availability }
    : undefined;
  const errorRate = counts ? counts.errorRate : kyro ? kyro.errorRate / (1 + kyro.errorRate) : undefined;
  if (errorRate === undefined) return undefined;
  return { errorRate, availability: 1 - errorRate, counts, kyro };
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

/** The write check's window: `30 ms`, `1.5 s`, `5 s`. */
export function windowText(ms: number): string {
  return formatSeconds(ms / 1000);
}

/** `5 min 2 s` from seconds, rounded to the second. */
export function formatUptime(seconds: number): string {
  return formatSeconds(Math.round(seconds));
}

/** "up 1 h (since 2026-03-26T09:00:00Z)": the uptime and the moment it started. */
export function upSince(uptime: number, nowMs: number): string {
  return `up ${formatUptime(uptime)} (since ${new Date(nowMs - uptime * 1000).toISOString().replace('.000Z', 'Z')})`;
}
