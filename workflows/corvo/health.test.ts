import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createReport } from '../../src/core/report.js';
import { TargetError } from '../../src/core/target-error.js';
import type { WorkflowContext } from '../../src/core/workflow.js';
import type { CorvoClients } from '../../integrations/corvo/index.js';
import {
  NOW,
  createFakeCorvoClient,
  followerObservations,
  leaderMetricsText,
  leaderStatus,
  sampleQueues,
  setMetric,
  type FakeAnswers,
} from '../../test/support/corvo/observations.js';
import { describeCluster } from './diagnose.js';
import { healthWorkflow } from './health.js';
import { corvoWorkflows } from './index.js';
import { corvoRules } from './rules/index.js';

function context(answers: FakeAnswers = {}, now = NOW): WorkflowContext<CorvoClients> {
  const { client } = createFakeCorvoClient(answers);
  return {
    target: 'prod',
    clients: { corvo: client },
    args: {},
    clock: fixedClock(now),
    signal: new AbortController().signal,
    logger: silentLogger,
  };
}

async function report(answers: FakeAnswers = {}, now = NOW) {
  const result = await healthWorkflow.run(context(answers, now));
  return createReport({
    title: healthWorkflow.title,
    system: 'corvo',
    target: 'prod',
    workflow: healthWorkflow.id,
    summary: result.summary ?? '',
    findings: result.findings,
    invocationId: 'inv-1',
    generatedAt: new Date(now).toISOString(),
  });
}

describe('healthWorkflow', () => {
  it('is registered as `health`', () => {
    expect(corvoWorkflows).toContain(healthWorkflow);
    expect(healthWorkflow).toMatchObject({ id: 'health', title: 'Corvo health' });
  });

  it('reports a healthy leader as ok, one finding per rule', async () => {
    const r = await report();
    expect(r.verdict).toBe('ok');
    expect(r.summary).toBe(`Leader node-1, 3 nodes; all ${corvoRules.length} checks ok`);
    expect(r.findings).toHaveLength(corvoRules.length);
  });

  it('puts a diverged SQLite mirror first, with the rebuild action, and counts severities in the summary', async () => {
    const r = await report({
      clusterStatus: { ...leaderStatus(), sqlite_mirror: { ...leaderStatus().sqlite_mirror!, dropped: 412 } },
      metricsText: setMetric(leaderMetricsText(), 'corvo_sqlite_mirror_dropped_total', '412'),
      queues: sampleQueues().map((q) => (q.name === 'emails' ? { ...q, paused: true } : q)),
    });
    expect(r.verdict).toBe('critical');
    expect(r.summary).toBe('Leader node-1, 3 nodes; 1 critical, 1 warning');
    expect(r.findings.map((f) => [f.code, f.severity]).slice(0, 2)).toEqual([
      ['corvo.sqlite.mirror-dropped', 'critical'],
      ['corvo.queues.paused', 'warning'],
    ]);
    expect(r.findings[0]?.actions?.[0]?.remediation).toBe('rebuild-sqlite');
    expect(r.findings[1]?.actions?.[0]?.params).toEqual({ queue: 'emails' });
  });

  it('uses the injected clock: the same scrape is a stalled scheduler a minute later', async () => {
    const r = await report({}, NOW + 60_000);
    const stalled = r.findings.find((f) => f.code === 'corvo.scheduler.stalled');
    expect(stalled?.severity).toBe('critical');
    // The only worker's heartbeat is now 63 s old while 1,280 jobs are pending.
    expect(r.findings.find((f) => f.code === 'corvo.workers.stale-heartbeat')?.severity).toBe('critical');
    expect(r.summary).toBe('Leader node-1, 3 nodes; 2 critical');
  });

  it('still produces a report with a single inconclusive line when Corvo is unreachable', async () => {
    const refused = (e: string) => new TargetError('unreachable', `${e} failed: connection refused (10.0.0.11:8080)`);
    const r = await report({
      healthz: refused('GET /healthz'),
      clusterStatus: refused('GET /api/v1/cluster/status'),
      metricsText: refused('GET /api/v1/metrics'),
      queues: refused('GET /api/v1/queues'),
      workers: refused('GET /api/v1/workers'),
    });
    expect(r.verdict).toBe('inconclusive');
    expect(r.summary).toBe('Corvo prod is unreachable');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]?.evidence).toBe(
      'GET /healthz failed: connection refused (10.0.0.11:8080) (all 5 probes failed)',
    );
  });

  it('reports a rejected API key once and still evaluates /healthz', async () => {
    const unauthorized = (e: string) =>
      new TargetError('unauthorized', `${e}: Corvo rejected the API key (401 invalid API key)`, { status: 401 });
    const r = await report({
      clusterStatus: unauthorized('GET /api/v1/cluster/status'),
      metricsText: unauthorized('GET /api/v1/metrics'),
      queues: unauthorized('GET /api/v1/queues'),
      workers: unauthorized('GET /api/v1/workers'),
    });
    expect(r.verdict).toBe('inconclusive');
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([
      ['corvo.probe.unauthorized', 'inconclusive'],
      ['corvo.health.unhealthy', 'ok'],
      ['corvo.raft.no-leader', 'ok'],
    ]);
    expect(r.summary).toBe('This node is the leader; 1 inconclusive');
  });

  it('summarises a follower view with the leader it follows', () => {
    expect(describeCluster(followerObservations())).toBe('Leader node-1 (via follower node-2), 3 nodes');
  });
});
