/**
 * The runbook's "Escalation" table (P0-P3), as data. Findings quote the matching row in their next step, so the
 * operator sees how fast the runbook expects a response. The table's conditions are durations ("SLO breach > 5 min",
 * "circuit breaker open > 1 hr") that one check cannot measure, so the text says "if …"; the rows' `threshold`s
 * (durations.ts) are measured across scheduled runs by the engine, which reports a finding pending until it has
 * held. "Circuit breaker open" is judged from refused writes, never from `kyrodb_wal_circuit_breaker_state`, which
 * KyroDB never updates.
 */

export type EscalationLevel = 'P0' | 'P1' | 'P2' | 'P3';

/** One row of the runbook's escalation table. */
export interface Escalation {
  readonly level: EscalationLevel;
  /** The table's "Condition" column, verbatim. */
  readonly condition: string;
  /** The condition phrased to follow "if" in a sentence. */
  readonly when: string;
  /** The table's "Response Time" column. */
  readonly responseTime: 'Immediate' | '15 minutes' | '1 hour' | 'Next day';
  /** The table's "Action" column. */
  readonly action: string;
  /** The row's duration, a threshold of `durations.ts` (`circuit-breaker-open`); absent when the row states none. */
  readonly threshold?: string;
  /**
   * The finding that measures the row's condition itself, when others quote the row too: only it carries the
   * duration and the page (the `/health` reason about failed WAL writes is sticky until a restart, so it cannot
   * tell that the breaker is still open; the write check can).
   */
  readonly measuredBy?: string;
}

export const ESCALATIONS = {
  walDataLossRisk: {
    level: 'P0',
    condition: 'Data loss risk (circuit breaker open >1hr)',
    // KyroDB never updates its breaker gauge: "open" is read as writes refused (failed inserts, none succeeding).
    when: 'writes stay refused (the WAL circuit breaker open) more than 1 h (data loss risk)',
    responseTime: 'Immediate',
    action: 'Page on-call engineer',
    threshold: 'circuit-breaker-open',
    measuredBy: 'kyrodb.wal.circuit-breaker',
  },
  serverDown: {
    level: 'P0',
    condition: 'Server down >5 min',
    when: 'the server is down more than 5 min',
    responseTime: 'Immediate',
    action: 'Restart, if fails → restore backup',
    threshold: 'server-down',
    measuredBy: 'kyrodb.probe.unreachable',
  },
  sloBreach: {
    level: 'P1',
    condition: 'SLO breach >5 min',
    when: 'the SLO breach lasts more than 5 min',
    responseTime: '15 minutes',
    action: 'Investigate cause, may need restart',
    threshold: 'slo-breach',
  },
  oomCrash: {
    level: 'P1',
    condition: 'OOM crash',
    when: 'this was an OOM crash',
    responseTime: '15 minutes',
    action: 'Reduce memory usage, restart',
  },
  trainingCrashLoop: {
    level: 'P2',
    condition: 'Training crash loop',
    when: 'the training task is crash-looping',
    responseTime: '1 hour',
    action: 'Reduce training window or disable',
  },
  backupFailed: {
    level: 'P2',
    condition: 'Backup failed',
    when: 'a backup failed',
    responseTime: '1 hour',
    action: 'Free disk space, verify next backup',
  },
  cacheHitRateLow: {
    level: 'P3',
    condition: 'Cache hit rate <40%',
    when: 'the cache hit rate stays below 40 %',
    responseTime: 'Next day',
    action: 'Tune cache parameters',
  },
} as const satisfies Record<string, Escalation>;

function respond(e: Escalation): string {
  switch (e.responseTime) {
    case 'Immediate':
      return 'respond immediately';
    case 'Next day':
      return 'respond next day';
    default:
      return `respond within ${e.responseTime}`;
  }
}

/**
 * What the finding `code` carries of its row, for the engine: its P-level, and — when it measures the row's
 * condition — the row's duration (pending until held) and, for the P0 rows, the page (the table pages the on-call
 * for data loss risk and server down).
 */
export function escalationFields(
  e: Escalation,
  code: string,
): {
  duration?: { threshold: string };
  escalation: { level: EscalationLevel; page: boolean };
} {
  const measures = e.measuredBy === undefined || e.measuredBy === code;
  return {
    ...(e.threshold && measures ? { duration: { threshold: e.threshold } } : {}),
    escalation: { level: e.level, page: e.level === 'P0' && measures },
  };
}

/** "Runbook severity P1 if the SLO breach lasts more than 5 min — respond within 15 minutes: Investigate cause, …" */
export function escalationText(e: Escalation): string {
  return `Runbook severity ${e.level} if ${e.when} — ${respond(e)}: ${e.action}.`;
}
