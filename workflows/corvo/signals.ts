import type { QueueInfo, RaftGroupStatus, StatusHistogram } from '../../integrations/corvo/index.js';
import type { Exposition } from '../../integrations/prometheus/parse-exposition.js';
import { getValue } from '../../integrations/prometheus/query.js';
import { nonCumulativeToCumulative } from '../../integrations/prometheus/histogram-quantile.js';
import { parseGoDuration } from './go-duration.js';
import type { CorvoObservations } from './observe.js';

/**
 * Readers shared by the Corvo rules (and by the symptom workflows built on them): each one takes the observations
 * and returns a typed value, or undefined when the probe that holds it failed or the value is absent.
 */

/** One raft group of the cluster status; `label` is `shard N` under multi-raft, undefined for a single group. */
export interface RaftGroup {
  readonly label?: string;
  readonly status: RaftGroupStatus;
}

/** The raft groups of the cluster status (one unless `--raft-shards > 1`), undefined when the probe failed. */
export function readRaftGroups(obs: CorvoObservations): readonly RaftGroup[] | undefined {
  if (!obs.clusterStatus.ok) return undefined;
  const status = obs.clusterStatus.value;
  if ('groups' in status) {
    return status.groups.map((g, i) => ({ label: `shard ${g.shard ?? i}`, status: g }));
  }
  return [{ status }];
}

/** True when the cluster status says `mode: "multi-raft"` (Corvo started with `--raft-shards > 1`). */
export function isMultiRaft(obs: CorvoObservations): boolean {
  return obs.clusterStatus.ok && 'groups' in obs.clusterStatus.value;
}

/** The parsed exposition, undefined when the metrics probe failed. */
export function readMetrics(obs: CorvoObservations): Exposition | undefined {
  return obs.metrics.ok ? obs.metrics.value : undefined;
}

/** A metric sample's value when it is present and a finite number. */
export function readMetric(obs: CorvoObservations, name: string, labels?: Record<string, string>): number | undefined {
  const expo = readMetrics(obs);
  if (!expo) return undefined;
  const v = getValue(expo, name, labels);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** Raft indexes arrive as strings (hashicorp `raft.Stats()` is a `map[string]string`). */
export function parseIndex(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/** RFC 3339 (nanosecond fractions included) to epoch ms; undefined when unparseable. */
export function parseTimestampMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `/workers` `queues` is a JSON-encoded string (`"[\"emails\"]"`); undefined when null or not a string array. */
export function parseWorkerQueues(value: string | null | undefined): string[] | undefined {
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) && parsed.every((q) => typeof q === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Under `--raft-shards N` Corvo names this node's member of each raft group `<node-id>-sNN` (`node-1-s00`,
 * `node-1-s01`; real-systems.md Corvo item 3): one node, N shards. The node's own id, without the shard suffix.
 * Only applied under multi-raft, where the suffix is Corvo's; a single-raft node may be named anything.
 */
export function nodeOfGroupMember(id: string, multiRaft: boolean): string {
  return multiRaft ? id.replace(/-s\d{2,}$/, '') : id;
}

/** Who leads, as seen from the probed node. */
export interface Leadership {
  /** The probed node's id (cluster status `node_id`). */
  readonly selfId?: string;
  /** Whether the probed node leads (shard 0 under multi-raft); undefined when no source says. */
  readonly isLeader?: boolean;
  /** The probed node's raft state (`Leader`, `Follower`, `Candidate`, `Shutdown`). */
  readonly raftState?: string;
  /**
   * Leader node ids, one per raft group, deduplicated; empty when no leader is known. Under multi-raft these are
   * node ids (`node-1`), not the per-shard member ids (`node-1-s00`).
   */
  readonly leaderIds: readonly string[];
  /** Raft groups with a known leader (under multi-raft, one per shard). */
  readonly ledGroups: number;
  /** Leader raft address of the single group (or shard 0). */
  readonly leaderAddr?: string;
  /** Cluster members listed by the cluster status (union over groups). */
  readonly nodeCount?: number;
}

/** Leadership from the cluster status, then `/healthz`, then `corvo_cluster_is_leader`. */
export function readLeadership(obs: CorvoObservations): Leadership {
  const groups = readRaftGroups(obs);
  const first = groups?.[0]?.status;
  const healthz = obs.healthz.ok ? obs.healthz.value : undefined;
  const metricLeader = readMetric(obs, 'corvo_cluster_is_leader');
  const isLeader =
    healthz?.leader ??
    (first?.state !== undefined ? first.state === 'Leader' : undefined) ??
    (metricLeader !== undefined ? metricLeader === 1 : undefined);
  const multi = isMultiRaft(obs);
  const node = (id: string): string => nodeOfGroupMember(id, multi);
  const leaders = (groups ?? []).map((g) => g.status.leader_id).filter((id): id is string => !!id);
  const leaderIds = [...new Set(leaders.map(node))];
  const nodeIds = new Set((groups ?? []).flatMap((g) => (g.status.nodes ?? []).map((n) => node(n.id))));
  return {
    selfId: first?.node_id !== undefined ? node(first.node_id) : undefined,
    ledGroups: leaders.length,
    isLeader,
    raftState: first?.state ?? healthz?.raft_state,
    leaderIds,
    leaderAddr: first?.leader_addr || undefined,
    nodeCount: nodeIds.size > 0 ? nodeIds.size : undefined,
  };
}

/** `node-2` or `this node` when the id is unknown. */
export function describeSelf(lead: Leadership): string {
  return lead.selfId ? `this node (${lead.selfId})` : 'this node';
}

/**
 * A status histogram (`queue_time_hist`, `apply_time_hist`) as cumulative buckets with numeric `le` (seconds):
 * Corvo reports per-bucket counts and Go duration strings. Undefined when there are no buckets or one is unreadable.
 */
export function statusHistogramBuckets(hist: StatusHistogram | undefined): { le: number; count: number }[] | undefined {
  if (!hist?.buckets || hist.buckets.length === 0) return undefined;
  const perBucket: { le: number; count: number }[] = [];
  for (const b of hist.buckets) {
    const le = parseGoDuration(b.le);
    if (le === undefined) return undefined;
    perBucket.push({ le, count: b.count });
  }
  return nonCumulativeToCumulative(perBucket);
}

/** The queues, undefined when the `/queues` probe failed. */
export function readQueues(obs: CorvoObservations): readonly QueueInfo[] | undefined {
  return obs.queues.ok ? obs.queues.value : undefined;
}

/** Total pending jobs: `/queues` when it answered, else `corvo_jobs{state="pending"}`. */
export function readPendingTotal(obs: CorvoObservations): number | undefined {
  const queues = readQueues(obs);
  if (queues) return queues.reduce((sum, q) => sum + q.pending, 0);
  return readMetric(obs, 'corvo_jobs', { state: 'pending' });
}

/** `12 %` of `part / whole`, rounded down so 79.9 % never prints as 80 %. */
export function percent(part: number, whole: number): string {
  return `${Math.floor((part / whole) * 100)} %`;
}
