import type { CorvoClients } from '../../integrations/corvo/index.js';
import { formatNumber } from '../../src/core/format.js';
import type { Workflow } from '../../src/core/workflow.js';
import { manualSteps } from './manual-steps.js';
import { observeCorvo } from './observe.js';
import { diagnose } from './diagnose.js';
import { MULTI_RAFT_CORRECTION, SNAPSHOT_CORRECTION } from './rules/corrections.js';
import { perGroup, type CorvoRule } from './rules/helpers.js';
import { reuseRule } from './rules/index.js';
import { SECTIONS } from './sections.js';
import { isMultiRaft, parseIndex, readMetric, readMetrics, readRaftGroups } from './signals.js';

const n = formatNumber;

export const SNAPSHOT_THRESHOLDS = {
  /** The runbook's benchmark value ("raise `--snapshot-threshold 1000000` to avoid storms"), not for production. */
  benchmarkThreshold: 1_000_000,
} as const;

/** What `/metrics` says about snapshots next to the cluster status: absent is not 0. */
const snapshotMetric: CorvoRule = {
  code: 'corvo.snapshot.metric',
  title: 'Snapshot metric disagrees with the cluster status',
  okTitle: 'Snapshot metric',
  section: SECTIONS.snapshotIssues,
  nextStep:
    'Trust the cluster status (`snapshot.count`, `snapshot.latest_index`, `snapshot.error`); the metric is printed ' +
    'from the same data, so a mismatch means the two reads straddled a new snapshot: run the check again.',
  evaluate(obs) {
    const expo = readMetrics(obs);
    if (!expo) return null;
    const status = readRaftGroups(obs)?.[0]?.status.snapshot;
    if (isMultiRaft(obs)) {
      return {
        severity: 'ok',
        title: 'Snapshot metric absent under multi-raft (read the status per group)',
        evidence:
          'with `--raft-shards > 1` Corvo drops corvo_raft_snapshot_latest_index from /metrics whatever the snapshots',
        runbookCorrection: MULTI_RAFT_CORRECTION,
      };
    }
    const index = readMetric(obs, 'corvo_raft_snapshot_latest_index');
    const fromStatus = status
      ? `; cluster status: ${n(status.count)} snapshot${status.count === 1 ? '' : 's'}` +
        (status.latest_index !== undefined ? `, latest index ${n(status.latest_index)}` : '')
      : '';
    if (index === undefined) {
      return {
        severity: status && status.count > 0 ? 'warning' : 'ok',
        title: status && status.count > 0 ? undefined : 'corvo_raft_snapshot_latest_index is absent, not 0',
        evidence:
          'corvo_raft_snapshot_latest_index is absent from /metrics (Corvo prints it only once a snapshot exists: a ' +
          `grep prints nothing, and a dashboard shows no data rather than 0)${fromStatus}`,
        runbookCorrection: SNAPSHOT_CORRECTION,
      };
    }
    const mismatch = status?.latest_index !== undefined && status.latest_index !== index;
    return {
      severity: mismatch ? 'warning' : 'ok',
      title: mismatch ? undefined : `corvo_raft_snapshot_latest_index ${n(index)}`,
      evidence: `corvo_raft_snapshot_latest_index ${n(index)}${fromStatus}`,
    };
  },
};

const snapshotSettings: CorvoRule = {
  code: 'corvo.snapshot.settings',
  title: 'Snapshot threshold set for benchmarks',
  okTitle: 'Snapshot settings',
  section: SECTIONS.snapshotIssues,
  nextStep:
    'The runbook raises `--snapshot-threshold` to 1000000 for benchmarks only: left on, snapshots are rare, the ' +
    'Raft log grows and new nodes replay more. Set it back (default 4096) and restart the nodes one at a time.',
  evaluate(obs) {
    let title: string | undefined;
    const part = perGroup(readRaftGroups(obs), (s) => {
      const threshold = s.snapshot_threshold;
      if (threshold === undefined) return undefined;
      const applied = parseIndex(s.applied_index);
      const latest = s.snapshot?.latest_index;
      const since =
        applied !== undefined && latest !== undefined
          ? `; ${n(Math.max(0, applied - latest))} entries applied since the latest snapshot (index ${n(latest)})`
          : applied !== undefined
            ? `; applied index ${n(applied)}, no snapshot yet`
            : '';
      const every = s.snapshot_interval ? `, checked every ${s.snapshot_interval}` : '';
      title ??= `Snapshot every ${n(threshold)} entries${every}`;
      const bench = threshold >= SNAPSHOT_THRESHOLDS.benchmarkThreshold;
      return {
        severity: bench ? 'warning' : 'ok',
        text:
          `snapshot_threshold ${n(threshold)} entries${s.snapshot_interval ? `, snapshot_interval ${s.snapshot_interval}` : ''}` +
          `${since} — warning from ${n(SNAPSHOT_THRESHOLDS.benchmarkThreshold)} (the runbook's benchmark setting)`,
      };
    });
    if (!part) return null;
    return { severity: part.severity, title: part.severity === 'ok' ? title : undefined, evidence: part.text };
  },
};

/** The checks of "Snapshot Issues", in report order. */
export const snapshotIssuesRules: readonly CorvoRule[] = [
  reuseRule('corvo.raft.snapshot-missing'),
  snapshotMetric,
  snapshotSettings,
];

export const snapshotIssuesWorkflow: Workflow<CorvoClients> = {
  id: 'snapshot-issues',
  title: 'Corvo Raft snapshots',
  description:
    'Snapshot count, latest index and errors, the snapshot metric (absent ≠ 0), settings, and the disk check.',
  async run(ctx) {
    const obs = await observeCorvo(ctx.clients.corvo, ctx.signal, ['healthz', 'clusterStatus', 'metrics']);
    return diagnose(ctx, {
      obs,
      rules: snapshotIssuesRules,
      notes: [manualSteps.diskCheck, manualSteps.backupRestore, manualSteps.recoverNode],
    });
  },
};
