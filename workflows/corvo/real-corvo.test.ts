import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { CorvoClient } from '../../integrations/corvo/index.js';
import type { CorvoSimulator } from '../../integrations/corvo/simulator/index.js';
import { fixedClock, type Clock } from '../../src/core/clock.js';
import { describeCluster } from './diagnose.js';
import { healthWorkflow } from './health.js';
import { jobsStuckActiveWorkflow } from './jobs-stuck-active.js';
import { jobsStuckPendingWorkflow } from './jobs-stuck-pending.js';
import { corvoRemediations } from './remediations.js';
import { evaluateRule } from '../../src/core/rule.js';
import { findRule } from './rules/index.js';
import type { CorvoObservations } from './observe.js';
import { healthyObservations, ok } from '../../test/support/corvo/observations.js';
import { SIM_T0, applyFix, createSimulatorHarness, runOn } from '../../test/support/corvo/simulator-harness.js';
import { sqliteDivergedWorkflow } from './sqlite-diverged.js';

/**
 * What the real Corvo server showed when the bot ran against it (reference/real-systems.md, "Corvo", items 1–8),
 * one describe per item. Each test failed on the bot and simulator as they were before these corrections.
 */

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

const ADMIN = 'sk_admin_real';
const READONLY = 'sk_readonly_real';

async function call(
  sim: CorvoSimulator,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const res = await request(`${sim.url}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, text };
}

async function queueNames(client: CorvoClient): Promise<string[]> {
  return (await client.queues()).map((q) => q.name);
}

function mutations(sim: CorvoSimulator): string[] {
  return sim.calls.map((c) => `${c.method} ${c.path}`);
}

function card(id: string, params: Record<string, string> = {}): string {
  const fix = corvoRemediations.find((r) => r.id === id);
  if (!fix) throw new Error(`no remediation ${id}`);
  return fix.describeEffect(params);
}

describe('real Corvo 1: unknown queues are created, not refused', () => {
  it('the simulator creates a queue on pause/resume/concurrency and answers 200 to DELETE throttle', async () => {
    const { sim, client } = await harness.start('healthy');
    expect((await call(sim, 'POST', '/api/v1/queues/emials/resume')).json).toEqual({ status: 'resumed' });
    expect((await call(sim, 'POST', '/api/v1/queues/ghost/concurrency', { max: 3 })).json).toEqual({ status: 'ok' });
    const del = await call(sim, 'DELETE', '/api/v1/queues/nobody/throttle');
    expect(del.status).toBe(200);
    const names = await queueNames(client);
    expect(names).toContain('emials');
    expect(names).toContain('ghost');
    expect(names).not.toContain('nobody');
  });

  for (const id of ['resume', 'unlimit', 'unthrottle', 'clear']) {
    it(`${id} of a queue that does not exist is refused with the current queues, and nothing is written`, async () => {
      const { sim, client } = await harness.start('queue-paused');
      await expect(applyFix(id, { queue: 'emials' }, client)).rejects.toThrow(
        /no queue named "emials" on prod; queues: emails, webhooks/,
      );
      expect(mutations(sim)).toEqual([]);
      expect(await queueNames(client)).toEqual(['emails', 'webhooks']);
    });
  }

  it('resume of a queue that is no longer paused is refused with its state (the card showed it paused)', async () => {
    const { sim, client } = await harness.start('healthy');
    await expect(applyFix('resume', { queue: 'emails' }, client)).rejects.toThrow(
      /queue "emails" on prod is not paused \(1,280 pending/,
    );
    expect(mutations(sim)).toEqual([]);
  });

  it('unlimit and unthrottle of a queue without that limit are refused', async () => {
    const { sim, client } = await harness.start('healthy');
    await expect(applyFix('unlimit', { queue: 'webhooks' }, client)).rejects.toThrow(/has no max_concurrency/);
    await expect(applyFix('unthrottle', { queue: 'emails' }, client)).rejects.toThrow(/has no rate limit/);
    expect(mutations(sim)).toEqual([]);
  });

  it('resume of a paused queue still runs', async () => {
    const { client } = await harness.start('queue-paused');
    expect(await applyFix('resume', { queue: 'emails' }, client)).toMatch(/queue emails: resumed/);
  });
});

describe('real Corvo 2: scheduler timestamps are whole Unix seconds', () => {
  // 0.2 s into a second: reclaim ran ~1.5 s ago, Corvo prints the whole second before that.
  const clock: Clock = fixedClock(SIM_T0 + 200);

  it('a healthy idle leader reports its last reclaim 1.5–2.5 s back, in whole seconds', async () => {
    const { sim } = await harness.start('healthy', { clock });
    const text = (await call(sim, 'GET', '/api/v1/metrics')).text;
    const last = Number(/^corvo_scheduler_last_reclaim_seconds (\d+)$/m.exec(text)?.[1]);
    expect(Number.isInteger(last)).toBe(true);
    const age = (SIM_T0 + 200) / 1000 - last;
    expect(age).toBeGreaterThan(2);
    expect(age).toBeLessThan(2.5);
  });

  it('the reclaim check does not warn on that healthy leader, and says why', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'healthy', { clock });
    const f = r.byCode.get('corvo.scheduler.reclaim');
    expect(f?.severity).toBe('ok');
    expect(f?.evidence).toMatch(/whole seconds/);
  });

  it('health: no scheduler warning on the healthy leader', async () => {
    const r = await harness.run(healthWorkflow, 'healthy', { clock });
    expect(r.byCode.get('corvo.scheduler.stalled')?.severity).toBe('ok');
    expect(r.byCode.get('corvo.scheduler.errors')?.severity).toBe('ok');
  });

  it('a reclaim really 4 s late still warns', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'healthy', {
      clock: fixedClock(SIM_T0 + 200),
      workflowClock: fixedClock(SIM_T0 + 2200),
    });
    expect(r.byCode.get('corvo.scheduler.reclaim')?.severity).toBe('warning');
  });
});

describe('real Corvo 3: multi-raft ids are one node with shards (node-1-s00, node-1-s01)', () => {
  it('the simulator names each group node-1-sNN, raft port = base + shard', async () => {
    const { sim } = await harness.start('multi-raft');
    const status = (await call(sim, 'GET', '/api/v1/cluster/status')).json as {
      groups: { node_id: string; leader_id: string; leader_addr: string }[];
    };
    expect(status.groups.map((g) => g.node_id)).toEqual(['node-1-s00', 'node-1-s01']);
    expect(status.groups.map((g) => g.leader_id)).toEqual(['node-1-s00', 'node-1-s01']);
    expect(status.groups.map((g) => g.leader_addr)).toEqual(['10.0.0.11:9000', '10.0.0.11:9001']);
  });

  it('health counts 3 nodes and one leader, not one per shard', async () => {
    const r = await harness.run(healthWorkflow, 'multi-raft');
    expect(r.summary).toMatch(/^Multi-raft, 2 groups, leader node-1 \(every shard\), 3 nodes;/);
  });

  it('a one-node, two-shard cluster is one node', () => {
    const group = (shard: number) => ({
      state: 'Leader',
      node_id: `node-1-s0${shard}`,
      leader_id: `node-1-s0${shard}`,
      leader_addr: `127.0.0.1:${9000 + shard}`,
      nodes: [{ id: `node-1-s0${shard}`, address: `127.0.0.1:${9000 + shard}`, voter: true }],
      shard,
    });
    const obs = healthyObservations({
      clusterStatus: ok({ mode: 'multi-raft' as const, shards: 2, groups: [group(0), group(1)] }),
    });
    expect(describeCluster(obs)).toBe('Multi-raft, 2 groups, leader node-1 (every shard), 1 node');
  });

  it('a single-raft node whose name ends like a shard is not renamed', () => {
    const obs = healthyObservations({
      status: { node_id: 'db-s01', leader_id: 'db-s01', nodes: [{ id: 'db-s01', address: 'x:9000', voter: true }] },
    });
    expect(describeCluster(obs)).toBe('Leader db-s01, 1 node');
  });
});

describe('real Corvo 4: a readonly key may only GET', () => {
  const keys = { serverKey: ADMIN, serverKeys: { [READONLY]: 'readonly' as const }, botKey: READONLY };

  it('the simulator answers 403 FORBIDDEN to POST /jobs/search with a readonly key', async () => {
    const { client } = await harness.start('healthy', keys);
    await expect(client.searchJobs({ state: ['active'] })).rejects.toMatchObject({ kind: 'forbidden', status: 403 });
  });

  it('jobs-stuck-active says it needs an operator key and what the report loses without it', async () => {
    const r = await harness.run(jobsStuckActiveWorkflow, 'jobs-stuck-active', keys);
    const f = r.byCode.get('corvo.jobs.expired-lease');
    expect(f?.severity).toBe('inconclusive');
    expect(f?.title).toMatch(/operator key/);
    expect(f?.evidence).toMatch(/403 FORBIDDEN: insufficient role permissions/);
    expect(f?.evidence).toMatch(/readonly key may only GET/);
    expect(f?.nextStep).toMatch(/operator/);
    expect(f?.nextStep).toMatch(/expired lease/);
    // No second, generic line for the same refusal.
    expect(r.findings.filter((x) => x.code.startsWith('corvo.probe.'))).toEqual([]);
    // What still works with the key is still checked.
    expect(r.byCode.get('corvo.scheduler.reclaim')?.severity).toBe('critical');
  });

  it('jobs-stuck-pending only reads with GET: a readonly key is enough', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'queue-paused', { ...keys, args: { queue: 'emails' } });
    expect(r.findings.filter((f) => f.severity === 'inconclusive')).toEqual([]);
  });

  it('a fix with a readonly key names the role it needs', async () => {
    const { client } = await harness.start('queue-paused', keys);
    await expect(applyFix('resume', { queue: 'emails' }, client)).rejects.toThrow(
      /readonly keys may only GET.*operator or admin key/,
    );
  });
});

describe('real Corvo 5: rebuild-sqlite is not "safe to run anytime"', () => {
  it('the approval card carries the correction', () => {
    const effect = card('rebuild-sqlite');
    expect(effect).toMatch(/FOREIGN KEY constraint failed \(787\)/);
    expect(effect).toMatch(/retry may succeed/);
    expect(effect).toMatch(/multi-raft.*last shard/);
    expect(effect).toMatch(/FORWARD_LOOP/);
    expect(effect).toMatch(/cleared or deleted/);
  });

  it('a foreign-key failure is explained, and a second attempt may succeed', async () => {
    const { client } = await harness.start('rebuild-fk-error');
    await expect(applyFix('rebuild-sqlite', {}, client)).rejects.toThrow(
      /foreign-key error \(787\).*request the rebuild again/,
    );
    expect(await applyFix('rebuild-sqlite', {}, client)).toMatch(/rebuilt in/);
  });

  it('after a foreign-key failure, /corvo sqlite-diverged says a retry may succeed', async () => {
    const { sim, client } = await harness.start('rebuild-fk-error');
    await call(sim, 'POST', '/api/v1/admin/rebuild-sqlite');
    const r = await runOn(sqliteDivergedWorkflow, sim, client, fixedClock(SIM_T0));
    const f = r.byCode.get('corvo.sqlite.rebuild-history');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toMatch(/FOREIGN KEY constraint failed \(787\)/);
    expect(f?.nextStep).toMatch(/a retry may succeed/);
  });

  it('multi-raft: the simulator answers ok but keeps only the last shard; the bot refuses to run it', async () => {
    const { sim, client } = await harness.start('multi-raft');
    await expect(applyFix('rebuild-sqlite', {}, client)).rejects.toThrow(/multi-raft.*not run/);
    expect(mutations(sim)).toEqual([]);
    const before = await queueNames(client);
    expect((await call(sim, 'POST', '/api/v1/admin/rebuild-sqlite')).json).toMatchObject({ status: 'ok' });
    const after = await queueNames(client);
    expect(after.length).toBeLessThan(before.length);
  });

  it('multi-raft: a diverged mirror offers no rebuild button', () => {
    const obs = healthyObservations({
      clusterStatus: ok({
        mode: 'multi-raft' as const,
        shards: 2,
        groups: [0, 1].map((shard) => ({
          state: 'Leader',
          node_id: `node-1-s0${shard}`,
          leader_id: `node-1-s0${shard}`,
          sqlite_mirror: {
            async: true,
            dropped: 12,
            queued: 1,
            applied: 1,
            lag: 0,
            queue_depth: 0,
            queue_capacity: 131072,
          },
          shard,
        })),
      }),
    });
    const f = evaluateMirror(obs);
    expect(f?.severity).toBe('critical');
    expect(f?.actions).toBeUndefined();
    expect(f?.nextStep).toMatch(/multi-raft/);
  });

  it('rebuild brings back the jobs of a cleared queue', async () => {
    const { sim, client } = await harness.start('healthy');
    await call(sim, 'POST', '/api/v1/queues/emails/clear');
    expect((await client.queues()).find((q) => q.name === 'emails')?.pending).toBe(0);
    await call(sim, 'POST', '/api/v1/admin/rebuild-sqlite');
    expect((await client.queues()).find((q) => q.name === 'emails')?.pending).toBeGreaterThan(0);
  });
});

describe('real Corvo 6: clear and delete leave normal-priority pending jobs behind', () => {
  it('the simulator answers cleared, hides the jobs from /queues, search and metrics, and drops nothing', async () => {
    const { sim, client } = await harness.start('healthy');
    expect((await call(sim, 'POST', '/api/v1/queues/emails/clear')).json).toEqual({ status: 'cleared' });
    expect((await client.searchJobs({ queue: 'emails', state: ['pending'] })).total).toBe(0);
    const text = (await call(sim, 'GET', '/api/v1/metrics')).text;
    expect(text).toMatch(/^corvo_queue_jobs\{queue="emails",state="pending"\} 0$/m);
    expect(text).toMatch(/^corvo_sqlite_mirror_dropped_total 0$/m);
    // Still in the store: a rebuild shows them again.
    await call(sim, 'POST', '/api/v1/admin/rebuild-sqlite');
    expect((await client.searchJobs({ queue: 'emails', state: ['pending'] })).total).toBeGreaterThan(0);
  });

  it('DELETE of a queue leaves them too', async () => {
    const { sim, client } = await harness.start('healthy');
    expect((await call(sim, 'DELETE', '/api/v1/queues/emails')).json).toEqual({ status: 'deleted' });
    expect(await queueNames(client)).not.toContain('emails');
    await call(sim, 'POST', '/api/v1/admin/rebuild-sqlite');
    expect(await queueNames(client)).toContain('emails');
  });

  it('the clear card and its result say so', async () => {
    expect(card('clear', { queue: 'emails' })).toMatch(/normal-priority pending jobs stay.*still handed to workers/);
    const { client } = await harness.start('healthy');
    expect(await applyFix('clear', { queue: 'emails' }, client)).toMatch(/normal-priority pending jobs may remain/);
  });
});

describe('real Corvo 7: writes through a follower with another HTTP port answer 503 FORWARD_LOOP', () => {
  it('the simulator answers FORWARD_LOOP to a write on that follower', async () => {
    const { sim } = await harness.start('follower-forward-loop');
    const r = await call(sim, 'POST', '/api/v1/queues/webhooks/resume');
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ code: 'FORWARD_LOOP' });
  });

  it('a fix there fails with the cause and the next step', async () => {
    const { client } = await harness.start('follower-forward-loop');
    await expect(applyFix('resume', { queue: 'webhooks' }, client)).rejects.toThrow(
      /FORWARD_LOOP.*same HTTP port.*point this target's url at the leader/,
    );
  });

  it('the reports no longer promise that a follower proxies every write', async () => {
    const r = await harness.run(jobsStuckPendingWorkflow, 'follower-forward-loop', { args: { queue: 'emails' } });
    const f = r.byCode.get('corvo.queue.leader');
    expect(f?.evidence).toMatch(/only when every node uses the same HTTP port/);
    const h = await harness.run(healthWorkflow, 'follower-forward-loop');
    expect(h.byCode.get('corvo.raft.no-leader')?.nextStep).toMatch(/FORWARD_LOOP/);
  });
});

describe('real Corvo 8: the smaller facts', () => {
  it('queues[].created_at is always the zero time; a worker without hostname has ""', async () => {
    const { client } = await harness.start('healthy');
    for (const q of await client.queues()) expect(q.created_at).toBe('0001-01-01T00:00:00Z');
    expect((await client.workers()).some((w) => w.hostname === '')).toBe(true);
  });

  it("an idle leader's applied_index grows 1–2 entries a second, and the bot says growth is not traffic", async () => {
    let now = SIM_T0;
    const clock: Clock = { now: () => now };
    const { client } = await harness.start('queue-paused', { clock });
    const index = async () => {
      const s = await client.clusterStatus();
      return Number('groups' in s ? s.groups[0]?.applied_index : s.applied_index);
    };
    const first = await index();
    now += 10_000;
    const grown = (await index()) - first;
    expect(grown).toBeGreaterThanOrEqual(10);
    expect(grown).toBeLessThanOrEqual(20);
    const r = await harness.run(healthWorkflow, 'healthy');
    expect(r.byCode.get('corvo.raft.replication-lag')?.runbookCorrection).toMatch(/not evidence of traffic/);
  });

  it('no snapshot yet: the status says {"count":0} and the index metric is absent', async () => {
    const { sim } = await harness.start('no-leader');
    const status = (await call(sim, 'GET', '/api/v1/cluster/status')).json as { snapshot: unknown };
    expect(status.snapshot).toEqual({ count: 0 });
    expect((await call(sim, 'GET', '/api/v1/metrics')).text).not.toMatch(/^corvo_raft_snapshot_latest_index /m);
  });

  it('retry of an unknown job: Corvo answers 400 RETRY_ERROR "not found"; the bot says check the id', async () => {
    const { sim, client } = await harness.start('healthy');
    const raw = await call(sim, 'POST', '/api/v1/jobs/job_nope/retry');
    expect(raw.status).toBe(400);
    expect(raw.json).toEqual({ error: 'job "job_nope" not found', code: 'RETRY_ERROR' });
    await expect(applyFix('retry', { 'job-id': 'job_nope' }, client)).rejects.toThrow(
      /no job job_nope on prod.*check the id/,
    );
  });

  it('cancel of an active job answers "cancelling"; the bot re-reads it and reports it cancelled', async () => {
    const { client } = await harness.start('healthy');
    const active = (await client.searchJobs({ state: ['active'], limit: 1 })).jobs[0]!.id;
    expect(await applyFix('cancel', { 'job-id': active }, client)).toMatch(
      /answered "cancelling"; it now reads cancelled/,
    );
  });

  it('cancel of a job that is already finished is refused with its state', async () => {
    const { sim, client } = await harness.start('healthy');
    const done = (await client.searchJobs({ state: ['completed'], limit: 1 })).jobs[0]!.id;
    await expect(applyFix('cancel', { 'job-id': done }, client)).rejects.toThrow(/is completed/);
    expect(mutations(sim)).toEqual([]);
  });

  it('a 429 is counted only in corvo_rate_limit_throttled_total', async () => {
    const { sim } = await harness.start('healthy');
    sim.failNext('/api/v1/queues', 429, { error: 'rate limit exceeded', code: 'RATE_LIMITED' });
    expect((await call(sim, 'GET', '/api/v1/queues')).status).toBe(429);
    const text = (await call(sim, 'GET', '/api/v1/metrics')).text;
    expect(text).toMatch(/^corvo_rate_limit_throttled_total\{method="GET",route="\/api\/v1\/queues"\} 1$/m);
    expect(text).toMatch(/^corvo_http_requests_total\{method="GET",route="\/api\/v1\/queues"\} 120$/m);
  });
});

// ---------------------------------------------------------------------------------------------------------------

function evaluateMirror(obs: CorvoObservations) {
  const rule = findRule('corvo.sqlite.mirror-dropped');
  if (!rule) throw new Error('no mirror rule');
  return evaluateRule(rule, obs, SIM_T0);
}
