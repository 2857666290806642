import type { CorvoClients, QueueInfo } from '../../integrations/corvo/index.js';
import { formatNumber, formatSeconds } from '../../src/core/format.js';
import type { ProposedAction, Severity } from '../../src/core/report.js';
import type { Workflow } from '../../src/core/workflow.js';
import { observeCorvo, type CorvoObservations } from './observe.js';
import { QUEUE } from './remediations.js';
import { diagnose } from './diagnose.js';
import { ageText, leaderHint, type CorvoRule } from './rules/helpers.js';
import { reuseRule } from './rules/index.js';
import { THRESHOLDS } from './rules/thresholds.js';
import { SECTIONS } from './sections.js';
import { parseTimestampMs, parseWorkerQueues, readLeadership, readQueues } from './signals.js';

/** The core observations plus the queue the operator asked about. */
export interface StuckPendingObservations extends CorvoObservations {
  readonly queue: string;
}

export const STUCK_PENDING_THRESHOLDS = {
  /** `max_concurrency` is "too low" when this many times the limit is pending (or the limit is saturated). */
  concurrencyBacklogFactor: 100,
  /** A throttle is "too restrictive" when draining the pending jobs at its rate takes longer than this, seconds. */
  throttleDrainSeconds: 300,
  /** The oldest pending job has waited longer than this, seconds. */
  oldestPendingSeconds: 300,
} as const;

const n = formatNumber;

/** `Unlimit emails`, cut to Slack's ~30 visible characters (as the health check's resume button). */
function label(verb: string, queue: string): string {
  const text = `${verb} ${queue}`;
  return text.length <= 30 ? text : `${text.slice(0, 29)}…`;
}

function offer(remediation: string, verb: string, queue: string): ProposedAction {
  return { remediation, label: label(verb, queue), params: { queue }, level: 'confirm', destructive: false };
}

/** The queue asked about; `queue` undefined when `/queues` answered without it; undefined when it failed. */
function readQueue(obs: StuckPendingObservations): { queue?: QueueInfo; known: readonly QueueInfo[] } | undefined {
  const queues = readQueues(obs);
  if (!queues) return undefined;
  return { queue: queues.find((q) => q.name === obs.queue), known: queues };
}

const unknownQueue: CorvoRule<StuckPendingObservations> = {
  code: 'corvo.queue.unknown',
  title: 'No such queue',
  okTitle: 'Queue found',
  section: SECTIONS.stuckPending,
  nextStep:
    'Check the spelling (queue names are case-sensitive). Corvo creates a queue on its first enqueue (and also on a ' +
    'pause, resume or concurrency call, so a typo there leaves an empty phantom queue), so an unknown queue never ' +
    "received a job on this cluster — check the producer's queue name and namespace (`X-Corvo-Namespace`; " +
    'namespaced queues are stored as `ns::queue`).',
  evaluate(obs) {
    const found = readQueue(obs);
    if (!found || found.queue) return null;
    const names = found.known.map((q) => q.name).sort();
    const wanted = obs.queue.toLowerCase();
    const close = names.filter((name) => name.toLowerCase() === wanted || name.toLowerCase().endsWith(`::${wanted}`));
    const list =
      names.length > 0
        ? names.slice(0, 30).join(', ') + (names.length > 30 ? `, and ${names.length - 30} more` : '')
        : 'none';
    return {
      severity: 'warning',
      title: `No queue named "${obs.queue}"`,
      evidence:
        `GET /api/v1/queues lists ${n(names.length)} queue${names.length === 1 ? '' : 's'}: ${list}` +
        (close.length > 0 ? ` — did you mean ${close.join(' or ')}?` : ''),
    };
  },
};

const queuePaused: CorvoRule<StuckPendingObservations> = {
  code: 'corvo.queue.paused',
  title: 'Queue paused',
  okTitle: 'Queue not paused',
  section: SECTIONS.stuckPending,
  nextStep: 'A paused queue hands out no jobs. If the pause was not deliberate, resume it (`corvo resume <queue>`).',
  evaluate(obs) {
    const q = readQueue(obs)?.queue;
    if (!q) return null;
    if (!q.paused) return { severity: 'ok', title: `Queue ${q.name} not paused`, evidence: `${q.name} paused: false` };
    if (q.pending === 0) {
      return {
        severity: 'ok',
        title: `Queue ${q.name} is paused, with nothing pending`,
        evidence: `${q.name} is paused with 0 jobs pending: nothing waits on it`,
      };
    }
    return {
      severity: 'warning',
      title: `Queue ${q.name} is paused with ${n(q.pending)} jobs pending`,
      evidence: `${q.name} paused: true, ${n(q.pending)} pending — a paused queue hands out no jobs`,
      actions: [offer('resume', 'Resume', q.name)],
    };
  },
};

const concurrencyLimit: CorvoRule<StuckPendingObservations> = {
  code: 'corvo.queue.concurrency-limit',
  title: 'max_concurrency too low for the backlog',
  okTitle: 'max_concurrency not limiting',
  section: SECTIONS.stuckPending,
  nextStep:
    'Remove the limit (`POST /api/v1/queues/{name}/concurrency {"max":0}`; the runbook\'s `{"max": null}` does the ' +
    'same) or set a higher one by hand if the limit protects a downstream system.',
  evaluate(obs) {
    const q = readQueue(obs)?.queue;
    if (!q) return null;
    const max = q.max_concurrency;
    if (max === undefined || max <= 0) {
      return {
        severity: 'ok',
        title: `No max_concurrency on ${q.name}`,
        evidence: `${q.name} has no max_concurrency limit`,
      };
    }
    const factor = STUCK_PENDING_THRESHOLDS.concurrencyBacklogFactor;
    const saturated = q.active >= max;
    const low = q.pending > 0 && (saturated || q.pending >= max * factor);
    const why = saturated ? 'the limit is reached' : `at least ${factor}× the limit is pending`;
    return {
      severity: low ? 'warning' : 'ok',
      title: low
        ? `max_concurrency ${n(max)} holds back ${q.name}`
        : `max_concurrency ${n(max)} not limiting ${q.name}`,
      evidence:
        `${q.name} max_concurrency ${n(max)}: ${n(q.active)} active, ${n(q.pending)} pending${low ? ` — ${why}` : ''} ` +
        `(too low when the limit is reached with jobs pending, or when ${factor}× the limit is pending)`,
      actions: low ? [offer('unlimit', 'Unlimit', q.name)] : [],
    };
  },
};

const throttle: CorvoRule<StuckPendingObservations> = {
  code: 'corvo.queue.throttle',
  title: 'Rate limit too restrictive for the backlog',
  okTitle: 'Rate limit not holding the queue back',
  section: SECTIONS.stuckPending,
  nextStep:
    'Remove the throttle (`DELETE /api/v1/queues/{name}/throttle`), or set a higher rate by hand ' +
    '(`POST /api/v1/queues/{name}/throttle {"rate":…,"window_ms":…}`) if it protects a downstream system.',
  evaluate(obs) {
    const q = readQueue(obs)?.queue;
    if (!q) return null;
    const rate = q.rate_limit;
    const windowMs = q.rate_window_ms;
    if (rate === undefined || rate <= 0) {
      return { severity: 'ok', title: `No rate limit on ${q.name}`, evidence: `${q.name} has no rate limit` };
    }
    if (windowMs === undefined || windowMs <= 0) {
      return { severity: 'ok', evidence: `${q.name} rate_limit ${n(rate)} without a window; cannot judge its pace` };
    }
    const perSecond = rate / (windowMs / 1000);
    const drain = q.pending / perSecond;
    const limit = STUCK_PENDING_THRESHOLDS.throttleDrainSeconds;
    const slow = q.pending > 0 && drain > limit;
    return {
      severity: slow ? 'warning' : 'ok',
      title: `Throttle of ${n(rate)} per ${formatSeconds(windowMs / 1000)} ${slow ? 'holds back' : 'keeps up with'} ${q.name}`,
      evidence:
        `${q.name} throttle ${n(rate)} jobs per ${formatSeconds(windowMs / 1000)} (${n(Math.round(perSecond * 100) / 100)}/s): ` +
        `${n(q.pending)} pending take at least ${formatSeconds(Math.round(drain))} at that rate — too restrictive above ` +
        formatSeconds(limit),
      actions: slow ? [offer('unthrottle', 'Unthrottle', q.name)] : [],
    };
  },
};

const queueWorkers: CorvoRule<StuckPendingObservations> = {
  code: 'corvo.queue.workers',
  title: 'No live worker serves the queue',
  okTitle: 'Live workers serve the queue',
  section: SECTIONS.stuckPending,
  nextStep:
    'Start or fix the workers for this queue (crashed, hung, or subscribed to other queues). Workers must stream ' +
    "from the leader: a worker connected to a follower gets NOT_LEADER (with the leader's address) on its " +
    'lifecycle stream and fetches nothing.',
  evaluate(obs, nowMs) {
    const q = readQueue(obs)?.queue;
    if (!q || !obs.workers.ok) return null;
    const limit = THRESHOLDS.workerHeartbeatStaleSeconds;
    const rows = obs.workers.value.map((w) => {
      const at = parseTimestampMs(w.last_heartbeat);
      const queues = parseWorkerQueues(w.queues);
      return {
        w,
        age: at === undefined ? Infinity : Math.max(0, (nowMs - at) / 1000),
        serves: queues === undefined ? ('unknown' as const) : queues.includes(q.name),
      };
    });
    const mine = rows.filter((r) => r.serves === true).sort((a, b) => a.age - b.age);
    const live = mine.filter((r) => r.age <= limit);
    const silent = mine.filter((r) => r.age > limit);
    const unknownLive = rows.filter((r) => r.serves === 'unknown' && r.age <= limit);
    const name = (r: (typeof rows)[number]): string =>
      `${r.w.id}${r.w.hostname ? `@${r.w.hostname}` : ''} ${Number.isFinite(r.age) ? ageText(r.age) : 'unreadable heartbeat'}`;
    const list = (group: typeof rows): string =>
      group.slice(0, 5).map(name).join(', ') + (group.length > 5 ? ` and ${group.length - 5} more` : '');
    const evidence =
      `${n(live.length)} worker${live.length === 1 ? '' : 's'} subscribed to ${q.name} heartbeated within ` +
      `${formatSeconds(limit)}${live.length > 0 ? `: ${list(live)}` : ''}` +
      (silent.length > 0 ? `; silent: ${list(silent)}` : '') +
      (unknownLive.length > 0
        ? `; ${n(unknownLive.length)} live worker(s) with unknown queues: ${list(unknownLive)}`
        : '') +
      `; ${n(q.pending)} pending`;
    let severity: Severity = 'ok';
    if (live.length === 0 && q.pending > 0) severity = unknownLive.length > 0 ? 'warning' : 'critical';
    return {
      severity,
      title:
        severity === 'ok' ? `${n(live.length)} live worker${live.length === 1 ? '' : 's'} serve ${q.name}` : undefined,
      evidence,
    };
  },
};

const fetchLeader: CorvoRule<StuckPendingObservations> = {
  code: 'corvo.queue.leader',
  title: 'No leader: workers cannot fetch',
  okTitle: 'Workers must fetch from the leader',
  section: SECTIONS.stuckPending,
  nextStep:
    'Without a leader, fetches fail: streams answer NOT_LEADER and HTTP writes 503 LEADER_UNAVAILABLE. Restore ' +
    'the quorum first (`/corvo leader-instability`).',
  evaluate(obs) {
    const lead = readLeadership(obs);
    if (lead.isLeader === undefined && lead.leaderIds.length === 0) return null;
    if (lead.leaderIds.length === 0 && lead.isLeader !== true) {
      return {
        severity: 'critical',
        evidence: `no known leader (this node is ${lead.raftState ?? 'in an unknown state'})`,
      };
    }
    const leader = lead.leaderIds.join(', ') || lead.selfId || 'this node';
    return {
      severity: 'ok',
      title: `Workers must fetch from the leader ${leader}`,
      evidence:
        `${leaderHint(lead)} leads. A worker whose lifecycle stream goes to a follower gets NOT_LEADER with the ` +
        "leader's address and fetches nothing. HTTP writes to a follower are forwarded to the leader on the " +
        "follower's own HTTP port: that works only when every node uses the same HTTP port (else 503 FORWARD_LOOP).",
    };
  },
};

const backlog: CorvoRule<StuckPendingObservations> = {
  code: 'corvo.queue.backlog',
  title: 'Jobs have been pending for a long time',
  okTitle: 'Pending jobs are recent',
  section: SECTIONS.stuckPending,
  nextStep: 'See the other findings for the cause; `/corvo health` shows the cluster as a whole.',
  evaluate(obs, nowMs) {
    const q = readQueue(obs)?.queue;
    if (!q) return null;
    if (q.pending === 0) {
      return {
        severity: 'ok',
        title: `No job pending in ${q.name}`,
        evidence: `${q.name}: 0 pending, ${n(q.active)} active`,
      };
    }
    const oldest = parseTimestampMs(q.oldest_pending_at);
    const limit = STUCK_PENDING_THRESHOLDS.oldestPendingSeconds;
    if (oldest === undefined) {
      return {
        severity: 'ok',
        evidence: `${q.name}: ${n(q.pending)} pending, ${n(q.active)} active; oldest_pending_at not reported`,
      };
    }
    const age = Math.max(0, (nowMs - oldest) / 1000);
    const old = age > limit;
    return {
      severity: old ? 'warning' : 'ok',
      title: `${n(q.pending)} pending in ${q.name}, oldest waiting ${formatSeconds(Math.round(age))}`,
      evidence:
        `${q.name}: ${n(q.pending)} pending, ${n(q.active)} active, oldest pending since ${q.oldest_pending_at} ` +
        `(${ageText(age)}) — warning above ${formatSeconds(limit)}`,
    };
  },
};

/** The checks of "Jobs Stuck Pending" for one queue, in report order. */
export const stuckPendingRules: readonly CorvoRule<StuckPendingObservations>[] = [
  unknownQueue,
  queuePaused,
  concurrencyLimit,
  throttle,
  queueWorkers,
  fetchLeader,
  reuseRule('corvo.apply.pressure'),
  backlog,
];

const HAS_PENDING_CACHE_NOTE =
  'The runbook\'s last cause, the HasPendingJobs cache, heals itself: Corvo caches "queue empty" for 50 ms ' +
  '(and "has pending" for 500 ms after an enqueue), so it cannot explain jobs pending for minutes.';

export const jobsStuckPendingWorkflow: Workflow<CorvoClients> = {
  id: 'jobs-stuck-pending',
  title: 'Corvo jobs stuck pending',
  description:
    "Why a queue's jobs wait: pause, max_concurrency, throttle, its workers, the leader, apply pressure; offers the fixes.",
  args: [{ ...QUEUE, description: 'the queue whose jobs stay pending' }],
  async run(ctx) {
    const queue = ctx.args.queue ?? '';
    const core = await observeCorvo(ctx.clients.corvo, ctx.signal, [
      'healthz',
      'clusterStatus',
      'metrics',
      'queues',
      'workers',
    ]);
    return diagnose(ctx, {
      obs: { ...core, queue },
      rules: stuckPendingRules,
      notes: [HAS_PENDING_CACHE_NOTE],
      headline: (o) => {
        const q = readQueue(o)?.queue;
        if (!q) return `queue ${queue}`;
        const state = [q.paused ? 'paused' : '', q.max_concurrency ? `max_concurrency ${n(q.max_concurrency)}` : '']
          .filter(Boolean)
          .join(', ');
        return `queue ${q.name}: ${n(q.pending)} pending, ${n(q.active)} active${state ? `, ${state}` : ''}`;
      },
    });
  },
};
