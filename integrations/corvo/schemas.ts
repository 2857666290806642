import { z } from 'zod';

/**
 * Zod schemas of Corvo's HTTP API, from `reference/targets.md` §1 (read from corvohq/corvo at b25ed6c8).
 * Parsing is lenient on extra fields (Corvo adds fields over time) and strict on the ones the bot reads.
 */

/** `GET /healthz` (no auth). `raft_state` is hashicorp's RaftState.String(). */
export const HealthzSchema = z.object({
  status: z.string(),
  raft_state: z.string(),
  leader: z.boolean(),
});
export type Healthz = z.infer<typeof HealthzSchema>;

/** Corvo's error envelope, on every non-2xx answer. `retry_after_ms` only on OVERLOADED (429). */
export const ErrorEnvelopeSchema = z.object({
  error: z.string(),
  code: z.string(),
  retry_after_ms: z.number().optional(),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

/**
 * Histogram in the cluster status. `{"count":0}` before any observation; bucket counts are **per bucket, not
 * cumulative**, and `le`/quantiles are Go duration strings ("50µs", "2ms", "+Inf").
 */
export const StatusHistogramSchema = z.object({
  count: z.number(),
  avg: z.string().optional(),
  p50: z.string().optional(),
  p90: z.string().optional(),
  p99: z.string().optional(),
  buckets: z.array(z.object({ le: z.string(), count: z.number() })).optional(),
});
export type StatusHistogram = z.infer<typeof StatusHistogramSchema>;

/** One raft group's status (single-raft: the whole answer; multi-raft: each element of `groups`). */
export const RaftGroupStatusSchema = z.object({
  mode: z.string().optional(),
  state: z.string().optional(),
  leader_id: z.string().optional(),
  leader_addr: z.string().optional(),
  node_id: z.string().optional(),
  /** Strings: they come straight from hashicorp raft.Stats(), a map[string]string. */
  applied_index: z.string().optional(),
  commit_index: z.string().optional(),
  raft_store: z.string().optional(),
  sqlite_mirror_async: z.boolean().optional(),
  snapshot_threshold: z.number().optional(),
  snapshot_interval: z.string().optional(),
  apply_max_pending: z.number().optional(),
  apply_pending_now: z.number().optional(),
  overload_total: z.number().optional(),
  fetch_overload_total: z.number().optional(),
  applied_total: z.number().optional(),
  queue_time_hist: StatusHistogramSchema.optional(),
  apply_time_hist: StatusHistogramSchema.optional(),
  snapshot: z
    .object({
      count: z.number(),
      latest_id: z.string().optional(),
      latest_index: z.number().optional(),
      latest_term: z.number().optional(),
      latest_size: z.number().optional(),
      error: z.string().optional(),
    })
    .optional(),
  sqlite_mirror: z
    .object({
      async: z.boolean(),
      dropped: z.number(),
      queued: z.number(),
      applied: z.number(),
      lag: z.number(),
      queue_depth: z.number(),
      queue_capacity: z.number(),
    })
    .optional(),
  sqlite_rebuild: z
    .object({
      ran: z.boolean(),
      last_started_at: z.string().optional(),
      last_duration_ms: z.number().optional(),
      last_success: z.boolean().optional(),
      last_error: z.string().optional(),
    })
    .optional(),
  nodes: z
    .array(
      z.object({
        id: z.string(),
        address: z.string(),
        voter: z.boolean(),
        role: z.string().optional(),
        self: z.boolean().optional(),
      }),
    )
    .optional(),
  shard: z.number().optional(),
});
export type RaftGroupStatus = z.infer<typeof RaftGroupStatusSchema>;

/** `GET /api/v1/cluster/status`: single raft, or `{"mode":"multi-raft","shards":n,"groups":[…]}`. */
export const ClusterStatusSchema = z.union([
  z.object({ mode: z.literal('multi-raft'), shards: z.number(), groups: z.array(RaftGroupStatusSchema) }),
  RaftGroupStatusSchema,
]);
export type ClusterStatus = z.infer<typeof ClusterStatusSchema>;

/** `GET /api/v1/debug/runtime`. */
export const RuntimeSchema = z.object({
  goroutines: z.number(),
  gomaxprocs: z.number(),
  heap_inuse_bytes: z.number(),
  stack_inuse_bytes: z.number(),
  gc_pause_p99_ns: z.number(),
  cpu_user_ns: z.number(),
  cpu_sys_ns: z.number(),
});
export type Runtime = z.infer<typeof RuntimeSchema>;

/** One element of `GET /api/v1/queues` (a JSON array). Limits are omitted when unset. */
export const QueueInfoSchema = z.object({
  name: z.string(),
  paused: z.boolean(),
  max_concurrency: z.number().optional(),
  rate_limit: z.number().optional(),
  rate_window_ms: z.number().optional(),
  created_at: z.string().optional(),
  pending: z.number(),
  active: z.number(),
  held: z.number().optional(),
  completed: z.number().optional(),
  dead: z.number().optional(),
  scheduled: z.number().optional(),
  retrying: z.number().optional(),
  enqueued: z.number().optional(),
  failed: z.number().optional(),
  oldest_pending_at: z.string().optional(),
});
export type QueueInfo = z.infer<typeof QueueInfoSchema>;

/** One element of `GET /api/v1/workers`. `queues` is a JSON-encoded string such as `"[\"emails\"]"`. */
export const WorkerInfoSchema = z.object({
  id: z.string(),
  hostname: z.string().nullable().optional(),
  queues: z.string().nullable().optional(),
  last_heartbeat: z.string(),
  started_at: z.string().optional(),
});
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;

export const JobStateSchema = z.enum([
  'pending',
  'active',
  'held',
  'completed',
  'retrying',
  'dead',
  'cancelled',
  'scheduled',
]);
export type JobState = z.infer<typeof JobStateSchema>;

/** A search row. Note: **no `lease_expires_at`** here (the runbook's jq on it always prints null). */
export const JobSummarySchema = z.object({
  id: z.string(),
  queue: z.string(),
  state: z.string(),
  payload: z.unknown().optional(),
  priority: z.number().optional(),
  attempt: z.number().optional(),
  max_retries: z.number().optional(),
  worker_id: z.string().optional(),
  created_at: z.string().optional(),
  started_at: z.string().optional(),
  completed_at: z.string().optional(),
  failed_at: z.string().optional(),
  scheduled_at: z.string().optional(),
});
export type JobSummary = z.infer<typeof JobSummarySchema>;

/**
 * `POST /api/v1/jobs/search` answer. With no match Corvo sends `"jobs":null` (a nil Go slice,
 * `internal/store/search.go`); it is read as an empty list.
 */
export const SearchResultSchema = z.object({
  jobs: z
    .array(JobSummarySchema)
    .nullable()
    .transform((jobs) => jobs ?? []),
  total: z.number(),
  cursor: z.string().optional(),
  has_more: z.boolean(),
  duration_ms: z.number().optional(),
});
export type SearchResult = z.infer<typeof SearchResultSchema>;

/** `POST /api/v1/jobs/search` body (subset the bot uses). */
export interface SearchFilter {
  queue?: string;
  state?: JobState[];
  limit?: number;
  cursor?: string;
  sort?: 'priority' | 'started_at' | 'completed_at' | 'attempt';
  order?: 'asc' | 'desc';
}

/** `GET /api/v1/jobs/{id}`: the full job, which **does** carry `lease_expires_at`. */
export const JobSchema = JobSummarySchema.extend({
  lease_expires_at: z.string().optional(),
});
export type Job = z.infer<typeof JobSchema>;

/** `POST /api/v1/admin/rebuild-sqlite`. Rebuilds only the leader's mirror (the request is proxied there). */
export const RebuildSqliteResultSchema = z.object({
  status: z.string(),
  rebuilt: z.boolean(),
  duration_ms: z.number(),
});
export type RebuildSqliteResult = z.infer<typeof RebuildSqliteResultSchema>;

/** `{"status": "..."}` answers of the management endpoints (pause, resume, retry, cancel, clear…). */
export const StatusResultSchema = z.object({ status: z.string() });
export type StatusResult = z.infer<typeof StatusResultSchema>;
