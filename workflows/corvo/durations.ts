import type { ThresholdSpec } from '../../src/core/threshold.js';

/**
 * The Corvo runbook's durations, overridable under `thresholds.corvo`. `scheduler-stalled` is a value threshold: the
 * age of the last promote/reclaim is read from one scrape (`time() - corvo_scheduler_last_promote_seconds > 10`).
 */
export const CORVO_THRESHOLDS: readonly ThresholdSpec[] = [
  {
    name: 'scheduler-stalled',
    defaultMs: 10_000,
    kind: 'value',
    source: 'Critical Metrics to Monitor › Scheduler: `time() - corvo_scheduler_last_promote_seconds > 10`',
  },
];
