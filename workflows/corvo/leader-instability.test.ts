import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import {
  NOW,
  createFakeCorvoClient,
  leaderMetricsText,
  leaderStatus,
  setMetric,
} from '../../test/support/corvo/observations.js';
import { contextFor, createSimulatorHarness } from '../../test/support/corvo/simulator-harness.js';
import { leaderInstabilityWorkflow } from './leader-instability.js';

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

describe('leader-instability', () => {
  it('healthy: state, voters and commit/applied from one consistent read', async () => {
    const r = await harness.run(leaderInstabilityWorkflow, 'healthy');
    expect(r.verdict).toBe('ok');
    expect(r.byCode.get('corvo.raft.state')).toMatchObject({
      title: 'Raft state Leader',
      evidence:
        'cluster status Leader, /healthz Leader, corvo_raft_state 2 (Leader) — expected Leader or Follower, the same in every source',
    });
    expect(r.byCode.get('corvo.raft.voters')).toMatchObject({
      title: 'Raft voters: 3 voters, quorum 2, tolerates 1 down',
      evidence:
        '3 voters: node-1 10.0.0.11:9000 (leader, probed), node-2 10.0.0.12:9000, node-3 10.0.0.13:9000; quorum 2, tolerates 1 node down',
    });
    expect(r.byCode.get('corvo.raft.replication-lag')?.evidence).toContain('= lag 2');
  });

  it('no-leader: critical, the node is a Candidate', async () => {
    const r = await harness.run(leaderInstabilityWorkflow, 'no-leader');
    expect(r.byCode.get('corvo.raft.no-leader')?.severity).toBe('critical');
    expect(r.byCode.get('corvo.raft.state')).toMatchObject({
      severity: 'warning',
      title: 'This node is a Candidate: an election is under way',
    });
  });

  it('says one scrape cannot see flapping, with the runbook causes, and the manual steps as notes', async () => {
    const r = await harness.run(leaderInstabilityWorkflow, 'healthy');
    const [flapping, kill, recover] = r.notes ?? [];
    expect(flapping).toMatch(/^One scrape cannot see flapping: run `\/corvo leader-instability` again/);
    for (const cause of ['network partitions', '--raft-bind', 'overloaded', '--durable']) {
      expect(flapping).toContain(cause);
    }
    expect(kill).toContain('kill -9 <pid>');
    expect(recover).toContain('--bootstrap=false --join');
    expect(r.findings.flatMap((f) => f.actions ?? [])).toEqual([]);
  });

  it('multi-raft: corvo_raft_state 0 is not read as a follower, and the correction says why', async () => {
    const r = await harness.run(leaderInstabilityWorkflow, 'multi-raft');
    const f = r.byCode.get('corvo.raft.state');
    expect(f?.severity).toBe('ok');
    expect(f?.evidence).toContain('corvo_raft_state is not compared: multi-raft prints 0 on every node');
    expect(f?.runbookCorrection).toContain('`corvo_raft_state` prints 0');
    expect(r.byCode.get('corvo.metrics.invalid-exposition')?.severity).toBe('warning');
  });

  it('warns when two reads taken together disagree on the state', async () => {
    const { client } = createFakeCorvoClient({
      metricsText: setMetric(leaderMetricsText(), 'corvo_raft_state', '0'),
    });
    const r = await leaderInstabilityWorkflow.run(contextFor(client, fixedClock(NOW)));
    expect(r.findings.find((f) => f.code === 'corvo.raft.state')).toMatchObject({
      severity: 'warning',
      title: 'Raft state changed between reads (Leader vs Follower)',
    });
  });

  it('warns about an even number of voters', async () => {
    const status = leaderStatus();
    const nodes = [...(status.nodes ?? []), { id: 'node-4', address: '10.0.0.14:9000', voter: true }];
    const { client } = createFakeCorvoClient({ clusterStatus: { ...status, nodes } });
    const r = await leaderInstabilityWorkflow.run(contextFor(client, fixedClock(NOW)));
    const f = r.findings.find((x) => x.code === 'corvo.raft.voters');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toContain('4 voters');
    expect(f?.evidence).toContain('quorum 3, tolerates 1 node down — an even number of voters adds no fault tolerance');
  });

  it('unreachable: one inconclusive finding', async () => {
    const r = await harness.run(leaderInstabilityWorkflow, 'unreachable');
    expect(r.findings.map((f) => f.code)).toEqual(['corvo.probe.unreachable']);
  });
});
