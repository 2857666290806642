import type { ThresholdSpec } from '../../src/core/threshold.js';

/**
 * The M4 runbook's durations ("Alert Thresholds (Future) › Recommended Alerting Rules"), overridable under
 * `thresholds.m4`. `outbox-backlog` is carried by the backlog rule (pending until the average has stayed above 100
 * that long across scheduled runs); `run-stall` is the age of a started run the run check compares in one read.
 *
 * No `lag-p95`: "High Lag: `P95(lag_ms) > 1000` over 5 minutes" is a P95 over a 5-minute window, not a condition
 * held for 5 minutes, and the lag check already reads it in one run (the P95 of events published in the last 5 min,
 * `integrations/m4/db.ts` publishLag) and grades it against the stricter "Outbox Lag" thresholds (critical > 500 ms).
 * A held duration on top would only delay a finding the runbook wants at once, so `thresholds.m4.lag-p95` is refused.
 */
export const M4_THRESHOLDS: readonly ThresholdSpec[] = [
  {
    name: 'run-stall',
    defaultMs: 600_000,
    kind: 'value',
    source: "Run Stall: `MAX(ts) - MIN(ts) > 10 minutes WHERE state='started'`",
  },
  {
    name: 'outbox-backlog',
    defaultMs: 300_000,
    kind: 'held',
    source: 'Outbox Backlog: `AVG(runs.lastSeq - run_outbox.nextSeq) > 100` over 5 minutes',
  },
];
