import { formatNumber } from '../../src/core/format.js';
import type { Finding, Severity } from '../../src/core/report.js';
import {
  CACHE_HIT_RATE_CORRECTION,
  CACHE_STRATEGY_CORRECTION,
  CIRCUIT_BREAKER_CORRECTION,
  CIRCUIT_BREAKER_RESET_WARNING,
  LOG_STRINGS_CORRECTION,
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
import { HEALTH_THRESHOLDS, SECTIONS } from './rules.js';
import {
  formatBytes,
  formatNs,
  formatRate,
  formatSmallRate,
  formatUptime,
  healthReason,
  isWalInconsistent,
  readBreaker,
  readErrors,
  readMetric,
  readSloThresholds,
} from './signals.js';

/**
 * The runbook's "Decision Tree", as data. The tree branches on log lines ("Logs show …"); the bot reads the live
 * signal behind each one instead (`/slo` for "SLO breach", the breaker gauge for "circuit breaker open", the
 * training counters for "training crash") and walks every branch, so a server that is healthy overall still shows a
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
    const { slo_breaches: b, current_metrics: c } = obs.slo.value;
    const t = readSloThresholds(obs);
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
        observed: `error rate ${formatSmallRate(c.error_rate)} > ${formatSmallRate(t.maxErrorRate)}; ${byCategory}`,
      });
    }
    if (b.cache_hit_rate) {
      taken.push('Cache hit rate low');
      const size = readMetric(obs, 'kyrodb_cache_size');
      steps.push({
        step: 'Cache hit rate low → Increase cache capacity',
        observed:
          `hit rate ${formatRate(c.cache_hit_rate)} < ${formatRate(t.minCacheHitRate)}` +
          `${size !== undefined ? `, ${n(size)} entries cached` : ''}: raise \`cache.capacity\` (default 10,000)`,
      });
    }
    if (b.availability) {
      taken.push('Availability low');
      steps.push({
        step: 'Availability low (no branch in the tree)',
        observed: `availability ${formatRate(c.availability)} < ${formatRate(t.minAvailability)}: treat like "Error rate high"`,
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
            observed: `p99 ${formatNs(c.p99_latency_ns)}, hit rate ${formatRate(c.cache_hit_rate)}, error rate ${formatSmallRate(c.error_rate)}, availability ${formatRate(c.availability)} — all within SLO`,
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
        b.error_rate || b.availability ? metricNameCorrection(['kyrodb_error_rate_5m']) : undefined,
      ]
        .filter((c): c is string => c !== undefined)
        .join(' '),
    };
  },
};

const circuitBreakerOpen: DecisionBranch = {
  code: 'kyrodb.decide.circuit-breaker',
  step: 'Logs show "circuit breaker open"',
  signal: 'kyrodb_wal_circuit_breaker_state and the /health WAL reason',
  walk(obs) {
    const breaker = readBreaker(obs);
    const inconsistent = isWalInconsistent(obs);
    if (!breaker && !inconsistent) return unknown(this.step, 'the breaker gauge could not be read');
    const failed = readMetric(obs, 'kyrodb_wal_writes_failed');
    const state = breaker ? `breaker ${breaker.state} (${breaker.value})` : 'breaker unknown';
    if (!inconsistent && breaker?.state === 'closed') {
      return {
        taken: false,
        severity: 'ok',
        title: `${this.step} → not taken: breaker closed`,
        steps: [
          {
            step: this.step,
            observed: `${state}${failed !== undefined ? `, ${n(failed)} failed WAL writes since start` : ''}`,
          },
        ],
      };
    }
    const diskFull = readMetric(obs, 'kyrodb_wal_disk_full_errors');
    const disk = readMetric(obs, 'kyrodb_disk_used_bytes');
    const steps: BranchStep[] = [
      {
        step: 'Check disk space → Delete old files',
        observed:
          `${diskFull !== undefined ? `${n(diskFull)} disk-full errors` : 'disk-full errors unknown'}` +
          `${disk !== undefined ? `, ${formatBytes(disk)} used by KyroDB` : ''}` +
          `${diskFull ? ' — the disk is full: this is the cause' : ''}; \`df -h /var/lib/kyrodb\`; old backups go with ${pruneBackupsStep()}`,
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
          'corrected: 60 s after opening the breaker goes half-open and closes after 2 successful writes; the gauge ' +
          'keeps reading 1 until the next write; there is no reset endpoint',
      },
    ];
    const open = inconsistent || breaker?.state === 'open';
    return {
      taken: true,
      severity: open ? 'critical' : 'warning',
      title: `${this.step} → yes: ${inconsistent ? 'WAL inconsistent, writes disabled; ' : ''}${state}`,
      steps,
      escalation: ESCALATIONS.walDataLossRisk,
      nextStep: `${CIRCUIT_BREAKER_RESET_WARNING} If the restart fails on a corrupted WAL, ${restoreFromBackupSteps()}`,
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
        steps: [{ step: this.step, observed: `0 crashes, ${n(restarts ?? 0)} restarts since start` }],
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
  signal: 'kyrodb_errors_total{category="internal"} and HNSW fallback recoveries (panics show only in the logs)',
  walk(obs) {
    const errors = readErrors(obs);
    if (!errors) return unknown(this.step, 'the error counters could not be read');
    const internal = errors.internal ?? 0;
    const recoveryFailed = readMetric(obs, 'kyrodb_hnsw_fallback_recovery_failed') ?? 0;
    const observed = `${n(internal)} internal errors, ${n(recoveryFailed)} failed HNSW recoveries since start`;
    if (internal === 0 && recoveryFailed === 0) {
      return {
        taken: false,
        severity: 'ok',
        title: `${this.step} → not taken: no internal errors`,
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
      severity: recoveryFailed > 0 ? 'critical' : 'warning',
      title: `${this.step} → possible: ${observed}`,
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
