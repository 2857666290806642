import { formatNumber } from '../../../src/core/format.js';
import {
  CACHE_STRATEGY_CORRECTION,
  COUNTER_RESET_NOTE,
  LOG_STRINGS_CORRECTION,
  SIGHUP_WARNING,
  TRAINING_KEYS_CORRECTION,
  metricNameCorrection,
  portCorrection,
} from '../corrections.js';
import { ESCALATIONS } from '../escalation.js';
import {
  ERROR_CATEGORIES,
  formatBytes,
  formatSmallRate,
  formatUptime,
  readErrors,
  readMetric,
  readMetrics,
  readQueryCounts,
  readSloThresholds,
  readUptimeSeconds,
  upSince,
} from '../signals.js';
import { SECTIONS, HEALTH_THRESHOLDS } from './sections.js';
import type { KyroRule } from './rule.js';

/**
 * The process itself: the training task ("Training Task Crash Loop"), errors by category, a recent restart
 * ("Out of Memory (OOM)"), memory and disk used ("Monitoring Checklist") and the `/metrics` exposition.
 */

const n = formatNumber;

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

/** Training, errors, restart, resources and the exposition, in report order. */
export const processRules: readonly KyroRule[] = [training, errorsByCategory, processUptime, resources, exposition];
