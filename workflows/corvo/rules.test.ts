import { describe, expect, it } from 'vitest';
import { parseExposition } from '../../integrations/prometheus/parse-exposition.js';
import type { Finding } from '../../src/core/report.js';
import { TargetError } from '../../src/core/target-error.js';
import {
  NOW,
  dropFamily,
  failed,
  followerObservations,
  healthyObservations,
  leaderMetricsText,
  leaderStatus,
  multiRaftMetricsText,
  multiRaftStatus,
  ok,
  sampleQueues,
  sampleWorkers,
  setMetric,
} from '../../test/support/corvo/observations.js';
import type { CorvoObservations } from './observe.js';
import { evaluateRule, evaluateRules } from '../../src/core/rule.js';
import { corvoRules, findRule } from './rules/index.js';
import { REBUILD_SQLITE_ACTION } from './rules/sqlite-mirror.js';

const down = new TargetError('unreachable', 'GET /api/v1/cluster/status failed: connection refused (10.0.0.11:8080)');

function run(code: string, obs: CorvoObservations, now = NOW): Finding {
  const rule = findRule(code);
  if (!rule) throw new Error(`no rule ${code}`);
  const finding = evaluateRule(rule, obs, now);
  if (!finding) throw new Error(`rule ${code} produced no finding`);
  return finding;
}

function skipped(code: string, obs: CorvoObservations, now = NOW): boolean {
  return evaluateRule(findRule(code)!, obs, now) === null;
}

describe('corvoRules', () => {
  it('has stable, unique dotted codes and a runbook section for each rule', () => {
    const codes = corvoRules.map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const rule of corvoRules) {
      expect(rule.code).toMatch(/^corvo\.[a-z-]+\.[a-z0-9-]+$/);
      expect(rule.section.length).toBeGreaterThan(0);
    }
    expect(codes).toEqual(
      expect.arrayContaining([
        'corvo.raft.no-leader',
        'corvo.apply.pressure',
        'corvo.apply.overload',
        'corvo.apply.queue-time-p99',
        'corvo.stream.saturation',
        'corvo.raft.replication-lag',
        'corvo.raft.snapshot-missing',
        'corvo.sqlite.mirror-dropped',
        'corvo.sqlite.mirror-lag',
        'corvo.scheduler.errors',
        'corvo.scheduler.stalled',
        'corvo.queues.paused',
        'corvo.workers.stale-heartbeat',
        'corvo.metrics.invalid-exposition',
      ]),
    );
  });

  it('reports every signal of a healthy leader as ok, without actions or next steps', () => {
    const findings = evaluateRules(corvoRules, healthyObservations(), NOW);
    expect(findings.map((f) => f.code)).toEqual(corvoRules.map((r) => r.code));
    for (const f of findings) {
      expect({ code: f.code, severity: f.severity }).toEqual({ code: f.code, severity: 'ok' });
      expect(f.actions).toBeUndefined();
      expect(f.section).toBeTruthy();
    }
    const byCode = new Map(findings.map((f) => [f.code, f]));
    expect(byCode.get('corvo.raft.no-leader')?.evidence).toBe('node-1 is the leader — 3 nodes');
    expect(byCode.get('corvo.apply.pressure')?.evidence).toBe('apply queue 37 / 16,384 pending — normal is < 1,000');
    expect(byCode.get('corvo.raft.replication-lag')?.evidence).toContain('= lag 2 ');
    expect(byCode.get('corvo.scheduler.stalled')?.evidence).toBe(
      'last promote 2–3 s ago, last reclaim 2–3 s ago — stalled above 10 s ' +
        '(Corvo reports whole seconds, so the bot allows 1 s for the rounding)',
    );
  });
});

describe('corvo.health.unhealthy', () => {
  it('is critical when /healthz answers 503 UNHEALTHY', () => {
    const err = new TargetError('api-error', 'GET /healthz: Corvo answered 503 UNHEALTHY: database unavailable', {
      status: 503,
      code: 'UNHEALTHY',
    });
    const f = run('corvo.health.unhealthy', healthyObservations({ healthz: failed(err) }));
    expect(f.severity).toBe('critical');
    expect(f.evidence).toBe('GET /healthz: Corvo answered 503 UNHEALTHY: database unavailable');
  });

  it('leaves other /healthz failures to the probe findings', () => {
    expect(skipped('corvo.health.unhealthy', healthyObservations({ healthz: failed(down) }))).toBe(true);
  });
});

describe('corvo.raft.no-leader', () => {
  it('is critical when the cluster status names no leader', () => {
    const f = run(
      'corvo.raft.no-leader',
      healthyObservations({
        healthz: ok({ status: 'ok', raft_state: 'Candidate', leader: false }),
        status: { state: 'Candidate', leader_id: '', leader_addr: '' },
      }),
    );
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('Raft has no known leader');
    expect(f.evidence).toBe('no known leader (node-1 is Candidate) — 3 nodes');
    expect(f.nextStep).toContain('LEADER_UNAVAILABLE');
  });

  it('falls back to /healthz: a Candidate with no cluster status is critical', () => {
    const f = run(
      'corvo.raft.no-leader',
      healthyObservations({
        healthz: ok({ status: 'ok', raft_state: 'Candidate', leader: false }),
        clusterStatus: failed(down),
      }),
    );
    expect(f.severity).toBe('critical');
    expect(f.evidence).toContain('raft_state Candidate');
  });

  it('is ok on a follower that knows its leader, and says writes proxy and the scheduler runs on the leader', () => {
    const f = run('corvo.raft.no-leader', followerObservations());
    expect(f.severity).toBe('ok');
    expect(f.evidence).toBe('node-2 is Follower; leader is node-1 (10.0.0.11:9000) — 3 nodes');
    expect(f.nextStep).toContain('forwarded to the leader node-1');
    expect(f.nextStep).toContain('FORWARD_LOOP');
    expect(f.nextStep).toContain('scheduler runs only on the leader');
  });

  it('evaluates each raft group under multi-raft', () => {
    const status = multiRaftStatus();
    if (!('groups' in status)) throw new Error('fixture is not multi-raft');
    const groups = status.groups.map((g) => (g.shard === 1 ? { ...g, leader_id: '', state: 'Candidate' } : g));
    const f = run(
      'corvo.raft.no-leader',
      healthyObservations({ clusterStatus: ok({ ...status, groups }), metricsText: multiRaftMetricsText() }),
    );
    expect(f.severity).toBe('critical');
    expect(f.evidence).toBe('shard 1: no known leader (node-1 is Candidate); 1 other group ok — 3 nodes');
  });
});

describe('corvo.apply.*', () => {
  it('is critical above 80 % of the max, with the value against the normal', () => {
    const f = run('corvo.apply.pressure', healthyObservations({ status: { apply_pending_now: 14_210 } }));
    expect(f.severity).toBe('critical');
    expect(f.evidence).toBe('apply queue 14,210 / 16,384 pending — normal is < 1,000; 86 % of max, critical from 80 %');
    expect(f.nextStep).toContain('--raft-max-pending');
  });

  it('is a warning from 1,000 pending, ok just below', () => {
    expect(run('corvo.apply.pressure', healthyObservations({ status: { apply_pending_now: 1000 } })).severity).toBe(
      'warning',
    );
    expect(run('corvo.apply.pressure', healthyObservations({ status: { apply_pending_now: 999 } })).severity).toBe(
      'ok',
    );
  });

  it('reads the metrics when the cluster status is unavailable', () => {
    let text = setMetric(leaderMetricsText(), 'corvo_raft_apply_pending', '14210');
    text = setMetric(text, 'corvo_raft_apply_overload_total', '57');
    const obs = healthyObservations({ clusterStatus: failed(down), metricsText: text });
    expect(run('corvo.apply.pressure', obs).evidence).toBe(
      'apply queue 14,210 / 16,384 pending — normal is < 1,000; 86 % of max, critical from 80 %',
    );
    const overload = run('corvo.apply.overload', obs);
    expect(overload.severity).toBe('warning');
    expect(overload.evidence).toBe(
      '57 apply-queue-full rejections since process start — should be 0 (per-queue fetch overloads: 4)',
    );
  });

  it('flags apply-queue overloads from the status counter', () => {
    const f = run('corvo.apply.overload', healthyObservations({ status: { overload_total: 3 } }));
    expect(f.severity).toBe('warning');
    expect(f.evidence).toMatch(/^3 apply-queue-full rejections since process start/);
    expect(run('corvo.apply.overload', healthyObservations()).severity).toBe('ok');
  });

  it('computes the queue-time p99 from the exposition, and the same value from the status buckets', () => {
    const fromMetrics = run('corvo.apply.queue-time-p99', healthyObservations());
    expect(fromMetrics.severity).toBe('ok');
    expect(fromMetrics.evidence).toBe(
      'apply queue-time p99 1.92 ms over 1,904,231 ops — threshold 50 ms (cumulative since process start, from one scrape: a recent spike is diluted)',
    );
    const metricsDown = healthyObservations({
      metrics: failed(new TargetError('timeout', 'GET /api/v1/metrics timed out')),
    });
    expect(run('corvo.apply.queue-time-p99', metricsDown).evidence).toBe(fromMetrics.evidence);
  });

  it('warns when the queue-time p99 exceeds 50 ms', () => {
    let text = dropFamily(leaderMetricsText(), 'corvo_raft_queue_time_seconds');
    text += [
      '# TYPE corvo_raft_queue_time_seconds histogram',
      'corvo_raft_queue_time_seconds_bucket{le="0.05"} 10',
      'corvo_raft_queue_time_seconds_bucket{le="0.1"} 50',
      'corvo_raft_queue_time_seconds_bucket{le="0.2"} 100',
      'corvo_raft_queue_time_seconds_bucket{le="+Inf"} 100',
      'corvo_raft_queue_time_seconds_sum 11',
      'corvo_raft_queue_time_seconds_count 100',
      '',
    ].join('\n');
    const f = run('corvo.apply.queue-time-p99', healthyObservations({ metricsText: text }));
    expect(f.severity).toBe('warning');
    expect(f.evidence).toMatch(/^apply queue-time p99 198 ms over 100 ops — threshold 50 ms/);
  });

  it('warns from the status buckets (per bucket, not cumulative) when the metrics are unavailable', () => {
    const obs = healthyObservations({
      metrics: failed(new TargetError('timeout', 'GET /api/v1/metrics timed out')),
      status: {
        queue_time_hist: {
          count: 100,
          buckets: [
            { le: '50ms', count: 10 },
            { le: '100ms', count: 40 },
            { le: '200ms', count: 50 },
            { le: '+Inf', count: 0 },
          ],
        },
      },
    });
    const f = run('corvo.apply.queue-time-p99', obs);
    expect(f.severity).toBe('warning');
    expect(f.evidence).toMatch(/^apply queue-time p99 198 ms/);
  });

  it('says "at least" when the p99 falls in the +Inf bucket', () => {
    const obs = healthyObservations({
      metrics: failed(down),
      status: {
        queue_time_hist: {
          count: 100,
          buckets: [
            { le: '500ms', count: 50 },
            { le: '1s', count: 10 },
            { le: '+Inf', count: 40 },
          ],
        },
      },
    });
    expect(run('corvo.apply.queue-time-p99', obs).evidence).toMatch(/^apply queue-time p99 ≥ 1 s over 100 ops/);
  });

  it('says so when nothing was observed yet', () => {
    const obs = healthyObservations({ clusterStatus: ok({ ...leaderStatus(), apply_time_hist: { count: 0 } }) });
    expect(run('corvo.apply.fsm-time-p99', { ...obs, metrics: failed(down) }).evidence).toMatch(
      /^no FSM apply observed yet since process start/,
    );
  });
});

describe('corvo.stream.*', () => {
  it('warns from 80 % of the in-flight frames, critical at the max, and always corrects the runbook', () => {
    const at = (v: string) =>
      run(
        'corvo.stream.saturation',
        healthyObservations({ metricsText: setMetric(leaderMetricsText(), 'corvo_lifecycle_frames_inflight', v) }),
      );
    expect(at('3').severity).toBe('ok');
    expect(at('1700').severity).toBe('warning');
    expect(at('2048').severity).toBe('critical');
    expect(at('2048').evidence).toMatch(/^frames in flight 2,048 \/ 2,048 — warning from 80 % of max/);
    expect(at('3').runbookCorrection).toContain('AcquireTimeout');
    expect(at('3').runbookCorrection).toContain('RESOURCE_EXHAUSTED');
  });

  it('is critical when the open streams reach the cap (RESOURCE_EXHAUSTED)', () => {
    const text = setMetric(leaderMetricsText(), 'corvo_lifecycle_streams_open', '4096');
    const f = run('corvo.stream.open-streams', healthyObservations({ metricsText: text }));
    expect(f.severity).toBe('critical');
    expect(f.evidence).toMatch(/^open streams 4,096 \/ 4,096/);
    expect(f.nextStep).toContain('too many open lifecycle streams');
    expect(f.runbookCorrection).toContain('corvo_lifecycle_overload_total');
  });
});

describe('corvo.raft.replication-lag', () => {
  it('subtracts the string indexes of the status', () => {
    const f = run('corvo.raft.replication-lag', healthyObservations({ status: { commit_index: '500000' } }));
    expect(f.severity).toBe('critical');
    expect(f.evidence).toBe(
      'commit index 500,000 − applied index 482,133 = lag 17,867 — warning above 1,000, critical above 10,000',
    );
    expect(
      run('corvo.raft.replication-lag', healthyObservations({ status: { commit_index: '483500' } })).severity,
    ).toBe('warning');
  });
});

describe('corvo.raft.snapshot-missing', () => {
  it('warns when no snapshot exists although the log passed the threshold, correcting the runbook', () => {
    const f = run('corvo.raft.snapshot-missing', healthyObservations({ status: { snapshot: { count: 0 } } }));
    expect(f.severity).toBe('warning');
    expect(f.evidence).toContain('applied index 482,133 ≥ snapshot_threshold 4,096');
    expect(f.runbookCorrection).toContain('omits the metric');
  });

  it('treats the absent metric as "no snapshot", not as 0, when only the metrics are readable', () => {
    const text = dropFamily(leaderMetricsText(), 'corvo_raft_snapshot_latest_index');
    const f = run(
      'corvo.raft.snapshot-missing',
      healthyObservations({ clusterStatus: failed(down), metricsText: text }),
    );
    expect(f.severity).toBe('warning');
    expect(f.evidence).toContain('absent');
    expect(f.runbookCorrection).toContain('sits at 0');
    expect(run('corvo.raft.snapshot-missing', healthyObservations({ clusterStatus: failed(down) })).severity).toBe(
      'ok',
    );
  });

  it('is ok before the first snapshot is due, and warns on a snapshot listing error', () => {
    const young = run(
      'corvo.raft.snapshot-missing',
      healthyObservations({ status: { snapshot: { count: 0 }, applied_index: '1200', commit_index: '1200' } }),
    );
    expect(young.severity).toBe('ok');
    expect(young.evidence).toBe('no snapshot yet, as expected: applied index 1,200 < snapshot_threshold 4,096');
    // Still worth telling: a grep for corvo_raft_snapshot_latest_index prints nothing now, not 0.
    expect(young.runbookCorrection).toContain('omits the metric');
    expect(run('corvo.raft.snapshot-missing', healthyObservations()).runbookCorrection).toBeUndefined();
    const broken = run(
      'corvo.raft.snapshot-missing',
      healthyObservations({ status: { snapshot: { count: 0, error: 'open snapshots: permission denied' } } }),
    );
    expect(broken.severity).toBe('warning');
    expect(broken.evidence).toBe('listing snapshots failed: open snapshots: permission denied');
  });
});

describe('corvo.sqlite.*', () => {
  const diverged = (over: Parameters<typeof healthyObservations>[0] = {}) =>
    healthyObservations({
      status: { sqlite_mirror: { ...leaderStatus().sqlite_mirror!, dropped: 412 } },
      metricsText: setMetric(leaderMetricsText(), 'corvo_sqlite_mirror_dropped_total', '412'),
      ...over,
    });

  it('is critical when the mirror dropped updates, offering a rebuild that needs approval', () => {
    const f = run('corvo.sqlite.mirror-dropped', diverged());
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('SQLite diverged from Pebble');
    expect(f.evidence).toBe('412 SQLite mirror updates dropped — should be 0');
    expect(f.actions).toEqual([
      { remediation: 'rebuild-sqlite', label: 'Rebuild SQLite', params: {}, level: 'approval', destructive: true },
    ]);
    expect(f.nextStep).toContain("ONLY the leader's mirror");
    expect(f.nextStep).toContain('restart or re-join');
    expect(f.runbookCorrection).toContain('safe to run anytime');
  });

  it('does not offer the rebuild from a follower, whose mirror it would not fix', () => {
    const f = run(
      'corvo.sqlite.mirror-dropped',
      followerObservations({ status: { sqlite_mirror: { ...leaderStatus().sqlite_mirror!, dropped: 9 } } }),
    );
    expect(f.severity).toBe('critical');
    expect(f.actions).toBeUndefined();
    expect(f.nextStep).toContain('this node (node-2) is a follower');
    expect(f.nextStep).toContain('restarting it or re-joining it');
  });

  it('uses the metric when the status is unavailable', () => {
    const f = run('corvo.sqlite.mirror-dropped', diverged({ clusterStatus: failed(down) }));
    expect(f.severity).toBe('critical');
    expect(f.actions).toEqual([REBUILD_SQLITE_ACTION]);
  });

  it('downgrades to a warning after a successful rebuild (one scrape cannot date the drops)', () => {
    const f = run(
      'corvo.sqlite.mirror-dropped',
      diverged({
        status: {
          sqlite_mirror: { ...leaderStatus().sqlite_mirror!, dropped: 412 },
          sqlite_rebuild: { ran: true, last_success: true, last_started_at: '2026-02-21T10:00:00Z' },
        },
      }),
    );
    expect(f.severity).toBe('warning');
    expect(f.evidence).toContain('a rebuild succeeded at 2026-02-21T10:00:00Z');
  });

  it('warns when the mirror lag reaches half the queue capacity', () => {
    const mirror = leaderStatus().sqlite_mirror!;
    const f = run(
      'corvo.sqlite.mirror-lag',
      healthyObservations({ status: { sqlite_mirror: { ...mirror, lag: 70_000, queue_depth: 70_000 } } }),
    );
    expect(f.severity).toBe('warning');
    expect(f.evidence).toBe(
      'SQLite mirror lag 70,000 / capacity 131,072 updates — warning from 50 %; updates are dropped when it is full',
    );
    expect(run('corvo.sqlite.mirror-lag', healthyObservations()).severity).toBe('ok');
  });
});

describe('corvo.scheduler.*', () => {
  it('is critical on the leader when promote/reclaim have not run for more than 10 s', () => {
    const f = run('corvo.scheduler.stalled', healthyObservations(), NOW + 42_000);
    expect(f.severity).toBe('critical');
    expect(f.evidence).toBe(
      'last promote 44–45 s ago, last reclaim 44–45 s ago — stalled above 10 s ' +
        '(Corvo reports whole seconds, so the bot allows 1 s for the rounding)',
    );
    expect(f.nextStep).toContain('cancel');
    expect(f.runbookCorrection).toContain('RETRY_ERROR');
    expect(f.runbookCorrection).toContain('lease_expires_at');
  });

  it('is ok at exactly 10 s', () => {
    expect(run('corvo.scheduler.stalled', healthyObservations(), NOW + 7_000).severity).toBe('ok');
  });

  it('raises no false alarm on a follower, whose scheduler metrics always read 0', () => {
    const obs = followerObservations();
    for (const code of ['corvo.scheduler.stalled', 'corvo.scheduler.errors']) {
      const f = run(code, obs, NOW + 3_600_000);
      expect(f.severity).toBe('ok');
      expect(f.title).toBe('Scheduler not checked: this node is not the leader');
      expect(f.evidence).toContain('runs only on the leader');
      expect(f.nextStep).toContain('node-1');
    }
  });

  it('warns on scheduler errors, critical when the failing op is also stale', () => {
    const text = setMetric(leaderMetricsText(), 'corvo_scheduler_reclaim_errors_total', '3');
    const fresh = run('corvo.scheduler.errors', healthyObservations({ metricsText: text }));
    expect(fresh.severity).toBe('warning');
    expect(fresh.evidence).toBe(
      'scheduler errors since process start: promote 0, reclaim 3, expire 0, purge 0 — should be 0',
    );
    const stale = run('corvo.scheduler.errors', healthyObservations({ metricsText: text }), NOW + 60_000);
    expect(stale.severity).toBe('critical');
    expect(stale.evidence).toContain('reclaim also not run for more than 10 s');
  });
});

describe('corvo.queues.paused', () => {
  it('warns when a paused queue holds pending jobs, offering to resume it', () => {
    const queues = sampleQueues().map((q) => (q.name === 'emails' ? { ...q, paused: true } : q));
    const f = run('corvo.queues.paused', healthyObservations({ queues: ok(queues) }));
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('Queue emails is paused with 1,280 jobs pending');
    expect(f.evidence).toBe('paused: emails (1,280 pending), webhooks (0 pending) — of 2 queues');
    expect(f.actions).toEqual([
      {
        remediation: 'resume',
        label: 'Resume emails',
        params: { queue: 'emails' },
        level: 'confirm',
        destructive: false,
      },
    ]);
    expect(f.nextStep).toContain('corvo resume <queue>');
  });

  it('offers one resume per paused queue that holds jobs', () => {
    const queues = sampleQueues().map((q) => ({ ...q, paused: true, pending: q.name === 'emails' ? 1280 : 7 }));
    const f = run('corvo.queues.paused', healthyObservations({ queues: ok(queues) }));
    expect(f.title).toBe('2 paused queues hold pending jobs');
    expect(f.actions?.map((a) => [a.remediation, a.label, a.params.queue])).toEqual([
      ['resume', 'Resume emails', 'emails'],
      ['resume', 'Resume webhooks', 'webhooks'],
    ]);
  });

  it('lists a paused queue with nothing pending without warning (the sample pauses webhooks)', () => {
    const f = run('corvo.queues.paused', healthyObservations({ queues: ok(sampleQueues()) }));
    expect(f.severity).toBe('ok');
    expect(f.evidence).toBe('paused: webhooks (0 pending) — of 2 queues; no job is waiting on a paused queue');
    expect(f.actions).toBeUndefined();
  });

  it('keeps the button label short for a long queue name, but the full name in the params', () => {
    const name = 'billing::invoices-monthly-reconciliation';
    const queues = [{ ...sampleQueues()[1]!, name, paused: true, pending: 3 }];
    const action = run('corvo.queues.paused', healthyObservations({ queues: ok(queues) })).actions?.[0];
    expect(action?.label).toBe('Resume billing::invoices-mont…');
    expect(action?.label.length).toBe(30);
    expect(action?.params).toEqual({ queue: name });
  });
});

describe('corvo.workers.stale-heartbeat', () => {
  const worker = (id: string, lastHeartbeat: string) => ({
    id,
    hostname: null,
    queues: '["emails"]',
    last_heartbeat: lastHeartbeat,
  });

  it('is critical when no worker heartbeated recently while jobs are pending', () => {
    const f = run('corvo.workers.stale-heartbeat', healthyObservations(), NOW + 5 * 60_000);
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('No live worker while jobs are pending');
    expect(f.evidence).toBe(
      '0 of 1 workers heartbeated within 1 min while 1,280 jobs are pending; gone (no heartbeat for over 5 min): wkr-emails-7f9c@worker-3 5 min 3 s ago',
    );
  });

  it('warns about a worker that went silent within the last 5 minutes while others are alive', () => {
    const workers = [...sampleWorkers(), worker('wkr-hung', '2026-02-21T10:13:05Z')];
    const f = run('corvo.workers.stale-heartbeat', healthyObservations({ workers: ok(workers) }));
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('Workers went silent');
    expect(f.evidence).toBe('1 of 2 workers heartbeated within 1 min; silent: wkr-hung 2 min ago');
  });

  it('lists long-gone worker rows without warning (Corvo keeps them)', () => {
    const workers = [...sampleWorkers(), worker('wkr-old', '2026-02-21T08:15:05Z')];
    const f = run('corvo.workers.stale-heartbeat', healthyObservations({ workers: ok(workers) }));
    expect(f.severity).toBe('ok');
    expect(f.evidence).toBe(
      '1 of 2 workers heartbeated within 1 min; gone (no heartbeat for over 5 min): wkr-old 2 h ago',
    );
  });

  it('warns when a queue with pending jobs has no live worker subscribed (queues is a JSON string)', () => {
    const workers = sampleWorkers().map((w) => ({ ...w, queues: '["webhooks"]' }));
    const f = run('corvo.workers.stale-heartbeat', healthyObservations({ workers: ok(workers) }));
    expect(f.severity).toBe('warning');
    expect(f.evidence).toBe(
      '1 of 1 workers heartbeated within 1 min; no live worker subscribes to emails (1,280 pending)',
    );
  });

  it('is ok with no workers and nothing pending', () => {
    const queues = sampleQueues().map((q) => ({ ...q, pending: 0, paused: false }));
    const f = run('corvo.workers.stale-heartbeat', healthyObservations({ workers: ok([]), queues: ok(queues) }));
    expect(f.severity).toBe('ok');
    expect(f.evidence).toBe('no workers registered, 0 jobs pending');
  });
});

describe('multi-raft', () => {
  const obs = () => healthyObservations({ clusterStatus: ok(multiRaftStatus()), metricsText: multiRaftMetricsText() });

  it('the parser reports the <nil> lines instead of throwing', () => {
    expect(parseExposition(multiRaftMetricsText()).problems.length).toBe(2);
  });

  it('explains the invalid exposition with a warning and a runbook correction', () => {
    const f = run('corvo.metrics.invalid-exposition', obs());
    expect(f.severity).toBe('warning');
    expect(f.evidence).toMatch(/^2 unparseable lines in \/api\/v1\/metrics: /);
    expect(f.evidence).toContain('<nil>');
    expect(f.evidence).toContain('Corvo runs multi-raft (2 groups)');
    expect(f.runbookCorrection).toContain('corvo_raft_state` prints 0');
  });

  it('explains <nil> lines even when the cluster status is unavailable', () => {
    const f = run('corvo.metrics.invalid-exposition', { ...obs(), clusterStatus: failed(down) });
    expect(f.severity).toBe('warning');
    expect(f.evidence).toContain('--raft-shards > 1');
  });

  it('evaluates the other rules per raft group without crashing', () => {
    const findings = evaluateRules(corvoRules, obs(), NOW);
    const byCode = new Map(findings.map((f) => [f.code, f]));
    expect(byCode.get('corvo.apply.pressure')?.evidence).toBe(
      'shard 0: apply queue 37 / 16,384 pending — normal is < 1,000; shard 1: apply queue 12 / 16,384 pending — normal is < 1,000',
    );
    expect(byCode.get('corvo.raft.snapshot-missing')?.severity).toBe('ok');
    expect(byCode.get('corvo.raft.replication-lag')?.evidence).toContain('shard 1: commit index 301,880');
    expect(byCode.get('corvo.apply.queue-time-p99')?.evidence).toContain('shard 0: apply queue-time p99 1.92 ms');
    const notOk = findings.filter((f) => f.severity !== 'ok').map((f) => f.code);
    expect(notOk).toEqual(['corvo.metrics.invalid-exposition']);
  });

  it('does not read the missing snapshot line of a multi-raft exposition as "no snapshot"', () => {
    expect(skipped('corvo.raft.snapshot-missing', { ...obs(), clusterStatus: failed(down) })).toBe(true);
  });
});
