import type { ThresholdSpec } from '../../src/core/threshold.js';

/**
 * The M4 runbook's durations ("Alert Thresholds (Future) › Recommended Alerting Rules"), overridable under
 * `thresholds.m4`. `outbox-backlog` is carried by the backlog rule (pending until the average has stayed above 100
 * that long across scheduled runs); `run-stall` is the age of a started run the run check compares in one read;
 * `lag-p95` is the lag rule's "over 5 minutes", which the bot's lag check (per-event lag against the "Outbox Lag"
 * thresholds, not a P95) does not carry, so it is listed for the config and the help only.
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
  { name: 'lag-p95', defaultMs: 300_000, kind: 'held', source: 'Publish lag: `P95(lag_ms) > 1000` over 5 minutes' },
];
