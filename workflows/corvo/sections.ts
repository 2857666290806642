import { STUCK_PENDING } from './rules.js';

/** The Corvo runbook's sections that the symptom workflows come from, as findings cite them. */
export const SECTIONS = {
  stuckActive: 'Common Issues › Jobs Stuck Active (Not Being Processed)',
  stuckPending: STUCK_PENDING,
  sqliteDiverged: 'Common Issues › SQLite Diverged from Pebble',
  applyOverloaded: 'Common Issues › Apply Pipeline Overloaded (429 / OVERLOADED)',
  streamOverloaded: 'Common Issues › Stream Overloaded',
  leaderInstability: 'Common Issues › Leader Instability / Frequent Elections',
  slowFetches: 'Common Issues › Slow Fetches / High Latency',
  snapshotIssues: 'Common Issues › Snapshot Issues',
  clusterJoin: 'Common Issues › Cluster Join Failures',
  runtime: 'Key Diagnostic Endpoints › /api/v1/debug/runtime',
  profiling: 'Profiling',
} as const;
