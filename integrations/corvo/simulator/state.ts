/**
 * The simulated Corvo node's state, and the initial state of each scenario. Values follow the samples of
 * `reference/targets.md` §1.4/§1.7 (healthy) and bend them per scenario. Timestamps are relative to the scenario's
 * start (`t0`, from the injectable clock); "live" ones (a running scheduler, heartbeating workers, renewed leases)
 * are computed from the clock at read time.
 */

export type CorvoScenario =
  | 'healthy'
  | 'sqlite-diverged'
  | 'apply-overloaded'
  | 'no-leader'
  | 'scheduler-stalled'
  | 'unreachable'
  | 'multi-raft'
  | 'jobs-stuck-active'
  | 'queue-paused'
  | 'rebuild-fk-error'
  | 'follower-forward-loop';

export const CORVO_SCENARIOS: readonly CorvoScenario[] = [
  'healthy',
  'sqlite-diverged',
  'apply-overloaded',
  'no-leader',
  'scheduler-stalled',
  'unreachable',
  'multi-raft',
  'jobs-stuck-active',
  'queue-paused',
  'rebuild-fk-error',
  'follower-forward-loop',
];

/** A time that is either fixed (ms since epoch) or live: `ago` ms before the clock's now, at read time. */
export type Stamp = { readonly at: number } | { readonly ago: number };

export function resolveStamp(stamp: Stamp, now: number): number {
  return 'at' in stamp ? stamp.at : now - stamp.ago;
}

export type RaftState = 'Leader' | 'Follower' | 'Candidate' | 'Shutdown';
export type JobState = 'pending' | 'active' | 'held' | 'completed' | 'retrying' | 'dead' | 'cancelled' | 'scheduled';

/** Upper bounds of the raft queue/apply histograms, seconds (`+Inf` last). */
export const RAFT_HIST_BOUNDS = [
  5e-5,
  1e-4,
  2e-4,
  5e-4,
  1e-3,
  2e-3,
  5e-3,
  1e-2,
  2e-2,
  5e-2,
  0.1,
  0.2,
  0.5,
  1,
  Infinity,
] as const;

/** A raft histogram: **per-bucket** counts (one per {@link RAFT_HIST_BOUNDS}) and the sum of observations. */
export interface HistData {
  perBucket: number[];
  sumSeconds: number;
  /** Quantiles as printed in the status when they must match a sample exactly; computed from buckets otherwise. */
  quantiles?: { p50: string; p90: string; p99: string };
}

export interface Snapshot {
  count: number;
  latestId?: string;
  latestIndex?: number;
  latestTerm?: number;
  latestSize?: number;
}

export interface SqliteMirror {
  async: boolean;
  dropped: number;
  queued: number;
  applied: number;
  lag: number;
  queueDepth: number;
  queueCapacity: number;
}

export type SqliteRebuild =
  | { ran: false }
  | { ran: true; lastStartedAt: number; lastDurationMs: number; lastSuccess: boolean; lastError?: string };

export interface RaftNode {
  id: string;
  address: string;
  voter: boolean;
}

/** One raft group (the whole cluster in single-raft mode; one shard in multi-raft mode). */
export interface RaftGroup {
  state: RaftState;
  leaderId: string;
  leaderAddr: string;
  appliedIndex: number;
  commitIndex: number;
  applyPending: number;
  applyMaxPending: number;
  overloadTotal: number;
  fetchOverloadTotal: number;
  appliedTotal: number;
  queueTime: HistData;
  applyTime: HistData;
  snapshot: Snapshot;
  mirror: SqliteMirror;
  rebuild: SqliteRebuild;
  nodes: RaftNode[];
  /**
   * This node's id in the group when it differs from {@link SimState.nodeId}: under `--raft-shards N` Corvo names
   * each group's node `<node-id>-sNN` (`node-1-s00`, `node-1-s01`), real-systems.md Corvo item 3.
   */
  nodeId?: string;
}

export interface SimQueue {
  name: string;
  paused: boolean;
  maxConcurrency?: number;
  rateLimit?: number;
  rateWindowMs?: number;
  createdAt: number;
  pending: number;
  active: number;
  held: number;
  completed: number;
  dead: number;
  scheduled: number;
  retrying: number;
  enqueued: number;
  failed: number;
  oldestPendingAt?: number;
}

export interface SimJob {
  id: string;
  queue: string;
  state: JobState;
  payload: unknown;
  priority: number;
  attempt: number;
  maxRetries: number;
  workerId?: string;
  hostname?: string;
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  failedAt?: number;
  scheduledAt?: number;
  leaseExpiresAt?: Stamp;
}

export interface SimWorker {
  id: string;
  hostname: string | null;
  queues: string[] | null;
  lastHeartbeat: Stamp;
  startedAt: number;
}

export type SchedulerOp = 'promote' | 'reclaim' | 'expire' | 'purge';

export interface SchedulerState {
  runs: Record<SchedulerOp, number>;
  errors: Record<SchedulerOp, number>;
  /** Unix ms of the last run: live while the scheduler runs, fixed when it is stalled, `{at: 0}` on followers. */
  last: Record<SchedulerOp, Stamp>;
}

/** Jobs that `clear` or `DELETE /queues/{q}` left in the store, invisible to every read (real-systems.md item 6). */
export interface Leftovers {
  /** Counted pending jobs left behind. */
  pending: number;
  /** The materialized ones among them. */
  jobs: SimJob[];
  /** The queue's settings when it was deleted, so a rebuild brings it back. */
  deleted?: SimQueue;
}

export interface SimState {
  scenario: CorvoScenario;
  /** Clock time the scenario started, ms: the idle raft traffic of the scheduler is counted from here. */
  startedAt: number;
  nodeId: string;
  /** `1`: single raft (`groups[0]` is the cluster); `> 1`: multi-raft, one group per shard. */
  shards: number;
  groups: RaftGroup[];
  /** Added to `overload_total` at each status/metrics read: other clients keep being rejected. */
  overloadGrowthPerRead: number;
  /** Write endpoints refused before reaching the store (`apply-overloaded`). */
  writesOverloaded: boolean;
  runtime: {
    goroutines: number;
    gomaxprocs: number;
    heapInuseBytes: number;
    stackInuseBytes: number;
    gcPauseP99Ns: number;
    gcPauseLastNs: number;
    cpuUserNs: number;
    cpuSysNs: number;
  };
  throughput: { enqueued: number; completed: number; failed: number };
  lifecycle: {
    streamsOpen: number;
    streamsMax: number;
    framesInflight: number;
    framesMaxInflight: number;
    framesTotal: number;
    streamsTotal: number;
    overloadTotal: number;
    idleFetchTotal: number;
  };
  scheduler: SchedulerState;
  queues: Map<string, SimQueue>;
  /** Source of truth (Pebble). */
  jobs: Map<string, SimJob>;
  /**
   * Stale SQLite rows (dropped mirror updates): reads (`/jobs/search`, `GET /jobs/{id}`, both SQLite in Corvo) see
   * these instead of the truth until `rebuild-sqlite`. Writes go through Raft and see the truth.
   */
  staleMirror: Map<string, SimJob>;
  workers: SimWorker[];
  /** Per queue name: normal-priority pending jobs that clear/delete answered for but left in the store. */
  leftovers: Map<string, Leftovers>;
  /** The next this many rebuilds fail with the foreign-key error (787) of real-systems.md item 5a. */
  rebuildFkFailures: number;
  /** Set after a multi-raft rebuild: SQLite (so `/queues` and `/metrics`) keeps only this shard's queues (item 5b). */
  mirrorOnlyShard?: number;
  /** A follower whose HTTP port differs from the leader's: every write answers 503 FORWARD_LOOP (item 7). */
  forwardLoop: boolean;
}

/**
 * The priority Corvo calls normal (0 critical, 1 high, 2 normal): its pending jobs survive `clear` and `DELETE
 * /queues/{q}` in the store (real-systems.md item 6).
 */
export const NORMAL_PRIORITY = 2;

/**
 * Entries an idle leader still writes through raft every second (the scheduler's own ops): an idle node's
 * `applied_index` grows by 1–2 a second (real-systems.md item 8).
 */
export const IDLE_RAFT_ENTRIES_PER_SECOND = 1.5;

/** The shard a queue lives on under multi-raft: the simulator's own stable hash (Corvo's differs; only stability matters). */
export function shardOf(queue: string, shards: number): number {
  let sum = 0;
  for (const ch of queue) sum += ch.codePointAt(0) ?? 0;
  return shards > 0 ? sum % shards : 0;
}

/** The queues SQLite shows: all of them, or only the last shard's after a multi-raft rebuild. */
export function visibleQueues(state: SimState): SimQueue[] {
  const all = [...state.queues.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const only = state.mirrorOnlyShard;
  return only === undefined ? all : all.filter((q) => shardOf(q.name, state.shards) === only);
}

/** A group's raft indexes at `now`: they grow while a leader's scheduler writes, even with no job traffic. */
export function liveIndexes(state: SimState, g: RaftGroup, now: number): { applied: number; commit: number } {
  const grows = g.leaderId !== '' && g.state !== 'Shutdown';
  const idle = grows ? Math.floor((Math.max(0, now - state.startedAt) / 1000) * IDLE_RAFT_ENTRIES_PER_SECOND) : 0;
  return { applied: g.appliedIndex + idle, commit: g.commitIndex + idle };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Job ids look like `job_` + 26 hex characters; the first is the one of the §1.4 search sample. */
function jobIds(): () => string {
  let n = 0xa2;
  return () => `job_1896c3a2f1e0b7d4${(n++).toString(16).padStart(10, '0')}`;
}

/** The §1.4 queue-time histogram (per bucket), with its sum from §1.7 and its quantiles as printed there. */
function healthyQueueTime(): HistData {
  return {
    perBucket: [310022, 402113, 355870, 600411, 180002, 40111, 12500, 2600, 480, 101, 15, 6, 0, 0, 0],
    sumSeconds: 403.697,
    quantiles: { p50: '200µs', p90: '500µs', p99: '2ms' },
  };
}

/** The §1.7 apply-time histogram, de-cumulated. */
function healthyApplyTime(): HistData {
  return {
    perBucket: [1200000, 600000, 100000, 4000, 200, 31, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    sumSeconds: 95.2,
  };
}

function threeNodes(): RaftNode[] {
  return [
    { id: 'node-1', address: '10.0.0.11:9000', voter: true },
    { id: 'node-2', address: '10.0.0.12:9000', voter: true },
    { id: 'node-3', address: '10.0.0.13:9000', voter: true },
  ];
}

function healthyGroup(): RaftGroup {
  return {
    state: 'Leader',
    leaderId: 'node-1',
    leaderAddr: '10.0.0.11:9000',
    appliedIndex: 482133,
    commitIndex: 482135,
    applyPending: 37,
    applyMaxPending: 16384,
    overloadTotal: 0,
    fetchOverloadTotal: 4,
    appliedTotal: 1904231,
    queueTime: healthyQueueTime(),
    applyTime: healthyApplyTime(),
    snapshot: {
      count: 2,
      latestId: '4-480001-1771700000000',
      latestIndex: 480001,
      latestTerm: 4,
      latestSize: 73400320,
    },
    mirror: {
      async: true,
      dropped: 0,
      queued: 1904200,
      applied: 1904163,
      lag: 37,
      queueDepth: 37,
      queueCapacity: 131072,
    },
    rebuild: { ran: false },
    nodes: threeNodes(),
  };
}

function liveScheduler(): SchedulerState {
  return {
    runs: { promote: 7640, reclaim: 7640, expire: 764, purge: 2 },
    errors: { promote: 0, reclaim: 0, expire: 0, purge: 0 },
    // Promote/reclaim run every second; printed as whole Unix seconds, a healthy idle leader shows ages from 0.6 to
    // 2.5 s (real-systems.md item 2): modelled as a run 1.5 s ago, so the printed age is 1.5–2.5 s. Expire every
    // 10 s (7 s ago), purge hourly (1902 s ago).
    last: {
      promote: { ago: 1500 },
      reclaim: { ago: 1500 },
      expire: { ago: 7 * SECOND },
      purge: { ago: 1902 * SECOND },
    },
  };
}

function healthyQueues(t0: number): Map<string, SimQueue> {
  const emails: SimQueue = {
    name: 'emails',
    paused: false,
    maxConcurrency: 5,
    createdAt: t0 - 3 * DAY - 58 * MINUTE,
    pending: 1280,
    active: 5,
    held: 0,
    completed: 99120,
    dead: 14,
    scheduled: 3,
    retrying: 2,
    enqueued: 100424,
    failed: 16,
    oldestPendingAt: t0 - 4 * MINUTE,
  };
  const webhooks: SimQueue = {
    name: 'webhooks',
    paused: true,
    rateLimit: 100,
    rateWindowMs: 1000,
    createdAt: t0 - 3 * DAY - 57 * MINUTE,
    pending: 0,
    active: 0,
    held: 0,
    completed: 5521,
    dead: 0,
    scheduled: 0,
    retrying: 0,
    enqueued: 5521,
    failed: 0,
  };
  return new Map([
    [emails.name, emails],
    [webhooks.name, webhooks],
  ]);
}

/** Six registered workers, four heartbeating (the §1.7 `corvo_workers_registered 6` / `_active 4`). */
function healthyWorkers(t0: number): SimWorker[] {
  return [
    {
      id: 'wkr-emails-7f9c',
      hostname: 'worker-3',
      queues: ['emails'],
      lastHeartbeat: { ago: 2 * SECOND },
      startedAt: t0 - 2 * HOUR - 15 * MINUTE,
    },
    {
      id: 'wkr-emails-2b1d',
      hostname: 'worker-1',
      queues: ['emails'],
      lastHeartbeat: { ago: 4 * SECOND },
      startedAt: t0 - 5 * HOUR,
    },
    {
      id: 'wkr-webhooks-91aa',
      hostname: 'worker-2',
      queues: ['webhooks'],
      lastHeartbeat: { ago: 3 * SECOND },
      startedAt: t0 - 5 * HOUR,
    },
    {
      id: 'wkr-mixed-0c3e',
      hostname: 'worker-4',
      queues: ['emails', 'webhooks'],
      lastHeartbeat: { ago: 1 * SECOND },
      startedAt: t0 - 26 * HOUR,
    },
    {
      id: 'wkr-emails-5e21',
      hostname: 'worker-5',
      queues: ['emails'],
      lastHeartbeat: { at: t0 - 41 * MINUTE },
      startedAt: t0 - 30 * HOUR,
    },
    // Corvo prints "" for a worker registered without a hostname (real-systems.md item 8).
    { id: 'wkr-batch-a07d', hostname: '', queues: null, lastHeartbeat: { at: t0 - 2 * HOUR }, startedAt: t0 - DAY },
  ];
}

/** A handful of materialized jobs per state; `active` ones are all materialized so counts and searches agree. */
function healthyJobs(t0: number, nextId: () => string): SimJob[] {
  const jobs: SimJob[] = [];
  for (let i = 0; i < 5; i++) {
    const startedAt = t0 - (2 + i * 3) * SECOND;
    jobs.push({
      id: nextId(),
      queue: 'emails',
      state: 'active',
      payload: { to: `${String.fromCharCode(97 + i)}@example.com` },
      priority: 2,
      attempt: 1,
      maxRetries: 3,
      workerId: i % 2 === 0 ? 'wkr-emails-7f9c' : 'wkr-emails-2b1d',
      hostname: i % 2 === 0 ? 'worker-3' : 'worker-1',
      createdAt: startedAt - 2 * SECOND,
      startedAt,
      // Heartbeats keep renewing the 60 s lease: it always ends ~45 s from now.
      leaseExpiresAt: { ago: -45 * SECOND },
    });
  }
  for (let i = 0; i < 3; i++) {
    jobs.push({
      id: nextId(),
      queue: 'emails',
      state: 'pending',
      payload: { to: `p${i}@example.com` },
      priority: 2,
      attempt: 0,
      maxRetries: 3,
      createdAt: t0 - (4 * MINUTE - i * SECOND),
    });
  }
  for (let i = 0; i < 2; i++) {
    jobs.push({
      id: nextId(),
      queue: 'emails',
      state: 'dead',
      payload: { to: `bounce${i}@example.com` },
      priority: 2,
      attempt: 4,
      maxRetries: 3,
      createdAt: t0 - (3 * HOUR + i * MINUTE),
      startedAt: t0 - (2 * HOUR + i * MINUTE),
      failedAt: t0 - (2 * HOUR + i * MINUTE) + 800,
    });
  }
  jobs.push({
    id: nextId(),
    queue: 'emails',
    state: 'completed',
    payload: { to: 'done@example.com' },
    priority: 2,
    attempt: 1,
    maxRetries: 3,
    workerId: 'wkr-emails-7f9c',
    hostname: 'worker-3',
    createdAt: t0 - 10 * MINUTE,
    startedAt: t0 - 10 * MINUTE + 1500,
    completedAt: t0 - 10 * MINUTE + 2100,
  });
  jobs.push({
    id: nextId(),
    queue: 'emails',
    state: 'scheduled',
    payload: { to: 'later@example.com' },
    priority: 2,
    attempt: 0,
    maxRetries: 3,
    createdAt: t0 - 30 * MINUTE,
    scheduledAt: t0 + 20 * MINUTE,
  });
  jobs.push({
    id: nextId(),
    queue: 'emails',
    state: 'retrying',
    payload: { to: 'flaky@example.com' },
    priority: 1,
    attempt: 2,
    maxRetries: 3,
    createdAt: t0 - 6 * MINUTE,
    startedAt: t0 - 2 * MINUTE,
    failedAt: t0 - 2 * MINUTE + 300,
    scheduledAt: t0 + 40 * SECOND,
  });
  jobs.push({
    id: nextId(),
    queue: 'webhooks',
    state: 'completed',
    payload: { url: 'https://hooks.example.com/a' },
    priority: 2,
    attempt: 1,
    maxRetries: 5,
    createdAt: t0 - HOUR,
    startedAt: t0 - HOUR + 400,
    completedAt: t0 - HOUR + 900,
  });
  return jobs;
}

function healthyState(t0: number): SimState {
  const nextId = jobIds();
  return {
    scenario: 'healthy',
    startedAt: t0,
    nodeId: 'node-1',
    shards: 1,
    groups: [healthyGroup()],
    overloadGrowthPerRead: 0,
    writesOverloaded: false,
    runtime: {
      goroutines: 412,
      gomaxprocs: 8,
      heapInuseBytes: 183500800,
      stackInuseBytes: 4915200,
      gcPauseP99Ns: 812000,
      gcPauseLastNs: 412000,
      cpuUserNs: 912340000000,
      cpuSysNs: 120450000000,
    },
    throughput: { enqueued: 18231, completed: 18100, failed: 12 },
    lifecycle: {
      streamsOpen: 24,
      streamsMax: 4096,
      framesInflight: 3,
      framesMaxInflight: 2048,
      framesTotal: 9912345,
      streamsTotal: 31,
      overloadTotal: 0,
      idleFetchTotal: 221004,
    },
    scheduler: liveScheduler(),
    queues: healthyQueues(t0),
    jobs: new Map(healthyJobs(t0, nextId).map((j) => [j.id, j])),
    staleMirror: new Map(),
    workers: healthyWorkers(t0),
    leftovers: new Map(),
    rebuildFkFailures: 0,
    forwardLoop: false,
  };
}

function activeJobsOf(state: SimState, queue: string): SimJob[] {
  return [...state.jobs.values()].filter((j) => j.queue === queue && j.state === 'active');
}

/** Builds the initial state of a scenario, its clock-relative times anchored at `t0` (ms). */
export function createScenarioState(scenario: CorvoScenario, t0: number): SimState {
  const s = healthyState(t0);
  s.scenario = scenario;
  const g = s.groups[0] as RaftGroup;
  const emails = s.queues.get('emails') as SimQueue;

  switch (scenario) {
    case 'healthy':
    case 'unreachable': // the state is never seen: every socket is destroyed
      break;

    case 'sqlite-diverged':
    case 'rebuild-fk-error': {
      g.mirror = {
        async: true,
        dropped: 1842,
        queued: 1904200,
        applied: 1855989,
        lag: 48211,
        queueDepth: 48211,
        queueCapacity: 131072,
      };
      // Two dropped mirror updates: SQLite still shows a finished job as active and a dead one as pending.
      const completed = [...s.jobs.values()].find((j) => j.queue === 'emails' && j.state === 'completed');
      const dead = [...s.jobs.values()].find((j) => j.state === 'dead');
      if (completed) {
        s.staleMirror.set(completed.id, {
          ...completed,
          state: 'active',
          completedAt: undefined,
          leaseExpiresAt: { at: (completed.startedAt ?? t0) + MINUTE },
        });
      }
      if (dead) s.staleMirror.set(dead.id, { ...dead, state: 'pending', failedAt: undefined, startedAt: undefined });
      // Dead jobs carry recorded errors; the rebuild replays job errors before their jobs, so whether it fails with
      // the foreign-key error depends on the pooled connection it lands on: here the first attempt fails.
      if (scenario === 'rebuild-fk-error') s.rebuildFkFailures = 1;
      break;
    }

    case 'apply-overloaded': {
      g.applyPending = 14210;
      g.overloadTotal = 48112;
      g.fetchOverloadTotal = 912;
      g.appliedTotal = 2412880;
      g.appliedIndex = 611042;
      g.commitIndex = 625252;
      g.queueTime = {
        perBucket: [
          10000, 20000, 40000, 80000, 120000, 200000, 400000, 500000, 450000, 350000, 180000, 50000, 12000, 880, 0,
        ],
        sumSeconds: 43431.84,
      };
      g.applyTime = {
        perBucket: [600000, 900000, 500000, 300000, 80000, 25000, 6000, 1500, 300, 80, 0, 0, 0, 0, 0],
        sumSeconds: 341.27,
      };
      g.mirror = { ...g.mirror, queued: 2412850, applied: 2409120, lag: 3730, queueDepth: 3730 };
      s.overloadGrowthPerRead = 37;
      s.writesOverloaded = true;
      s.runtime = { ...s.runtime, goroutines: 2914, heapInuseBytes: 612368384, gcPauseP99Ns: 2950000 };
      s.throughput = { enqueued: 41210, completed: 22870, failed: 388 };
      emails.pending = 9480;
      emails.enqueued = 108624;
      break;
    }

    case 'no-leader': {
      g.state = 'Candidate';
      g.leaderId = '';
      g.leaderAddr = '';
      g.commitIndex = g.appliedIndex;
      g.applyPending = 0;
      g.fetchOverloadTotal = 0;
      // A node that restarted and has not snapshotted since: the snapshot metric is absent (not 0).
      g.snapshot = { count: 0 };
      g.mirror = { ...g.mirror, applied: g.mirror.queued, lag: 0, queueDepth: 0 };
      // The scheduler runs only on the leader: on this node every counter and timestamp stays 0.
      s.scheduler = {
        runs: { promote: 0, reclaim: 0, expire: 0, purge: 0 },
        errors: { promote: 0, reclaim: 0, expire: 0, purge: 0 },
        last: { promote: { at: 0 }, reclaim: { at: 0 }, expire: { at: 0 }, purge: { at: 0 } },
      };
      // Heartbeats are writes (leader only): they stopped when the leader was lost; so did lease renewals.
      s.workers = s.workers.map((w) =>
        'ago' in w.lastHeartbeat ? { ...w, lastHeartbeat: { at: t0 - 20 * SECOND - w.lastHeartbeat.ago } } : w,
      );
      for (const j of activeJobsOf(s, 'emails')) j.leaseExpiresAt = { at: t0 + 40 * SECOND };
      s.lifecycle = { ...s.lifecycle, streamsOpen: 0, framesInflight: 0 };
      break;
    }

    case 'scheduler-stalled': {
      s.scheduler.last.promote = { at: t0 - 5 * MINUTE };
      s.scheduler.last.reclaim = { at: t0 - 5 * MINUTE };
      s.scheduler.errors.reclaim = 57;
      // Promotion stopped too: a scheduled job is overdue.
      const scheduled = [...s.jobs.values()].find((j) => j.state === 'scheduled');
      if (scheduled) scheduled.scheduledAt = t0 - 4 * MINUTE;
      break;
    }

    case 'multi-raft': {
      s.shards = 2;
      const shard1 = healthyGroup();
      // Each group names this node `<node-id>-sNN`, on raft port base + shard (real-systems.md item 3).
      [g, shard1].forEach((group, shard) => {
        const id = (base: string): string => `${base}-s${String(shard).padStart(2, '0')}`;
        const port = (address: string): string => address.replace(/:(\d+)$/, (_, p: string) => `:${Number(p) + shard}`);
        group.nodeId = id(s.nodeId);
        group.leaderId = id(group.leaderId);
        group.leaderAddr = port(group.leaderAddr);
        group.nodes = group.nodes.map((node) => ({ ...node, id: id(node.id), address: port(node.address) }));
      });
      shard1.appliedIndex = 377810;
      shard1.commitIndex = 377810;
      shard1.applyPending = 12;
      shard1.fetchOverloadTotal = 0;
      shard1.appliedTotal = 1502144;
      shard1.snapshot = {
        count: 1,
        latestId: '3-376001-1771699000000',
        latestIndex: 376001,
        latestTerm: 3,
        latestSize: 51380224,
      };
      shard1.mirror = { ...shard1.mirror, queued: 1502140, applied: 1502128, lag: 12, queueDepth: 12 };
      s.groups = [g, shard1];
      break;
    }

    case 'jobs-stuck-active': {
      // Worker wkr-emails-5e21 died 7 minutes ago holding three jobs; nobody renews their leases, and the
      // scheduler's reclaim keeps failing, so they stay active.
      const active = activeJobsOf(s, 'emails');
      active.slice(0, 3).forEach((j, i) => {
        j.workerId = 'wkr-emails-5e21';
        j.hostname = 'worker-5';
        j.startedAt = t0 - (8 * MINUTE + i * 20 * SECOND);
        j.createdAt = (j.startedAt ?? t0) - 3 * SECOND;
        j.leaseExpiresAt = { at: (j.startedAt ?? t0) + MINUTE };
      });
      s.workers = s.workers.map((w) =>
        w.id === 'wkr-emails-5e21' ? { ...w, lastHeartbeat: { at: t0 - 7 * MINUTE } } : w,
      );
      s.scheduler.last.reclaim = { at: t0 - 6 * MINUTE };
      s.scheduler.errors.reclaim = 23;
      break;
    }

    case 'follower-forward-loop': {
      // node-2, a follower whose HTTP port differs from the leader's: it forwards writes to the leader's raft host
      // on its own HTTP port, which lands on a follower again: 503 FORWARD_LOOP (real-systems.md item 7).
      s.nodeId = 'node-2';
      g.state = 'Follower';
      s.forwardLoop = true;
      s.scheduler = {
        runs: { promote: 0, reclaim: 0, expire: 0, purge: 0 },
        errors: { promote: 0, reclaim: 0, expire: 0, purge: 0 },
        last: { promote: { at: 0 }, reclaim: { at: 0 }, expire: { at: 0 }, purge: { at: 0 } },
      };
      break;
    }

    case 'queue-paused': {
      emails.paused = true;
      emails.maxConcurrency = 1;
      emails.rateLimit = 10;
      emails.rateWindowMs = 60000;
      emails.pending = 4312;
      emails.active = 0;
      emails.completed += 5;
      emails.enqueued = 103456;
      emails.oldestPendingAt = t0 - 27 * MINUTE;
      for (const j of activeJobsOf(s, 'emails')) {
        j.state = 'completed';
        j.completedAt = (j.startedAt ?? t0) + 900;
        j.leaseExpiresAt = undefined;
      }
      s.throughput = { enqueued: 18231, completed: 2140, failed: 3 };
      s.lifecycle = { ...s.lifecycle, framesInflight: 0, idleFetchTotal: 512330 };
      break;
    }
  }
  return s;
}
