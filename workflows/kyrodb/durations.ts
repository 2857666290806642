import type { ThresholdSpec } from '../../src/core/threshold.js';

/**
 * The KyroDB runbook's durations (its "Escalation" table), overridable under `thresholds.kyrodb`. Each is a `held`
 * threshold: the finding whose escalation row names it is pending until it has held that long across scheduled runs.
 */
export const KYRO_THRESHOLDS: readonly ThresholdSpec[] = [
  {
    name: 'circuit-breaker-open',
    defaultMs: 3_600_000,
    kind: 'held',
    source: 'Escalation: "Data loss risk (circuit breaker open >1hr)" → P0, page on-call',
  },
  { name: 'server-down', defaultMs: 300_000, kind: 'held', source: 'Escalation: "Server down >5 min" → P0' },
  { name: 'slo-breach', defaultMs: 300_000, kind: 'held', source: 'Escalation: "SLO breach >5 min" → P1' },
];
