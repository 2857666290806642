import { formatNumber } from '../../src/core/format.js';
import type { Finding, Severity } from '../../src/core/report.js';
import {
  CACHE_HIT_RATE_CORRECTION,
  CACHE_STRATEGY_CORRECTION,
  CIRCUIT_BREAKER_CORRECTION,
  CIRCUIT_BREAKER_RESET_WARNING,
  DISK_LOW_REFUSAL_NOTE,
  LOG_STRINGS_CORRECTION,
  SLO_ARITHMETIC_CORRECTION,
  NS_CORRECTION,
  SIGHUP_WARNING,
  TRAINING_KEYS_CORRECTION,
  BACKUP_CLI_CORRECTION,
  metricNameCorrection,
  pruneBackupsStep,
  restoreFromBackupSteps,
} from './corrections.js';
import { ESCALATIONS, escalationText, type Escalation } from './escalation.js';
import type { KyroObservations } from './observe.js';
import { HEALTH_THRESHOLDS, SECTIONS } from './rules/index.js';
import {
  formatBytes,
  formatNs,
  formatRate,
  formatSmallRate,
  formatUptime,
  assessWrites,
  healthReason,
  isWalInconsistent,
  readErrorRate,
  readErrors,
  readMetric,
  readSloThresholds,
  stickyWalFailures,
  windowText,
} from './signals.js';

/**
 * The runbook's "Decision Tree", as data. The tree branches on log lines ("Logs show …"); the bot reads the live
 * signal behind each one instead (`/slo` and the query counters for "SLO breach"; failed versus total inserts
 * between two scrapes for "circuit breaker open", since KyroDB never updates its breaker gauge; the training
 * counters for "training crash") and walks every branch, so a server that is healthy overall still shows a
 * crash-looping training task.
 */

/** One step under a branch, with what the bot saw for it. */
export interface BranchStep {
  /** The runbook's wording (`Check disk space → Delete old files`). */
  readonly step: string;
  readonly observed: string;
}

/** Where one branch of the tree led. */
export interface BranchOutcome {
  /** True when the live signal says this branch applies. */
  readonly taken: boolean;
  /** `ok` for a branch not taken; `inconclusive` when its signal could not be read. */
  readonly severity: Severity;
  /** Names the branch step and the way taken (`Logs show "circuit breaker open" → yes: breaker open`). */
  readonly title: string;
  /** The runbook's sub-steps walked, with the live value of each. */
  readonly steps: readonly BranchStep[];
  readonly nextStep?: string;
  readonly runbookCorrection?: string;
  readonly escalation?: Escalation;
}

export interface DecisionBranch {
  /** Stable dotted code (`kyrodb.decide.circuit-breaker`). */
  readonly code: string;
  /** The runbook's branch label (`Logs show "circuit breaker open"`). */
  readonly step: string;
  /** What the bot reads instead of the runbook's log grep. */
  readonly signal: string;
  walk(obs: KyroObservations, nowMs: number): BranchOutcome;
}

const n = formatNumber;

function unknown(step: string, why: string): BranchOutcome {
  return { taken: false, severity: 'inconclusive', title: `${step} → unknown: ${why}`, steps: [] };
}

const serverUnhealthy: DecisionBranch = {
  code: 'kyrodb.decide.server-unhealthy',
  step: 'Server Unhealthy?',
  signal: 'GET /health',
  walk(obs) {
    if (!obs.health.ok) return unknown(this.step, '/health could not be read');
    const h = obs.health.value;
    const reason = healthReason(obs);
    const observed = `/health "${h.status}"${reason ? ` — "${reason}"` : ''}, up ${formatUptime(h.uptime_seconds)}`;
    if (h.status === 'healthy') {
      return {
        taken: false,
        severity: 'ok',
        title: `${this.step} → no: healthy`,
        steps: [{ step: this.step, observed }],
      };
    }
    const wal = reason !== undefined && /WAL/i.test(reason);
    return {
      taken: true,
      severity: h.status === 'unhealthy' ? 'critical' : 'warning',
      title: `${this.step} → yes: ${h.status}${reason ? ` (${reason})` : ''}`,
      steps: [{ step: this.step, observed }],
      escalation:
        h.status === 'starting' ? ESCALATIONS.serverDown : wal ? ESCALATIONS.walDataLossRisk : ESCALATIONS.sloBreach,
      nextStep: 'Follow the branches taken below.',
    };
  },
};

const checkProcess: DecisionBranch = {
  code: 'kyrodb.decide.process',
  step: 'Check process',
  signal: 'whether the HTTP listener answers',
  walk(obs) {
    if (!obs.health.ok) return unknown(this.step, '/health could not be read');
    const h = obs.health.value;
    if (h.status === 'starting') {
      const tooLong = h.uptime_seconds > HEALTH_THRESHOLDS.startingTooLongSeconds;
      return {
        taken: true,
        severity: tooLong ? 'critical' : 'warning',
        title: `${this.step} → Running, still starting (up ${formatUptime(h.uptime_seconds)})`,
        steps: [
          {
            step: 'Running → Check logs',
            observed: `the listener answers; /health "starting" for ${formatUptime(h.uptime_seconds)}`,
          },
        ],
        escalation: ESCALATIONS.serverDown,
        nextStep:
          'Wait for the snapshot and WAL to load; if it stays starting, `journalctl -u kyrodb -n 100` for the error. ' +
          `On snapshot/WAL corruption, ${restoreFromBackupSteps()}`,
        runbookCorrection: BACKUP_CLI_CORRECTION,
      };
    }
    return {
      taken: true,
      severity: 'ok',
      title: `${this.step} → Running → check logs (the bot reads the live signals instead)`,
      steps: [
        {
          step: 'Running → Check logs',
          observed: `the listener answers (up ${formatUptime(h.uptime_seconds)}); the branches below use /slo and /metrics`,
        },
      ],
    };
  },
};

const sloBreach: DecisionBranch = {
  code: 'kyrodb.decide.slo-breach',
  step: 'Logs show "SLO breach"',
  signal: 'GET /slo slo_breaches',
  walk(obs) {
    if (!obs.slo.ok) return unknown(this.step, '/slo could not be read');
    const { current_metrics: c } = obs.slo.value;
    const t = readSloThresholds(obs);
    // Error rate and availability from the counters: /slo's own are failed ÷ successful and overflow.
    const er = readErrorRate(obs);
    const errorRate = er?.errorRate ?? 0;
    const availability = er?.availability ?? 1;
    const judged = (er?.counts?.attempts ?? Infinity) >= t.minSamples;
    const b = {
      ...obs.slo.value.slo_breaches,
      error_rate: judged && errorRate > t.maxErrorRate,
      availability: judged && availability < t.minAvailability,
    };
    const steps: BranchStep[] = [];
    const taken: string[] = [];
    if (b.p99_latency) {
      taken.push('P99 latency high');
      steps.push({
        step: 'P99 latency high → See "P99 Latency High"',
        observed: `p99 ${formatNs(c.p99_latency_ns)} > ${formatNs(t.p99LatencyNs)}: run \`/kyrodb latency\` for the slow layer`,
      });
    }
    if (b.error_rate) {
      const errors = readErrors(obs);
      const byCategory = errors
        ? Object.entries(errors)
            .map(([k, v]) => `${k} ${n(v)}`)
            .join(', ')
        : 'errors by category unknown';
      taken.push('Error rate high');
      steps.push({
        step: 'Error rate high → Check application errors',
        observed:
          `error rate ${formatSmallRate(errorRate)} > ${formatSmallRate(t.maxErrorRate)}` +
          `${er?.counts ? ` (${n(er.counts.failed)} failed of ${n(er.counts.attempts)} queries)` : ''}; ${byCategory}` +
          `${errors && (errors.internal ?? 0) === 0 ? ' — internal 0: client errors (validation: e.g. query vectors of the wrong dimension)' : ''}`,
      });
    }
    if (b.cache_hit_rate) {
      taken.push('Cache hit rate low');
      steps.push({
        step: 'Cache hit rate low → Increase cache capacity',
        observed: `hit rate ${formatRate(c.cache_hit_rate)} < ${formatRate(t.minCacheHitRate)}: raise \`cache.capacity\` (default 10,000)`,
      });
    }
    if (b.availability) {
      taken.push('Availability low');
      steps.push({
        step: 'Availability low (no branch in the tree)',
        observed: `availability ${formatRate(availability)} < ${formatRate(t.minAvailability)}: treat like "Error rate high"`,
      });
    }
    if (taken.length === 0) {
      return {
        taken: false,
        severity: 'ok',
        title: `${this.step} → not taken: no SLO breached`,
        steps: [
          {
            step: this.step,
            observed: `p99 ${formatNs(c.p99_latency_ns)}, hit rate ${formatRate(c.cache_hit_rate)}, error rate ${formatSmallRate(errorRate)}, availability ${formatRate(availability)} — all within SLO`,
          },
        ],
      };
    }
    return {
      taken: true,
      severity: 'warning',
      title: `${this.step} → ${taken.join(' + ')}`,
      steps,
      escalation: ESCALATIONS.sloBreach,
      nextStep: b.p99_latency
        ? 'Run `/kyrodb latency` to find the slow layer and its corrected fix.'
        : 'Follow the sub-steps above.',
      runbookCorrection: [
        b.p99_latency ? NS_CORRECTION : undefined,
        b.cache_hit_rate ? `${CACHE_HIT_RATE_CORRECTION} ${CACHE_STRATEGY_CORRECTION}` : undefined,
        b.error_rate || b.availability
          ? `${SLO_ARITHMETIC_CORRECTION} ${metricNameCorrection(['kyrodb_error_rate_5m'])}`
          : undefined,
      ]
        .filter((c): c is string => c !== undefined)
        .join(' '),
    };
  },
};

const BREAKER_NOT_EXPORTED = 'KyroDB does not export its breaker state';

const circuitBreakerOpen: DecisionBranch = {
  code: 'kyrodb.decide.circuit-breaker',
  step: 'Logs show "circuit breaker open"',
  signal:
    'failed vs total inserts between two scrapes, errors_total{internal} and the /health WAL reason (KyroDB does ' +
    'not export its breaker state: kyrodb_wal_circuit_breaker_state is never updated)',
  walk(obs) {
    const inconsistent = isWalInconsistent(obs);
    const w = assessWrites(obs);
    if (!w && !inconsistent) return unknown(this.step, 'the insert counters could not be read');
    const sticky = stickyWalFailures(obs);
    const since = w
      ? `${n(w.sinceRestart.failed)} of ${n(w.sinceRestart.attempts)} inserts failed since restart` +
        `${sticky !== undefined ? `; /health "${healthReason(obs)}" (sticky until restart)` : ''}`
      : 'insert counters unknown';
    const refused = inconsistent || w?.kind === 'refused';
    if (!refused) {
      const quiet = w !== undefined && (w.kind === 'quiet' || w.kind === 'one-scrape' || w.kind === 'restarted');
      const failedBefore = w !== undefined && (w.sinceRestart.failed > 0 || (sticky ?? 0) > 0);
      if (quiet && failedBefore) {
        return {
          taken: false,
          severity: 'inconclusive',
          title: `${this.step} → unknown: no insert to judge by, and inserts failed since restart`,
          steps: [
            {
              step: this.step,
              observed:
                `${since}; ${w.kind === 'restarted' ? 'KyroDB restarted during the check' : 'no insert attempted between the two scrapes'}: ` +
                'a quiet system gives no signal either way',
            },
          ],
          nextStep:
            'Re-run while the application writes; both insert counters rising together means writes are refused.',
        };
      }
      const now =
        w && 'attempts' in w && w.attempts > 0
          ? `${n(w.succeeded)} of ${n(w.attempts)} inserts succeeded in the last ${windowText(w.windowMs)}`
          : 'no write has failed since restart';
      return {
        taken: false,
        severity: 'ok',
        title: `${this.step} → not taken: writes are not refused (${now})`,
        steps: [{ step: this.step, observed: `${now}; ${since}` }],
      };
    }
    const window =
      w && w.kind === 'refused'
        ? `inserts failed ${n(w.failed)} times in the last ${windowText(w.windowMs)} and none succeeded` +
          `${w.internal !== undefined ? ` (errors_total{internal} +${n(w.internal)})` : ''}`
        : 'writes disabled';
    const diskOnly = !inconsistent && (sticky ?? 0) === 0 && (w?.sinceRestart.walFailed ?? 0) === 0;
    const disk = readMetric(obs, 'kyrodb_disk_used_bytes');
    const steps: BranchStep[] = [
      {
        step: 'Check disk space → Delete old files',
        observed:
          `${diskOnly ? 'no WAL write failed and /health says nothing: the < 5 % free-disk refusal is the likely cause; ' : ''}` +
          `\`df -h /var/lib/kyrodb\`${disk !== undefined ? ` (kyrodb_disk_used_bytes ${formatBytes(disk)} is the whole filesystem, not KyroDB's data)` : ''}; ` +
          `old backups go with ${pruneBackupsStep()}`,
      },
      {
        step: 'Check permissions → Fix ownership',
        observed:
          'not visible over HTTP: `ls -la /var/lib/kyrodb/data`, then `chown -R kyrodb:kyrodb /var/lib/kyrodb/data`',
      },
      {
        step: 'Check filesystem → Run fsck',
        observed: '`mount | grep kyrodb` (remounted ro after errors?), `sudo fsck -n /dev/sdX` (read-only check)',
      },
      {
        step: 'Wait 60s → Auto-resets',
        observed:
          'corrected: 60 s after opening the breaker goes half-open and closes after 2 successful writes — watch ' +
          'kyrodb_inserts_total rise with kyrodb_inserts_failed flat, not the gauge (never updated); there is no ' +
          'reset endpoint',
      },
    ];
    return {
      taken: true,
      severity: 'critical',
      title:
        `${this.step} → yes: ${inconsistent ? 'WAL inconsistent, writes disabled' : 'writes are refused'} ` +
        `(${BREAKER_NOT_EXPORTED}; ${window})`,
      steps,
      escalation: ESCALATIONS.walDataLossRisk,
      nextStep: `${CIRCUIT_BREAKER_RESET_WARNING} ${DISK_LOW_REFUSAL_NOTE} If the restart fails on a corrupted WAL, ${restoreFromBackupSteps()}`,
      runbookCorrection: `${CIRCUIT_BREAKER_CORRECTION} ${BACKUP_CLI_CORRECTION}`,
    };
  },
};

const trainingCrash: DecisionBranch = {
  code: 'kyrodb.decide.training-crash',
  step: 'Logs show "training crash"',
  signal: 'kyrodb_training_crashes_total / kyrodb_training_restarts_total',
  walk(obs) {
    const crashes = readMetric(obs, 'kyrodb_training_crashes_total');
    const restarts = readMetric(obs, 'kyrodb_training_restarts_total');
    if (crashes === undefined) return unknown(this.step, 'the training counters could not be read');
    if (crashes === 0) {
      return {
        taken: false,
        severity: 'ok',
        title: `${this.step} → not taken: no training crash`,
        steps: [{ step: this.step, observed: `0 crashes, ${n(restarts ?? 0)} restarts since restart` }],
      };
    }
    const memory = readMetric(obs, 'kyrodb_memory_used_bytes');
    const r = restarts ?? 0;
    const stopped = r >= HEALTH_THRESHOLDS.trainingMaxRestarts;
    const loop = r > HEALTH_THRESHOLDS.trainingRestartsLoop;
    return {
      taken: true,
      severity: stopped ? 'critical' : 'warning',
      title: `${this.step} → yes: ${n(crashes)} crashes, ${n(r)} restarts${loop ? ' → report bug' : ''}`,
      steps: [
        {
          step: 'Check memory usage → Reduce training window',
          observed:
            `${memory !== undefined ? `memory ${formatBytes(memory)} used` : 'memory unknown'}; the window is ` +
            '`cache.training_window_secs` (default 3600), not `training.window_duration_secs`',
        },
        {
          step: 'Check restart count → If >5, report bug',
          observed: stopped
            ? `${n(r)} restarts: the supervisor stopped at max_restarts ${HEALTH_THRESHOLDS.trainingMaxRestarts}`
            : loop
              ? `${n(r)} restarts > ${HEALTH_THRESHOLDS.trainingRestartsLoop}: report the bug with \`grep -A 10 panic /var/log/kyrodb/server.log\``
              : `${n(r)} restarts ≤ ${HEALTH_THRESHOLDS.trainingRestartsLoop}: watch it`,
        },
      ],
      escalation: ESCALATIONS.trainingCrashLoop,
      nextStep: SIGHUP_WARNING,
      runbookCorrection: `${TRAINING_KEYS_CORRECTION} ${LOG_STRINGS_CORRECTION}`,
    };
  },
};

const panic: DecisionBranch = {
  code: 'kyrodb.decide.panic',
  step: 'Logs show "panic"',
  signal:
    'kyrodb_errors_total{category="internal"} against failed inserts (panics show only in the logs; the HNSW ' +
    'fallback-recovery counters are never updated, so they are not read)',
  walk(obs) {
    const errors = readErrors(obs);
    if (!errors) return unknown(this.step, 'the error counters could not be read');
    const internal = errors.internal ?? 0;
    const insertsFailed = readMetric(obs, 'kyrodb_inserts_failed') ?? 0;
    // Refused inserts are counted as internal errors too: only the internal errors beyond them hint at a panic.
    const unexplained = Math.max(0, internal - insertsFailed);
    const observed = `${n(internal)} internal errors, ${n(insertsFailed)} of them explained by failed inserts, since restart`;
    if (unexplained === 0) {
      return {
        taken: false,
        severity: 'ok',
        title: `${this.step} → not taken: no internal error beyond failed inserts`,
        steps: [
          {
            step: this.step,
            observed: `${observed}; a panic shows only in the logs: \`grep -c panic /var/log/kyrodb/server.log\``,
          },
        ],
      };
    }
    return {
      taken: true,
      severity: 'warning',
      title: `${this.step} → possible: ${n(unexplained)} internal errors not explained by failed inserts`,
      steps: [
        { step: 'File bug report → Include full logs', observed: '`grep -A 10 panic /var/log/kyrodb/server.log`' },
        {
          step: 'Restore from backup → Last known good state',
          observed: `only if data is damaged: ${restoreFromBackupSteps()}`,
        },
      ],
      escalation: ESCALATIONS.serverDown,
      nextStep: 'Confirm the panic in the logs before restoring anything.',
      runbookCorrection: BACKUP_CLI_CORRECTION,
    };
  },
};

/** The tree's branches, in the runbook's order. */
export const KYRO_DECISION_TREE: readonly DecisionBranch[] = [
  serverUnhealthy,
  checkProcess,
  sloBreach,
  circuitBreakerOpen,
  trainingCrash,
  panic,
];

/** One branch's outcome as a finding: the title names the step, the evidence lists each sub-step with its live value. */
export function branchFinding(branch: DecisionBranch, outcome: BranchOutcome): Finding {
  const bad = outcome.severity === 'warning' || outcome.severity === 'critical';
  const evidence =
    outcome.steps.length > 0
      ? `${branch.signal}: ${outcome.steps.map((s) => (s.step === branch.step ? s.observed : `${s.step}: ${s.observed}`)).join('; ')}`
      : `${branch.signal}: not readable`;
  const nextStep =
    bad && outcome.escalation
      ? `${escalationText(outcome.escalation)} ${outcome.nextStep ?? ''}`.trim()
      : outcome.nextStep;
  const finding: Finding = {
    code: branch.code,
    severity: outcome.severity,
    title: outcome.title,
    evidence,
    section: `${SECTIONS.decisionTree} › ${branch.step}`,
    nextStep,
    runbookCorrection: outcome.runbookCorrection,
  };
  return Object.fromEntries(Object.entries(finding).filter(([, v]) => v !== undefined)) as unknown as Finding;
}
