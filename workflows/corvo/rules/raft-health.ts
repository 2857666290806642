/** The runbook's "Critical Metrics to Monitor › Raft Health": apply lag behind commit, and snapshots. */
import { formatNumber } from '../../../src/core/format.js';
import { RAFT } from '../sections.js';
import { isMultiRaft, parseIndex, readMetric, readMetrics, readRaftGroups } from '../signals.js';
import { APPLIED_INDEX_CORRECTION, SNAPSHOT_CORRECTION } from './corrections.js';
import { perGroup, type CorvoRule, type Part } from './helpers.js';
import { THRESHOLDS } from './thresholds.js';

const n = formatNumber;

export const raftHealthRules: readonly CorvoRule[] = [
  {
    code: 'corvo.raft.replication-lag',
    title: 'Raft apply lags behind commit',
    okTitle: 'Raft applied index keeps up with commit',
    section: RAFT,
    nextStep:
      'This node applies committed entries slowly: check its disk and CPU, the FSM apply time and the SQLite mirror. ' +
      'If one follower stays behind, restart it or re-join it (`--bootstrap=false --join http://leader:8080`).',
    evaluate(obs) {
      const part = (commit: number, applied: number): Part => {
        const lag = Math.max(0, commit - applied);
        return {
          severity:
            lag > THRESHOLDS.replicationLagCritical
              ? 'critical'
              : lag > THRESHOLDS.replicationLagWarn
                ? 'warning'
                : 'ok',
          text:
            `commit index ${n(commit)} − applied index ${n(applied)} = lag ${n(lag)} — warning above ` +
            `${n(THRESHOLDS.replicationLagWarn)}, critical above ${n(THRESHOLDS.replicationLagCritical)}`,
        };
      };
      const fromStatus = perGroup(readRaftGroups(obs), (s) => {
        const commit = parseIndex(s.commit_index);
        const applied = parseIndex(s.applied_index);
        return commit !== undefined && applied !== undefined ? part(commit, applied) : undefined;
      });
      const commit = readMetric(obs, 'corvo_raft_commit_index');
      const applied = readMetric(obs, 'corvo_raft_applied_index');
      const result = fromStatus ?? (commit !== undefined && applied !== undefined ? part(commit, applied) : undefined);
      // Shown whatever the lag: the runbook's "should grow steadily" misleads on an idle cluster either way.
      return result
        ? { severity: result.severity, evidence: result.text, runbookCorrection: APPLIED_INDEX_CORRECTION }
        : null;
    },
  },

  {
    code: 'corvo.raft.snapshot-missing',
    title: 'No Raft snapshot',
    okTitle: 'Raft snapshots present',
    section: RAFT,
    nextStep:
      'Without a snapshot new nodes cannot bootstrap. Check free disk space on the data dir (~2× the data size for ' +
      'checkpoint + tar) and the node logs for snapshot errors; lower `--snapshot-threshold` if snapshots are too ' +
      'infrequent.',
    runbookCorrection: SNAPSHOT_CORRECTION,
    evaluate(obs) {
      let absent = false;
      const fromStatus = perGroup(readRaftGroups(obs), (s) => {
        const snap = s.snapshot;
        if (!snap) return undefined;
        if (snap.error) return { severity: 'warning', text: `listing snapshots failed: ${snap.error}` };
        if (snap.count > 0) {
          return {
            severity: 'ok',
            text: `${n(snap.count)} snapshot${snap.count === 1 ? '' : 's'}, latest at index ${n(snap.latest_index ?? 0)}`,
          };
        }
        absent = true;
        const applied = parseIndex(s.applied_index);
        const threshold = s.snapshot_threshold;
        if (applied !== undefined && threshold !== undefined && applied < threshold) {
          return {
            severity: 'ok',
            text: `no snapshot yet, as expected: applied index ${n(applied)} < snapshot_threshold ${n(threshold)}`,
          };
        }
        return {
          severity: 'warning',
          text:
            'no snapshot' +
            (applied !== undefined && threshold !== undefined
              ? ` although applied index ${n(applied)} ≥ snapshot_threshold ${n(threshold)}`
              : '') +
            ' (snapshot.count 0; corvo_raft_snapshot_latest_index absent from /metrics)',
        };
      });
      if (fromStatus) {
        return {
          severity: fromStatus.severity,
          evidence: fromStatus.text,
          runbookCorrection: absent ? SNAPSHOT_CORRECTION : undefined,
        };
      }
      const expo = readMetrics(obs);
      // Multi-raft drops the snapshot line whether or not snapshots exist: its absence says nothing there.
      if (!expo || isMultiRaft(obs) || expo.problems.length > 0) return null;
      const index = readMetric(obs, 'corvo_raft_snapshot_latest_index');
      if (index === undefined) {
        return {
          severity: 'warning',
          evidence:
            'corvo_raft_snapshot_latest_index is absent from /metrics: no snapshot exists (cluster status unavailable to confirm)',
          runbookCorrection: SNAPSHOT_CORRECTION,
        };
      }
      return {
        severity: index > 0 ? 'ok' : 'warning',
        evidence: `corvo_raft_snapshot_latest_index ${n(index)}`,
      };
    },
  },
];
