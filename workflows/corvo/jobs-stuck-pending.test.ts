import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { SIM_T0, applyFix, createSimulatorHarness, runOn } from '../../test/support/corvo/simulator-harness.js';
import { jobsStuckPendingWorkflow } from './jobs-stuck-pending.js';

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

const emails = { args: { queue: 'emails' } };

describe('jobs-stuck-pending against the Corvo simulator', () => {
  it('queue-paused: offers resume, unlimit and unthrottle for the queue, each backed by its evidence', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'queue-paused', emails);
    const actions = r.findings.flatMap((f) => (f.actions ?? []).map((a) => ({ code: f.code, ...a })));
    expect(actions).toEqual([
      {
        code: 'corvo.queue.paused',
        remediation: 'resume',
        label: 'Resume emails',
        params: { queue: 'emails' },
        level: 'confirm',
        destructive: false,
      },
      {
        code: 'corvo.queue.concurrency-limit',
        remediation: 'unlimit',
        label: 'Unlimit emails',
        params: { queue: 'emails' },
        level: 'confirm',
        destructive: false,
      },
      {
        code: 'corvo.queue.throttle',
        remediation: 'unthrottle',
        label: 'Unthrottle emails',
        params: { queue: 'emails' },
        level: 'confirm',
        destructive: false,
      },
    ]);
    expect(r.byCode.get('corvo.queue.paused')?.title).toBe('Queue emails is paused with 4,312 jobs pending');
    expect(r.byCode.get('corvo.queue.concurrency-limit')?.evidence).toContain(
      'max_concurrency 1: 0 active, 4,312 pending — at least 100× the limit is pending',
    );
    expect(r.byCode.get('corvo.queue.throttle')?.evidence).toBe(
      'emails throttle 10 jobs per 1 min (0.17/s): 4,312 pending take at least 7 h 11 min at that rate — too ' +
        'restrictive above 5 min',
    );
    expect(r.byCode.get('corvo.queue.backlog')?.severity).toBe('warning');
    expect(r.summary).toBe(
      'Leader node-1, 3 nodes; queue emails: 4,312 pending, 0 active, paused, max_concurrency 1; 4 warning',
    );
    expect(r.sim.calls).toEqual([]);
  });

  it('after the three offered fixes run, the same check finds nothing to fix', async () => {
    const first = await harness.run(jobsStuckPendingWorkflow, 'queue-paused', emails);
    for (const action of first.findings.flatMap((f) => f.actions ?? [])) {
      await applyFix(action.remediation, action.params, first.client);
    }
    const again = await runOn(jobsStuckPendingWorkflow, first.sim, first.client, fixedClock(SIM_T0), emails.args);
    expect(again.findings.flatMap((f) => f.actions ?? [])).toEqual([]);
    for (const code of ['corvo.queue.paused', 'corvo.queue.concurrency-limit', 'corvo.queue.throttle']) {
      expect({ code, severity: again.byCode.get(code)?.severity }).toEqual({ code, severity: 'ok' });
    }
    expect(again.byCode.get('corvo.queue.throttle')?.title).toBe('No rate limit on emails');
  });

  it('healthy emails: the saturated concurrency limit is the one lead, workers and leader are fine', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'healthy', emails);
    expect(r.findings.filter((f) => f.severity !== 'ok').map((f) => f.code)).toEqual(['corvo.queue.concurrency-limit']);
    expect(r.byCode.get('corvo.queue.concurrency-limit')?.evidence).toContain(
      '5 active, 1,280 pending — the limit is reached',
    );
    expect(r.byCode.get('corvo.queue.workers')?.title).toBe('3 live workers serve emails');
    expect(r.byCode.get('corvo.queue.workers')?.evidence).toContain('silent: wkr-emails-5e21@worker-5 41 min ago');
    expect(r.byCode.get('corvo.queue.leader')?.title).toBe('Workers must fetch from the leader node-1');
    expect(r.byCode.get('corvo.queue.leader')?.evidence).toContain('NOT_LEADER');
    expect(r.byCode.get('corvo.apply.pressure')?.severity).toBe('ok');
  });

  it('a paused queue with nothing pending holds nothing up: no resume offered', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'healthy', { args: { queue: 'webhooks' } });
    expect(r.byCode.get('corvo.queue.paused')).toMatchObject({
      severity: 'ok',
      title: 'Queue webhooks is paused, with nothing pending',
    });
    expect(r.byCode.get('corvo.queue.throttle')?.severity).toBe('ok');
    expect(r.byCode.get('corvo.queue.backlog')?.title).toBe('No job pending in webhooks');
    expect(r.findings.flatMap((f) => f.actions ?? [])).toEqual([]);
  });

  it('an unknown queue: one clear finding listing the known queues, no per-queue checks', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'healthy', { args: { queue: 'Emails' } });
    const f = r.byCode.get('corvo.queue.unknown');
    expect(f).toMatchObject({ severity: 'warning', title: 'No queue named "Emails"' });
    expect(f?.evidence).toBe('GET /api/v1/queues lists 2 queues: emails, webhooks — did you mean emails?');
    for (const code of ['corvo.queue.paused', 'corvo.queue.workers', 'corvo.queue.backlog']) {
      expect(r.byCode.has(code)).toBe(false);
    }
  });

  it('no live worker for the queue is critical (the injected clock ages every heartbeat)', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'healthy', {
      ...emails,
      workflowClock: fixedClock(SIM_T0 + 10 * 60_000),
    });
    const f = r.byCode.get('corvo.queue.workers');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence).toMatch(/^0 workers subscribed to emails heartbeated within 1 min; silent:/);
    expect(f?.nextStep).toContain('NOT_LEADER');
  });

  it('no-leader: workers cannot fetch', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'no-leader', emails);
    expect(r.byCode.get('corvo.queue.leader')).toMatchObject({
      severity: 'critical',
      evidence: 'no known leader (this node is Candidate)',
    });
  });

  it('apply-overloaded: apply pressure is part of the diagnosis', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'apply-overloaded', emails);
    expect(r.byCode.get('corvo.apply.pressure')?.severity).toBe('critical');
  });

  it('unreachable: one inconclusive finding', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'unreachable', emails);
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['corvo.probe.unreachable', 'inconclusive']]);
  });

  it('says the HasPendingJobs cache cannot explain a long wait', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'healthy', emails);
    expect(r.notes?.join('\n')).toContain('50 ms');
  });
});
