import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/target-error.js';
import { applyOverloadedWorkflow } from './apply-overloaded.js';
import { NOW, createFakeCorvoClient, leaderMetricsText, setMetric } from '../../test/support/corvo/observations.js';
import { contextFor, createSimulatorHarness } from '../../test/support/corvo/simulator-harness.js';

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

describe('apply-overloaded against the Corvo simulator', () => {
  it('apply-overloaded: pending vs max, the overloads, queue time and fetch overloads, each against its threshold', async () => {
    const r = await harness.run(applyOverloadedWorkflow, 'apply-overloaded');
    expect(r.byCode.get('corvo.apply.pressure')).toMatchObject({
      severity: 'critical',
      evidence: 'apply queue 14,210 / 16,384 pending — normal is < 1,000; 86 % of max, critical from 80 %',
    });
    const overload = r.byCode.get('corvo.apply.overload');
    expect(overload?.severity).toBe('warning');
    expect(overload?.evidence).toMatch(/^[\d,]+ apply-queue-full rejections since process start — should be 0/);
    expect(overload?.runbookCorrection).toContain('not a server log line');
    expect(r.byCode.get('corvo.apply.queue-time-p99')?.evidence).toMatch(
      /^apply queue-time p99 177.5 ms .* threshold 50 ms/,
    );
    expect(r.byCode.get('corvo.apply.fetch-overload')).toMatchObject({
      severity: 'warning',
      evidence:
        '912 per-queue fetch rejections since process start, 0.038 % of 2,412,880 applied ops — warning from 0.01 %',
    });
    expect(r.verdict).toBe('critical');
    expect(r.sim.calls).toEqual([]);
  });

  it('lists the runbook mitigations with the current settings, and that clients must honour retry_after_ms', async () => {
    const r = await harness.run(applyOverloadedWorkflow, 'apply-overloaded');
    const [mitigations, retry] = r.notes ?? [];
    for (const flag of ['--raft-max-pending', '--raft-shards N', '--raft-store', '--raft-max-fetch-inflight']) {
      expect(mitigations).toContain(flag);
    }
    expect(mitigations).toContain('(default 16384; now 16,384)');
    expect(mitigations).toContain('usually fastest; now badger');
    expect(retry).toContain('retry_after_ms');
    expect(r.byCode.get('corvo.apply.pressure')?.nextStep).toContain('honour `retry_after_ms`');
  });

  it('healthy: every check ok, a handful of fetch overloads is no warning', async () => {
    const r = await harness.run(applyOverloadedWorkflow, 'healthy');
    expect(r.verdict).toBe('ok');
    expect(r.byCode.get('corvo.apply.fetch-overload')?.evidence).toMatch(/^4 per-queue fetch rejections .* 0\.000 %/);
    expect(r.byCode.get('corvo.apply.overload')?.runbookCorrection).toBeUndefined();
  });

  it('multi-raft: the apply queue per shard despite the <nil> exposition, and the shard count in the notes', async () => {
    const r = await harness.run(applyOverloadedWorkflow, 'multi-raft');
    expect(r.byCode.get('corvo.apply.pressure')?.evidence).toBe(
      'shard 0: apply queue 37 / 16,384 pending — normal is < 1,000; shard 1: apply queue 12 / 16,384 pending — normal is < 1,000',
    );
    expect(r.byCode.get('corvo.metrics.invalid-exposition')?.severity).toBe('warning');
    expect(r.notes?.[0]).toContain('(default 1; now 2;');
  });

  it('unreachable: one inconclusive finding', async () => {
    const r = await harness.run(applyOverloadedWorkflow, 'unreachable');
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['corvo.probe.unreachable', 'inconclusive']]);
  });

  it('reads the fetch overloads from the metrics when the cluster status fails', async () => {
    const down = new TargetError('timeout', 'GET /api/v1/cluster/status timed out after 5000 ms');
    const text = setMetric(leaderMetricsText(), 'corvo_raft_fetch_overload_total', '500');
    const { client } = createFakeCorvoClient({ clusterStatus: down, metricsText: text });
    const r = await applyOverloadedWorkflow.run(contextFor(client, fixedClock(NOW)));
    expect(r.findings.find((f) => f.code === 'corvo.apply.fetch-overload')?.evidence).toBe(
      '500 per-queue fetch rejections since process start, 0.026 % of 1,904,231 applied ops — warning from 0.01 %',
    );
    expect(r.findings.find((f) => f.code === 'corvo.probe.cluster-status')?.severity).toBe('inconclusive');
  });
});
