import { formatNumber } from '../../../src/core/format.js';
import {
  CIRCUIT_BREAKER_CORRECTION,
  CIRCUIT_BREAKER_RESET_WARNING,
  DISK_LOW_REFUSAL_NOTE,
  STICKY_WAL_REASON_NOTE,
  VERIFY_WAL_CORRECTION,
  BACKUP_CLI_CORRECTION,
  portCorrection,
  pruneBackupsStep,
  restoreFromBackupSteps,
} from '../corrections.js';
import { ESCALATIONS } from '../escalation.js';
import type { KyroObservations } from '../observe.js';
import {
  assessWrites,
  formatUptime,
  healthReason,
  isWalInconsistent,
  stickyWalFailures,
  windowText,
  readMetric,
  readUptimeSeconds,
} from '../signals.js';
import { SECTIONS } from './sections.js';
import type { KyroRule } from './rule.js';

/**
 * The runbook's "Circuit Breaker Won't Reset" and "Data Corruption" as rules: whether writes are refused now (two
 * scrapes; KyroDB does not export its breaker state) and the WAL failures since restart.
 */

const n = formatNumber;

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

/** The write check and the WAL counters, in report order. */
export const walRules: readonly KyroRule[] = [circuitBreaker, walWrites];
