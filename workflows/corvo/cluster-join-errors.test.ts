import { afterEach, describe, expect, it } from 'vitest';
import { clusterJoinErrorsWorkflow } from './cluster-join-errors.js';
import { createSimulatorHarness } from '../../test/support/corvo/simulator-harness.js';

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

describe('cluster-join-errors', () => {
  it('single raft: current members, SHARD_COUNT_MISMATCH cannot come from this leader, nothing joined', async () => {
    const r = await harness.run(clusterJoinErrorsWorkflow, 'healthy');
    expect(r.byCode.get('corvo.join.members')).toMatchObject({
      severity: 'ok',
      title: '3 nodes, single raft (--raft-shards 1), leader node-1',
    });
    expect(r.byCode.get('corvo.join.members')?.evidence).toContain(
      'leader node-1; 3 nodes: node-1 10.0.0.11:9000, node-2 10.0.0.12:9000, node-3 10.0.0.13:9000',
    );
    const codes = r.byCode.get('corvo.join.error-codes');
    expect(codes?.title).toBe('SHARD_COUNT_MISMATCH cannot come from this single-raft leader');
    expect(codes?.evidence).toContain('400 JOIN_ERROR');
    expect(codes?.runbookCorrection).toContain('only a multi-raft leader');
    expect(codes?.runbookCorrection).toContain('gets 401 (inferred from the code)');
    // Never executed: no join (or any other write) reached Corvo.
    expect(r.sim.calls).toEqual([]);
  });

  it('the manual join is a note with the API key the runbook leaves out, never a button', async () => {
    const r = await harness.run(clusterJoinErrorsWorkflow, 'healthy');
    expect(r.notes?.[0]).toContain("-H 'X-API-Key: <key>'");
    expect(r.notes?.[0]).toContain('/api/v1/cluster/join');
    expect(r.notes?.[0]).toContain('the bot never runs it');
    expect(r.findings.flatMap((f) => f.actions ?? [])).toEqual([]);
  });

  it('multi-raft: a joining node must run the leader’s shard count', async () => {
    const r = await harness.run(clusterJoinErrorsWorkflow, 'multi-raft');
    expect(r.byCode.get('corvo.join.error-codes')?.title).toBe(
      'A joining node must run --raft-shards 2 (else 409 SHARD_COUNT_MISMATCH)',
    );
    expect(r.byCode.get('corvo.join.members')?.title).toBe('3 nodes, multi-raft, 2 shards, leader node-1');
  });

  it('no-leader: nobody can accept a join', async () => {
    const r = await harness.run(clusterJoinErrorsWorkflow, 'no-leader');
    const f = r.byCode.get('corvo.join.members');
    expect(f?.severity).toBe('critical');
    expect(f?.nextStep).toContain('503 LEADER_UNAVAILABLE');
  });

  it('unreachable: one inconclusive finding', async () => {
    const r = await harness.run(clusterJoinErrorsWorkflow, 'unreachable');
    expect(r.findings.map((f) => f.code)).toEqual(['corvo.probe.unreachable']);
    expect(r.findings[0]?.evidence).toMatch(/\(all 2 probes failed\)$/);
  });
});
