import { formatNumber } from '../../src/core/format.js';
import type { Finding, Severity } from '../../src/core/report.js';
import {
  CACHE_HIT_RATE_CORRECTION,
  CACHE_STRATEGY_CORRECTION,
  CIRCUIT_BREAKER_CORRECTION,
  CIRCUIT_BREAKER_RESET_WARNING,
  COUNTER_RESET_NOTE,
  DISK_LOW_REFUSAL_NOTE,
  LOG_STRINGS_CORRECTION,
  RECOVERY_PORT_CORRECTION,
  SLO_ARITHMETIC_CORRECTION,
  STICKY_WAL_REASON_NOTE,
  NS_CORRECTION,
  SIGHUP_WARNING,
  TRAINING_KEYS_CORRECTION,
  VERIFY_WAL_CORRECTION,
  BACKUP_CLI_CORRECTION,
  metricNameCorrection,
  portCorrection,
  pruneBackupsStep,
  restoreFromBackupSteps,
} from './corrections.js';
import { ESCALATIONS, escalationText, type Escalation } from './escalation.js';
import type { KyroObservations } from './observe.js';
import {
  ERROR_CATEGORIES,
  assessWrites,
  formatBytes,
  formatNsRaw,
  formatRate,
  formatSmallRate,
  formatUptime,
  healthReason,
  isWalInconsistent,
  readErrorRate,
  readErrors,
  stickyWalFailures,
  windowText,
  readHitRate,
  readMetric,
  readMetrics,
  readQueriesTotal,
  readQueryCounts,
  readQueryLatency,
  readSloThresholds,
  readUptimeSeconds,
} from './signals.js';

/** What a rule's `evaluate` returns; {@link evaluateRule} adds the rule's code, section and defaults. */
export interface FindingDraft {
  readonly severity: Severity;
  /** The measured value against its threshold. */
  readonly evidence: string;
  /** Defaults to the rule's `okTitle` for `ok`, else its `title`. */
  readonly title?: string;
  /** Defaults to the rule's `nextStep` for `warning`/`critical`. */
  readonly nextStep?: string;
  /** Defaults to the rule's `runbookCorrection` for `warning`/`critical`. */
  readonly runbookCorrection?: string;
  /** Defaults to the rule's `escalation`; `null` for none. */
  readonly escalation?: Escalation | null;
}

/** One check of the KyroDB runbook, as data. */
export interface KyroRule {
  /** Stable dotted code (`kyrodb.wal.circuit-breaker`). */
  readonly code: string;
  /** Title when the signal is bad. */
  readonly title: string;
  /** Title when the signal is healthy. */
  readonly okTitle: string;
  /** Runbook section the signal comes from (`Circuit Breaker Won't Reset`). */
  readonly section: string;
  /** The runbook's escalation row for this signal; quoted at the head of the next step when the signal is bad. */
  readonly escalation?: Escalation;
  /** What to do when the signal is bad, corrected where the runbook is wrong. */
  readonly nextStep: string | ((obs: KyroObservations) => string);
  /** Where the runbook misleads about this signal. */
  readonly runbookCorrection?: string | ((obs: KyroObservations) => string);
  /** Reads the observations; null when the data it needs is missing (the failed probe is reported on its own). */
  evaluate(obs: KyroObservations, nowMs: number): FindingDraft | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Thresholds. The runbook gives "restarts >5 → report bug" and the escalation durations; KyroDB's code gives
// max_restarts 10 and the SLO defaults. The others are the bot's own and are printed in the evidence.

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

// ---------------------------------------------------------------------------------------------------------------
// Runbook sections.

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

const n = formatNumber;

function sloReasonEscalation(reason: string): Escalation {
  if (/WAL/i.test(reason)) return ESCALATIONS.walDataLossRisk;
  return ESCALATIONS.sloBreach;
}

function upSince(uptime: number, nowMs: number): string {
  return `up ${formatUptime(uptime)} (since ${new Date(nowMs - uptime * 1000).toISOString().replace('.000Z', 'Z')})`;
}

// ---------------------------------------------------------------------------------------------------------------
// /health and /ready.

const healthStatus: KyroRule = {
  code: 'kyrodb.health.status',
  title: 'KyroDB reports itself unhealthy',
  okTitle: 'KyroDB /health is healthy',
  section: SECTIONS.healthCheckFailed,
  nextStep: 'Follow the findings below for the reason /health gives.',
  runbookCorrection: (obs) =>
    `${portCorrection(obs.origin)} ${RECOVERY_PORT_CORRECTION} KyroDB's 503 comes with a JSON body ` +
    '(`{"status":"starting"|"unhealthy",…}`); "degraded" is still HTTP 200.',
  evaluate(obs, nowMs) {
    if (!obs.health.ok) return null;
    const h = obs.health.value;
    const up = upSince(h.uptime_seconds, nowMs);
    const queries = readQueriesTotal(obs);
    const t = readSloThresholds(obs);
    switch (h.status) {
      case 'healthy': {
        const few =
          queries !== undefined && queries < t.minSamples
            ? `; only ${n(queries)} queries so far (< min_samples ${n(t.minSamples)}), so SLOs are not judged yet`
            : '';
        return { severity: 'ok', evidence: `GET /health: "healthy" (HTTP 200), ${up}${few}` };
      }
      case 'degraded': {
        const wal = /failed WAL writes/i.test(h.reason);
        return {
          severity: 'warning',
          title: `KyroDB is degraded: ${h.reason}`,
          evidence: `GET /health: "degraded" — "${h.reason}" (HTTP 200: still serving and ready), ${up}${trueRates(obs, h.reason)}`,
          escalation: sloReasonEscalation(h.reason),
          nextStep: wal
            ? `${STICKY_WAL_REASON_NOTE} Whether writes are refused now is in the write-check finding (failed ` +
              'versus successful inserts between two scrapes). Check the disk under the data dir: `df -h ' +
              "/var/lib/kyrodb`, `dmesg | grep -i 'i/o error'`."
            : 'One SLO is violated (see the SLO findings); run `/kyrodb latency` for the latency details.',
        };
      }
      case 'starting': {
        const tooLong = h.uptime_seconds > HEALTH_THRESHOLDS.startingTooLongSeconds;
        return {
          severity: tooLong ? 'critical' : 'warning',
          title: tooLong ? 'KyroDB is still starting after 5 minutes' : 'KyroDB is starting',
          evidence:
            `GET /health: "starting" (HTTP 503: not serving yet), ${up}` +
            (tooLong ? ` — over the runbook's ${HEALTH_THRESHOLDS.startingTooLongSeconds / 60} min "server down"` : ''),
          escalation: ESCALATIONS.serverDown,
          nextStep:
            'A real KyroDB answers "starting" only for about 100 ms, right after WAL recovery (its port stays closed ' +
            'while it recovers): re-check. If it stays starting, read `journalctl -u kyrodb -n 100` for ' +
            `snapshot/WAL errors; if they are corruption errors, ${restoreFromBackupSteps()}`,
        };
      }
      case 'unhealthy': {
        const wal = isWalInconsistent(obs);
        return {
          severity: 'critical',
          title: `KyroDB is unhealthy: ${h.reason}`,
          evidence: `GET /health: "unhealthy" — "${h.reason}" (HTTP 503: load balancers take it out), ${up}${trueRates(obs, h.reason)}`,
          escalation: sloReasonEscalation(h.reason),
          nextStep: wal
            ? 'The WAL error handler disabled writes (see the WAL findings). Find the disk cause first (`dmesg | ' +
              "grep -i 'i/o error'`, `df -h /var/lib/kyrodb`, `mount | grep kyrodb` must show rw), then " +
              '`systemctl restart kyrodb` (it replays the WAL). If it then fails to start with a WAL or snapshot ' +
              `error, ${restoreFromBackupSteps()}`
            : 'Two or more SLOs are violated (see the SLO findings; a burst of bad requests — query vectors of the ' +
              'wrong dimension — counts as failed queries and is enough); run `/kyrodb latency` for the latency details.',
        };
      }
    }
  },
};

/**
 * When /health's reason quotes KyroDB's error rate or availability (failed ÷ successful, overflowing past 1), the
 * true figures from the counters: "; the true error rate is 53.3 % (KyroDB divides by successful queries only)".
 */
function trueRates(obs: KyroObservations, reason: string): string {
  if (!/Error rate|Availability/i.test(reason)) return '';
  const r = readErrorRate(obs);
  if (!r?.counts) return '';
  return (
    `; the true error rate is ${formatSmallRate(r.errorRate)} and availability ${formatRate(r.availability)} ` +
    `(${n(r.counts.failed)} failed of ${n(r.counts.attempts)} queries): KyroDB's own figures divide by the ` +
    'successful queries only'
  );
}

const ready: KyroRule = {
  code: 'kyrodb.health.ready',
  title: 'KyroDB is not ready',
  okTitle: 'KyroDB /ready is ready',
  section: SECTIONS.healthCheckFailed,
  escalation: ESCALATIONS.serverDown,
  nextStep: '/ready follows /health (ready when healthy or degraded): fix what /health reports.',
  evaluate(obs) {
    if (!obs.ready.ok) return null;
    const r = obs.ready.value;
    const gauge = readMetric(obs, 'kyrodb_ready');
    const gaugeText = gauge !== undefined ? `; kyrodb_ready ${gauge}` : '';
    if (r.ready) return { severity: 'ok', evidence: `GET /ready: ready (HTTP 200)${gaugeText}` };
    const starting = obs.health.ok && obs.health.value.status === 'starting';
    const engineUp =
      gauge === 1 ? ' — the engine itself is up (kyrodb_ready 1): /ready is 503 because /health is unhealthy' : '';
    return {
      severity: starting ? 'warning' : 'critical',
      evidence: `GET /ready: "${r.status}" (HTTP 503: traffic is routed elsewhere)${gaugeText}${engineUp}`,
    };
  },
};

const processUptime: KyroRule = {
  code: 'kyrodb.process.recent-restart',
  title: 'KyroDB restarted recently',
  okTitle: 'KyroDB has not restarted recently',
  section: SECTIONS.oom,
  escalation: ESCALATIONS.oomCrash,
  nextStep:
    "If nobody restarted it, look for an OOM kill: `dmesg | grep -i 'killed process'` and `journalctl -u kyrodb " +
    "--since '1 hour ago'` (exit code 137). To use less memory: lower `cache.capacity` (default 10,000), " +
    '`cache.training_window_secs` (default 3600) and `cache.logger_window_size`. ' +
    `${COUNTER_RESET_NOTE} The other findings only cover the time since.`,
  runbookCorrection: TRAINING_KEYS_CORRECTION,
  evaluate(obs, nowMs) {
    const uptime = readUptimeSeconds(obs);
    if (uptime === undefined) return null;
    const recent = uptime < HEALTH_THRESHOLDS.recentRestartSeconds;
    return {
      severity: recent ? 'warning' : 'ok',
      evidence: `${upSince(uptime, nowMs)} — a restart is flagged below ${formatUptime(HEALTH_THRESHOLDS.recentRestartSeconds)} of uptime`,
    };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// /slo: one rule per objective, from a table.

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

// ---------------------------------------------------------------------------------------------------------------
// WAL.

/** "/health degraded — "3 failed WAL writes observed"" or "/health healthy", for the write-check evidence. */
function healthText(obs: KyroObservations): string {
  if (!obs.health.ok) return '/health unreadable';
  const reason = healthReason(obs);
  return `/health ${obs.health.value.status}${reason ? ` — "${reason}"` : ''}`;
}

/** The likely cause of refused writes, from what moves: the sticky /health reason or the copied WAL counter. */
function refusalCause(obs: KyroObservations, walFailed: number | undefined): string {
  const walSeen = (stickyWalFailures(obs) ?? 0) > 0 || (walFailed ?? 0) > 0 || isWalInconsistent(obs);
  if (walSeen) {
    return (
      'WAL writes have failed since the restart, so the WAL circuit breaker is most likely open (it refuses every ' +
      'insert with "WAL circuit breaker is open - writes disabled"). Disk full opens it on the first failure, ' +
      'other WAL errors after three.'
    );
  }
  if (obs.health.ok && obs.health.value.status === 'healthy') {
    return (
      'No WAL write failed and /health is healthy: KyroDB refuses inserts BEFORE the WAL when the disk has < 5 % ' +
      'free ("Insert rejected: disk space critically low (< 5%)"), which shows only as failed inserts and ' +
      'errors_total{internal}. Check `df -h /var/lib/kyrodb` first.'
    );
  }
  return `The cause is not visible over HTTP: either the WAL circuit breaker is open or the disk has < 5 % free. ${DISK_LOW_REFUSAL_NOTE}`;
}

const BREAKER_UNEXPORTED = 'KyroDB does not export its breaker state';

/**
 * The runbook's "circuit breaker open", read from what moves. The gauge `kyrodb_wal_circuit_breaker_state` is never
 * updated by KyroDB (always 0), so it is not read at all: refused writes show as inserts failing with none
 * succeeding between two scrapes (`kyrodb_inserts_total` counts attempts), with errors_total{internal} rising.
 */
const circuitBreaker: KyroRule = {
  code: 'kyrodb.wal.circuit-breaker',
  title: 'Writes are refused',
  okTitle: 'Writes succeed',
  section: SECTIONS.circuitBreakerWontReset,
  escalation: ESCALATIONS.walDataLossRisk,
  nextStep:
    "Find why writes fail: `df -h /var/lib/kyrodb` (< 5 % free refuses every insert), `dmesg | grep -i 'i/o error' " +
    "| tail -20`, `journalctl -u kyrodb | grep -iE 'circuit breaker|disk'`, `mount | grep kyrodb` (must be rw, not " +
    'ro), `ls -la /var/lib/kyrodb/data` (owner kyrodb), `smartctl -H /dev/sdX`. ' +
    CIRCUIT_BREAKER_RESET_WARNING,
  runbookCorrection: (obs) => `${CIRCUIT_BREAKER_CORRECTION} ${portCorrection(obs.origin)}`,
  evaluate(obs) {
    const w = assessWrites(obs);
    if (!w) return null;
    const since = w.sinceRestart;
    const up = readUptimeSeconds(obs);
    const upText = up !== undefined ? ` (up ${formatUptime(up)})` : '';
    const sinceText = `${n(since.failed)} of ${n(since.attempts)} insert attempts failed since restart${upText}`;
    const failedBefore = since.failed > 0 || (since.walFailed ?? 0) > 0 || (stickyWalFailures(obs) ?? 0) > 0;
    switch (w.kind) {
      case 'refused': {
        const window = windowText(w.windowMs);
        const internal = w.internal !== undefined ? `, errors_total{internal} +${n(w.internal)}` : '';
        return {
          severity: 'critical',
          title: `Writes are refused: ${n(w.failed)} inserts failed in the last ${window} and none succeeded`,
          evidence:
            `${BREAKER_UNEXPORTED}; inserts failed ${n(w.failed)} times since the last check ${window} earlier and ` +
            `none succeeded: writes are refused (kyrodb_inserts_total +${n(w.attempts)} — it counts attempts — and ` +
            `kyrodb_inserts_failed +${n(w.failed)}${internal}); ${healthText(obs)}. ${refusalCause(obs, since.walFailed)}`,
        };
      }
      case 'partly-failing': {
        const window = windowText(w.windowMs);
        return {
          severity: 'warning',
          title: `Some writes fail: ${n(w.failed)} of ${n(w.attempts)} inserts in the last ${window}`,
          evidence:
            `${BREAKER_UNEXPORTED}; in the last ${window} ${n(w.succeeded)} inserts succeeded and ${n(w.failed)} ` +
            `failed${w.internal !== undefined ? ` (errors_total{internal} +${n(w.internal)})` : ''}: writes are not ` +
            'refused outright — bad requests, or a breaker half-opening (2 successes close it); ' +
            `${healthText(obs)}`,
          escalation: null,
        };
      }
      case 'succeeding': {
        const window = windowText(w.windowMs);
        const sticky = stickyWalFailures(obs) !== undefined ? ` ${STICKY_WAL_REASON_NOTE}` : '';
        return {
          severity: 'ok',
          title: `Writes succeed: ${n(w.succeeded)} inserts in the last ${window}, none failed`,
          evidence:
            `${BREAKER_UNEXPORTED}; in the last ${window} ${n(w.succeeded)} inserts succeeded and none failed, so ` +
            `writes are not refused now; ${sinceText}.${sticky}`,
        };
      }
      case 'quiet':
      case 'one-scrape': {
        const why =
          'why' in w
            ? `${w.why}, so "refused now" could not be measured`
            : `no insert was attempted in the last ${windowText(w.windowMs)}: a quiet system gives no signal either way`;
        if (!failedBefore) {
          return {
            severity: 'ok',
            title: 'No write has failed since restart',
            evidence:
              `${sinceText}, no failed WAL write: the breaker has had no failure to open on. ${BREAKER_UNEXPORTED} ` +
              `and ${why}.`,
          };
        }
        return {
          severity: 'inconclusive',
          title: 'Whether writes are refused now cannot be told',
          evidence: `${BREAKER_UNEXPORTED}; ${why}. ${sinceText}; ${healthText(obs)}.`,
          nextStep:
            'Run the check again while the application writes, or watch `kyrodb_inserts_total` and ' +
            '`kyrodb_inserts_failed` together: both rising means every write is refused.',
          escalation: null,
        };
      }
      case 'restarted':
        return {
          severity: 'inconclusive',
          title: 'KyroDB restarted during the write check',
          evidence:
            `the insert counters went down between the two scrapes ${windowText(w.windowMs)} apart: the process ` +
            `restarted and its counters reset. ${sinceText}.`,
          nextStep: 'Run the check again; find out why it restarted (`journalctl -u kyrodb -n 100`, `dmesg`).',
          escalation: null,
        };
    }
  },
};

const walWrites: KyroRule = {
  code: 'kyrodb.wal.writes',
  title: 'WAL writes failed since restart',
  okTitle: 'No failed WAL writes since restart',
  section: SECTIONS.dataCorruption,
  escalation: ESCALATIONS.walDataLossRisk,
  nextStep:
    `${STICKY_WAL_REASON_NOTE} Check the disk under the data dir (\`df -h /var/lib/kyrodb\`, \`dmesg\`, ` +
    '`mount | grep kyrodb`); old backups go with ' +
    `${pruneBackupsStep()} rather than \`rm -rf\`. ⚠ The runbook's "compact WAL" (\`rm ` +
    '/var/lib/kyrodb/data/wal_*.wal`) loses every write not yet in a snapshot: only as a last resort, with the ' +
    `server stopped. If KyroDB later refuses to start with "WAL corrupted", ${restoreFromBackupSteps()}`,
  runbookCorrection: `${VERIFY_WAL_CORRECTION} ${BACKUP_CLI_CORRECTION}`,
  evaluate(obs) {
    // Only kyrodb_wal_writes_failed is copied out of the WAL's private counters; writes_total, retries_total and
    // disk_full_errors are never updated on the real server, so they are not read.
    const failed = readMetric(obs, 'kyrodb_wal_writes_failed');
    const sticky = stickyWalFailures(obs);
    const inconsistent = isWalInconsistent(obs);
    if (failed === undefined && sticky === undefined && !inconsistent) return null;
    const up = readUptimeSeconds(obs);
    const parts = [
      failed !== undefined ? `kyrodb_wal_writes_failed ${n(failed)}` : undefined,
      sticky !== undefined ? `/health "${healthReason(obs)}"` : undefined,
    ].filter((p): p is string => p !== undefined);
    const counters = `${parts.join('; ')} since restart${up !== undefined ? ` (up ${formatUptime(up)})` : ''}`;
    if (inconsistent) {
      return {
        severity: 'critical',
        title: 'WAL inconsistent: writes disabled',
        evidence: `/health: "${healthReason(obs)}"; ${counters}`,
      };
    }
    if ((failed ?? 0) > 0 || (sticky ?? 0) > 0) {
      return {
        severity: 'warning',
        evidence: `${counters} — failures happened since the restart; whether writes fail now is the write check's job`,
        escalation: null,
      };
    }
    return { severity: 'ok', evidence: counters };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Training, errors, HNSW integrity, resources, exposition.

const training: KyroRule = {
  code: 'kyrodb.training.crash-loop',
  title: 'Cache training task is crash-looping',
  okTitle: 'Cache training task stable',
  section: SECTIONS.trainingCrashLoop,
  escalation: ESCALATIONS.trainingCrashLoop,
  nextStep:
    `${SIGHUP_WARNING} Read \`journalctl -u kyrodb | grep -i 'training task'\`; for a panic, ` +
    '`grep -A 10 panic /var/log/kyrodb/server.log` and report the bug. Out of memory during training: lower ' +
    '`cache.training_window_secs` (default 3600). To stop training: `cache.enable_training_task: false`, or ' +
    '`cache.strategy: lru` (lowercase). Restart with `systemctl restart kyrodb` after a config change.',
  runbookCorrection: `${TRAINING_KEYS_CORRECTION} ${CACHE_STRATEGY_CORRECTION} ${LOG_STRINGS_CORRECTION}`,
  evaluate(obs) {
    const crashes = readMetric(obs, 'kyrodb_training_crashes_total');
    const restarts = readMetric(obs, 'kyrodb_training_restarts_total');
    if (crashes === undefined && restarts === undefined) return null;
    const cycles = readMetric(obs, 'kyrodb_training_cycles_completed_total');
    const counters =
      `${n(crashes ?? 0)} crashes, ${n(restarts ?? 0)} restarts` +
      (cycles !== undefined ? `, ${n(cycles)} training cycles completed` : '') +
      ' since restart';
    const limit = HEALTH_THRESHOLDS.trainingMaxRestarts;
    if ((restarts ?? 0) >= limit) {
      return {
        severity: 'critical',
        title: 'Training supervisor gave up: the cache no longer learns',
        evidence: `${counters} — the supervisor stops after max_restarts ${limit} ("training task restart limit reached - stopping supervisor")`,
      };
    }
    if ((restarts ?? 0) > HEALTH_THRESHOLDS.trainingRestartsLoop) {
      return {
        severity: 'warning',
        evidence: `${counters} — more than ${HEALTH_THRESHOLDS.trainingRestartsLoop} restarts (runbook: report a bug); the supervisor stops at ${limit}`,
      };
    }
    if ((crashes ?? 0) > 0) {
      return {
        severity: 'warning',
        title: 'Cache training task crashed',
        evidence: `${counters} — should be 0; the supervisor stops at ${limit} restarts`,
      };
    }
    return { severity: 'ok', evidence: counters };
  },
};

/** What each error category means, for the title that names the one that moved. */
const CATEGORY_MEANING: Record<(typeof ERROR_CATEGORIES)[number], string> = {
  internal: 'server-side failures (refused inserts count here too)',
  resource_exhausted: 'memory, disk or a tenant over its limits',
  validation: 'bad requests, e.g. query vectors of the wrong dimension',
  timeout: 'calls that ran out of time',
};

const errorsByCategory: KyroRule = {
  code: 'kyrodb.errors.by-category',
  title: 'KyroDB reports errors',
  okTitle: 'No internal or resource errors',
  section: SECTIONS.healthCheckFailed,
  escalation: ESCALATIONS.sloBreach,
  nextStep:
    'internal: refused inserts (see the write check) or a panic (`grep -A 10 panic /var/log/kyrodb/server.log`, ' +
    'report it with the logs). resource_exhausted: memory, disk or a tenant over its `max_qps`/`max_vectors` (keys ' +
    'file). validation and timeout errors come from clients — e.g. query vectors of the wrong dimension, which count ' +
    'as failed queries and can take the node out of /ready: check the calling application.',
  runbookCorrection: metricNameCorrection(['kyrodb_error_rate_5m']),
  evaluate(obs) {
    const errors = readErrors(obs);
    if (!errors) return null;
    const byCategory = ERROR_CATEGORIES.filter((c) => errors[c] !== undefined)
      .map((c) => `${c} ${n(errors[c]!)}`)
      .join(', ');
    const q = readQueryCounts(obs);
    const failedText =
      q && q.attempts > 0
        ? `; failed queries ${n(q.failed)} of ${n(q.attempts)} (${formatSmallRate(q.errorRate)})`
        : '';
    const up = readUptimeSeconds(obs);
    const since = `errors since restart${up !== undefined ? ` (up ${formatUptime(up)})` : ''}`;
    const serverSide = (errors.internal ?? 0) + (errors.resource_exhausted ?? 0);
    const t = readSloThresholds(obs);
    const breached = q !== undefined && q.attempts >= t.minSamples && q.errorRate > t.maxErrorRate;
    // The title names the categories that moved, biggest first: "internal or resource" is wrong when internal is 0.
    const moved = ERROR_CATEGORIES.filter((c) => (errors[c] ?? 0) > 0).sort((a, b) => errors[b]! - errors[a]!);
    const serverMoved = moved.filter((c) => c === 'internal' || c === 'resource_exhausted');
    const named = serverSide > 0 ? serverMoved : moved;
    const title =
      named.length > 0
        ? `KyroDB reports ${named.map((c) => `${c} errors (${n(errors[c]!)}: ${CATEGORY_MEANING[c]})`).join(' and ')}`
        : undefined;
    return {
      severity: serverSide > 0 || breached ? 'warning' : 'ok',
      title: serverSide > 0 || breached ? title : undefined,
      // The table's P1 row is an SLO breach; internal errors alone match no row.
      escalation: breached ? ESCALATIONS.sloBreach : null,
      evidence:
        `${since}: ${byCategory}${failedText}` +
        (serverSide > 0
          ? ' — internal and resource_exhausted should be 0'
          : breached
            ? ` — internal 0: the failed queries are client errors (${moved.join(', ') || 'category not counted'})`
            : ''),
    };
  },
};

const resources: KyroRule = {
  code: 'kyrodb.resources.usage',
  title: 'Memory or disk usage unknown',
  okTitle: 'Memory and filesystem used',
  section: SECTIONS.monitoring,
  escalation: ESCALATIONS.oomCrash,
  nextStep: 'Compare with the host: `free -g` and `df -h /var/lib/kyrodb`.',
  evaluate(obs) {
    const memory = readMetric(obs, 'kyrodb_memory_used_bytes');
    const disk = readMetric(obs, 'kyrodb_disk_used_bytes');
    if (memory === undefined && disk === undefined) return null;
    const parts = [
      memory !== undefined ? `memory ${formatBytes(memory)} used` : undefined,
      disk !== undefined
        ? `${formatBytes(disk)} used on the filesystem holding the data dir (kyrodb_disk_used_bytes is the whole ` +
          "filesystem, not KyroDB's data)"
        : undefined,
    ].filter((p): p is string => p !== undefined);
    return {
      severity: 'ok',
      evidence:
        `${parts.join('; ')} — KyroDB exports no capacity, so compare with \`free -g\` and ` +
        '`df -h /var/lib/kyrodb` (< 5 % free refuses every insert; runbook OOM rule of thumb: cache ≈ 20 % of free RAM)',
    };
  },
};

/** Families every KyroDB prints (core set, identical at the runbook commit and HEAD); their absence means a proxy or another exporter answered. */
const CORE_FAMILIES = [
  'kyrodb_queries_total',
  'kyrodb_query_latency_ns',
  'kyrodb_cache_hit_rate',
  'kyrodb_wal_circuit_breaker_state',
  'kyrodb_training_crashes_total',
  'kyrodb_errors_total',
] as const;

const exposition: KyroRule = {
  code: 'kyrodb.metrics.exposition',
  title: 'KyroDB /metrics is incomplete or invalid',
  okTitle: 'KyroDB /metrics parsed',
  section: SECTIONS.healthCheckFailed,
  nextStep:
    'Prometheus rejects a scrape with an invalid line, and missing families blind the checks above: make sure the ' +
    "bot's url points at KyroDB's HTTP port itself (default 51051), not at a proxy or another exporter.",
  runbookCorrection: (obs) => portCorrection(obs.origin),
  evaluate(obs) {
    const expo = readMetrics(obs);
    if (!expo) return null;
    const missing = CORE_FAMILIES.filter((f) => !expo.families.has(f));
    const problems = expo.problems.slice(0, 2).join('; ');
    if (expo.problems.length === 0 && missing.length === 0) {
      return { severity: 'ok', evidence: `${n(expo.families.size)} metric families parsed, no invalid line` };
    }
    const parts = [
      expo.problems.length > 0 ? `${n(expo.problems.length)} unparseable line(s): ${problems}` : undefined,
      missing.length > 0 ? `missing ${missing.join(', ')}` : undefined,
    ].filter((p): p is string => p !== undefined);
    return {
      severity: 'warning',
      evidence: parts.join('; '),
      escalation: null,
    };
  },
};

/**
 * The health workflow's checks: `/health`, `/ready`, the four SLOs, the write check, the WAL, training, errors,
 * uptime, resources and the exposition itself. No rule reads a family the real server never updates
 * ({@link NOT_MEASURED_FAMILIES}): HNSW corruption, breaker gauge, WAL totals/retries/disk-full, learned cache. Order is the report's order within a severity.
 */
export const kyroHealthRules: readonly KyroRule[] = [
  healthStatus,
  ready,
  ...SLO_CHECKS.map(sloRule),
  circuitBreaker,
  walWrites,
  training,
  errorsByCategory,
  processUptime,
  resources,
  exposition,
];

/** Said when no row of the runbook's escalation table fits a bad signal, so every finding states its severity. */
export const NO_ESCALATION_TEXT = "Runbook severity: no row of the runbook's escalation table (P0-P3) covers this.";

/** Runs one rule and turns its draft into a finding; null when the rule had nothing to read. */
export function evaluateRule(rule: KyroRule, obs: KyroObservations, nowMs: number): Finding | null {
  const draft = rule.evaluate(obs, nowMs);
  if (!draft) return null;
  const bad = draft.severity === 'warning' || draft.severity === 'critical';
  const resolve = (v: string | ((o: KyroObservations) => string) | undefined): string | undefined =>
    typeof v === 'function' ? v(obs) : v;
  const escalation = draft.escalation === null ? undefined : (draft.escalation ?? rule.escalation);
  const step = draft.nextStep ?? (bad ? resolve(rule.nextStep) : undefined);
  const severityText = escalation ? escalationText(escalation) : NO_ESCALATION_TEXT;
  const nextStep = bad ? `${severityText} ${step ?? ''}`.trim() : step;
  const finding: Finding = {
    code: rule.code,
    severity: draft.severity,
    title: draft.title ?? (draft.severity === 'ok' ? rule.okTitle : rule.title),
    evidence: draft.evidence,
    section: rule.section,
    nextStep,
    runbookCorrection: draft.runbookCorrection ?? (bad ? resolve(rule.runbookCorrection) : undefined),
  };
  return Object.fromEntries(Object.entries(finding).filter(([, v]) => v !== undefined)) as unknown as Finding;
}

/** Runs the rules in order; rules without data are skipped. */
export function evaluateRules(rules: readonly KyroRule[], obs: KyroObservations, nowMs: number): Finding[] {
  return rules.map((r) => evaluateRule(r, obs, nowMs)).filter((f): f is Finding => f !== null);
}
