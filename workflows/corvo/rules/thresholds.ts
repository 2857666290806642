/**
 * The Corvo rules' thresholds. The runbook gives "normal < 1000", "p99 > 50ms", "> 10" s and "> 0"; the others are
 * the bot's own and are documented in the evidence line so the operator sees what the value was compared with.
 */

export const THRESHOLDS = {
  /** Runbook: `corvo_raft_apply_pending` "normal < 1000". */
  applyPendingWarn: 1000,
  /** Critical from this share of `apply_max_pending`: the queue is about to reject writes with 429 OVERLOADED. */
  applyPendingCriticalRatio: 0.8,
  /** Runbook: queue time "p99 > 50ms = problem". Also used for the FSM apply time, which the runbook leaves open. */
  queueTimeP99Seconds: 0.05,
  applyTimeP99Seconds: 0.05,
  /** Share of the configured max in-flight frames / open streams. */
  streamWarnRatio: 0.8,
  /** `commit_index − applied_index`. */
  replicationLagWarn: 1000,
  replicationLagCritical: 10_000,
  /** Share of the SQLite mirror queue (capacity 131072): when it is full, updates are dropped. */
  mirrorLagWarnRatio: 0.5,
  /** Runbook: `time() - corvo_scheduler_last_promote_seconds > 10`; applied to reclaim too. */
  schedulerStalledSeconds: 10,
  /** A worker without a heartbeat for longer than this is no longer live (warning while it is not yet gone). */
  workerHeartbeatStaleSeconds: 60,
  /**
   * Corvo's own "active" window (`corvo_workers_active`: heartbeat within 5 min). Older rows are workers that went
   * away (Corvo keeps their rows): listed, but alone not a warning, or every redeploy would warn forever.
   */
  workerGoneSeconds: 300,
} as const;

/** Capacity of the SQLite mirror queue when the status does not say. */
export const DEFAULT_MIRROR_CAPACITY = 131_072;
