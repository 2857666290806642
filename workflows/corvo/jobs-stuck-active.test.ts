import { afterEach, describe, expect, it } from 'vitest';
import type { Job, JobSummary } from '../../integrations/corvo/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/target-error.js';
import { createFakeCorvoClient } from '../../test/support/corvo/observations.js';
import { SIM_T0, applyFix, contextFor, createSimulatorHarness } from '../../test/support/corvo/simulator-harness.js';
import { jobsStuckActiveWorkflow } from './jobs-stuck-active.js';

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

const MINUTE = 60_000;

describe('jobs-stuck-active against the Corvo simulator', () => {
  it('jobs-stuck-active: expired leases are critical, each with a cancel offer and no retry offer', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'jobs-stuck-active');
    const f = r.byCode.get('corvo.jobs.expired-lease');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('3 active jobs with an expired lease are not reclaimed');
    expect(f?.evidence).toContain('checked all 5 active jobs');
    expect(f?.evidence).toContain('worker wkr-emails-5e21, lease expired 7 min 40 s ago');

    // The three jobs the dead worker held, oldest lease first.
    const ids = ['a4', 'a3', 'a2'].map((suffix) => `job_1896c3a2f1e0b7d4000000${'00'}${suffix}`);
    expect(f?.actions).toEqual(
      ids.map((id) => ({
        remediation: 'cancel',
        label: `Cancel job_…${id.slice(-10)}`,
        params: { 'job-id': id },
        level: 'confirm',
        destructive: false,
      })),
    );
    const offered = r.findings.flatMap((x) => x.actions ?? []).map((a) => a.remediation);
    expect(offered).not.toContain('retry');
    expect(f?.runbookCorrection).toContain('400 RETRY_ERROR');
    expect(f?.runbookCorrection).toContain('no `lease_expires_at`');
    expect(f?.section).toBe('Common Issues › Jobs Stuck Active (Not Being Processed)');
    expect(r.summary).toBe('Leader node-1, 3 nodes; 5 active jobs, 3 with an expired lease; 2 critical, 1 warning');
    expect(r.sim.calls).toEqual([]);
  });

  it('reports the reclaim scheduler against the runbook’s 2 s and the owning worker’s silence', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'jobs-stuck-active');
    const reclaim = r.byCode.get('corvo.scheduler.reclaim');
    expect(reclaim?.severity).toBe('critical');
    expect(reclaim?.evidence).toBe(
      'last reclaim 6 min ago — the runbook expects within 2 s (Corvo reports whole seconds, so the bot allows 1 s ' +
        'for the rounding; Corvo defers it up to 10 s under load); ' +
        '23 reclaim errors since process start — should be 0',
    );
    expect(reclaim?.nextStep).toContain('"reclaim expired leases"');
    const owner = r.byCode.get('corvo.jobs.owner-heartbeat');
    expect(owner?.severity).toBe('warning');
    expect(owner?.evidence).toBe(
      'wkr-emails-5e21@worker-5 holds 3 expired jobs, last heartbeat 7 min ago — a live worker heartbeats within 1 min',
    );
    expect(r.notes?.[0]).toContain('kill -TERM <pid>');
  });

  it('the offered cancel works on a stuck job, where the runbook’s retry is refused', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'jobs-stuck-active');
    const [first, second] = r.byCode.get('corvo.jobs.expired-lease')?.actions ?? [];
    // Corvo answers "cancelling" for an active job, which reads cancelled at once (real-systems.md Corvo item 8).
    expect(await applyFix('cancel', first!.params, r.client)).toBe(
      `job ${first!.params['job-id']}: Corvo answered "cancelling"; it now reads cancelled`,
    );
    const refused = await r.client.retryJob(second!.params['job-id']!).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TargetError);
    expect((refused as TargetError).code).toBe('RETRY_ERROR');
  });

  it('healthy: leases are renewed, reclaim runs, nothing offered', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'healthy');
    const f = r.byCode.get('corvo.jobs.expired-lease');
    expect(f?.severity).toBe('ok');
    expect(f?.evidence).toContain('no lease expired more than 10 s ago, the next lease ends in 45 s');
    expect(f?.actions).toBeUndefined();
    // Shown even when all is well: the runbook's commands mislead either way.
    expect(f?.runbookCorrection).toContain('RETRY_ERROR');
    expect(r.byCode.get('corvo.scheduler.reclaim')?.severity).toBe('ok');
    expect(r.byCode.has('corvo.jobs.owner-heartbeat')).toBe(false);
    expect(r.verdict).toBe('ok');
  });

  it('uses the injected clock: ten minutes earlier no lease has expired yet', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'jobs-stuck-active', {
      workflowClock: fixedClock(SIM_T0 - 10 * MINUTE),
    });
    expect(r.byCode.get('corvo.jobs.expired-lease')?.severity).toBe('ok');
    expect(r.findings.flatMap((f) => f.actions ?? [])).toEqual([]);
  });

  it('gives reclaim its 10 s grace: a lease that just expired is due, not stuck', async () => {
    // The first stuck lease ended at t0 − 7 min: 5 s before this clock.
    const r = await harness.run(jobsStuckActiveWorkflow, 'jobs-stuck-active', {
      workflowClock: fixedClock(SIM_T0 - 7 * MINUTE + 5000),
    });
    const f = r.byCode.get('corvo.jobs.expired-lease');
    expect(f?.actions).toHaveLength(2);
    expect(f?.evidence).toContain('1 expired less than 10 s ago (reclaim due)');
  });

  it('sqlite-diverged: a stale SQLite row looks stuck; says so and puts the rebuild first', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'sqlite-diverged');
    const f = r.byCode.get('corvo.jobs.expired-lease');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence).toContain('SQLite dropped 1,842 mirror updates');
    expect(f?.nextStep).toMatch(/^First rebuild SQLite/);
    expect(r.byCode.get('corvo.sqlite.mirror-dropped')?.actions?.[0]?.remediation).toBe('rebuild-sqlite');
  });

  it('no-leader: the scheduler is not judged on a node that does not lead', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'no-leader');
    expect(r.byCode.get('corvo.scheduler.reclaim')?.title).toBe('Scheduler not checked: this node is not the leader');
    expect(r.byCode.get('corvo.raft.no-leader')?.severity).toBe('critical');
  });

  it('unreachable: one inconclusive finding for the five probes, the manual steps still shown', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'unreachable');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ code: 'corvo.probe.unreachable', severity: 'inconclusive' });
    expect(r.findings[0]?.evidence).toMatch(/\(all 5 probes failed\)$/);
    expect(r.summary).toBe('Corvo prod is unreachable');
    expect(r.notes).toHaveLength(1);
  });
});

describe('jobs-stuck-active rules', () => {
  const now = SIM_T0;
  const row = (i: number): JobSummary => ({
    id: `job_${String(i).padStart(26, '0')}`,
    queue: 'emails',
    state: 'active',
    worker_id: 'wkr-gone',
  });
  const job = (i: number, leaseAgoMs: number): Job => ({
    ...row(i),
    lease_expires_at: new Date(now - leaseAgoMs).toISOString(),
  });

  function fakeWith(jobs: Job[] | Error, total = Array.isArray(jobs) ? jobs.length : 3) {
    const { client } = createFakeCorvoClient();
    return {
      ...client,
      searchJobs: async () => ({
        jobs: Array.isArray(jobs) ? jobs.map((j) => row(Number(j.id.slice(4)))) : [row(1), row(2), row(3)],
        total,
        has_more: total > (Array.isArray(jobs) ? jobs.length : 3),
      }),
      getJob: async (id: string) => {
        if (jobs instanceof Error) throw jobs;
        const found = jobs.find((j) => j.id === id);
        if (!found) throw new Error('not found');
        return found;
      },
    };
  }

  it('offers at most five cancel buttons and names the way to cancel the rest', async () => {
    const jobs = Array.from({ length: 7 }, (_, i) => job(i + 1, 5 * MINUTE + i * 1000));
    const r = await jobsStuckActiveWorkflow.run(contextFor(fakeWith(jobs, 40), fixedClock(now)));
    const f = r.findings.find((x) => x.code === 'corvo.jobs.expired-lease');
    expect(f?.actions).toHaveLength(5);
    expect(f?.evidence).toContain('and 2 more');
    expect(f?.evidence).toContain('checked the 7 longest-running of 40 active jobs');
    expect(f?.nextStep).toContain('2 more stuck jobs have no button: `/corvo cancel <job-id>`');
  });

  it('is inconclusive when no job could be read for its lease', async () => {
    const denied = new TargetError('forbidden', 'GET /api/v1/jobs/{id}: Corvo refused this call (403 FORBIDDEN)');
    const r = await jobsStuckActiveWorkflow.run(contextFor(fakeWith(denied), fixedClock(now)));
    const f = r.findings.find((x) => x.code === 'corvo.jobs.expired-lease');
    expect(f?.severity).toBe('inconclusive');
    expect(f?.evidence).toContain('403 FORBIDDEN');
  });

  it('reports an owner that is no longer registered', async () => {
    const r = await jobsStuckActiveWorkflow.run(contextFor(fakeWith([job(1, 2 * MINUTE)]), fixedClock(now)));
    const f = r.findings.find((x) => x.code === 'corvo.jobs.owner-heartbeat');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toContain('wkr-gone holds 1 expired job and is no longer registered');
  });
});
