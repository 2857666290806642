import { formatNumber } from '../../../src/core/format.js';
import {
  RECOVERY_PORT_CORRECTION,
  STICKY_WAL_REASON_NOTE,
  portCorrection,
  restoreFromBackupSteps,
} from '../corrections.js';
import { ESCALATIONS, type Escalation } from '../escalation.js';
import type { KyroObservations } from '../observe.js';
import {
  formatRate,
  formatSmallRate,
  isWalInconsistent,
  readErrorRate,
  readMetric,
  readQueriesTotal,
  readSloThresholds,
  upSince,
} from '../signals.js';
import { SECTIONS, HEALTH_THRESHOLDS } from './sections.js';
import type { KyroRule } from './rule.js';

/**
 * The runbook's "Health Check Failed" as rules: what `/health` and `/ready` say, with the runbook's escalation row
 * for the reason `/health` gives.
 */

const n = formatNumber;

function sloReasonEscalation(reason: string): Escalation {
  if (/WAL/i.test(reason)) return ESCALATIONS.walDataLossRisk;
  return ESCALATIONS.sloBreach;
}

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

/** The checks of `/health` and `/ready`, in report order. */
export const healthCheckRules: readonly KyroRule[] = [healthStatus, ready];
