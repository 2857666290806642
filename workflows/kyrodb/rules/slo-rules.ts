import { formatNumber } from '../../../src/core/format.js';
import {
  CACHE_HIT_RATE_CORRECTION,
  CACHE_STRATEGY_CORRECTION,
  SLO_ARITHMETIC_CORRECTION,
  NS_CORRECTION,
  metricNameCorrection,
} from '../corrections.js';
import { ESCALATIONS } from '../escalation.js';
import type { KyroObservations } from '../observe.js';
import {
  formatNsRaw,
  formatRate,
  formatSmallRate,
  readErrorRate,
  readHitRate,
  readQueriesTotal,
  readQueryCounts,
  readQueryLatency,
  readSloThresholds,
} from '../signals.js';
import { SECTIONS } from './sections.js';
import type { KyroRule } from './rule.js';

/** The four SLOs of `/slo` (p99 latency, cache hit rate, error rate, availability): one rule per objective, from a table. */

const n = formatNumber;

interface SloCheck {
  readonly key: 'p99_latency' | 'cache_hit_rate' | 'error_rate' | 'availability';
  readonly code: string;
  readonly label: string;
  readonly section: string;
  readonly nextStep: string;
  readonly runbookCorrection?: string;
  /** Current value and threshold, formatted; null when unknown. */
  read(obs: KyroObservations): { current: string; threshold: string; breached: boolean } | null;
}

const SLO_CHECKS: readonly SloCheck[] = [
  {
    key: 'p99_latency',
    code: 'kyrodb.slo.p99-latency',
    label: 'P99 latency',
    section: SECTIONS.p99High,
    nextStep: 'Run `/kyrodb latency` to see which layer is slow (cache, HNSW, or disk I/O) and its corrected fix.',
    runbookCorrection: `${NS_CORRECTION} ${metricNameCorrection(['kyrodb_query_latency_p99'])}`,
    read(obs) {
      const t = readSloThresholds(obs);
      const p99 = obs.slo.ok ? obs.slo.value.current_metrics.p99_latency_ns : readQueryLatency(obs).p99;
      if (p99 === undefined) return null;
      return {
        current: formatNsRaw(p99),
        threshold: `≤ ${formatNsRaw(t.p99LatencyNs)}`,
        breached: obs.slo.ok ? obs.slo.value.slo_breaches.p99_latency : p99 > t.p99LatencyNs,
      };
    },
  },
  {
    key: 'cache_hit_rate',
    code: 'kyrodb.slo.cache-hit-rate',
    label: 'cache hit rate',
    section: SECTIONS.cacheSlow,
    nextStep:
      "Run `/kyrodb latency` for the cache details. The runbook's fix: raise `cache.capacity` (default 10,000); to " +
      'bypass the learned/hybrid cache set `cache.strategy: lru` (lowercase).',
    runbookCorrection: `${CACHE_HIT_RATE_CORRECTION} ${CACHE_STRATEGY_CORRECTION}`,
    read(obs) {
      const t = readSloThresholds(obs);
      const rate = readHitRate(obs);
      if (rate === undefined) return null;
      return {
        current: formatRate(rate),
        threshold: `≥ ${formatRate(t.minCacheHitRate)}`,
        breached: obs.slo.ok ? obs.slo.value.slo_breaches.cache_hit_rate : rate < t.minCacheHitRate,
      };
    },
  },
  {
    key: 'error_rate',
    code: 'kyrodb.slo.error-rate',
    label: 'error rate',
    section: SECTIONS.healthCheckFailed,
    nextStep:
      'Decision tree "Error rate high → Check application errors": see the errors-by-category finding ' +
      '(validation errors — e.g. query vectors of the wrong dimension — and timeouts come from clients; internal ones ' +
      'from KyroDB).',
    runbookCorrection: `${SLO_ARITHMETIC_CORRECTION} ${metricNameCorrection(['kyrodb_error_rate_5m'])}`,
    read(obs) {
      const t = readSloThresholds(obs);
      const r = readErrorRate(obs);
      if (!r) return null;
      const counts = r.counts
        ? ` (${n(r.counts.failed)} failed of ${n(r.counts.attempts)} queries since restart)`
        : ' (corrected from /slo: /metrics could not be read)';
      return {
        current: `${formatSmallRate(r.errorRate)}${counts}${kyroFigure(obs, 'error_rate', r)}`,
        threshold: `≤ ${formatSmallRate(t.maxErrorRate)}`,
        breached: r.errorRate > t.maxErrorRate,
      };
    },
  },
  {
    key: 'availability',
    code: 'kyrodb.slo.availability',
    label: 'availability',
    section: SECTIONS.healthCheckFailed,
    nextStep:
      'Availability falls with failed queries: see the error-rate and errors-by-category findings. The decision ' +
      'tree has no branch for it.',
    runbookCorrection: SLO_ARITHMETIC_CORRECTION,
    read(obs) {
      const t = readSloThresholds(obs);
      const r = readErrorRate(obs);
      if (!r) return null;
      return {
        current: `${formatRate(r.availability)}${kyroFigure(obs, 'availability', r)}`,
        threshold: `≥ ${formatRate(t.minAvailability)}`,
        breached: r.availability < t.minAvailability,
      };
    },
  },
];

/**
 * "; KyroDB's own /slo says 1.142857, which is wrong: …" when /slo's figure is not the true one (it divides by the
 * successful queries only, and its availability underflows once failures outnumber successes).
 */
function kyroFigure(
  obs: KyroObservations,
  key: 'error_rate' | 'availability',
  r: NonNullable<ReturnType<typeof readErrorRate>>,
): string {
  if (!r.kyro || !r.counts) {
    const q = readQueryCounts(obs);
    return !obs.slo.ok && q && q.failed > q.succeeded
      ? ' — /slo could not be read: a debug build of KyroDB panics ("attempt to subtract with overflow") on /health, ' +
          '/ready and /slo once failed queries outnumber successful ones'
      : '';
  }
  const theirs = key === 'error_rate' ? r.kyro.errorRate : r.kyro.availability;
  const ours = key === 'error_rate' ? r.errorRate : r.availability;
  // KyroDB rounds to 6 decimals; a difference beyond that (and 1 % of the value) is its arithmetic, not rounding.
  const wrong = Math.abs(theirs - ours) > Math.max(1e-6, Math.abs(ours) * 0.01);
  if (!wrong) return '';
  const why =
    key === 'error_rate'
      ? 'it divides failed by successful queries only'
      : theirs > 1
        ? 'an unsigned subtraction underflowed because failed queries outnumber successful ones'
        : 'it is 1 − failed ÷ successful';
  return `; KyroDB's own /slo ${key} ${formatKyroFigure(theirs)} is wrong (${why})`;
}

/** 1.142857 as is; 5.27e16 in exponent form. */
function formatKyroFigure(v: number): string {
  return Math.abs(v) >= 1e6 ? v.toExponential(2) : String(v);
}

function sloRule(check: SloCheck): KyroRule {
  return {
    code: check.code,
    title: `SLO breach: ${check.label}`,
    okTitle: `${check.label[0]!.toUpperCase()}${check.label.slice(1)} within SLO`,
    section: check.section,
    escalation: ESCALATIONS.sloBreach,
    nextStep: check.nextStep,
    runbookCorrection: check.runbookCorrection,
    evaluate(obs) {
      const r = check.read(obs);
      if (!r) return null;
      const t = readSloThresholds(obs);
      const queries = readQueryCounts(obs)?.attempts ?? readQueriesTotal(obs);
      const source = t.source === 'slo' ? '/slo' : 'KyroDB default SLO (/slo could not be read)';
      if (!r.breached && queries !== undefined && queries < t.minSamples) {
        return {
          severity: 'ok',
          title: `${check.label[0]!.toUpperCase()}${check.label.slice(1)} not judged yet`,
          evidence: `${check.label} ${r.current} — not judged: ${n(queries)} queries < min_samples ${n(t.minSamples)}`,
        };
      }
      return {
        severity: r.breached ? 'warning' : 'ok',
        evidence: `${check.label} ${r.current} — SLO ${r.threshold} (${source})`,
      };
    },
  };
}

/** One rule per SLO, in report order. */
export const sloRules: readonly KyroRule[] = SLO_CHECKS.map(sloRule);
