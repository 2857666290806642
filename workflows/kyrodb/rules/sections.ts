/**
 * The runbook's sections the KyroDB findings cite, and the thresholds of the health checks. The runbook gives
 * "restarts >5 → report bug" and the escalation durations; KyroDB's code gives max_restarts 10 and the SLO defaults.
 * The others are the bot's own and are printed in the evidence.
 */

export const HEALTH_THRESHOLDS = {
  /** Runbook "Check restart count → If >5, report bug". */
  trainingRestartsLoop: 5,
  /** `training_task.rs`: the supervisor stops after `max_restarts` (default 10). */
  trainingMaxRestarts: 10,
  /** An uptime below this after a crash points at a restart (OOM kill: exit code 137). */
  recentRestartSeconds: 600,
  /** Runbook P0 "Server down >5 min": still `starting` after this is treated as down. */
  startingTooLongSeconds: 300,
} as const;

export const SECTIONS = {
  healthCheckFailed: 'Health Check Failed',
  circuitBreakerOpen: 'Health Check Failed › Fix › Cause: Circuit Breaker Open',
  circuitBreakerWontReset: "Circuit Breaker Won't Reset",
  diskFull: 'Health Check Failed › Fix › Cause: Disk Full',
  dataCorruption: 'Data Corruption',
  trainingCrashLoop: 'Training Task Crash Loop',
  p99High: 'P99 Latency High',
  cacheSlow: 'P99 Latency High › Fix › Layer 1 (Cache) Slow',
  hnswSlow: 'P99 Latency High › Fix › Layer 3 (HNSW) Slow',
  diskIo: 'P99 Latency High › Fix › Disk I/O Bottleneck',
  oom: 'Out of Memory (OOM)',
  monitoring: 'Monitoring Checklist',
  decisionTree: 'Decision Tree',
} as const;
