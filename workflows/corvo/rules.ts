import { getHistogram } from '../../integrations/prometheus/query.js';
import { histogramQuantile } from '../../integrations/prometheus/histogram-quantile.js';
import { formatNumber, formatSeconds } from '../../src/core/format.js';
import { worstSeverity, type Finding, type ProposedAction, type Severity } from '../../src/core/report.js';
import { isTargetError } from '../../src/core/target-error.js';
import { isUnhealthyAnswer, type CorvoObservations } from './observe.js';
import {
  describeSelf,
  isMultiRaft,
  parseIndex,
  parseTimestampMs,
  parseWorkerQueues,
  percent,
  readLeadership,
  readMetric,
  readMetrics,
  readPendingTotal,
  readQueues,
  readRaftGroups,
  statusHistogramBuckets,
  type Leadership,
  type RaftGroup,
} from './signals.js';

/** What a rule's `evaluate` returns; {@link evaluateRule} adds the rule's code, section and defaults. */
export interface FindingDraft {
  readonly severity: Severity;
  /** The measured value against its threshold. */
  readonly evidence: string;
  /** Defaults to the rule's `okTitle` for `ok`, else its `title`. */
  readonly title?: string;
  /** Defaults to the rule's `nextStep` for `warning`/`critical`. */
  readonly nextStep?: string;
  /** Defaults to the rule's `runbookCorrection` for `warning`/`critical`. */
  readonly runbookCorrection?: string;
  /** Defaults to the rule's `actions` for `warning`/`critical`; `[]` offers none. */
  readonly actions?: readonly ProposedAction[];
}

/**
 * One check of the Corvo runbook, as data. `O` is what it reads: the core observations, or a workflow's richer ones
 * (active jobs, runtime, the queue asked about).
 */
export interface CorvoRule<O extends CorvoObservations = CorvoObservations> {
  /** Stable dotted code (`corvo.sqlite.mirror-dropped`). */
  readonly code: string;
  /** Title when the signal is bad. */
  readonly title: string;
  /** Title when the signal is healthy. */
  readonly okTitle: string;
  /** Runbook section the signal comes from (`Critical Metrics to Monitor › SQLite Mirror`). */
  readonly section: string;
  /** What to do when the signal is bad, corrected where the runbook is wrong. */
  readonly nextStep: string;
  /** Where the runbook misleads about this signal. */
  readonly runbookCorrection?: string;
  /** Fixes offered when the signal is bad. */
  readonly actions?: readonly ProposedAction[];
  /** Reads the observations; null when the data it needs is missing (the failed probe is reported on its own). */
  evaluate(obs: O, nowMs: number): FindingDraft | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Thresholds. The runbook gives "normal < 1000", "p99 > 50ms", "> 10" s and "> 0"; the others are the bot's own
// and are documented in the evidence line so the operator sees what the value was compared with.

export const THRESHOLDS = {
  /** Runbook: `corvo_raft_apply_pending` "normal < 1000". */
  applyPendingWarn: 1000,
  /** Critical from this share of `apply_max_pending`: the queue is about to reject writes with 429 OVERLOADED. */
  applyPendingCriticalRatio: 0.8,
  /** Runbook: queue time "p99 > 50ms = problem". Also used for the FSM apply time, which the runbook leaves open. */
  queueTimeP99Seconds: 0.05,
  applyTimeP99Seconds: 0.05,
  /** Share of the configured max in-flight frames / open streams. */
  streamWarnRatio: 0.8,
  /** `commit_index − applied_index`. */
  replicationLagWarn: 1000,
  replicationLagCritical: 10_000,
  /** Share of the SQLite mirror queue (capacity 131072): when it is full, updates are dropped. */
  mirrorLagWarnRatio: 0.5,
  /** Runbook: `time() - corvo_scheduler_last_promote_seconds > 10`; applied to reclaim too. */
  schedulerStalledSeconds: 10,
  /** A worker without a heartbeat for longer than this is no longer live (warning while it is not yet gone). */
  workerHeartbeatStaleSeconds: 60,
  /**
   * Corvo's own "active" window (`corvo_workers_active`: heartbeat within 5 min). Older rows are workers that went
   * away (Corvo keeps their rows): listed, but alone not a warning, or every redeploy would warn forever.
   */
  workerGoneSeconds: 300,
} as const;

const DEFAULT_MIRROR_CAPACITY = 131_072;

// ---------------------------------------------------------------------------------------------------------------
// Runbook sections.

export const HEALTH_CHECK = 'Health Check';
export const KEY_ENDPOINTS = 'Key Diagnostic Endpoints';
export const APPLY = 'Critical Metrics to Monitor › Apply Pipeline Pressure';
export const STREAM = 'Critical Metrics to Monitor › Stream Health';
export const RAFT = 'Critical Metrics to Monitor › Raft Health';
export const SQLITE = 'Critical Metrics to Monitor › SQLite Mirror';
export const SCHEDULER = 'Critical Metrics to Monitor › Scheduler';
export const STUCK_PENDING = 'Common Issues › Jobs Stuck Pending (Workers Not Fetching)';

// ---------------------------------------------------------------------------------------------------------------
// Corrections shared by several rules (reference/targets.md §1.8).

export const LIFECYCLE_OVERLOAD_CORRECTION =
  'The runbook watches `corvo_lifecycle_overload_total` for stream overload: that counter only increments when ' +
  'StreamConfig.AcquireTimeout > 0, which no CLI flag sets, so it stays 0. Workers get RESOURCE_EXHAUSTED from the ' +
  'open-stream cap (`corvo_lifecycle_streams_open` vs `corvo_lifecycle_streams_max`) or from store overloads.';

export const SNAPSHOT_CORRECTION =
  'The runbook says `corvo_raft_snapshot_latest_index` sits at 0 when snapshots fail: Corvo omits the metric ' +
  'entirely while no snapshot exists, so a grep for it prints nothing. The cluster status `snapshot.count` and ' +
  '`snapshot.error` are the reliable source.';

export const REBUILD_SQLITE_CORRECTION =
  'The runbook calls `POST /api/v1/admin/rebuild-sqlite` "safe to run anytime" and the "Nuclear" fix. On a real ' +
  "Corvo it is neither: it rebuilds ONLY the leader's SQLite mirror (a follower's needs a restart or re-join); it " +
  'can fail with 500 INTERNAL_ERROR "FOREIGN KEY constraint failed (787)" when a job has a recorded error (a retry ' +
  "may succeed); under multi-raft (`--raft-shards > 1`) it answers ok while SQLite keeps only the last shard's " +
  "data; sent to a follower whose HTTP port differs from the leader's it fails with 503 FORWARD_LOOP; and it brings " +
  'back jobs of queues that were cleared or deleted. It does not touch Pebble, so it is no fix for jobs stuck ' +
  'active. The log line to grep is "sqlite mirror queue full; dropping mirror updates" (plural, attribute ' +
  '`total_drops`), logged on the 1st drop and then every 10,000th.';

export const RECLAIM_WITHIN_2S_CORRECTION =
  'The runbook says `corvo_scheduler_last_reclaim_seconds` "should be recent (within 2s)": Corvo prints whole Unix ' +
  'seconds, so with the 1 s reclaim interval a healthy idle leader shows 0.6–2.5 s by `time() - …`, and a strict ' +
  '2 s rule alarms on it about twice in 30 runs. Allow one more second (the bot does).';

export const FOLLOWER_PROXY_CORRECTION =
  "Writes sent to a follower are forwarded to the leader's raft host on the follower's OWN HTTP port: this works " +
  'only when every node uses the same HTTP port (`--bind`); otherwise the answer is 503 FORWARD_LOOP.';

export const APPLIED_INDEX_CORRECTION =
  'The runbook says `corvo_raft_applied_index` "should grow steadily": it grows by 1–2 entries a second on an idle ' +
  "node too (the leader's scheduler writes through raft), so its growth is not evidence of traffic; an idle node " +
  'still snapshots every 4,096 entries (about 45 min).';

export const STUCK_ACTIVE_CORRECTION =
  'The runbook\'s "Jobs Stuck Active" fix `corvo retry <job-id>` does not work on active jobs: the server answers ' +
  '400 RETRY_ERROR (retry is allowed only from dead, cancelled, completed or scheduled). Use ' +
  '`POST /api/v1/jobs/{id}/cancel` ("cancelling") or let the reclaim scheduler handle expired leases. Also, ' +
  "`/jobs/search` rows have no `lease_expires_at` (the runbook's jq prints null): read it from `GET /api/v1/jobs/{id}`.";

export const MULTI_RAFT_CORRECTION =
  "With `--raft-shards > 1` the runbook's metric greps mislead: `corvo_raft_apply_pending` and " +
  '`corvo_raft_apply_max_pending` print `<nil>`, `corvo_raft_state` prints 0 (follower) on every node, and the ' +
  'mirror, index, snapshot and queue/apply-time lines are missing. Read those from `/api/v1/cluster/status` per group.';

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

export interface Part {
  readonly severity: Severity;
  readonly text: string;
}

/**
 * Evaluates a signal per raft group and merges the parts into one draft: worst severity, and the evidence of the
 * groups that are not ok (or of every group when all are ok). Undefined when no group has the signal.
 */
export function perGroup(
  groups: readonly RaftGroup[] | undefined,
  partFor: (status: RaftGroup['status']) => Part | undefined,
): Part | undefined {
  if (!groups) return undefined;
  const parts: (Part & { label?: string })[] = [];
  for (const g of groups) {
    const part = partFor(g.status);
    if (part) parts.push({ ...part, label: g.label });
  }
  if (parts.length === 0) return undefined;
  const severity = worstSeverity(parts);
  const shown = severity === 'ok' ? parts : parts.filter((p) => p.severity !== 'ok');
  const hidden = parts.length - shown.length;
  const text =
    shown.map((p) => (p.label ? `${p.label}: ${p.text}` : p.text)).join('; ') +
    (hidden > 0 ? `; ${hidden} other group${hidden === 1 ? '' : 's'} ok` : '');
  return { severity, text };
}

const n = formatNumber;

export function leaderHint(lead: Leadership): string {
  const id = lead.leaderIds[0];
  if (!id) return 'the leader';
  return lead.leaderAddr ? `the leader ${id} (raft ${lead.leaderAddr})` : `the leader ${id}`;
}

export function p99Part(
  buckets: readonly { le: number; count: number }[] | undefined,
  limit: number,
  label: string,
): Part | undefined {
  if (!buckets) return undefined;
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total === 0) return { severity: 'ok', text: `no ${label} observed yet since process start` };
  const p99 = histogramQuantile(0.99, buckets);
  if (Number.isNaN(p99)) return undefined;
  // In the +Inf bucket PromQL answers the highest finite bound: the true p99 is at least that.
  const lastFinite = Math.max(...buckets.filter((b) => Number.isFinite(b.le)).map((b) => b.le));
  const atLeast = p99 >= lastFinite && buckets.some((b) => b.le === Infinity) ? '≥ ' : '';
  return {
    severity: p99 > limit ? 'warning' : 'ok',
    text: `${label} p99 ${atLeast}${formatSeconds(p99)} over ${n(total)} ops — threshold ${formatSeconds(limit)}`,
  };
}

function histogramRule(
  obs: CorvoObservations,
  family: string,
  statusField: 'queue_time_hist' | 'apply_time_hist',
  limit: number,
  label: string,
): FindingDraft | null {
  // Multi-raft drops the histograms from /metrics; the status has them per group.
  const expo = readMetrics(obs);
  const hist = expo && !isMultiRaft(obs) ? getHistogram(expo, family) : undefined;
  const part =
    (hist ? p99Part(hist.buckets, limit, label) : undefined) ??
    perGroup(readRaftGroups(obs), (s) => {
      const statusHist = s[statusField];
      // `{"count":0}` before the first observation: no buckets at all.
      if (statusHist?.count === 0) return p99Part([], limit, label);
      return p99Part(statusHistogramBuckets(statusHist), limit, label);
    });
  if (!part) return null;
  return {
    severity: part.severity,
    evidence: `${part.text} (cumulative since process start, from one scrape: a recent spike is diluted)`,
  };
}

function ratioSeverity(value: number, max: number | undefined, warnRatio: number): Severity {
  if (max === undefined || max <= 0) return 'ok';
  if (value >= max) return 'critical';
  return value >= max * warnRatio ? 'warning' : 'ok';
}

export function ageText(seconds: number): string {
  return seconds < 1 ? 'just now' : `${formatSeconds(Math.round(seconds))} ago`;
}

/**
 * How long ago a scheduler op ran, from its `corvo_scheduler_last_*_seconds`. Corvo prints whole Unix seconds
 * (real-systems.md Corvo item 2): a run printed as second S happened within [S, S + 1), so its age lies between
 * `now − S − 1` and `now − S`. Rules judge `atLeast`, so the rounding alone never makes a healthy leader look late
 * (an idle leader with the 1 s interval shows 0.6–2.5 s by the raw subtraction).
 */
export interface SchedulerAge {
  readonly atLeast: number;
  readonly atMost: number;
}

/** One second: the granularity of Corvo's scheduler timestamps. */
export const SCHEDULER_GRANULARITY_SECONDS = 1;

export function schedulerAge(nowMs: number, lastSeconds: number): SchedulerAge {
  const atMost = Math.max(0, nowMs / 1000 - lastSeconds);
  return { atLeast: Math.max(0, atMost - SCHEDULER_GRANULARITY_SECONDS), atMost };
}

/** "0.2–1.2 s ago", "4 min 59 s ago": the range while it matters, one value when a second does not. */
export function schedulerAgeText(age: SchedulerAge): string {
  if (age.atMost >= 60) return `${formatSeconds(Math.round(age.atMost))} ago`;
  const r = (x: number): string => formatNumber(Math.round(x * 10) / 10);
  return `${r(age.atLeast)}–${r(age.atMost)} s ago`;
}

/** Shown with every scheduler-age evidence line: why the bot allows one more second than the raw subtraction. */
export const WHOLE_SECONDS_NOTE = 'Corvo reports whole seconds, so the bot allows 1 s for the rounding';

// ---------------------------------------------------------------------------------------------------------------
// The rules.

const healthUnhealthy: CorvoRule = {
  code: 'corvo.health.unhealthy',
  title: "Corvo reports it can't reach its database",
  okTitle: 'Corvo /healthz answers ok',
  section: HEALTH_CHECK,
  nextStep:
    "The node's database ping failed (503 UNHEALTHY): check the node's disk and data dir and its logs; if only this " +
    'node is affected, restart it (it rejoins from the leader).',
  evaluate(obs) {
    if (!obs.healthz.ok) {
      if (!isUnhealthyAnswer(obs.healthz.error)) return null;
      const err = obs.healthz.error;
      return {
        severity: 'critical',
        evidence: isTargetError(err) ? err.message : 'GET /healthz answered 503 UNHEALTHY',
      };
    }
    const h = obs.healthz.value;
    if (h.status !== 'ok') {
      return {
        severity: 'warning',
        title: `Corvo /healthz says "${h.status}"`,
        evidence: `GET /healthz status "${h.status}", raft_state ${h.raft_state} — expected "ok"`,
      };
    }
    return { severity: 'ok', evidence: `GET /healthz status "ok", raft_state ${h.raft_state}, leader ${h.leader}` };
  },
};

const raftNoLeader: CorvoRule = {
  code: 'corvo.raft.no-leader',
  title: 'Raft has no known leader',
  okTitle: 'Raft has a leader',
  section: HEALTH_CHECK,
  nextStep:
    'Without a leader, writes fail with 503 LEADER_UNAVAILABLE and the scheduler does not run. Check that a quorum ' +
    'of voters is up and that the Raft port (`--raft-bind`, default :9000) is open between the nodes; watch ' +
    '`corvo_raft_state` on each node for flapping (network partitions, overloaded nodes, disk I/O stalls).',
  evaluate(obs) {
    const lead = readLeadership(obs);
    const part = perGroup(readRaftGroups(obs), (s) => {
      const self = s.node_id ? `${s.node_id} is ${s.state ?? 'in an unknown state'}` : `state ${s.state ?? '?'}`;
      if (s.state === 'Shutdown') return { severity: 'critical', text: `${self}: raft is shut down on this node` };
      if (!s.leader_id) return { severity: 'critical', text: `no known leader (${self})` };
      if (s.state === 'Leader') return { severity: 'ok', text: `${s.node_id ?? 'this node'} is the leader` };
      return { severity: 'ok', text: `${self}; leader is ${s.leader_id}${s.leader_addr ? ` (${s.leader_addr})` : ''}` };
    });
    if (part) {
      const nodes = lead.nodeCount !== undefined ? ` — ${lead.nodeCount} nodes` : '';
      const follower = part.severity === 'ok' && lead.isLeader === false;
      return {
        severity: part.severity,
        evidence: part.text + nodes,
        nextStep: follower
          ? `The bot probed a follower: writes and remediations sent to ${describeSelf(lead)} are forwarded to ` +
            `${leaderHint(lead)} on this node's own HTTP port — they work only if every node uses the same HTTP ` +
            'port, else they fail with 503 FORWARD_LOOP (then point the target at the leader). The scheduler runs ' +
            'only on the leader, and workers must stream from the leader (a follower answers NOT_LEADER).'
          : undefined,
      };
    }
    if (!obs.healthz.ok) return null;
    // Cluster status unavailable: /healthz alone can tell a leader, not who leads when this node follows.
    const h = obs.healthz.value;
    if (h.leader) return { severity: 'ok', evidence: `GET /healthz: raft_state ${h.raft_state}, leader true` };
    if (h.raft_state === 'Candidate' || h.raft_state === 'Shutdown') {
      return {
        severity: 'critical',
        evidence: `GET /healthz: raft_state ${h.raft_state} — ${h.raft_state === 'Candidate' ? 'an election is under way' : 'raft is shut down on this node'}`,
      };
    }
    return {
      severity: 'inconclusive',
      title: 'Raft leader not confirmed',
      evidence: `GET /healthz: raft_state ${h.raft_state}, leader false; the cluster status (which names the leader) could not be read`,
    };
  },
};

const applyPressure: CorvoRule = {
  code: 'corvo.apply.pressure',
  title: 'Apply pipeline under pressure',
  okTitle: 'Apply queue depth normal',
  section: APPLY,
  nextStep:
    'Find what floods the apply queue: too many concurrent writes for the hardware, a slow disk (especially with ' +
    '`--durable`), large Pebble compactions, one queue with many concurrent fetches. Make sure workers honour ' +
    '`retry_after_ms`. Mitigations: raise `--raft-max-pending` (default 16384), `--raft-shards N` for write ' +
    'parallelism, another `--raft-store` (badger is usually fastest), lower `--raft-max-fetch-inflight`.',
  evaluate(obs) {
    const part = (pending: number, max: number | undefined): Part => {
      const severity =
        max !== undefined && max > 0 && pending >= max * THRESHOLDS.applyPendingCriticalRatio
          ? 'critical'
          : pending >= THRESHOLDS.applyPendingWarn
            ? 'warning'
            : 'ok';
      const of = max !== undefined ? ` / ${n(max)}` : '';
      const crit =
        severity === 'critical' && max !== undefined
          ? `; ${percent(pending, max)} of max, critical from ${THRESHOLDS.applyPendingCriticalRatio * 100} %`
          : '';
      return {
        severity,
        text: `apply queue ${n(pending)}${of} pending — normal is < ${n(THRESHOLDS.applyPendingWarn)}${crit}`,
      };
    };
    const fromStatus = perGroup(readRaftGroups(obs), (s) =>
      s.apply_pending_now !== undefined ? part(s.apply_pending_now, s.apply_max_pending) : undefined,
    );
    const pending = readMetric(obs, 'corvo_raft_apply_pending');
    const result =
      fromStatus ??
      (pending !== undefined ? part(pending, readMetric(obs, 'corvo_raft_apply_max_pending')) : undefined);
    return result ? { severity: result.severity, evidence: result.text } : null;
  },
};

const applyOverload: CorvoRule = {
  code: 'corvo.apply.overload',
  title: 'Apply queue rejected writes (429 OVERLOADED)',
  okTitle: 'No apply-queue overloads',
  section: APPLY,
  nextStep:
    'Clients got 429 OVERLOADED ("raft apply overloaded: pending queue is full"). The counter is since process ' +
    'start: run the check again to see whether it is still increasing. If it is, follow the apply-pressure ' +
    'mitigations: workers must honour `retry_after_ms`; raise `--raft-max-pending`, use `--raft-shards N`, reduce ' +
    '`--raft-max-fetch-inflight`; look for slow disk or Pebble compactions.',
  evaluate(obs) {
    const part = (overloads: number, fetchOverloads: number | undefined): Part => ({
      severity: overloads > 0 ? 'warning' : 'ok',
      text:
        `${n(overloads)} apply-queue-full rejections since process start — should be 0` +
        (fetchOverloads !== undefined ? ` (per-queue fetch overloads: ${n(fetchOverloads)})` : ''),
    });
    const fromStatus = perGroup(readRaftGroups(obs), (s) =>
      s.overload_total !== undefined ? part(s.overload_total, s.fetch_overload_total) : undefined,
    );
    const metric = readMetric(obs, 'corvo_raft_apply_overload_total');
    const result =
      fromStatus ??
      (metric !== undefined ? part(metric, readMetric(obs, 'corvo_raft_fetch_overload_total')) : undefined);
    return result ? { severity: result.severity, evidence: result.text } : null;
  },
};

const applyQueueTime: CorvoRule = {
  code: 'corvo.apply.queue-time-p99',
  title: 'Writes wait too long in the apply queue',
  okTitle: 'Apply queue wait time normal',
  section: APPLY,
  nextStep:
    'Ops wait for Raft before they are applied: check disk latency (`--durable`), Pebble compactions and the FSM ' +
    'apply time (`corvo_raft_apply_time_seconds`). The value is cumulative since process start: for the current ' +
    'p99 use `histogram_quantile(0.99, rate(corvo_raft_queue_time_seconds_bucket[5m]))` in Prometheus.',
  evaluate: (obs) =>
    histogramRule(
      obs,
      'corvo_raft_queue_time_seconds',
      'queue_time_hist',
      THRESHOLDS.queueTimeP99Seconds,
      'apply queue-time',
    ),
};

const applyTime: CorvoRule = {
  code: 'corvo.apply.fsm-time-p99',
  title: 'FSM apply is slow',
  okTitle: 'FSM apply time normal',
  section: APPLY,
  nextStep:
    'The runbook gives no threshold for `corvo_raft_apply_time_seconds`; the bot uses the 50 ms queue-time budget, ' +
    'since slow applies back up the apply queue. Look at disk latency and Pebble compactions on this node, and ' +
    'profile it (`/debug/pprof/profile?seconds=30`).',
  evaluate: (obs) =>
    histogramRule(obs, 'corvo_raft_apply_time_seconds', 'apply_time_hist', THRESHOLDS.applyTimeP99Seconds, 'FSM apply'),
};

const streamSaturation: CorvoRule = {
  code: 'corvo.stream.saturation',
  title: 'Lifecycle streams saturated (frames in flight)',
  okTitle: 'Lifecycle stream frames within limits',
  section: STREAM,
  nextStep:
    'Raise `--stream-max-inflight` (default 2048), throttle fast clients with `--stream-max-fps` (default 500), ' +
    'and raise `--idle-fetch-sleep` to cut empty-fetch pressure.',
  runbookCorrection: LIFECYCLE_OVERLOAD_CORRECTION,
  evaluate(obs) {
    const inflight = readMetric(obs, 'corvo_lifecycle_frames_inflight');
    if (inflight === undefined) return null;
    const max = readMetric(obs, 'corvo_lifecycle_frames_max_inflight');
    const overloads = readMetric(obs, 'corvo_lifecycle_overload_total');
    let severity = ratioSeverity(inflight, max, THRESHOLDS.streamWarnRatio);
    if (overloads !== undefined && overloads > 0 && severity === 'ok') severity = 'warning';
    const of = max !== undefined ? ` / ${n(max)}` : '';
    const overloadText =
      overloads === undefined
        ? ''
        : overloads > 0
          ? `; corvo_lifecycle_overload_total ${n(overloads)} (unexpected: no CLI flag enables it — this build sets an acquire timeout)`
          : '; corvo_lifecycle_overload_total 0 (always 0 with the CLI’s stream config)';
    return {
      severity,
      evidence: `frames in flight ${n(inflight)}${of} — warning from ${THRESHOLDS.streamWarnRatio * 100} % of max${overloadText}`,
      runbookCorrection: LIFECYCLE_OVERLOAD_CORRECTION,
    };
  },
};

const streamOpenCap: CorvoRule = {
  code: 'corvo.stream.open-streams',
  title: 'Open lifecycle streams near the cap (RESOURCE_EXHAUSTED)',
  okTitle: 'Open lifecycle streams within the cap',
  section: STREAM,
  nextStep:
    'Past the cap, new worker streams get RESOURCE_EXHAUSTED "too many open lifecycle streams". Raise ' +
    '`--stream-max-open` (default 4096, multiplied by the shard count) or find the client that leaks streams.',
  runbookCorrection: LIFECYCLE_OVERLOAD_CORRECTION,
  evaluate(obs) {
    const open = readMetric(obs, 'corvo_lifecycle_streams_open');
    if (open === undefined) return null;
    const max = readMetric(obs, 'corvo_lifecycle_streams_max');
    const severity = ratioSeverity(open, max, THRESHOLDS.streamWarnRatio);
    const idle = readMetric(obs, 'corvo_lifecycle_idle_fetch_total');
    return {
      severity,
      evidence:
        `open streams ${n(open)}${max !== undefined ? ` / ${n(max)}` : ''} — warning from ` +
        `${THRESHOLDS.streamWarnRatio * 100} % of the cap` +
        (idle !== undefined ? `; ${n(idle)} empty fetches since start (high = workers polling empty queues)` : ''),
    };
  },
};

const replicationLag: CorvoRule = {
  code: 'corvo.raft.replication-lag',
  title: 'Raft apply lags behind commit',
  okTitle: 'Raft applied index keeps up with commit',
  section: RAFT,
  nextStep:
    'This node applies committed entries slowly: check its disk and CPU, the FSM apply time and the SQLite mirror. ' +
    'If one follower stays behind, restart it or re-join it (`--bootstrap=false --join http://leader:8080`).',
  evaluate(obs) {
    const part = (commit: number, applied: number): Part => {
      const lag = Math.max(0, commit - applied);
      return {
        severity:
          lag > THRESHOLDS.replicationLagCritical ? 'critical' : lag > THRESHOLDS.replicationLagWarn ? 'warning' : 'ok',
        text:
          `commit index ${n(commit)} − applied index ${n(applied)} = lag ${n(lag)} — warning above ` +
          `${n(THRESHOLDS.replicationLagWarn)}, critical above ${n(THRESHOLDS.replicationLagCritical)}`,
      };
    };
    const fromStatus = perGroup(readRaftGroups(obs), (s) => {
      const commit = parseIndex(s.commit_index);
      const applied = parseIndex(s.applied_index);
      return commit !== undefined && applied !== undefined ? part(commit, applied) : undefined;
    });
    const commit = readMetric(obs, 'corvo_raft_commit_index');
    const applied = readMetric(obs, 'corvo_raft_applied_index');
    const result = fromStatus ?? (commit !== undefined && applied !== undefined ? part(commit, applied) : undefined);
    // Shown whatever the lag: the runbook's "should grow steadily" misleads on an idle cluster either way.
    return result
      ? { severity: result.severity, evidence: result.text, runbookCorrection: APPLIED_INDEX_CORRECTION }
      : null;
  },
};

const snapshotMissing: CorvoRule = {
  code: 'corvo.raft.snapshot-missing',
  title: 'No Raft snapshot',
  okTitle: 'Raft snapshots present',
  section: RAFT,
  nextStep:
    'Without a snapshot new nodes cannot bootstrap. Check free disk space on the data dir (~2× the data size for ' +
    'checkpoint + tar) and the node logs for snapshot errors; lower `--snapshot-threshold` if snapshots are too ' +
    'infrequent.',
  runbookCorrection: SNAPSHOT_CORRECTION,
  evaluate(obs) {
    let absent = false;
    const fromStatus = perGroup(readRaftGroups(obs), (s) => {
      const snap = s.snapshot;
      if (!snap) return undefined;
      if (snap.error) return { severity: 'warning', text: `listing snapshots failed: ${snap.error}` };
      if (snap.count > 0) {
        return {
          severity: 'ok',
          text: `${n(snap.count)} snapshot${snap.count === 1 ? '' : 's'}, latest at index ${n(snap.latest_index ?? 0)}`,
        };
      }
      absent = true;
      const applied = parseIndex(s.applied_index);
      const threshold = s.snapshot_threshold;
      if (applied !== undefined && threshold !== undefined && applied < threshold) {
        return {
          severity: 'ok',
          text: `no snapshot yet, as expected: applied index ${n(applied)} < snapshot_threshold ${n(threshold)}`,
        };
      }
      return {
        severity: 'warning',
        text:
          'no snapshot' +
          (applied !== undefined && threshold !== undefined
            ? ` although applied index ${n(applied)} ≥ snapshot_threshold ${n(threshold)}`
            : '') +
          ' (snapshot.count 0; corvo_raft_snapshot_latest_index absent from /metrics)',
      };
    });
    if (fromStatus) {
      return {
        severity: fromStatus.severity,
        evidence: fromStatus.text,
        runbookCorrection: absent ? SNAPSHOT_CORRECTION : undefined,
      };
    }
    const expo = readMetrics(obs);
    // Multi-raft drops the snapshot line whether or not snapshots exist: its absence says nothing there.
    if (!expo || isMultiRaft(obs) || expo.problems.length > 0) return null;
    const index = readMetric(obs, 'corvo_raft_snapshot_latest_index');
    if (index === undefined) {
      return {
        severity: 'warning',
        evidence:
          'corvo_raft_snapshot_latest_index is absent from /metrics: no snapshot exists (cluster status unavailable to confirm)',
        runbookCorrection: SNAPSHOT_CORRECTION,
      };
    }
    return {
      severity: index > 0 ? 'ok' : 'warning',
      evidence: `corvo_raft_snapshot_latest_index ${n(index)}`,
    };
  },
};

/** Offered when the SQLite mirror dropped updates. Destructive: it drops and rebuilds every SQLite table. */
export const REBUILD_SQLITE_ACTION: ProposedAction = {
  remediation: 'rebuild-sqlite',
  label: 'Rebuild SQLite',
  params: {},
  level: 'approval',
  destructive: true,
};

const mirrorDropped: CorvoRule = {
  code: 'corvo.sqlite.mirror-dropped',
  title: 'SQLite diverged from Pebble',
  okTitle: 'SQLite mirror in sync (no dropped updates)',
  section: SQLITE,
  nextStep:
    'Dashboard and search read SQLite and now show stale data (Pebble, the source of truth, is intact). Rebuild ' +
    "SQLite from Pebble (needs approval). It rebuilds ONLY the leader's mirror: the request is proxied to the " +
    "leader, so a follower's SQLite needs a restart or re-join of that node. Find why the mirror queue filled up " +
    '(see `corvo.sqlite.mirror-lag`).',
  runbookCorrection: REBUILD_SQLITE_CORRECTION,
  actions: [REBUILD_SQLITE_ACTION],
  evaluate(obs) {
    const lead = readLeadership(obs);
    let rebuiltOk = false;
    const fromStatus = perGroup(readRaftGroups(obs), (s) => {
      if (!s.sqlite_mirror) return undefined;
      const dropped = s.sqlite_mirror.dropped;
      const rebuild = s.sqlite_rebuild;
      if (dropped > 0 && rebuild?.ran && rebuild.last_success) {
        rebuiltOk = true;
        return {
          severity: 'warning',
          text:
            `${n(dropped)} SQLite mirror updates dropped since process start — should be 0; a rebuild succeeded` +
            `${rebuild.last_started_at ? ` at ${rebuild.last_started_at}` : ''}, and one scrape cannot tell ` +
            'whether drops happened after it',
        };
      }
      const failed =
        rebuild?.ran && rebuild.last_success === false
          ? `; last rebuild failed: ${rebuild.last_error ?? 'unknown error'}`
          : '';
      return {
        severity: dropped > 0 ? 'critical' : 'ok',
        text: `${n(dropped)} SQLite mirror updates dropped — should be 0${failed}`,
      };
    });
    const metric = readMetric(obs, 'corvo_sqlite_mirror_dropped_total');
    const result =
      fromStatus ??
      (metric !== undefined
        ? {
            severity: metric > 0 ? ('critical' as const) : ('ok' as const),
            text: `${n(metric)} SQLite mirror updates dropped — should be 0`,
          }
        : undefined);
    if (!result) return null;
    if (result.severity === 'ok') return { severity: 'ok', evidence: result.text };
    if (isMultiRaft(obs)) {
      // real-systems.md Corvo item 5b: under multi-raft the rebuild answers ok and keeps only the last shard's data.
      return {
        severity: result.severity,
        evidence: result.text,
        nextStep:
          'This Corvo runs multi-raft (`--raft-shards > 1`): its rebuild-sqlite answers ok while SQLite keeps only the ' +
          "last shard's data, so the bot offers no rebuild. No API fix is safe here: restart or re-join the node " +
          "(the runbook's recovery steps; not verified on multi-raft), and find why the mirror queue fills up.",
        actions: [],
      };
    }
    if (lead.isLeader === false) {
      // The rebuild would run on the leader, not on the node whose mirror diverged.
      return {
        severity: result.severity,
        evidence: result.text,
        nextStep:
          `${describeSelf(lead)} is a follower: rebuild-sqlite would be proxied to ${leaderHint(lead)} and rebuild ` +
          "only the leader's mirror. Fix this node's SQLite by restarting it or re-joining it " +
          "(`--bootstrap=false --join http://leader:8080`), and check the leader's " +
          '`corvo_sqlite_mirror_dropped_total` separately.',
        actions: [],
      };
    }
    return {
      severity: result.severity,
      evidence: result.text,
      nextStep: rebuiltOk
        ? 'Run the check again: if the dropped count grew since the last rebuild, SQLite diverged again — rebuild ' +
          "again (leader's mirror only) and find why the mirror queue fills up (see `corvo.sqlite.mirror-lag`)."
        : undefined,
    };
  },
};

const mirrorLag: CorvoRule = {
  code: 'corvo.sqlite.mirror-lag',
  title: 'SQLite mirror falling behind',
  okTitle: 'SQLite mirror keeping up',
  section: SQLITE,
  nextStep:
    'When the mirror queue is full, updates are dropped and SQLite diverges from Pebble. Look for slow disk on ' +
    "SQLite's volume, heavy dashboard/search queries, or a write burst; reduce write pressure until the lag drains.",
  evaluate(obs) {
    const part = (lag: number, capacity: number): Part => ({
      severity: lag >= capacity * THRESHOLDS.mirrorLagWarnRatio ? 'warning' : 'ok',
      text:
        `SQLite mirror lag ${n(lag)} / capacity ${n(capacity)} updates — warning from ` +
        `${THRESHOLDS.mirrorLagWarnRatio * 100} %; updates are dropped when it is full`,
    });
    const fromStatus = perGroup(readRaftGroups(obs), (s) =>
      s.sqlite_mirror
        ? part(
            Math.max(s.sqlite_mirror.lag, s.sqlite_mirror.queue_depth),
            s.sqlite_mirror.queue_capacity || DEFAULT_MIRROR_CAPACITY,
          )
        : undefined,
    );
    const metric = readMetric(obs, 'corvo_sqlite_mirror_lag_updates');
    const result = fromStatus ?? (metric !== undefined ? part(metric, DEFAULT_MIRROR_CAPACITY) : undefined);
    return result ? { severity: result.severity, evidence: result.text } : null;
  },
};

const SCHEDULER_OPS = ['promote', 'reclaim', 'expire', 'purge'] as const;

/** The scheduler runs only on the leader: on a follower every scheduler metric reads 0. */
export function schedulerOnFollower(obs: CorvoObservations): FindingDraft | undefined {
  const lead = readLeadership(obs);
  if (lead.isLeader !== false) return undefined;
  const state = lead.raftState && lead.raftState !== 'Follower' ? ` (${lead.raftState})` : '';
  return {
    severity: 'ok',
    title: 'Scheduler not checked: this node is not the leader',
    evidence:
      `${describeSelf(lead)} is not the leader${state}; the scheduler runs only on the leader, so its scheduler ` +
      'metrics always read 0 here — not evaluated rather than a false alarm',
    nextStep: `To check the scheduler, point a target at ${leaderHint(lead)}.`,
  };
}

const schedulerErrors: CorvoRule = {
  code: 'corvo.scheduler.errors',
  title: 'Scheduler errors',
  okTitle: 'Scheduler error-free',
  section: SCHEDULER,
  nextStep:
    'Check the leader\'s logs for "promote scheduled jobs" error=… and "reclaim expired leases" error=…. The ' +
    'counters are since process start: run the check again to see whether they are still growing; if they are and ' +
    'the scheduler is stalled, restart the leader (leadership moves to another node).',
  evaluate(obs, nowMs) {
    const counts = SCHEDULER_OPS.map((op) => ({ op, errors: readMetric(obs, `corvo_scheduler_${op}_errors_total`) }));
    if (counts.every((c) => c.errors === undefined)) return null;
    const follower = schedulerOnFollower(obs);
    if (follower) return follower;
    const failing = counts.filter((c) => (c.errors ?? 0) > 0);
    // Promote/reclaim errors while the op has not succeeded recently: the scheduler is failing now.
    const stillFailing = failing.filter((c) => {
      if (c.op !== 'promote' && c.op !== 'reclaim') return false;
      const last = readMetric(obs, `corvo_scheduler_last_${c.op}_seconds`);
      return last !== undefined && schedulerAge(nowMs, last).atLeast > THRESHOLDS.schedulerStalledSeconds;
    });
    const severity: Severity = stillFailing.length > 0 ? 'critical' : failing.length > 0 ? 'warning' : 'ok';
    const list = counts.map((c) => `${c.op} ${c.errors === undefined ? '?' : n(c.errors)}`).join(', ');
    return {
      severity,
      evidence:
        `scheduler errors since process start: ${list} — should be 0` +
        (stillFailing.length > 0
          ? `; ${stillFailing.map((c) => c.op).join(' and ')} also not run for more than ${THRESHOLDS.schedulerStalledSeconds} s`
          : ''),
    };
  },
};

const schedulerStalled: CorvoRule = {
  code: 'corvo.scheduler.stalled',
  title: 'Scheduler stalled',
  okTitle: 'Scheduler running',
  section: SCHEDULER,
  nextStep:
    "Promote and reclaim run every second on the leader (deferred up to 10 s under load). Check the leader's logs " +
    'for "promote scheduled jobs" / "reclaim expired leases" errors; if it stays stalled, restart the leader. Jobs ' +
    'stuck active with expired leases are reclaimed once the scheduler runs again; to free one now, cancel it ' +
    '(`POST /api/v1/jobs/{id}/cancel`), do not `corvo retry` it (refused for active jobs).',
  runbookCorrection: STUCK_ACTIVE_CORRECTION,
  evaluate(obs, nowMs) {
    const last = (['promote', 'reclaim'] as const).map((op) => ({
      op,
      at: readMetric(obs, `corvo_scheduler_last_${op}_seconds`),
    }));
    if (last.every((l) => l.at === undefined)) return null;
    const follower = schedulerOnFollower(obs);
    if (follower) return follower;
    const leaderKnown = readLeadership(obs).isLeader === true;
    const nowSec = nowMs / 1000;
    const parts = last.map(({ op, at }) => {
      if (at === undefined) return { stalled: false, text: `last ${op} unknown` };
      if (at <= 0) return { stalled: true, text: `${op} never ran since process start` };
      const raw = nowSec - at;
      const skew = raw < -5 ? ` (Corvo's clock is ${formatSeconds(-raw)} ahead of the bot's)` : '';
      const age = schedulerAge(nowMs, at);
      return {
        stalled: age.atLeast > THRESHOLDS.schedulerStalledSeconds,
        text: `last ${op} ${schedulerAgeText(age)}${skew}`,
      };
    });
    const stalled = parts.some((p) => p.stalled);
    return {
      severity: stalled ? (leaderKnown ? 'critical' : 'warning') : 'ok',
      evidence:
        `${parts.map((p) => p.text).join(', ')} — stalled above ${THRESHOLDS.schedulerStalledSeconds} s ` +
        `(${WHOLE_SECONDS_NOTE})` +
        (stalled && !leaderKnown ? ' (could not confirm this node is the leader)' : ''),
    };
  },
};

/** Slack truncates button text near 30 characters: keep the verb and the start of the queue name. */
export function resumeLabel(queue: string): string {
  const label = `Resume ${queue}`;
  return label.length <= 30 ? label : `${label.slice(0, 29)}…`;
}

const queuesPaused: CorvoRule = {
  code: 'corvo.queues.paused',
  title: 'Queues paused',
  okTitle: 'No paused queue holds jobs',
  section: STUCK_PENDING,
  nextStep:
    'Paused queues hand out no jobs. If the pause was not deliberate, resume the queue (`corvo resume <queue>`). ' +
    'Other reasons for stuck pending jobs: `max_concurrency` too low (`POST /api/v1/queues/{name}/concurrency ' +
    '{"max":0}` removes it, as does `{"max":null}`), a throttle (`DELETE /api/v1/queues/{name}/throttle`).',
  evaluate(obs) {
    const queues = readQueues(obs);
    if (!queues) return null;
    const paused = queues.filter((q) => q.paused).sort((a, b) => b.pending - a.pending);
    const of = ` — of ${n(queues.length)} queue${queues.length === 1 ? '' : 's'}`;
    if (paused.length === 0) return { severity: 'ok', evidence: `none paused${of}` };
    const list = `paused: ${paused.map((q) => `${q.name} (${n(q.pending)} pending)`).join(', ')}${of}`;
    const waiting = paused.filter((q) => q.pending > 0);
    // A paused queue with nothing pending holds nothing up (and is usually deliberate): listed, not a warning.
    if (waiting.length === 0) return { severity: 'ok', evidence: `${list}; no job is waiting on a paused queue` };
    return {
      severity: 'warning',
      title:
        waiting.length === 1
          ? `Queue ${waiting[0]!.name} is paused with ${n(waiting[0]!.pending)} jobs pending`
          : `${waiting.length} paused queues hold pending jobs`,
      evidence: list,
      actions: waiting.map((q) => ({
        remediation: 'resume',
        label: resumeLabel(q.name),
        params: { queue: q.name },
        level: 'confirm' as const,
        destructive: false,
      })),
    };
  },
};

const workersStale: CorvoRule = {
  code: 'corvo.workers.stale-heartbeat',
  title: 'Workers went silent',
  okTitle: 'Workers heartbeating',
  section: STUCK_PENDING,
  nextStep:
    'Check the silent worker processes (crashed, hung, or cut off from Corvo). Workers must stream from the ' +
    'leader: connected to a follower they get NOT_LEADER. `corvo_workers_active` counts heartbeats within the last ' +
    '5 minutes.',
  evaluate(obs, nowMs) {
    if (!obs.workers.ok) return null;
    const workers = obs.workers.value;
    const { workerHeartbeatStaleSeconds: liveLimit, workerGoneSeconds: goneLimit } = THRESHOLDS;
    const aged = workers
      .map((w) => {
        const at = parseTimestampMs(w.last_heartbeat);
        return { worker: w, age: at === undefined ? Infinity : Math.max(0, (nowMs - at) / 1000) };
      })
      .sort((a, b) => a.age - b.age);
    const live = aged.filter((a) => a.age <= liveLimit);
    const silent = aged.filter((a) => a.age > liveLimit && a.age <= goneLimit);
    const gone = aged.filter((a) => a.age > goneLimit);
    const pending = readPendingTotal(obs);
    const queues = readQueues(obs);

    // Queues with pending jobs (not paused) that no live worker subscribes to, when every live worker names its queues.
    const liveQueues = live.map((l) => parseWorkerQueues(l.worker.queues));
    const uncovered =
      queues && live.length > 0 && liveQueues.every((q) => q !== undefined)
        ? queues.filter((q) => q.pending > 0 && !q.paused && !liveQueues.some((lq) => lq!.includes(q.name)))
        : [];

    const list = (group: typeof aged) =>
      group
        .slice(0, 5)
        .map(
          (g) =>
            `${g.worker.id}${g.worker.hostname ? `@${g.worker.hostname}` : ''} ` +
            (Number.isFinite(g.age) ? ageText(g.age) : 'unreadable heartbeat'),
        )
        .join(', ') + (group.length > 5 ? ` and ${group.length - 5} more` : '');
    const head = `${n(live.length)} of ${n(workers.length)} workers heartbeated within ${formatSeconds(liveLimit)}`;
    const details =
      (silent.length > 0 ? `; silent: ${list(silent)}` : '') +
      (gone.length > 0 ? `; gone (no heartbeat for over ${formatSeconds(goneLimit)}): ${list(gone)}` : '');

    if (live.length === 0 && pending !== undefined && pending > 0) {
      return {
        severity: 'critical',
        title: 'No live worker while jobs are pending',
        evidence: `${head} while ${n(pending)} jobs are pending${details}`,
      };
    }
    if (uncovered.length > 0) {
      return {
        severity: 'warning',
        title: 'Queues with pending jobs and no live worker',
        evidence:
          `${head}; no live worker subscribes to ` +
          `${uncovered.map((q) => `${q.name} (${n(q.pending)} pending)`).join(', ')}${details}`,
      };
    }
    if (silent.length > 0) return { severity: 'warning', evidence: `${head}${details}` };
    return {
      severity: 'ok',
      evidence:
        workers.length === 0
          ? `no workers registered${pending !== undefined ? `, ${n(pending)} jobs pending` : ''}`
          : `${head}${details}`,
    };
  },
};

const invalidExposition: CorvoRule = {
  code: 'corvo.metrics.invalid-exposition',
  title: 'Corvo serves an invalid Prometheus exposition',
  okTitle: 'Metrics exposition valid',
  section: KEY_ENDPOINTS,
  nextStep:
    'Prometheus rejects the whole scrape when one line is invalid, so dashboards and alerts on Corvo metrics are ' +
    'blind. Alert on `up == 0` for this job meanwhile; the bot reads the affected values from ' +
    '`/api/v1/cluster/status` per raft group.',
  runbookCorrection: MULTI_RAFT_CORRECTION,
  evaluate(obs) {
    const expo = readMetrics(obs);
    if (!expo) return null;
    if (expo.problems.length === 0) {
      return { severity: 'ok', evidence: `${n(expo.families.size)} metric families parsed, no invalid line` };
    }
    const multi = isMultiRaft(obs);
    const sample = expo.problems.slice(0, 2).join('; ');
    const nil = expo.problems.some((p) => p.includes('<nil>'));
    const groups = readRaftGroups(obs);
    return {
      severity: 'warning',
      evidence:
        `${n(expo.problems.length)} unparseable line${expo.problems.length === 1 ? '' : 's'} in /api/v1/metrics: ${sample}` +
        (multi
          ? ` — Corvo runs multi-raft (${n(groups?.length ?? 0)} groups): its metrics handler prints \`<nil>\` for the apply queue and drops per-group values`
          : nil
            ? ' — `<nil>` values are what Corvo prints under `--raft-shards > 1`'
            : ''),
      runbookCorrection: multi || nil ? MULTI_RAFT_CORRECTION : undefined,
    };
  },
};

/**
 * Every check of the Corvo runbook's "Health Check" and "Critical Metrics to Monitor" sections, plus the paused-queue
 * and worker checks of "Jobs Stuck Pending". Order is the report's order within a severity.
 */
export const corvoRules: readonly CorvoRule[] = [
  healthUnhealthy,
  raftNoLeader,
  applyPressure,
  applyOverload,
  applyQueueTime,
  applyTime,
  streamSaturation,
  streamOpenCap,
  replicationLag,
  snapshotMissing,
  mirrorDropped,
  mirrorLag,
  schedulerErrors,
  schedulerStalled,
  queuesPaused,
  workersStale,
  invalidExposition,
];

/** The rule with this code (for workflows that re-run one check, e.g. after a remediation). */
export function findRule(code: string): CorvoRule | undefined {
  return corvoRules.find((r) => r.code === code);
}

/** Runs one rule and turns its draft into a finding; null when the rule had nothing to read. */
export function evaluateRule<O extends CorvoObservations>(rule: CorvoRule<O>, obs: O, nowMs: number): Finding | null {
  const draft = rule.evaluate(obs, nowMs);
  if (!draft) return null;
  const bad = draft.severity === 'warning' || draft.severity === 'critical';
  const actions = draft.actions ?? (bad ? rule.actions : undefined);
  const finding: Finding = {
    code: rule.code,
    severity: draft.severity,
    title: draft.title ?? (draft.severity === 'ok' ? rule.okTitle : rule.title),
    evidence: draft.evidence,
    section: rule.section,
    nextStep: draft.nextStep ?? (bad ? rule.nextStep : undefined),
    runbookCorrection: draft.runbookCorrection ?? (bad ? rule.runbookCorrection : undefined),
    actions: actions && actions.length > 0 ? actions : undefined,
  };
  return Object.fromEntries(Object.entries(finding).filter(([, v]) => v !== undefined)) as unknown as Finding;
}

/** Runs the rules in order; rules without data are skipped. */
export function evaluateRules<O extends CorvoObservations>(
  rules: readonly CorvoRule<O>[],
  obs: O,
  nowMs: number,
): Finding[] {
  return rules.map((r) => evaluateRule(r, obs, nowMs)).filter((f): f is Finding => f !== null);
}
