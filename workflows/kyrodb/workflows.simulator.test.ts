import { afterEach, describe, expect, it } from 'vitest';
import { createKyroClient, KyroInstanceSchema, type KyroClient } from '../../integrations/kyrodb/index.js';
import {
  startKyroSimulator,
  type KyroScenario,
  type KyroSimulator,
  type KyroSimulatorOptions,
} from '../../integrations/kyrodb/simulator/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createReport, type Finding } from '../../src/core/report.js';
import type { Workflow } from '../../src/core/workflow.js';
import type { KyroClients } from '../../integrations/kyrodb/index.js';
import { decideWorkflow } from './decide.js';
import { healthWorkflow } from './health.js';
import { kyrodbWorkflows } from './index.js';
import { latencyWorkflow } from './latency.js';

/**
 * The three workflows over the real HTTP client against the loopback KyroDB simulator, one scenario per runbook
 * symptom: the network edge is faked, nothing of ours is.
 */

const clock = fixedClock(Date.parse('2026-03-26T10:00:00Z'));
const open: { sim: KyroSimulator; client: KyroClient }[] = [];

afterEach(async () => {
  for (const { sim, client } of open.splice(0)) {
    await client.close();
    await sim.close();
  }
});

async function run(
  workflow: Workflow<KyroClients>,
  scenario: KyroScenario,
  options: { sim?: KyroSimulatorOptions; apiKey?: string } = {},
) {
  const sim = await startKyroSimulator({ scenario, clock, ...options.sim });
  const client = createKyroClient(
    KyroInstanceSchema.parse({ url: sim.url, apiKey: options.apiKey, timeoutMs: 2000, writeWindowMs: 30 }),
    { clock },
  );
  open.push({ sim, client });
  const result = await workflow.run({
    target: 'prod',
    clients: { kyrodb: client },
    args: {},
    clock,
    signal: new AbortController().signal,
    logger: silentLogger,
  });
  const report = createReport({
    title: workflow.title,
    system: 'kyrodb',
    target: 'prod',
    workflow: workflow.id,
    summary: result.summary ?? '',
    findings: result.findings,
    invocationId: 'inv-1',
    generatedAt: new Date(clock.now()).toISOString(),
    notes: result.notes,
  });
  const byCode = new Map(result.findings.map((f) => [f.code, f]));
  return { ...report, byCode, sim };
}

const notOk = (findings: readonly Finding[]) => findings.filter((f) => f.severity !== 'ok').map((f) => f.code);

describe('kyrodbWorkflows', () => {
  it('registers health, latency and decide, each with a title and a one-line description', () => {
    expect(kyrodbWorkflows.map((w) => w.id)).toEqual(['health', 'latency', 'decide']);
    for (const w of kyrodbWorkflows) {
      expect(w.title).toMatch(/^KyroDB /);
      expect(w.description.length).toBeGreaterThan(20);
      expect(w.description).not.toContain('\n');
    }
  });
});

describe('health against the simulator', () => {
  it('healthy: no critical, no warning, and the start time comes from the injected clock', async () => {
    const r = await run(healthWorkflow, 'healthy');
    expect(r.verdict).toBe('ok');
    expect(notOk(r.findings)).toEqual([]);
    // 13 checks: no HNSW-corruption check any more (the real server never updates that counter).
    expect(r.summary).toBe('KyroDB prod: healthy; all 13 checks ok');
    expect(r.byCode.get('kyrodb.wal.circuit-breaker')?.title).toBe(
      'Writes succeed: 42 inserts in the last 30 ms, none failed',
    );
    expect(r.byCode.get('kyrodb.health.status')?.evidence).toContain('since 2026-03-25T10:06:28Z');
    expect(r.notes?.[0]).toContain("KyroDB's default HTTP port is 51051");
  });

  it('degraded-latency: the p99 SLO breach as a warning, nothing critical', async () => {
    const r = await run(healthWorkflow, 'degraded-latency');
    expect(r.verdict).toBe('warning');
    expect(notOk(r.findings)).toEqual(['kyrodb.health.status', 'kyrodb.slo.p99-latency']);
    expect(r.byCode.get('kyrodb.slo.p99-latency')?.evidence).toContain('15.23 ms (15,234,000 ns)');
  });

  it('unhealthy-wal: critical with the WAL reason, and the circuit breaker as a manual step', async () => {
    const r = await run(healthWorkflow, 'unhealthy-wal');
    expect(r.verdict).toBe('critical');
    expect(r.summary).toBe('KyroDB prod: unhealthy (WAL inconsistent; writes disabled); 4 critical, 1 warning');
    const status = r.byCode.get('kyrodb.health.status')!;
    expect(status.severity).toBe('critical');
    expect(status.evidence).toContain('"WAL inconsistent; writes disabled"');
    const breaker = r.byCode.get('kyrodb.wal.circuit-breaker')!;
    expect(breaker.severity).toBe('critical');
    expect(breaker.nextStep).toContain('⚠ Manual step, no button: KyroDB has NO reset endpoint');
    // Read from the refused inserts between two scrapes: the real gauge stays 0.
    expect(breaker.evidence).toContain('inserts failed 42 times since the last check 30 ms earlier');
    expect(r.findings.flatMap((f) => f.actions ?? [])).toEqual([]);
    expect(r.findings[0]?.severity).toBe('critical');
  });

  it('cache-thrash: the cache hit-rate SLO breach', async () => {
    const r = await run(healthWorkflow, 'cache-thrash');
    expect(r.byCode.get('kyrodb.slo.cache-hit-rate')).toMatchObject({
      severity: 'warning',
      evidence: 'cache hit rate 35.2 % — SLO ≥ 70 % (/slo)',
    });
    expect(r.verdict).toBe('warning');
  });

  it('starting: not ready yet, SLOs not judged', async () => {
    const r = await run(healthWorkflow, 'starting');
    expect(r.byCode.get('kyrodb.health.status')).toMatchObject({ severity: 'warning', title: 'KyroDB is starting' });
    expect(r.byCode.get('kyrodb.health.ready')?.severity).toBe('warning');
    expect(r.byCode.get('kyrodb.slo.p99-latency')?.title).toBe('P99 latency not judged yet');
    expect(r.verdict).toBe('warning');
  });

  it('training-crashloop: a P2 warning on a healthy server, with the SIGHUP warning', async () => {
    const r = await run(healthWorkflow, 'training-crashloop');
    const f = r.byCode.get('kyrodb.training.crash-loop')!;
    expect(f.severity).toBe('warning');
    expect(f.nextStep).toContain('Runbook severity P2');
    expect(f.nextStep).toContain('SIGHUP TERMINATES THE SERVER');
    expect(r.byCode.get('kyrodb.health.status')?.severity).toBe('ok');
  });

  it('unreachable: one clear inconclusive finding, and the workflow still returns', async () => {
    const r = await run(healthWorkflow, 'unreachable');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ code: 'kyrodb.probe.unreachable', severity: 'inconclusive' });
    expect(r.findings[0]?.evidence).toContain('connection reset by the server');
    expect(r.summary).toBe('KyroDB prod is unreachable');
    expect(r.verdict).toBe('inconclusive');
  });

  it('metrics_and_slo auth without a key: one inconclusive line, /health and /ready still checked', async () => {
    const r = await run(healthWorkflow, 'healthy', { sim: { apiKey: 'k-1', observabilityAuth: 'metrics_and_slo' } });
    expect(r.findings.filter((f) => f.severity === 'inconclusive').map((f) => f.code)).toEqual([
      'kyrodb.probe.unauthorized',
    ]);
    expect(r.byCode.get('kyrodb.health.status')?.severity).toBe('ok');
    expect(r.byCode.get('kyrodb.health.ready')?.severity).toBe('ok');
  });

  it('with the key configured, the same server is fully checked', async () => {
    const r = await run(healthWorkflow, 'healthy', {
      sim: { apiKey: 'k-1', observabilityAuth: 'all' },
      apiKey: 'k-1',
    });
    expect(r.verdict).toBe('ok');
  });
});

describe('latency against the simulator', () => {
  it('healthy: no slow layer', async () => {
    const r = await run(latencyWorkflow, 'healthy');
    expect(notOk(r.findings)).toEqual([]);
    expect(r.summary).toBe('Query p99 latency within SLO; all 4 checks ok');
    expect(r.notes).toContain(
      '• kyrodb_hnsw_latency_p99 → `kyrodb_hnsw_latency_ns` (the P99, ns, no label — of the whole search call, cache hits included: not HNSW alone)',
    );
  });

  it('degraded-latency: does not name a layer it cannot measure, still gives the corrected ef_search fix', async () => {
    const r = await run(latencyWorkflow, 'degraded-latency');
    const f = r.byCode.get('kyrodb.latency.slow-layer')!;
    expect(f.severity).toBe('warning');
    expect(f.title).toBe("P99 over SLO; which layer is slow cannot be told from KyroDB's metrics");
    expect(f.evidence).toContain('kyrodb_hnsw_latency_ns 15.23 ms (whole search call, cache hits included');
    expect(f.nextStep).toContain('`hnsw.ef_search` exists (default 50)');
    expect(r.summary).toBe("P99 over SLO; which layer is slow cannot be told from KyroDB's metrics; 2 warning");
    expect(r.byCode.get('kyrodb.latency.cache-hit-rate')?.severity).toBe('ok');
  });

  it('cache-thrash: low hit rate with cold-tier load, the P3 row, no HNSW blame', async () => {
    const r = await run(latencyWorkflow, 'cache-thrash');
    expect(notOk(r.findings)).toEqual(['kyrodb.latency.cache-hit-rate', 'kyrodb.latency.cold-tier-load']);
    expect(r.byCode.get('kyrodb.latency.cache-hit-rate')?.nextStep).toMatch(/^Runbook severity P3 /);
    expect(r.byCode.get('kyrodb.latency.cold-tier-load')?.evidence).toContain('cold tier (HNSW) 1,150,000 = 62.76 %');
  });

  it('unhealthy-wal, starting and training-crashloop: latency is not the problem', async () => {
    for (const scenario of ['unhealthy-wal', 'starting', 'training-crashloop'] as const) {
      const r = await run(latencyWorkflow, scenario);
      expect({ scenario, notOk: notOk(r.findings) }).toEqual({ scenario, notOk: [] });
    }
  });

  it('unreachable: one inconclusive finding', async () => {
    const r = await run(latencyWorkflow, 'unreachable');
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['kyrodb.probe.unreachable', 'inconclusive']]);
  });
});

describe('decide against the simulator', () => {
  it('healthy: no branch taken', async () => {
    const r = await run(decideWorkflow, 'healthy');
    expect(r.summary).toBe('Server Unhealthy? → no: healthy; no branch of the tree applies');
    expect(r.findings.map((f) => f.code)).toEqual([
      'kyrodb.decide.server-unhealthy',
      'kyrodb.decide.process',
      'kyrodb.decide.slo-breach',
      'kyrodb.decide.circuit-breaker',
      'kyrodb.decide.training-crash',
      'kyrodb.decide.panic',
    ]);
    expect(notOk(r.findings)).toEqual([]);
  });

  it('degraded-latency: SLO breach → P99 latency high', async () => {
    const r = await run(decideWorkflow, 'degraded-latency');
    expect(r.summary).toBe(
      'Server Unhealthy? → yes: degraded (P99 latency 15234000ns exceeds SLO) → Logs show "SLO breach" → P99 latency high',
    );
  });

  it('unhealthy-wal: the circuit-breaker branch, critical, with the manual reset note', async () => {
    const r = await run(decideWorkflow, 'unhealthy-wal');
    const f = r.byCode.get('kyrodb.decide.circuit-breaker')!;
    expect(f.severity).toBe('critical');
    expect(f.nextStep).toContain('NO reset endpoint');
    expect(r.summary).toContain(
      'Logs show "circuit breaker open" → yes: WAL inconsistent, writes disabled (KyroDB does not export its breaker state; inserts failed 42 times in the last 30 ms and none succeeded',
    );
    expect(r.notes?.some((n) => n.startsWith('Logs show "circuit breaker open" → yes: WAL inconsistent'))).toBe(true);
  });

  it('cache-thrash: SLO breach → Cache hit rate low → Increase cache capacity', async () => {
    const r = await run(decideWorkflow, 'cache-thrash');
    expect(r.byCode.get('kyrodb.decide.slo-breach')?.title).toBe('Logs show "SLO breach" → Cache hit rate low');
    expect(r.byCode.get('kyrodb.decide.slo-breach')?.evidence).toContain('Increase cache capacity');
  });

  it('starting: Check process → still starting', async () => {
    const r = await run(decideWorkflow, 'starting');
    expect(r.byCode.get('kyrodb.decide.process')?.title).toBe('Check process → Running, still starting (up 4 s)');
  });

  it('training-crashloop: a healthy server, but the training-crash branch', async () => {
    const r = await run(decideWorkflow, 'training-crashloop');
    expect(r.summary).toBe(
      'Server Unhealthy? → no: healthy → Logs show "training crash" → yes: 7 crashes, 7 restarts → report bug',
    );
  });

  it('unreachable: one inconclusive finding naming the Check-process branch', async () => {
    const r = await run(decideWorkflow, 'unreachable');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]?.severity).toBe('inconclusive');
    // Not "Start server": a refused or dropped connection is also what a recovering KyroDB looks like.
    expect(r.summary).toBe(
      'KyroDB prod is unreachable — decision tree: Check process → running but recovering (wait), or not running (start it)? `systemctl status kyrodb` tells',
    );
  });
});

describe('diagnostics are read-only', () => {
  it('every workflow only GETs the four observability endpoints', async () => {
    for (const workflow of kyrodbWorkflows) {
      const r = await run(workflow, 'unhealthy-wal');
      const paths = new Set(r.sim.requests.map((q) => `${q.method} ${q.path}`));
      expect([...paths].sort()).toEqual(['GET /health', 'GET /metrics', 'GET /ready', 'GET /slo']);
    }
  });
});
