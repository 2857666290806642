import { afterEach, describe, expect, it } from 'vitest';
import { createCorvoClient, CorvoInstanceSchema, type CorvoClient } from '../../integrations/corvo/index.js';
import {
  startCorvoSimulator,
  type CorvoScenario,
  type CorvoSimulator,
} from '../../integrations/corvo/simulator/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { worstSeverity, type Finding } from '../../src/core/report.js';
import { healthWorkflow } from './health.js';

/**
 * The health workflow over the real HTTP client against the loopback Corvo simulator (integrations/corvo), one
 * scenario per runbook symptom: the network edge is faked, nothing of ours is.
 */

const clock = fixedClock(Date.parse('2026-02-21T10:15:05Z'));
const open: { sim: CorvoSimulator; client: CorvoClient }[] = [];

afterEach(async () => {
  for (const { sim, client } of open.splice(0)) {
    await client.close();
    await sim.close();
  }
});

async function check(scenario: CorvoScenario, keys: { server?: string; bot?: string } = {}) {
  const sim = await startCorvoSimulator({ scenario, clock, apiKey: keys.server });
  const client = createCorvoClient(CorvoInstanceSchema.parse({ url: sim.url, apiKey: keys.bot }), {
    clock,
    timeoutMs: 5000,
  });
  open.push({ sim, client });
  const result = await healthWorkflow.run({
    target: 'prod',
    clients: { corvo: client },
    args: {},
    clock,
    signal: new AbortController().signal,
    logger: silentLogger,
  });
  const byCode = new Map(result.findings.map((f) => [f.code, f]));
  return { ...result, byCode, verdict: worstSeverity(result.findings), sim };
}

const severityOf = (byCode: Map<string, Finding>, code: string) => byCode.get(code)?.severity;

describe('healthWorkflow against the Corvo simulator', () => {
  it('healthy: every check ok, and no mutating call', async () => {
    const r = await check('healthy');
    expect(r.findings.filter((f) => f.severity !== 'ok')).toEqual([]);
    expect(r.summary).toMatch(/^Leader node-1, 3 nodes; all \d+ checks ok$/);
    expect(r.sim.calls).toEqual([]);
  });

  it('sqlite-diverged: critical with the rebuild action', async () => {
    const r = await check('sqlite-diverged');
    const f = r.byCode.get('corvo.sqlite.mirror-dropped');
    expect(f?.severity).toBe('critical');
    expect(f?.actions?.map((a) => a.remediation)).toEqual(['rebuild-sqlite']);
    expect(r.verdict).toBe('critical');
  });

  it('apply-overloaded: pressure critical, overloads and queue time flagged', async () => {
    const r = await check('apply-overloaded');
    expect(severityOf(r.byCode, 'corvo.apply.pressure')).toBe('critical');
    expect(r.byCode.get('corvo.apply.pressure')?.evidence).toMatch(/^apply queue [\d,]+ \/ 16,384 pending/);
    expect(severityOf(r.byCode, 'corvo.apply.overload')).toBe('warning');
    expect(severityOf(r.byCode, 'corvo.apply.queue-time-p99')).toBe('warning');
  });

  it('no-leader: critical, and no scheduler false alarm on the leaderless node', async () => {
    const r = await check('no-leader');
    expect(severityOf(r.byCode, 'corvo.raft.no-leader')).toBe('critical');
    expect(r.byCode.get('corvo.scheduler.stalled')?.title).toBe('Scheduler not checked: this node is not the leader');
    expect(r.summary).toMatch(/^No known leader, 3 nodes; 1 critical/);
  });

  it('scheduler-stalled: critical on the leader', async () => {
    const r = await check('scheduler-stalled');
    expect(severityOf(r.byCode, 'corvo.scheduler.stalled')).toBe('critical');
  });

  it('jobs-stuck-active: reclaim stalled, with the corrected fix (cancel, not retry)', async () => {
    const r = await check('jobs-stuck-active');
    const f = r.byCode.get('corvo.scheduler.stalled');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence).toContain('last reclaim');
    expect(f?.runbookCorrection).toContain('RETRY_ERROR');
  });

  it('queue-paused: warning with a resume button for the queue that holds jobs', async () => {
    const r = await check('queue-paused');
    const f = r.byCode.get('corvo.queues.paused');
    expect(f?.severity).toBe('warning');
    expect(f?.actions?.map((a) => a.params.queue)).toEqual(['emails']);
  });

  it('multi-raft: the <nil> exposition is explained, nothing crashes, groups are evaluated', async () => {
    const r = await check('multi-raft');
    expect(severityOf(r.byCode, 'corvo.metrics.invalid-exposition')).toBe('warning');
    expect(r.byCode.get('corvo.apply.pressure')?.evidence).toContain('shard 1: apply queue');
    expect(r.verdict).toBe('warning');
  });

  it('unreachable: one inconclusive line', async () => {
    const r = await check('unreachable');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ code: 'corvo.probe.unreachable', severity: 'inconclusive' });
    expect(r.summary).toBe('Corvo prod is unreachable');
  });

  it('a wrong API key: one inconclusive line for the authenticated probes, /healthz still checked', async () => {
    const r = await check('healthy', { server: 'right-key', bot: 'wrong-key' });
    expect(r.findings.filter((f) => f.severity === 'inconclusive').map((f) => f.code)).toEqual([
      'corvo.probe.unauthorized',
    ]);
    expect(r.byCode.get('corvo.probe.unauthorized')?.evidence).toContain('401');
    expect(severityOf(r.byCode, 'corvo.raft.no-leader')).toBe('ok');
  });
});
