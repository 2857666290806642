/**
 * The simulator's `GET /api/v1/metrics`, printed line by line the way Corvo's hand-written handler does
 * (`reference/targets.md` §1.6/§1.7): same families, order, HELP texts, `%g` floats, the five `corvo_http_*`
 * HELP/TYPE blocks together before their interleaved samples, and the invalid `<nil>` lines of multi-raft mode.
 */
import { formatGoFloat } from './go-format.js';
import {
  RAFT_HIST_BOUNDS,
  liveIndexes,
  resolveStamp,
  visibleQueues,
  type HistData,
  type RaftGroup,
  type SimState,
} from './state.js';

/** Upper bounds of `corvo_http_request_duration_seconds` (without `+Inf`). */
export const HTTP_DURATION_BOUNDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Request counters of one `(method, route)`. `buckets[i]` counts requests `<= HTTP_DURATION_BOUNDS[i]`. */
export interface RequestMetric {
  readonly method: string;
  readonly route: string;
  total: number;
  errors: number;
  sumSeconds: number;
  buckets: number[];
  inFlight: number;
  throttled: number;
}

/** The two request series of the §1.7 sample, so a fresh simulator prints them like the sample does. */
export function sampleRequestMetrics(): RequestMetric[] {
  return [
    {
      method: 'GET',
      route: '/api/v1/queues',
      total: 120,
      errors: 0,
      sumSeconds: 0.142331007,
      buckets: [80, 118, 120, 120, 120, 120, 120, 120, 120, 120, 120, 120],
      inFlight: 0,
      throttled: 0,
    },
    {
      method: 'POST',
      route: '/api/v1/jobs/:id/retry',
      total: 3,
      errors: 1,
      sumSeconds: 0.006120444,
      buckets: [0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
      inFlight: 0,
      throttled: 0,
    },
  ];
}

/** Corvo's `normalizeMetricRoute`: ids (`job_…`, `bulk_…`, `budget_…`, long hex) become `:id`; queue names stay. */
export function normalizeMetricRoute(path: string): string {
  let route = path.trim();
  if (route === '') return '/unknown';
  if (!route.startsWith('/')) route = `/${route}`;
  return route
    .split('/')
    .map((part) => {
      const p = part.trim();
      if (p === '') return part;
      if (p.startsWith('job_') || p.startsWith('bulk_') || p.startsWith('budget_')) return ':id';
      if (p.length >= 24 && /^[0-9a-fA-F]+$/.test(p)) return ':id';
      return part;
    })
    .join('/');
}

/** Corvo's `promLabelEscape`. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const RAFT_STATE_VALUE: Record<string, number> = { follower: 0, candidate: 1, leader: 2, shutdown: 3 };

/** Renders the whole exposition for the current state at `now` (ms). */
export function renderExposition(state: SimState, requests: Iterable<RequestMetric>, now: number): string {
  const out: string[] = [];
  const family = (name: string, help: string, type: string): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  const single = (name: string, help: string, type: string, value: string | number): void => {
    family(name, help, type);
    out.push(`${name} ${value}`);
  };

  single(
    'corvo_throughput_enqueued_total',
    'Jobs enqueued in the in-memory throughput window.',
    'counter',
    state.throughput.enqueued,
  );
  single(
    'corvo_throughput_completed_total',
    'Jobs completed in the in-memory throughput window.',
    'counter',
    state.throughput.completed,
  );
  single(
    'corvo_throughput_failed_total',
    'Jobs failed in the in-memory throughput window.',
    'counter',
    state.throughput.failed,
  );

  const lc = state.lifecycle;
  single('corvo_lifecycle_streams_open', 'Currently open lifecycle streams.', 'gauge', lc.streamsOpen);
  single('corvo_lifecycle_streams_max', 'Configured max open streams.', 'gauge', lc.streamsMax);
  single('corvo_lifecycle_frames_inflight', 'Currently processing frames.', 'gauge', lc.framesInflight);
  single('corvo_lifecycle_frames_max_inflight', 'Configured max in-flight frames.', 'gauge', lc.framesMaxInflight);
  single('corvo_lifecycle_frames_total', 'Total frames processed.', 'counter', lc.framesTotal);
  single('corvo_lifecycle_streams_total', 'Total streams opened (lifetime).', 'counter', lc.streamsTotal);
  single('corvo_lifecycle_overload_total', 'Frames rejected (stream saturated).', 'counter', lc.overloadTotal);
  single(
    'corvo_lifecycle_idle_fetch_total',
    'Fetches that returned zero jobs (triggers 100ms server-side sleep).',
    'counter',
    lc.idleFetchTotal,
  );

  const g0 = state.groups[0] as RaftGroup;
  const multi = state.shards > 1;
  single('corvo_cluster_is_leader', '1 when this node is leader, else 0.', 'gauge', g0.state === 'Leader' ? 1 : 0);
  if (!multi) {
    single('corvo_sqlite_mirror_lag_updates', 'Pending SQLite mirror updates.', 'gauge', g0.mirror.lag);
    single(
      'corvo_sqlite_mirror_dropped_total',
      'Dropped SQLite mirror updates due to backpressure.',
      'counter',
      g0.mirror.dropped,
    );
  }
  // Multi-raft: the status map has no top-level apply_pending_now/apply_max_pending and Go prints nil as `<nil>`.
  single('corvo_raft_apply_pending', 'Current apply queue depth.', 'gauge', multi ? '<nil>' : g0.applyPending);
  single('corvo_raft_apply_max_pending', 'Configured max pending.', 'gauge', multi ? '<nil>' : g0.applyMaxPending);
  if (!multi) {
    single('corvo_raft_apply_overload_total', 'Rejected: apply queue full.', 'counter', g0.overloadTotal);
    single('corvo_raft_fetch_overload_total', 'Rejected: per-queue fetch sem full.', 'counter', g0.fetchOverloadTotal);
    single('corvo_raft_applied_total', 'Total ops applied through Raft.', 'counter', g0.appliedTotal);
  }
  const stateValue = multi ? 0 : (RAFT_STATE_VALUE[g0.state.toLowerCase()] ?? 0);
  single('corvo_raft_state', 'Raft state: 0=follower, 1=candidate, 2=leader, 3=shutdown.', 'gauge', stateValue);
  if (!multi) {
    const index = liveIndexes(state, g0, now);
    single('corvo_raft_applied_index', 'Last applied log index.', 'gauge', index.applied);
    single('corvo_raft_commit_index', 'Last committed log index.', 'gauge', index.commit);
    if (g0.snapshot.latestIndex !== undefined) {
      single('corvo_raft_snapshot_latest_index', 'Latest snapshot index.', 'gauge', g0.snapshot.latestIndex);
    }
    histogram(out, 'corvo_raft_queue_time_seconds', 'Wait time in apply queue.', g0.queueTime);
    histogram(out, 'corvo_raft_apply_time_seconds', 'FSM apply execution time.', g0.applyTime);
  }

  const queues = visibleQueues(state);
  single('corvo_queues_total', 'Number of known queues.', 'gauge', queues.length);
  const jobStates = ['pending', 'active', 'held', 'completed', 'dead', 'scheduled', 'retrying'] as const;
  const totals = Object.fromEntries(jobStates.map((s) => [s, 0])) as Record<(typeof jobStates)[number], number>;
  family('corvo_queue_jobs', 'Jobs per queue and state.', 'gauge');
  for (const q of queues) {
    for (const s of jobStates) {
      out.push(`corvo_queue_jobs{queue="${escapeLabel(q.name)}",state="${s}"} ${q[s]}`);
      totals[s] += q[s];
    }
  }
  family('corvo_jobs', 'Jobs aggregated across all queues by state.', 'gauge');
  for (const s of jobStates) out.push(`corvo_jobs{state="${s}"} ${totals[s]}`);

  const activeSince = now - 5 * 60 * 1000;
  const activeWorkers = state.workers.filter((w) => resolveStamp(w.lastHeartbeat, now) > activeSince).length;
  single('corvo_workers_registered', 'Total registered workers.', 'gauge', state.workers.length);
  single('corvo_workers_active', 'Workers with heartbeat within last 5 minutes.', 'gauge', activeWorkers);

  const rt = state.runtime;
  single('corvo_process_goroutines', 'Number of goroutines.', 'gauge', rt.goroutines);
  single('corvo_process_heap_inuse_bytes', 'Heap memory in use.', 'gauge', rt.heapInuseBytes);
  single('corvo_process_stack_inuse_bytes', 'Stack memory in use.', 'gauge', rt.stackInuseBytes);
  single('corvo_process_gc_pause_ns', 'Last GC pause duration (ns).', 'gauge', rt.gcPauseLastNs);

  const sch = state.scheduler;
  const opNames = { promote: 'Promote', reclaim: 'Reclaim', expire: 'Expire', purge: 'Purge' } as const;
  for (const op of ['promote', 'reclaim', 'expire', 'purge'] as const) {
    single(`corvo_scheduler_${op}_total`, `${opNames[op]} ops executed.`, 'counter', sch.runs[op]);
    single(`corvo_scheduler_${op}_errors_total`, `${opNames[op]} errors.`, 'counter', sch.errors[op]);
  }
  for (const op of ['promote', 'reclaim', 'expire', 'purge'] as const) {
    const seconds = Math.floor(resolveStamp(sch.last[op], now) / 1000);
    single(`corvo_scheduler_last_${op}_seconds`, `Unix timestamp of last ${op}.`, 'gauge', seconds);
  }

  renderRequests(out, requests);
  return `${out.join('\n')}\n`;
}

function histogram(out: string[], name: string, help: string, hist: HistData): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  let cumulative = 0;
  RAFT_HIST_BOUNDS.forEach((bound, i) => {
    cumulative += hist.perBucket[i] ?? 0;
    out.push(`${name}_bucket{le="${formatGoFloat(bound)}"} ${cumulative}`);
  });
  out.push(`${name}_sum ${formatGoFloat(hist.sumSeconds)}`, `${name}_count ${cumulative}`);
}

function renderRequests(out: string[], requests: Iterable<RequestMetric>): void {
  const http = [
    ['corvo_http_requests_total', 'HTTP requests received.', 'counter'],
    ['corvo_http_request_errors_total', 'HTTP requests resulting in 4xx/5xx.', 'counter'],
    ['corvo_http_request_duration_seconds', 'HTTP request duration in seconds.', 'histogram'],
    ['corvo_http_requests_in_flight', 'Current in-flight HTTP requests.', 'gauge'],
    ['corvo_rate_limit_throttled_total', 'Requests denied by server-side rate limiting.', 'counter'],
  ];
  for (const [name, help, type] of http) out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const sorted = [...requests].sort((a, b) =>
    a.route === b.route ? compare(a.method, b.method) : compare(a.route, b.route),
  );
  for (const m of sorted) {
    const labels = `method="${escapeLabel(m.method)}",route="${escapeLabel(m.route)}"`;
    out.push(`corvo_http_requests_total{${labels}} ${m.total}`);
    out.push(`corvo_http_request_errors_total{${labels}} ${m.errors}`);
    HTTP_DURATION_BOUNDS.forEach((bound, i) => {
      out.push(`corvo_http_request_duration_seconds_bucket{${labels},le="${formatGoFloat(bound)}"} ${m.buckets[i]}`);
    });
    out.push(`corvo_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${m.total}`);
    out.push(`corvo_http_request_duration_seconds_sum{${labels}} ${m.sumSeconds.toFixed(9)}`);
    out.push(`corvo_http_request_duration_seconds_count{${labels}} ${m.total}`);
  }
  const inFlight = sorted.reduce((n, m) => n + m.inFlight, 0);
  out.push(`corvo_http_requests_in_flight ${inFlight}`);
  for (const m of sorted) {
    if (m.throttled > 0) {
      out.push(
        `corvo_rate_limit_throttled_total{method="${escapeLabel(m.method)}",route="${escapeLabel(m.route)}"} ${m.throttled}`,
      );
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
