import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { NOW, createFakeCorvoClient, leaderStatus } from '../../test/support/corvo/observations.js';
import { contextFor, createSimulatorHarness } from '../../test/support/corvo/simulator-harness.js';
import { snapshotIssuesWorkflow } from './snapshot-issues.js';

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

describe('snapshot-issues', () => {
  it('healthy: snapshots present, the metric matches the status, settings shown', async () => {
    const r = await harness.run(snapshotIssuesWorkflow, 'healthy');
    expect(r.verdict).toBe('ok');
    expect(r.byCode.get('corvo.raft.snapshot-missing')?.evidence).toBe('2 snapshots, latest at index 480,001');
    expect(r.byCode.get('corvo.snapshot.metric')?.title).toBe('corvo_raft_snapshot_latest_index 480,001');
    expect(r.byCode.get('corvo.snapshot.settings')).toMatchObject({
      title: 'Snapshot every 4,096 entries, checked every 1m0s',
      evidence:
        'snapshot_threshold 4,096 entries, snapshot_interval 1m0s; 2,132 entries applied since the latest snapshot ' +
        "(index 480,001) — warning from 1,000,000 (the runbook's benchmark setting)",
    });
  });

  it('no snapshot: a warning, and the metric is absent rather than 0 (the runbook correction)', async () => {
    const r = await harness.run(snapshotIssuesWorkflow, 'no-leader');
    const missing = r.byCode.get('corvo.raft.snapshot-missing');
    expect(missing?.severity).toBe('warning');
    expect(missing?.evidence).toContain('no snapshot although applied index 482,133 ≥ snapshot_threshold 4,096');
    const metric = r.byCode.get('corvo.snapshot.metric');
    expect(metric?.title).toBe('corvo_raft_snapshot_latest_index is absent, not 0');
    expect(metric?.evidence).toContain('cluster status: 0 snapshots');
    expect(metric?.runbookCorrection).toContain('omits the metric entirely');
  });

  it('the disk check and the other host steps are manual notes, with the corrected backup', async () => {
    const r = await harness.run(snapshotIssuesWorkflow, 'healthy');
    const [disk, backup, recover] = r.notes ?? [];
    expect(disk).toContain('`df -h <data-dir>`');
    expect(backup).toContain('a JSON document, not a tar.gz');
    expect(backup).toContain('new ids');
    expect(backup).toContain('does not restore queue settings');
    expect(recover).toContain('Deleting `data/`');
    expect(r.findings.flatMap((f) => f.actions ?? [])).toEqual([]);
  });

  it('multi-raft: the metric is dropped whatever the snapshots; the status is read per shard', async () => {
    const r = await harness.run(snapshotIssuesWorkflow, 'multi-raft');
    expect(r.byCode.get('corvo.snapshot.metric')?.runbookCorrection).toContain('--raft-shards > 1');
    expect(r.byCode.get('corvo.raft.snapshot-missing')?.evidence).toBe(
      'shard 0: 2 snapshots, latest at index 480,001; shard 1: 1 snapshot, latest at index 376,001',
    );
  });

  it('warns when the benchmark snapshot threshold is left on', async () => {
    const { client } = createFakeCorvoClient({ clusterStatus: { ...leaderStatus(), snapshot_threshold: 1_000_000 } });
    const r = await snapshotIssuesWorkflow.run(contextFor(client, fixedClock(NOW)));
    const f = r.findings.find((x) => x.code === 'corvo.snapshot.settings');
    expect(f?.severity).toBe('warning');
    expect(f?.nextStep).toContain('default 4096');
  });

  it('unreachable: one inconclusive finding', async () => {
    const r = await harness.run(snapshotIssuesWorkflow, 'unreachable');
    expect(r.findings.map((f) => f.code)).toEqual(['corvo.probe.unreachable']);
  });
});
