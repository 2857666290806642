/** The Corvo runbook's sections, as findings cite them. */

/** The health rules' sections (`/corvo health`). */
export const HEALTH_CHECK = 'Health Check';
export const KEY_ENDPOINTS = 'Key Diagnostic Endpoints';
export const APPLY = 'Critical Metrics to Monitor › Apply Pipeline Pressure';
export const STREAM = 'Critical Metrics to Monitor › Stream Health';
export const RAFT = 'Critical Metrics to Monitor › Raft Health';
export const SQLITE = 'Critical Metrics to Monitor › SQLite Mirror';
export const SCHEDULER = 'Critical Metrics to Monitor › Scheduler';
export const STUCK_PENDING = 'Common Issues › Jobs Stuck Pending (Workers Not Fetching)';

/** The sections the symptom workflows come from. */
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
