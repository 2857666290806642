import type { CorvoClients } from '../../integrations/corvo/index.js';
import { formatNumber, formatSeconds } from '../../src/core/format.js';
import type { ProposedAction, Severity } from '../../src/core/report.js';
import { isTargetError } from '../../src/core/target-error.js';
import type { Workflow } from '../../src/core/workflow.js';
import { manualSteps } from './manual-steps.js';
import {
  observeCorvo,
  probeActiveJobs,
  type ActiveJob,
  type ActiveJobs,
  type CorvoObservations,
  type ProbeResult,
} from './observe.js';
import { diagnose } from './diagnose.js';
import { RECLAIM_WITHIN_2S_CORRECTION, STUCK_ACTIVE_CORRECTION } from './rules/corrections.js';
import { WHOLE_SECONDS_NOTE, ageText, schedulerAge, schedulerAgeText, type CorvoRule } from './rules/helpers.js';
import { reuseRule } from './rules/index.js';
import { schedulerOnFollower } from './rules/scheduler.js';
import { THRESHOLDS } from './rules/thresholds.js';
import { SECTIONS } from './sections.js';
import { parseTimestampMs, readLeadership, readMetric, readRaftGroups } from './signals.js';

/** The core observations plus the active jobs, each read in full for its lease. */
export interface StuckActiveObservations extends CorvoObservations {
  readonly activeJobs: ProbeResult<ActiveJobs>;
}

export const STUCK_ACTIVE_THRESHOLDS = {
  /**
   * Reclaim runs every second on the leader and may be deferred up to 10 s under load: a lease expired for longer
   * than this should already have been reclaimed.
   */
  reclaimGraceSeconds: 10,
  /**
   * Runbook: `corvo_scheduler_last_reclaim_seconds` "should be recent (within 2s)". Judged on the lower bound of
   * the age (Corvo prints whole seconds: one more second is allowed, see `schedulerAge`).
   */
  reclaimRecentSeconds: 2,
  /** Cancel buttons offered at most (one per stuck job); the others are listed. */
  maxCancelOffers: 5,
} as const;

const n = formatNumber;

/** `job_1896c3a2f1e0b7d400000000a2` → `job_…00000000a2`: the end tells Corvo's ids apart. */
function shortId(id: string): string {
  return id.length > 20 ? `${id.slice(0, 4)}…${id.slice(-10)}` : id;
}

interface ExpiredJob {
  readonly job: ActiveJob;
  /** Seconds since the lease expired. */
  readonly expiredFor: number;
}

interface LeaseView {
  /** Expired longer ago than the reclaim grace: reclaim should have requeued them. */
  readonly stuck: ExpiredJob[];
  /** Expired within the grace: reclaim is due. */
  readonly due: ExpiredJob[];
  /** Lease still running; seconds until the soonest one ends. */
  readonly running: number;
  readonly nextExpiryIn?: number;
  /** Active in the search but no longer active when read (finished in between). */
  readonly moved: number;
  /** Active without any `lease_expires_at`. */
  readonly noLease: ActiveJob[];
  /** `GET /jobs/{id}` failed. */
  readonly unread: ActiveJob[];
  readonly read: number;
}

/**
 * True when Corvo refused the job search for the key's role: `POST /api/v1/jobs/search` is a POST, and a readonly
 * key may only GET (403 FORBIDDEN "insufficient role permissions", real-systems.md Corvo item 4).
 */
export function isSearchForbidden(obs: StuckActiveObservations): boolean {
  return !obs.activeJobs.ok && isTargetError(obs.activeJobs.error) && obs.activeJobs.error.kind === 'forbidden';
}

/** What the stuck-active report loses without a key that may POST the search (also in the README). */
export const OPERATOR_KEY_LOSS =
  'Without it the bot cannot list the active jobs, so it cannot find the ones with an expired lease that reclaim ' +
  'missed, ' +
  'which worker holds them, nor offer Cancel buttons; the reclaim scheduler, leader and SQLite checks below still ' +
  'run. A single job can still be read by id (`GET /api/v1/jobs/{id}` is a GET).';

/** Sorts the active jobs by their lease against the clock; undefined when the search failed. */
function readLeases(obs: StuckActiveObservations, nowMs: number): LeaseView | undefined {
  if (!obs.activeJobs.ok) return undefined;
  const view = {
    stuck: [] as ExpiredJob[],
    due: [] as ExpiredJob[],
    running: 0,
    nextExpiryIn: undefined as number | undefined,
    moved: 0,
    noLease: [] as ActiveJob[],
    unread: [] as ActiveJob[],
    read: obs.activeJobs.value.jobs.length,
  };
  for (const job of obs.activeJobs.value.jobs) {
    if (!job.detail.ok) {
      view.unread.push(job);
      continue;
    }
    if (job.detail.value.state !== 'active') {
      view.moved++;
      continue;
    }
    const lease = parseTimestampMs(job.detail.value.lease_expires_at);
    if (lease === undefined) {
      view.noLease.push(job);
      continue;
    }
    const expiredFor = (nowMs - lease) / 1000;
    if (expiredFor > STUCK_ACTIVE_THRESHOLDS.reclaimGraceSeconds) view.stuck.push({ job, expiredFor });
    else if (expiredFor > 0) view.due.push({ job, expiredFor });
    else {
      view.running++;
      view.nextExpiryIn = Math.min(view.nextExpiryIn ?? Infinity, -expiredFor);
    }
  }
  view.stuck.sort((a, b) => b.expiredFor - a.expiredFor);
  return view;
}

/** Dropped SQLite mirror updates, from the status (any group) or the metric. */
function mirrorDropped(obs: CorvoObservations): number | undefined {
  const groups = readRaftGroups(obs);
  const fromStatus = groups?.map((g) => g.status.sqlite_mirror?.dropped).filter((d): d is number => d !== undefined);
  if (fromStatus && fromStatus.length > 0) return fromStatus.reduce((a, b) => a + b, 0);
  return readMetric(obs, 'corvo_sqlite_mirror_dropped_total');
}

function describeJob(e: ExpiredJob): string {
  const job = e.job.detail.ok ? e.job.detail.value : e.job.summary;
  const worker = job.worker_id ? `worker ${job.worker_id}` : 'no worker recorded';
  return `${job.id} (${job.queue}, ${worker}, lease expired ${ageText(e.expiredFor)})`;
}

function cancelOffer(id: string): ProposedAction {
  return {
    remediation: 'cancel',
    label: `Cancel ${shortId(id)}`,
    params: { 'job-id': id },
    level: 'confirm',
    destructive: false,
  };
}

const expiredLease: CorvoRule<StuckActiveObservations> = {
  code: 'corvo.jobs.expired-lease',
  title: 'Active jobs with an expired lease are not reclaimed',
  okTitle: 'No active job has an expired lease',
  section: SECTIONS.stuckActive,
  nextStep:
    "The scheduler's reclaim moves jobs with an expired lease back to pending when it runs: fix reclaim first (see " +
    '`corvo.scheduler.reclaim`). To free a job now, cancel it (an active job goes to "cancelling"; it can be ' +
    'retried once cancelled). Do not `corvo retry` an active job: Corvo answers 400 RETRY_ERROR.',
  runbookCorrection: STUCK_ACTIVE_CORRECTION,
  evaluate(obs, nowMs) {
    if (isSearchForbidden(obs) && !obs.activeJobs.ok) {
      const err = obs.activeJobs.error;
      return {
        severity: 'inconclusive',
        title: 'Stuck-active check needs an operator key',
        evidence:
          `${isTargetError(err) ? err.message : 'POST /api/v1/jobs/search was refused (403)'} — Corvo's job search is a ` +
          'POST, and a readonly key may only GET',
        nextStep:
          'Give the bot an operator (or admin) key for this target (`targets.corvo.<name>.apiKey`). ' +
          OPERATOR_KEY_LOSS,
        runbookCorrection: STUCK_ACTIVE_CORRECTION,
      };
    }
    const view = readLeases(obs, nowMs);
    if (!view || !obs.activeJobs.ok) return null;
    const { total } = obs.activeJobs.value;
    const scope =
      view.read < total
        ? `checked the ${n(view.read)} longest-running of ${n(total)} active jobs`
        : `checked all ${n(total)} active job${total === 1 ? '' : 's'}`;
    const source = 'leases read with GET /api/v1/jobs/{id}, as the search rows carry none';
    // The correction is shown even when all is well: the runbook's own commands mislead either way.
    const correction = STUCK_ACTIVE_CORRECTION;

    if (total === 0 || view.read === 0) {
      return { severity: 'ok', evidence: 'no active job (search total 0)', runbookCorrection: correction };
    }
    if (view.unread.length === view.read) {
      const first = view.unread[0]!.detail;
      const why = !first.ok && isTargetError(first.error) ? first.error.message : 'unexpected error';
      return {
        severity: 'inconclusive',
        title: 'Could not read the leases of the active jobs',
        evidence: `${scope}, but no GET /api/v1/jobs/{id} answered: ${why}`,
        nextStep: "Run the check again; if it keeps failing, check the bot's API key role and Corvo's logs.",
        runbookCorrection: correction,
      };
    }
    const extra = [
      view.due.length > 0
        ? `${n(view.due.length)} expired less than ${STUCK_ACTIVE_THRESHOLDS.reclaimGraceSeconds} s ago (reclaim due)`
        : '',
      view.noLease.length > 0 ? `${n(view.noLease.length)} without lease_expires_at` : '',
      view.moved > 0 ? `${n(view.moved)} finished while being read` : '',
      view.unread.length > 0 ? `${n(view.unread.length)} could not be read` : '',
    ].filter(Boolean);
    const tail = `; ${scope}${extra.length > 0 ? `, ${extra.join(', ')}` : ''} (${source})`;

    if (view.stuck.length === 0) {
      const next =
        view.nextExpiryIn !== undefined
          ? `, the next lease ends in ${formatSeconds(Math.round(view.nextExpiryIn))}`
          : '';
      return {
        severity: 'ok',
        evidence: `no lease expired more than ${STUCK_ACTIVE_THRESHOLDS.reclaimGraceSeconds} s ago${next}${tail}`,
        runbookCorrection: correction,
      };
    }

    const max = STUCK_ACTIVE_THRESHOLDS.maxCancelOffers;
    const shown = view.stuck.slice(0, max);
    const more = view.stuck.length - shown.length;
    const dropped = mirrorDropped(obs);
    const stale =
      dropped !== undefined && dropped > 0
        ? ` ⚠ SQLite dropped ${n(dropped)} mirror updates: search and GET /jobs/{id} read SQLite, so these rows may ` +
          'be stale (a finished job can still show as active).'
        : '';
    return {
      severity: 'critical',
      title:
        view.stuck.length === 1
          ? 'An active job with an expired lease is not reclaimed'
          : `${n(view.stuck.length)} active jobs with an expired lease are not reclaimed`,
      evidence:
        `${n(view.stuck.length)} lease${view.stuck.length === 1 ? '' : 's'} expired more than ` +
        `${STUCK_ACTIVE_THRESHOLDS.reclaimGraceSeconds} s ago (reclaim runs every second, deferred up to 10 s ` +
        `under load): ${shown.map(describeJob).join('; ')}${more > 0 ? `; and ${n(more)} more` : ''}${tail}.${stale}`,
      nextStep:
        (stale
          ? 'First rebuild SQLite (see `corvo.sqlite.mirror-dropped`) and run this again: the rows may be stale. '
          : '') +
        expiredLease.nextStep +
        (more > 0 ? ` ${n(more)} more stuck jobs have no button: \`/corvo cancel <job-id>\`.` : ''),
      runbookCorrection: correction,
      actions: shown.map((e) => cancelOffer(e.job.summary.id)),
    };
  },
};

const reclaimScheduler: CorvoRule<StuckActiveObservations> = {
  code: 'corvo.scheduler.reclaim',
  title: 'Reclaim scheduler not keeping up',
  okTitle: 'Reclaim scheduler running',
  section: SECTIONS.stuckActive,
  nextStep:
    'Check the leader\'s logs for "reclaim expired leases" error=…. If reclaim keeps failing or stays stalled, ' +
    "restart the leader (manual step in the notes): leadership moves, and the new leader's scheduler reclaims the " +
    'expired leases.',
  runbookCorrection: RECLAIM_WITHIN_2S_CORRECTION,
  evaluate(obs, nowMs) {
    const errors = readMetric(obs, 'corvo_scheduler_reclaim_errors_total');
    const last = readMetric(obs, 'corvo_scheduler_last_reclaim_seconds');
    if (errors === undefined && last === undefined) return null;
    const follower = schedulerOnFollower(obs);
    if (follower) return follower;
    const { reclaimRecentSeconds: recent, reclaimGraceSeconds: deferred } = STUCK_ACTIVE_THRESHOLDS;
    const leaderKnown = readLeadership(obs).isLeader === true;
    const age = last === undefined || last <= 0 ? undefined : schedulerAge(nowMs, last);
    // The lower bound of the age: Corvo's whole seconds alone must not make a healthy leader look late.
    const atLeast = last === undefined ? undefined : last <= 0 ? Infinity : (age?.atLeast ?? 0);
    let severity: Severity = 'ok';
    if (atLeast !== undefined && atLeast > deferred) severity = leaderKnown ? 'critical' : 'warning';
    else if ((atLeast !== undefined && atLeast > recent) || (errors ?? 0) > 0) severity = 'warning';
    const lastText =
      last === undefined
        ? 'last reclaim unknown'
        : age === undefined
          ? 'reclaim never ran since process start'
          : `last reclaim ${schedulerAgeText(age)}`;
    const errorText =
      errors === undefined ? 'reclaim errors unknown' : `${n(errors)} reclaim errors since process start — should be 0`;
    return {
      severity,
      evidence:
        `${lastText} — the runbook expects within ${recent} s (${WHOLE_SECONDS_NOTE}; Corvo defers it up to ` +
        `${deferred} s under load); ${errorText}` +
        (severity !== 'ok' && !leaderKnown ? ' (could not confirm this node is the leader)' : ''),
      runbookCorrection: RECLAIM_WITHIN_2S_CORRECTION,
    };
  },
};

const ownerHeartbeat: CorvoRule<StuckActiveObservations> = {
  code: 'corvo.jobs.owner-heartbeat',
  title: 'Workers holding stuck jobs went silent',
  okTitle: 'Workers holding expired leases still heartbeat',
  section: SECTIONS.stuckActive,
  nextStep:
    'The worker that held these jobs stopped heartbeating (crashed, hung, or cut off from the leader): check its ' +
    'process on the host. Restarting it may not free the jobs it held; reclaim (once the scheduler runs) or cancel ' +
    'does.',
  evaluate(obs, nowMs) {
    const view = readLeases(obs, nowMs);
    if (!view || !obs.workers.ok) return null;
    const expired = [...view.stuck, ...view.due];
    if (expired.length === 0) return null;
    const byWorker = new Map<string, number>();
    for (const e of expired) {
      const id = (e.job.detail.ok ? e.job.detail.value.worker_id : e.job.summary.worker_id) ?? '';
      byWorker.set(id, (byWorker.get(id) ?? 0) + 1);
    }
    const limit = THRESHOLDS.workerHeartbeatStaleSeconds;
    let silent = 0;
    const parts = [...byWorker].map(([id, count]) => {
      const held = `${n(count)} expired job${count === 1 ? '' : 's'}`;
      if (id === '') {
        silent++;
        return `no worker recorded on ${held}`;
      }
      const worker = obs.workers.ok ? obs.workers.value.find((w) => w.id === id) : undefined;
      if (!worker) {
        silent++;
        return `${id} holds ${held} and is no longer registered`;
      }
      const at = parseTimestampMs(worker.last_heartbeat);
      const age = at === undefined ? Infinity : Math.max(0, (nowMs - at) / 1000);
      if (age > limit) silent++;
      const host = worker.hostname ? `@${worker.hostname}` : '';
      const beat = Number.isFinite(age) ? `last heartbeat ${ageText(age)}` : 'unreadable heartbeat';
      return (
        `${id}${host} holds ${held}, ${beat}` +
        (age <= limit ? ' (alive, but not renewing the lease: it may be stuck on the job itself)' : '')
      );
    });
    return {
      severity: silent > 0 ? 'warning' : 'ok',
      evidence: `${parts.join('; ')} — a live worker heartbeats within ${formatSeconds(limit)}`,
    };
  },
};

/** The checks of "Jobs Stuck Active", in report order. */
export const stuckActiveRules: readonly CorvoRule<StuckActiveObservations>[] = [
  expiredLease,
  reclaimScheduler,
  ownerHeartbeat,
  reuseRule('corvo.raft.no-leader'),
  reuseRule('corvo.sqlite.mirror-dropped'),
];

export const jobsStuckActiveWorkflow: Workflow<CorvoClients> = {
  id: 'jobs-stuck-active',
  title: 'Corvo jobs stuck active',
  description:
    'Active jobs with an expired lease, the reclaim scheduler, their workers; offers cancel. Needs an operator key.',
  async run(ctx) {
    const client = ctx.clients.corvo;
    const [core, activeJobs] = await Promise.all([
      observeCorvo(client, ctx.signal, ['healthz', 'clusterStatus', 'metrics', 'workers']),
      probeActiveJobs(client, ctx.signal),
    ]);
    const obs: StuckActiveObservations = { ...core, activeJobs };
    return diagnose(ctx, {
      obs,
      rules: stuckActiveRules,
      // A 403 on the search is reported by `corvo.jobs.expired-lease` (it needs an operator key), not as a failed probe.
      extras: isSearchForbidden(obs)
        ? []
        : [{ name: 'activeJobs', endpoint: 'POST /api/v1/jobs/search', what: 'active jobs', result: activeJobs }],
      notes: [manualSteps.killStuckServer],
      headline: (o) => {
        const view = readLeases(o, ctx.clock.now());
        if (!view || !o.activeJobs.ok) return undefined;
        const total = o.activeJobs.value.total;
        return `${n(total)} active job${total === 1 ? '' : 's'}, ${n(view.stuck.length)} with an expired lease`;
      },
    });
  },
};
