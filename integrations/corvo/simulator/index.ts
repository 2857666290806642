/**
 * A loopback fake of one Corvo node, faithful to `reference/targets.md` §1: same routes, auth rules (`X-API-Key`,
 * `Authorization: Bearer`, cookie `corvo_api_key`; roles), JSON shapes, error envelope and codes, and the
 * hand-written Prometheus exposition. It holds state, so a remediation changes what the next diagnostic sees.
 * Used by tests, the demo and `main.ts`; never in production.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { closeServer, createDelays, listenOnLoopback, trackSockets } from '../../shared/simulator/loopback-server.js';
import { formatGoDuration, formatRfc3339Nano } from './go-format.js';
import {
  HTTP_DURATION_BOUNDS,
  normalizeMetricRoute,
  renderExposition,
  sampleRequestMetrics,
  type RequestMetric,
} from './exposition.js';
import {
  RAFT_HIST_BOUNDS,
  NORMAL_PRIORITY,
  createScenarioState,
  liveIndexes,
  resolveStamp,
  visibleQueues,
  type CorvoScenario,
  type HistData,
  type JobState,
  type RaftGroup,
  type SimJob,
  type SimQueue,
  type SimState,
} from './state.js';

export { CORVO_SCENARIOS, type CorvoScenario } from './state.js';

/** Corvo's built-in API key roles (`internal/server/auth.go: isRoleAllowed`). */
export type CorvoRole = 'admin' | 'operator' | 'readonly' | 'worker';

export interface CorvoSimulatorOptions {
  /** Initial scenario. Default `healthy`. */
  scenario?: CorvoScenario;
  /** When set, `/api/v1/*` requires this key (it acts like `--admin-password`: full admin). */
  apiKey?: string;
  /** More keys with their roles (e.g. a `readonly` key to see 403s). Setting any key turns auth on. */
  apiKeys?: Readonly<Record<string, CorvoRole>>;
  /** Port to listen on. Default 0 (a free port). */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Source of every timestamp the simulator prints. Default the system clock. */
  clock?: Clock;
  /** Delay before every answer, ms. Default 0. */
  latencyMs?: number;
}

/** One mutating request the simulator received (POST/DELETE/PUT, except the read-only `POST /api/v1/jobs/search`). */
export interface RecordedCall {
  method: string;
  /** Raw request path, without the query string (`/api/v1/queues/emails/pause`). */
  path: string;
  /** Parsed JSON body; the raw text when it was not JSON; `undefined` when empty. */
  body: unknown;
  /** Clock time the request arrived, ms. */
  at: number;
  /** HTTP status the simulator answered. */
  status: number;
}

/** An injected failure's envelope; `retry_after_ms` is optional (OVERLOADED). */
export interface InjectedFailure {
  error: string;
  code: string;
  retry_after_ms?: number;
}

export interface CorvoSimulator {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every mutating call, in order. */
  readonly calls: readonly RecordedCall[];
  /** Current scenario. */
  readonly scenario: CorvoScenario;
  /** Resets the node's state to the scenario's initial state (the recorded calls and HTTP counters are kept). */
  setScenario(s: CorvoScenario): void;
  /** Delays every answer by `ms` (timeout tests). */
  setLatency(ms: number): void;
  /**
   * Makes the next request to `path` (exact path, any method, after authentication) answer `status` with `body` as
   * Corvo's error envelope. A 429 also gets `Retry-After` (from `retry_after_ms`, else `1` as the rate limiter sends).
   */
  failNext(path: string, status: number, body: InjectedFailure): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** Retry hint range of `raft apply overloaded: pending queue is full`, scaled by backlog (§1.5). */
const OVERLOAD_RETRY_MIN_MS = 1;
const OVERLOAD_RETRY_MAX_MS = 12;
const REBUILD_DURATION_MS = 1234;
const MAX_REQUEST_BODY = 4 * 1024 * 1024;
const RAFT_HIST_LABELS = [
  '50µs',
  '100µs',
  '200µs',
  '500µs',
  '1ms',
  '2ms',
  '5ms',
  '10ms',
  '20ms',
  '50ms',
  '100ms',
  '200ms',
  '500ms',
  '1s',
  '+Inf',
];

/** Starts a simulator listening on `host:port` (default `127.0.0.1:0`). */
export async function startCorvoSimulator(o: CorvoSimulatorOptions = {}): Promise<CorvoSimulator> {
  const clock = o.clock ?? systemClock;
  const keys = new Map<string, CorvoRole>(Object.entries(o.apiKeys ?? {}));
  if (o.apiKey !== undefined) keys.set(o.apiKey, 'admin');
  let state: SimState = createScenarioState(o.scenario ?? 'healthy', clock.now());
  let latencyMs = o.latencyMs ?? 0;
  const calls: RecordedCall[] = [];
  const failures = new Map<string, InjectedFailure & { status: number }>();
  const requests = new Map<string, RequestMetric>(sampleRequestMetrics().map((m) => [`${m.method} ${m.route}`, m]));
  const delays = createDelays();

  function metricFor(method: string, path: string): RequestMetric {
    const route = normalizeMetricRoute(safeDecode(path));
    const key = `${method} ${route}`;
    let m = requests.get(key);
    if (!m) {
      m = {
        method,
        route,
        total: 0,
        errors: 0,
        sumSeconds: 0,
        buckets: HTTP_DURATION_BOUNDS.map(() => 0),
        inFlight: 0,
        throttled: 0,
      };
      requests.set(key, m);
    }
    return m;
  }

  const server: Server = createServer((req, res) => {
    if (state.scenario === 'unreachable') {
      req.socket.destroy();
      return;
    }
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, jsonError(500, 'internal simulator error', 'INTERNAL_ERROR'));
      else res.destroy();
    });
  });
  // `unreachable`: accept, then drop at once, so clients see a reset rather than a refusal.
  const sockets = trackSockets(server, () => state.scenario === 'unreachable');

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = clock.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const metric = metricFor(method, path);
    metric.inFlight++;
    let finished = false;
    const finish = (status: number, throttled: boolean): void => {
      if (finished) return;
      finished = true;
      metric.inFlight--;
      if (throttled) {
        metric.throttled++;
        return;
      }
      metric.total++;
      if (status >= 400) metric.errors++;
      const seconds = (clock.now() - started) / 1000;
      if (seconds > 0) {
        metric.sumSeconds += seconds;
        HTTP_DURATION_BOUNDS.forEach((bound, i) => {
          if (seconds <= bound) metric.buckets[i] = (metric.buckets[i] ?? 0) + 1;
        });
      }
    };
    res.on('close', () => finish(res.statusCode, false));

    const raw = await readRequestBody(req);
    if (latencyMs > 0) await delays.delay(latencyMs);
    if (state.scenario === 'unreachable') {
      res.destroy();
      return;
    }

    // Like a Go handler, the request is processed even if the client gave up waiting.
    const reply = route(method, path, raw, req);
    const mutating = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && path !== '/api/v1/jobs/search';
    if (mutating) calls.push({ method, path, body: parseBodyForRecord(raw), at: started, status: reply.status });
    if (reply.headers['x-sim-throttled']) {
      delete reply.headers['x-sim-throttled'];
      finish(reply.status, true);
    }
    if (res.destroyed || res.writableEnded) return;
    send(res, reply);
  }

  /** Routes one request to its answer (chi routing, then auth, injected failure, leader check, handler). */
  function route(method: string, path: string, raw: string, req: IncomingMessage): Reply {
    // Go decodes the path; with an encoded slash it keeps RawPath, and chi then routes on (and returns) raw segments.
    const segments = /%2f/i.test(path) ? path.split('/').slice(1) : path.split('/').slice(1).map(safeDecode);
    if (path === '/healthz') {
      if (method !== 'GET') return methodNotAllowed();
      return injected(path) ?? healthz();
    }
    if (path === '/api/v1/info') {
      if (method !== 'GET') return methodNotAllowed();
      return injected(path) ?? json(200, { server_version: '0.9.4', api_version: 'v1' });
    }
    if (segments[0] !== 'api' || segments[1] !== 'v1') return notFound();

    // Everything under /api/v1 passes authMiddleware (chi runs a sub-router's middleware even for 404s).
    const denied = authenticate(method, path, req);
    if (denied) return denied;
    const fail = injected(path);
    if (fail) return fail;

    const rest = segments.slice(2);
    const [a, b, c] = rest;
    const n = rest.length;
    const only = (m: string, handler: () => Reply): Reply => (method === m ? handler() : methodNotAllowed());
    const write = (handler: () => Reply): Reply => requireLeader() ?? handler();

    if (n === 1 && a === 'queues') return only('GET', () => json(200, queuesJson()));
    if (n === 1 && a === 'workers') return only('GET', () => json(200, workersJson()));
    if (n === 1 && a === 'metrics') return only('GET', metrics);
    if (n === 2 && a === 'cluster' && b === 'status') return only('GET', () => json(200, clusterStatus()));
    if (n === 2 && a === 'cluster' && b === 'events') return only('GET', () => json(200, { events: [] }));
    if (n === 2 && a === 'debug' && b === 'runtime') return only('GET', () => json(200, runtimeJson()));
    if (n === 2 && a === 'admin' && b === 'rebuild-sqlite') return only('POST', () => write(rebuildSqlite));
    if (n === 2 && a === 'jobs' && b === 'search' && method === 'POST') return search(raw);
    if (n === 2 && a === 'jobs' && b) return only('GET', () => getJob(b));
    if (n === 3 && a === 'jobs' && b && c === 'retry') return only('POST', () => write(() => retryJob(b)));
    if (n === 3 && a === 'jobs' && b && c === 'cancel') return only('POST', () => write(() => cancelJob(b)));
    if (n === 2 && a === 'queues' && b) return only('DELETE', () => write(() => deleteQueue(b)));
    if (n === 3 && a === 'queues' && b && c) {
      const name = b;
      switch (c) {
        case 'pause':
          return only('POST', () => write(() => setPaused(name, true)));
        case 'resume':
          return only('POST', () => write(() => setPaused(name, false)));
        case 'drain':
          return only('POST', () => write(() => apply(() => json(200, { status: 'draining' }))));
        case 'clear':
          return only('POST', () => write(() => clearQueue(name)));
        case 'concurrency':
          return only('POST', () => write(() => setConcurrency(name, raw)));
        case 'throttle':
          if (method === 'POST') return write(() => setThrottle(name, raw));
          if (method === 'DELETE') return write(() => removeThrottle(name));
          return methodNotAllowed();
      }
    }
    return notFound();
  }

  function injected(path: string): Reply | undefined {
    const f = failures.get(path);
    if (!f) return undefined;
    failures.delete(path);
    const { status, ...envelope } = f;
    const reply = json(status, envelope);
    if (status === 429) {
      reply.headers['retry-after'] =
        envelope.retry_after_ms !== undefined ? (envelope.retry_after_ms / 1000).toFixed(3) : '1';
      // The real rate limiter sits before the metrics middleware: it counts as throttled, not as a request.
      if (envelope.code === 'RATE_LIMITED') reply.headers['x-sim-throttled'] = '1';
    }
    return reply;
  }

  function authenticate(method: string, path: string, req: IncomingMessage): Reply | undefined {
    if (keys.size === 0) return undefined; // no keys, no admin password: everyone is admin
    const credential = credentialOf(req);
    if (!credential) return jsonError(401, 'missing API key', 'UNAUTHORIZED');
    const role = keys.get(credential);
    if (!role) return jsonError(401, 'invalid API key', 'UNAUTHORIZED');
    if (!isRoleAllowed(role, method, path)) return jsonError(403, 'insufficient role permissions', 'FORBIDDEN');
    return undefined;
  }

  /**
   * `requireLeader`: writes need a leader. A follower proxies them to the leader's raft host on its OWN HTTP port:
   * served here when every node uses the same port, 503 FORWARD_LOOP when they differ (real-systems.md item 7).
   */
  function requireLeader(): Reply | undefined {
    if (state.groups.every((g) => g.state === 'Leader')) return undefined;
    const g0 = state.groups[0] as RaftGroup;
    if (g0.leaderAddr.trim() === '') return jsonError(503, 'leader unavailable', 'LEADER_UNAVAILABLE');
    if (state.forwardLoop) return jsonError(503, 'request forwarding loop detected', 'FORWARD_LOOP');
    return undefined;
  }

  /** A Raft apply: refused with OVERLOADED while the apply queue is full. */
  function apply(mutation: () => Reply): Reply {
    if (state.writesOverloaded) {
      const g0 = state.groups[0] as RaftGroup;
      g0.overloadTotal++;
      const ratio = Math.min(1, g0.applyPending / g0.applyMaxPending);
      const retryAfterMs = Math.round(OVERLOAD_RETRY_MIN_MS + (OVERLOAD_RETRY_MAX_MS - OVERLOAD_RETRY_MIN_MS) * ratio);
      const reply = json(429, {
        error: 'raft apply overloaded: pending queue is full',
        code: 'OVERLOADED',
        retry_after_ms: retryAfterMs,
      });
      reply.headers['retry-after'] = (retryAfterMs / 1000).toFixed(3);
      return reply;
    }
    return mutation();
  }

  // --- read handlers ---

  function healthz(): Reply {
    const g0 = state.groups[0] as RaftGroup;
    return json(200, { status: 'ok', raft_state: g0.state, leader: g0.state === 'Leader' });
  }

  function growOverloads(): void {
    if (state.overloadGrowthPerRead > 0) (state.groups[0] as RaftGroup).overloadTotal += state.overloadGrowthPerRead;
  }

  function clusterStatus(): unknown {
    growOverloads();
    if (state.shards <= 1) return groupStatus(state.groups[0] as RaftGroup);
    return {
      mode: 'multi-raft',
      shards: state.shards,
      groups: state.groups.map((g, shard) => ({ ...groupStatus(g), shard })),
    };
  }

  function groupStatus(g: RaftGroup): Record<string, unknown> {
    const self = g.nodeId ?? state.nodeId;
    const index = liveIndexes(state, g, clock.now());
    const snapshot: Record<string, unknown> = { count: g.snapshot.count };
    if (g.snapshot.count > 0) {
      snapshot.latest_id = g.snapshot.latestId;
      snapshot.latest_index = g.snapshot.latestIndex;
      snapshot.latest_term = g.snapshot.latestTerm;
      snapshot.latest_size = g.snapshot.latestSize;
    }
    const r = g.rebuild;
    const rebuild = r.ran
      ? {
          ran: true,
          last_started_at: formatRfc3339Nano(r.lastStartedAt),
          last_duration_ms: r.lastDurationMs,
          last_success: r.lastSuccess,
          ...(r.lastError ? { last_error: r.lastError } : {}),
        }
      : { ran: false };
    return {
      mode: 'cluster',
      state: g.state,
      leader_id: g.leaderId,
      leader_addr: g.leaderAddr,
      node_id: self,
      applied_index: String(index.applied),
      commit_index: String(index.commit),
      raft_nosync: true,
      raft_store: 'badger',
      pebble_nosync: true,
      sqlite_mirror_async: g.mirror.async,
      lifecycle_events: false,
      snapshot_threshold: 4096,
      snapshot_interval: '1m0s',
      apply_batch_max: 1024,
      apply_batch_min_wait: '100µs',
      apply_batch_extend_at: 64,
      apply_batch_window: '8ms',
      apply_max_pending: g.applyMaxPending,
      apply_max_fetch_queue_inflight: 64,
      apply_pending_now: g.applyPending,
      apply_sub_batch_max: 1024,
      overload_total: g.overloadTotal,
      fetch_overload_total: g.fetchOverloadTotal,
      applied_total: g.appliedTotal,
      queue_time_hist: histJson(g.queueTime),
      apply_time_hist: histJson(g.applyTime),
      snapshot,
      sqlite_mirror: {
        async: g.mirror.async,
        dropped: g.mirror.dropped,
        queued: g.mirror.queued,
        applied: g.mirror.applied,
        lag: g.mirror.lag,
        queue_depth: g.mirror.queueDepth,
        queue_capacity: g.mirror.queueCapacity,
      },
      sqlite_rebuild: rebuild,
      nodes: g.nodes.map((node) => (node.id === self ? { ...node, role: g.state, self: true } : { ...node })),
    };
  }

  function runtimeJson(): unknown {
    const rt = state.runtime;
    return {
      goroutines: rt.goroutines,
      gomaxprocs: rt.gomaxprocs,
      heap_inuse_bytes: rt.heapInuseBytes,
      stack_inuse_bytes: rt.stackInuseBytes,
      gc_pause_p99_ns: rt.gcPauseP99Ns,
      cpu_user_ns: rt.cpuUserNs,
      cpu_sys_ns: rt.cpuSysNs,
    };
  }

  function metrics(): Reply {
    growOverloads();
    return {
      status: 200,
      body: renderExposition(state, requests.values(), clock.now()),
      headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
    };
  }

  function queuesJson(): unknown[] {
    return visibleQueues(state).map((q) => ({
      name: q.name,
      paused: q.paused,
      ...(q.maxConcurrency !== undefined ? { max_concurrency: q.maxConcurrency } : {}),
      ...(q.rateLimit !== undefined ? { rate_limit: q.rateLimit } : {}),
      ...(q.rateWindowMs !== undefined ? { rate_window_ms: q.rateWindowMs } : {}),
      // Corvo never fills it: always Go's zero time (real-systems.md item 8).
      created_at: '0001-01-01T00:00:00Z',
      pending: q.pending,
      active: q.active,
      held: q.held,
      completed: q.completed,
      dead: q.dead,
      scheduled: q.scheduled,
      retrying: q.retrying,
      enqueued: q.enqueued,
      failed: q.failed,
      ...(q.oldestPendingAt !== undefined && q.pending > 0
        ? { oldest_pending_at: formatRfc3339Nano(q.oldestPendingAt) }
        : {}),
    }));
  }

  function workersJson(): unknown[] {
    const now = clock.now();
    return state.workers.map((w) => ({
      id: w.id,
      hostname: w.hostname,
      queues: w.queues === null ? null : JSON.stringify(w.queues),
      last_heartbeat: formatRfc3339Nano(resolveStamp(w.lastHeartbeat, now)),
      started_at: formatRfc3339Nano(w.startedAt),
    }));
  }

  /** What SQLite shows for a job: the stale row while a mirror update is missing, else the truth. */
  function mirrored(id: string): SimJob | undefined {
    return state.staleMirror.get(id) ?? state.jobs.get(id);
  }

  function search(raw: string): Reply {
    const parsed = parseGoJson(raw);
    if (!parsed.ok || (parsed.value !== null && !isPlainObject(parsed.value))) {
      return jsonError(400, 'invalid JSON', 'PARSE_ERROR');
    }
    const f = (parsed.value ?? {}) as Record<string, unknown>;
    // Go's decoder ignores unknown fields but rejects known ones of the wrong type.
    const str = (k: string): boolean => f[k] === undefined || f[k] === null || typeof f[k] === 'string';
    const num = (k: string): boolean => f[k] === undefined || f[k] === null || Number.isInteger(f[k]);
    const states = f.state;
    const statesOk =
      states === undefined || states === null || (Array.isArray(states) && states.every((s) => typeof s === 'string'));
    const typesOk = ['queue', 'cursor', 'sort', 'order', 'worker_id', 'job_id_prefix'].every(str);
    if (!statesOk || !typesOk || !num('limit') || !num('priority')) {
      return jsonError(400, 'invalid JSON', 'PARSE_ERROR');
    }
    const startedAt = clock.now();
    let rows = [...new Set([...state.jobs.keys(), ...state.staleMirror.keys()])]
      .map((id) => mirrored(id))
      .filter((j): j is SimJob => j !== undefined);
    if (typeof f.queue === 'string' && f.queue !== '') rows = rows.filter((j) => j.queue === f.queue);
    if (Array.isArray(states) && states.length > 0) rows = rows.filter((j) => (states as string[]).includes(j.state));
    if (typeof f.worker_id === 'string' && f.worker_id !== '') rows = rows.filter((j) => j.workerId === f.worker_id);
    if (typeof f.job_id_prefix === 'string') rows = rows.filter((j) => j.id.startsWith(f.job_id_prefix as string));
    if (typeof f.priority === 'number') rows = rows.filter((j) => j.priority === f.priority);

    const sortKey = (j: SimJob): number => {
      switch (f.sort) {
        case 'priority':
          return j.priority;
        case 'attempt':
          return j.attempt;
        case 'started_at':
          return j.startedAt ?? 0;
        case 'completed_at':
          return j.completedAt ?? 0;
        default:
          return j.createdAt;
      }
    };
    const dir = f.order === 'asc' ? 1 : -1;
    rows.sort((x, y) => dir * (sortKey(x) - sortKey(y)) || (x.id < y.id ? -1 : 1));

    const limit = typeof f.limit === 'number' && f.limit >= 1 && f.limit <= 1000 ? f.limit : 50;
    const offset = typeof f.cursor === 'string' && f.cursor !== '' ? decodeCursor(f.cursor) : 0;
    const page = rows.slice(offset, offset + limit);
    const next = offset + page.length;
    const hasMore = next < rows.length;
    return json(200, {
      // A nil Go slice: no match prints `null`, not `[]` (internal/store/search.go).
      jobs: page.length === 0 ? null : page.map(jobSummary),
      total: rows.length,
      ...(hasMore ? { cursor: encodeCursor(next) } : {}),
      has_more: hasMore,
      duration_ms: Math.max(0, clock.now() - startedAt),
    });
  }

  function getJob(id: string): Reply {
    const job = mirrored(id);
    if (!job) return jsonError(404, `job ${goQuote(id)} not found`, 'NOT_FOUND');
    return json(200, fullJob(job, clock.now()));
  }

  // --- write handlers ---

  function rebuildSqlite(): Reply {
    // Not a Raft apply: RebuildSQLiteFromPebble rewrites the leader's mirror directly, so OVERLOADED never applies.
    const now = clock.now();
    if (state.rebuildFkFailures > 0) {
      // Job errors are replayed before their jobs (real-systems.md item 5a); a retry may land on another connection.
      state.rebuildFkFailures--;
      const withError = [...state.jobs.values()].find((j) => j.state === 'dead');
      const error = `insert job_error for job ${withError?.id ?? 'job_unknown'}: FOREIGN KEY constraint failed (787)`;
      for (const g of state.groups) {
        g.rebuild = { ran: true, lastStartedAt: now, lastDurationMs: 87, lastSuccess: false, lastError: error };
      }
      return jsonError(500, error, 'INTERNAL_ERROR');
    }
    for (const g of state.groups) {
      g.mirror = { ...g.mirror, dropped: 0, applied: g.mirror.queued, lag: 0, queueDepth: 0 };
      g.rebuild = { ran: true, lastStartedAt: now, lastDurationMs: REBUILD_DURATION_MS, lastSuccess: true };
    }
    state.staleMirror.clear();
    // Pebble still holds what clear/delete left behind: the rebuilt mirror shows it again (item 5d).
    for (const [name, left] of state.leftovers) {
      const q = state.queues.get(name) ?? (left.deleted ? { ...left.deleted, pending: 0 } : queueOf(name));
      state.queues.set(name, q);
      q.pending += left.pending;
      for (const j of left.jobs) state.jobs.set(j.id, j);
    }
    state.leftovers.clear();
    // Multi-raft: each shard's rebuild rewrites the same SQLite, so only the last shard's data stays (item 5b).
    if (state.shards > 1) state.mirrorOnlyShard = state.shards - 1;
    return json(200, { status: 'ok', rebuilt: true, duration_ms: REBUILD_DURATION_MS });
  }

  function queueOf(name: string): SimQueue {
    let q = state.queues.get(name);
    if (!q) {
      // Queue config writes create the queue (getOrCreateQueueConfig).
      q = {
        name,
        paused: false,
        createdAt: clock.now(),
        pending: 0,
        active: 0,
        held: 0,
        completed: 0,
        dead: 0,
        scheduled: 0,
        retrying: 0,
        enqueued: 0,
        failed: 0,
      };
      state.queues.set(name, q);
    }
    return q;
  }

  function setPaused(name: string, paused: boolean): Reply {
    return apply(() => {
      queueOf(name).paused = paused;
      return json(200, { status: paused ? 'paused' : 'resumed' });
    });
  }

  function setConcurrency(name: string, raw: string): Reply {
    const body = decodeStruct(raw, { max: 'int' });
    if (!body) return jsonError(400, 'invalid JSON', 'PARSE_ERROR');
    return apply(() => {
      const max = body.max ?? 0; // {"max":null} decodes to 0
      const q = queueOf(name);
      if (max <= 0) delete q.maxConcurrency;
      else q.maxConcurrency = max;
      return json(200, { status: 'ok' });
    });
  }

  function setThrottle(name: string, raw: string): Reply {
    const body = decodeStruct(raw, { rate: 'int', window_ms: 'int' });
    if (!body) return jsonError(400, 'invalid JSON', 'PARSE_ERROR');
    const rate = body.rate ?? 0;
    const windowMs = body.window_ms ?? 0;
    if (rate <= 0 || windowMs <= 0) return jsonError(400, 'rate and window_ms must be positive', 'VALIDATION_ERROR');
    return apply(() => {
      const q = queueOf(name);
      q.rateLimit = rate;
      q.rateWindowMs = windowMs;
      return json(200, { status: 'ok' });
    });
  }

  function removeThrottle(name: string): Reply {
    return apply(() => {
      // 200 for an unknown queue too (real-systems.md item 1); unlike pause/resume/concurrency it creates nothing.
      const q = state.queues.get(name);
      if (q) {
        delete q.rateLimit;
        delete q.rateWindowMs;
      }
      return json(200, { status: 'ok' });
    });
  }

  /**
   * What clear and delete really remove: scheduled jobs and pending ones of other priorities. Normal-priority pending
   * jobs stay in the store (still handed to workers), invisible to `/queues`, search and `/metrics`, and nothing
   * counts as a dropped mirror update (real-systems.md item 6).
   */
  function leaveBehind(name: string, deleted: boolean): void {
    const q = state.queues.get(name);
    const left = state.leftovers.get(name) ?? { pending: 0, jobs: [] };
    const materialized = [...state.jobs.values()].filter((j) => j.queue === name && j.state === 'pending');
    const otherPriority = materialized.filter((j) => j.priority !== NORMAL_PRIORITY).length;
    left.pending += Math.max(0, (q?.pending ?? 0) - otherPriority);
    for (const [id, j] of state.jobs) {
      if (j.queue !== name) continue;
      const stays = j.state === 'pending' && j.priority === NORMAL_PRIORITY;
      if (stays) left.jobs.push(j);
      if (stays || deleted || j.state === 'pending' || j.state === 'scheduled') {
        state.jobs.delete(id);
        state.staleMirror.delete(id);
      }
    }
    if (deleted && q) left.deleted = { ...q, pending: 0, scheduled: 0, active: 0 };
    if (left.pending > 0 || left.jobs.length > 0) state.leftovers.set(name, left);
  }

  function clearQueue(name: string): Reply {
    return apply(() => {
      // Answers "cleared" and the queue reads 0 pending, but normal-priority pending jobs stay (leaveBehind).
      leaveBehind(name, false);
      const q = state.queues.get(name);
      if (q) {
        q.pending = 0;
        q.scheduled = 0;
        delete q.oldestPendingAt;
      }
      return json(200, { status: 'cleared' });
    });
  }

  function deleteQueue(name: string): Reply {
    return apply(() => {
      leaveBehind(name, true);
      state.queues.delete(name);
      return json(200, { status: 'deleted' });
    });
  }

  function moveCount(queue: string, from: JobState | undefined, to: JobState | undefined): void {
    const q = state.queues.get(queue);
    if (!q) return;
    const counted = ['pending', 'active', 'held', 'completed', 'dead', 'scheduled', 'retrying'] as const;
    type Counted = (typeof counted)[number];
    const isCounted = (s: JobState | undefined): s is Counted => counted.includes(s as Counted);
    if (isCounted(from)) q[from] = Math.max(0, q[from] - 1);
    if (isCounted(to)) q[to] += 1;
  }

  function retryJob(id: string): Reply {
    return apply(() => {
      const job = state.jobs.get(id);
      if (!job) return jsonError(400, `job ${goQuote(id)} not found`, 'RETRY_ERROR');
      if (!['dead', 'cancelled', 'completed', 'scheduled'].includes(job.state)) {
        return jsonError(400, `job ${goQuote(id)} cannot be retried from state ${goQuote(job.state)}`, 'RETRY_ERROR');
      }
      moveCount(job.queue, job.state, 'pending');
      Object.assign(job, {
        state: 'pending',
        attempt: 0,
        failedAt: undefined,
        completedAt: undefined,
        workerId: undefined,
        hostname: undefined,
        leaseExpiresAt: undefined,
        scheduledAt: undefined,
      } satisfies Partial<SimJob>);
      state.staleMirror.delete(id);
      return json(200, { status: 'retried' });
    });
  }

  function cancelJob(id: string): Reply {
    return apply(() => {
      const job = state.jobs.get(id);
      if (!job) return jsonError(400, `job ${goQuote(id)} not found`, 'CANCEL_ERROR');
      let status: string;
      switch (job.state) {
        case 'pending':
        case 'scheduled':
        case 'retrying':
          status = 'cancelled';
          break;
        case 'active':
          status = 'cancelling';
          break;
        default:
          return jsonError(
            400,
            `job ${goQuote(id)} cannot be cancelled from state ${goQuote(job.state)}`,
            'CANCEL_ERROR',
          );
      }
      moveCount(job.queue, job.state, 'cancelled');
      job.state = 'cancelled';
      state.staleMirror.delete(id);
      return json(200, { status });
    });
  }

  const sim: CorvoSimulator = {
    url: '',
    get calls() {
      return calls;
    },
    get scenario() {
      return state.scenario;
    },
    setScenario(s) {
      state = createScenarioState(s, clock.now());
      if (s === 'unreachable') sockets.destroyAll();
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    failNext(path, status, body) {
      failures.set(path, { ...body, status });
    },
    async close() {
      delays.clear();
      await closeServer(server);
    },
  };

  const url = await listenOnLoopback(server, o);
  Object.defineProperty(sim, 'url', { value: url, enumerable: true });
  return sim;
}

// --- JSON shapes ---

function jobSummary(j: SimJob): Record<string, unknown> {
  // JobSummary (internal/store/search.go): deliberately no lease_expires_at.
  return {
    id: j.id,
    queue: j.queue,
    state: j.state,
    payload: j.payload ?? null,
    priority: j.priority,
    attempt: j.attempt,
    max_retries: j.maxRetries,
    ...(j.workerId !== undefined ? { worker_id: j.workerId } : {}),
    ...(j.scheduledAt !== undefined ? { scheduled_at: formatRfc3339Nano(j.scheduledAt) } : {}),
    created_at: formatRfc3339Nano(j.createdAt),
    ...(j.startedAt !== undefined ? { started_at: formatRfc3339Nano(j.startedAt) } : {}),
    ...(j.completedAt !== undefined ? { completed_at: formatRfc3339Nano(j.completedAt) } : {}),
    ...(j.failedAt !== undefined ? { failed_at: formatRfc3339Nano(j.failedAt) } : {}),
  };
}

/** The full Job (internal/store/models.go), which does carry `lease_expires_at`. Times resolve at `now`. */
function fullJob(j: SimJob, now: number): Record<string, unknown> {
  return {
    id: j.id,
    queue: j.queue,
    state: j.state,
    payload: j.payload ?? null,
    priority: j.priority,
    attempt: j.attempt,
    max_retries: j.maxRetries,
    retry_backoff: 'exponential',
    retry_base_delay_ms: 5000,
    retry_max_delay_ms: 600000,
    ...(j.workerId !== undefined ? { worker_id: j.workerId } : {}),
    ...(j.hostname !== undefined ? { hostname: j.hostname } : {}),
    ...(j.leaseExpiresAt !== undefined
      ? { lease_expires_at: formatRfc3339Nano(resolveStamp(j.leaseExpiresAt, now)) }
      : {}),
    ...(j.scheduledAt !== undefined ? { scheduled_at: formatRfc3339Nano(j.scheduledAt) } : {}),
    created_at: formatRfc3339Nano(j.createdAt),
    ...(j.startedAt !== undefined ? { started_at: formatRfc3339Nano(j.startedAt) } : {}),
    ...(j.completedAt !== undefined ? { completed_at: formatRfc3339Nano(j.completedAt) } : {}),
    ...(j.failedAt !== undefined ? { failed_at: formatRfc3339Nano(j.failedAt) } : {}),
  };
}

/** Status histogram: `{"count":0}` before any observation; else avg/quantiles as Go durations, per-bucket counts. */
function histJson(h: HistData): Record<string, unknown> {
  const count = h.perBucket.reduce((a, b) => a + b, 0);
  if (count === 0) return { count: 0 };
  const quantile = (q: number): string => {
    let cumulative = 0;
    for (let i = 0; i < h.perBucket.length; i++) {
      cumulative += h.perBucket[i] ?? 0;
      if (cumulative >= q * count) return RAFT_HIST_LABELS[i] ?? '+Inf';
    }
    return '+Inf';
  };
  return {
    count,
    avg: formatGoDuration((h.sumSeconds / count) * 1e9),
    p50: h.quantiles?.p50 ?? quantile(0.5),
    p90: h.quantiles?.p90 ?? quantile(0.9),
    p99: h.quantiles?.p99 ?? quantile(0.99),
    buckets: RAFT_HIST_BOUNDS.map((_, i) => ({ le: RAFT_HIST_LABELS[i], count: h.perBucket[i] ?? 0 })),
  };
}

// --- helpers ---

function json(status: number, value: unknown): Reply {
  // Go's json.Encoder ends every document with a newline.
  return { status, body: `${JSON.stringify(value)}\n`, headers: { 'content-type': 'application/json' } };
}

function jsonError(status: number, error: string, code: string): Reply {
  return json(status, { error, code });
}

function notFound(): Reply {
  return { status: 404, body: '404 page not found\n', headers: { 'content-type': 'text/plain; charset=utf-8' } };
}

function methodNotAllowed(): Reply {
  return { status: 405, body: '', headers: {} };
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

function readRequestBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBodyForRecord(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Go's `json.Decoder.Decode` on a body: an empty body is an error (EOF). */
function parseGoJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  if (raw.trim() === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes a body into a Go struct of `int` fields: `null` leaves 0 (here `undefined`), wrong types fail. */
function decodeStruct<K extends string>(raw: string, fields: Record<K, 'int'>): Partial<Record<K, number>> | undefined {
  const parsed = parseGoJson(raw);
  if (!parsed.ok) return undefined;
  if (parsed.value === null) return {};
  if (!isPlainObject(parsed.value)) return undefined;
  const out: Partial<Record<K, number>> = {};
  for (const key of Object.keys(fields) as K[]) {
    const v = parsed.value[key];
    if (v === undefined || v === null) continue;
    if (!Number.isSafeInteger(v)) return undefined;
    out[key] = v as number;
  }
  return out;
}

function credentialOf(req: IncomingMessage): string {
  const header = (name: string): string => {
    const v = req.headers[name];
    return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
  };
  const apiKey = header('x-api-key');
  if (apiKey) return apiKey;
  const authz = header('authorization');
  if (authz.toLowerCase().startsWith('bearer ')) {
    const bearer = authz.slice('bearer '.length).trim();
    if (bearer) return bearer;
  }
  for (const part of header('cookie').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'corvo_api_key') {
      const v = safeDecode(value.join('=')).trim();
      if (v) return v;
    }
  }
  return '';
}

/** `internal/server/auth.go: isRoleAllowed`. */
function isRoleAllowed(role: CorvoRole, method: string, path: string): boolean {
  switch (role) {
    case 'admin':
      return true;
    case 'readonly':
      return method === 'GET';
    case 'worker':
      if (method !== 'POST') return method === 'GET' && path.includes('/jobs/');
      return ['/enqueue', '/fetch', '/ack', '/fail', '/heartbeat'].some((p) => path.includes(p));
    case 'operator':
      return path.includes('/auth/keys') ? method === 'GET' : true;
  }
}

/** Go's `%q` for the ids and states Corvo quotes in its messages. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function encodeCursor(offset: number): string {
  return Buffer.from(String(offset)).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}
