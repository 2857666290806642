import { formatNumber } from '../../src/core/format.js';
import type { ArgSpec } from '../../src/core/command.js';
import type { Remediation } from '../../src/core/remediation.js';
import type { RemediationContext } from '../../src/core/remediation.js';
import { REFUSED_BEFORE_WRITE, TargetError, isTargetError, refusedBeforeWrite } from '../../src/core/target-error.js';
import type { CorvoClients, Job, QueueInfo } from '../../integrations/corvo/index.js';

/** A queue name, as fixes and `/corvo jobs-stuck-pending <queue>` take it. */
export const QUEUE: ArgSpec = {
  name: 'queue',
  description: 'queue name',
  required: true,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/,
};
/** Corvo job ids are `job_` + 26 hex characters (internal/store/ids.go); accept any sane id. */
const JOB_ID: ArgSpec = {
  name: 'job-id',
  description: 'job id (job_…)',
  required: true,
  pattern: /^[A-Za-z0-9_-]{1,100}$/,
};

const enc = (s: string | undefined) => encodeURIComponent(s ?? '');

/** States from which Corvo's `POST /jobs/{id}/retry` succeeds (internal/raft/fsm_ops.go: applyRetryJobOp). */
export const RETRYABLE_STATES = ['dead', 'cancelled', 'completed', 'scheduled'] as const;

/** States from which `POST /jobs/{id}/cancel` succeeds (`cancelling` for active; CANCEL_ERROR otherwise). */
export const CANCELLABLE_STATES = ['pending', 'scheduled', 'retrying', 'active'] as const;

const refuse = refusedBeforeWrite;

type Ctx = RemediationContext<CorvoClients>;

/** "paused, 4,312 pending, 0 active, max_concurrency 1, throttle 10 per 60,000 ms": what the card's finding read. */
export function describeQueueState(q: QueueInfo): string {
  return [
    q.paused ? 'paused' : '',
    `${formatNumber(q.pending)} pending`,
    `${formatNumber(q.active)} active`,
    q.max_concurrency !== undefined && q.max_concurrency > 0
      ? `max_concurrency ${formatNumber(q.max_concurrency)}`
      : '',
    q.rate_limit !== undefined && q.rate_limit > 0
      ? `throttle ${formatNumber(q.rate_limit)} per ${formatNumber(q.rate_window_ms ?? 0)} ms`
      : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * Check before the write: re-reads `GET /api/v1/queues` and returns the queue, or refuses with what exists. Corvo
 * answers 200 to pause/resume/concurrency on a queue that does not exist and CREATES it, and 200 to
 * `DELETE …/throttle` (real-systems.md Corvo item 1): without this a typo reports success and leaves a phantom queue.
 */
async function requireQueue(ctx: Ctx, name: string): Promise<QueueInfo> {
  const queues = await ctx.clients.corvo.queues({ signal: ctx.signal });
  const q = queues.find((x) => x.name === name);
  if (q) return q;
  const names = queues.map((x) => x.name).sort();
  const list =
    names.length === 0
      ? 'none'
      : names.slice(0, 20).join(', ') + (names.length > 20 ? `, and ${formatNumber(names.length - 20)} more` : '');
  throw refuse(
    `no queue named "${name}" on ${ctx.target}; queues: ${list}. Not sent: Corvo answers success for a queue that ` +
      'does not exist (and creates it on pause, resume and concurrency), so the call would prove nothing and could ' +
      'leave a phantom queue. Check the spelling (names are case-sensitive; namespaced queues read `ns::queue`).',
  );
}

/** Check before the write: the job exists (404 otherwise, said plainly) and is returned as Corvo reads it now. */
async function requireJob(ctx: Ctx, id: string): Promise<Job> {
  try {
    return await ctx.clients.corvo.getJob(id, { signal: ctx.signal });
  } catch (err) {
    if (isTargetError(err) && err.status === 404) throw noSuchJob(ctx.target, id, err.message);
    throw err;
  }
}

function noSuchJob(target: string, id: string, answer: string): TargetError {
  return refuse(
    `no job ${id} on ${target} (${answer}) — check the id (\`job_…\`, as /corvo jobs-stuck-active lists them): ` +
      'a typo, a job of another namespace, or one already purged.',
  );
}

/**
 * Turns what Corvo answered to a write into a chat line with the cause and the next step (real-systems.md Corvo
 * items 4, 5, 7, 8). The bot's own refusals and anything it does not recognise pass through unchanged.
 */
export function explainCorvoError(
  err: unknown,
  ctx: Pick<Ctx, 'target'>,
  params: Readonly<Record<string, string>> = {},
): unknown {
  if (!isTargetError(err) || err.code === REFUSED_BEFORE_WRITE) return err;
  const t = ctx.target;
  const again = (message: string): TargetError =>
    new TargetError(err.kind, message, {
      status: err.status,
      code: err.code,
      retryAfterMs: err.retryAfterMs,
      cause: err,
    });
  if (err.kind === 'forbidden') {
    return again(
      `${err.message}. Cause: the bot's API key for ${t} may not make this call — readonly keys may only GET; ` +
        `fixes need an operator or admin key. Nothing was changed. Next: configure an operator or admin key as ` +
        `targets.corvo.${t}.apiKey, or run the call by hand.`,
    );
  }
  if (err.code === 'FORWARD_LOOP') {
    return again(
      `${err.message}. Cause: ${t}'s url points at a follower, which forwards writes to the leader's raft host on ` +
        "its own HTTP port; Corvo's forwarding works only when every node uses the same HTTP port, and here it " +
        "looped (503 FORWARD_LOOP). Nothing was changed. Next: point this target's url at the leader's HTTP API " +
        '(`/corvo health` names the leader), or give every node the same `--bind` port.',
    );
  }
  if (err.code === 'LEADER_UNAVAILABLE') {
    return again(
      `${err.message}. Cause: no raft leader is known, and Corvo accepts writes only through the leader. Nothing was ` +
        'changed. Next: `/corvo leader-instability`, then request the fix again.',
    );
  }
  if (err.code === 'RETRY_ERROR' && /not found/i.test(err.message)) {
    // Corvo answers 400 RETRY_ERROR "not found" (not 404) for a job it does not know (real-systems.md item 8).
    return noSuchJob(t, params['job-id'] ?? '?', err.message);
  }
  if (err.code === 'INTERNAL_ERROR' && /FOREIGN KEY constraint failed \(787\)/.test(err.message)) {
    return again(
      `Corvo's rebuild failed on a foreign-key error (787) (${err.message}). Cause: the rebuild replays job errors ` +
        'before their jobs, and whether that fails depends on which pooled SQLite connection it lands on. Pebble, ' +
        "the source of truth, is untouched; what the leader's SQLite holds now is not reported (`/corvo " +
        "sqlite-diverged` shows the rebuild's result). Next: request the rebuild again (`/corvo rebuild-sqlite`) — " +
        'a retry may succeed.',
    );
  }
  if (err.kind === 'timeout' || err.kind === 'unreachable') {
    return again(
      `${err.message}. Whether Corvo applied the change is unknown. Next: run the check again before asking for ` +
        'the fix again.',
    );
  }
  if (err.kind === 'rate-limited') {
    return again(`${err.message}. Nothing was changed. Next: request the fix again in a moment.`);
  }
  return err;
}

/** Runs a fix's body and explains what Corvo answered (see {@link explainCorvoError}). */
async function explained<T>(ctx: Ctx, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw explainCorvoError(err, ctx, ctx.params);
  }
}

/** Under `--raft-shards > 1` the rebuild answers ok while SQLite keeps only the last shard's data: never run it. */
async function refuseMultiRaftRebuild(ctx: Ctx): Promise<void> {
  let status;
  try {
    status = await ctx.clients.corvo.clusterStatus({ signal: ctx.signal });
  } catch (err) {
    throw refuse(
      `rebuild-sqlite not run: the cluster status could not be read to rule out multi-raft ` +
        `(${isTargetError(err) ? err.message : 'unexpected error'}). Run \`/corvo health\` and request it again.`,
    );
  }
  if ('groups' in status) {
    throw refuse(
      `${ctx.target} runs multi-raft (${formatNumber(status.shards)} shards): rebuild-sqlite not run. On a ` +
        "multi-raft Corvo it answers ok while SQLite keeps only the last shard's data (in a test, 6 queues became " +
        '3), so search, /queues and the dashboard would lose the other shards. Next: fix a diverged mirror by ' +
        'restarting or re-joining the node (`/corvo sqlite-diverged` lists the steps).',
    );
  }
}

/** Shown on the rebuild's approval card: the runbook's "safe to run anytime", corrected by the real server. */
export const REBUILD_EFFECT =
  "Rebuilds every SQLite table of the LEADER's mirror from Pebble (the source of truth); search and the dashboard " +
  "read SQLite, so they may be briefly incomplete while it runs. A follower's mirror is NOT rebuilt (a diverged " +
  'follower needs a restart or a re-join). ⚠ Not "safe to run anytime" as the runbook says: (a) when a job has a ' +
  'recorded error it can fail with 500 INTERNAL_ERROR "FOREIGN KEY constraint failed (787)" (job errors are ' +
  'replayed before their jobs; it depends on the pooled connection, so a retry may succeed); (b) under multi-raft ' +
  "it answers ok while SQLite keeps only the last shard's data — the bot refuses to run it there; (c) through a " +
  "follower whose HTTP port differs from the leader's it fails with 503 FORWARD_LOOP; (d) it brings back the jobs " +
  'of queues that were cleared or deleted (Corvo leaves them in Pebble).';

/** Shown on the clear card: Corvo answers "cleared" but leaves work behind (real-systems.md Corvo item 6). */
export function clearEffect(queue: string | undefined): string {
  return (
    `Deletes the jobs waiting in "${queue}"; they cannot be recovered except from a backup. ⚠ Corvo answers ` +
    '"cleared" but its normal-priority pending jobs stay in the store and are still handed to workers; they vanish ' +
    'from /queues, search and /metrics (and `corvo_sqlite_mirror_dropped_total` stays 0), and a later ' +
    'rebuild-sqlite shows them again. To stop them being processed, pause the queue as well (`POST ' +
    `/api/v1/queues/${enc(queue)}/pause\`).`
  );
}

/** The Corvo runbook's fixes that go through the API. Steps that need a shell on the host are manual notes. */
export const corvoRemediations: readonly Remediation<CorvoClients>[] = [
  {
    id: 'rebuild-sqlite',
    title: 'Rebuild SQLite',
    description: "Rebuild the leader's SQLite mirror from Pebble (needs a second person's approval).",
    level: 'approval',
    destructive: true,
    params: [],
    describeCall: () => 'POST /api/v1/admin/rebuild-sqlite',
    describeEffect: () => REBUILD_EFFECT,
    verify: { workflow: 'health', findingCode: 'corvo.sqlite.mirror-dropped' },
    execute: (ctx) =>
      explained(ctx, async () => {
        await refuseMultiRaftRebuild(ctx);
        const r = await ctx.clients.corvo.rebuildSqlite({ signal: ctx.signal });
        if (!r.rebuilt) throw new TargetError('api-error', 'Corvo answered without rebuilding (rebuilt: false)');
        return { summary: `rebuilt in ${formatNumber(r.duration_ms)} ms` };
      }),
  },
  {
    id: 'resume',
    title: 'Resume queue',
    description: 'Resume a paused queue (the requester confirms).',
    level: 'confirm',
    destructive: false,
    params: [QUEUE],
    describeCall: (p) => `POST /api/v1/queues/${enc(p.queue)}/resume`,
    describeEffect: (p) =>
      `Workers start fetching from "${p.queue}" again. Reversible with pause. The bot first checks that the queue ` +
      'exists and is still paused (Corvo would create a misspelt queue and answer success).',
    verify: { workflow: 'health', findingCode: 'corvo.queues.paused' },
    execute: (ctx) =>
      explained(ctx, async () => {
        const name = ctx.params.queue!;
        const q = await requireQueue(ctx, name);
        if (!q.paused) {
          throw refuse(
            `queue "${name}" on ${ctx.target} is not paused (${describeQueueState(q)}): nothing to resume — not sent ` +
              '(someone may have resumed it since the card was posted).',
          );
        }
        const r = await ctx.clients.corvo.resumeQueue(name, { signal: ctx.signal });
        return { summary: `queue ${name}: ${r.status}` };
      }),
  },
  {
    id: 'unlimit',
    title: 'Remove concurrency limit',
    description: "Remove a queue's max_concurrency limit (the requester confirms).",
    level: 'confirm',
    destructive: false,
    params: [QUEUE],
    describeCall: (p) => `POST /api/v1/queues/${enc(p.queue)}/concurrency {"max":0}`,
    describeEffect: (p) =>
      `Removes the max_concurrency limit of "${p.queue}" (0 and null both remove it). Workers may then run as many ` +
      'jobs of this queue at once as they fetch. The bot first checks that the queue exists and has a limit.',
    execute: (ctx) =>
      explained(ctx, async () => {
        const name = ctx.params.queue!;
        const q = await requireQueue(ctx, name);
        if (q.max_concurrency === undefined || q.max_concurrency <= 0) {
          throw refuse(
            `queue "${name}" on ${ctx.target} has no max_concurrency limit (${describeQueueState(q)}): nothing to ` +
              'remove — not sent.',
          );
        }
        const r = await ctx.clients.corvo.setConcurrency(name, 0, { signal: ctx.signal });
        return { summary: `queue ${name}: concurrency limit removed (${r.status})` };
      }),
  },
  {
    id: 'unthrottle',
    title: 'Remove rate limit',
    description: "Remove a queue's throttle (the requester confirms).",
    level: 'confirm',
    destructive: false,
    params: [QUEUE],
    describeCall: (p) => `DELETE /api/v1/queues/${enc(p.queue)}/throttle`,
    describeEffect: (p) =>
      `Removes the rate limit of "${p.queue}"; fetches are no longer paced. The bot first checks that the queue ` +
      'exists and has a rate limit (Corvo answers ok either way).',
    execute: (ctx) =>
      explained(ctx, async () => {
        const name = ctx.params.queue!;
        const q = await requireQueue(ctx, name);
        if (q.rate_limit === undefined || q.rate_limit <= 0) {
          throw refuse(
            `queue "${name}" on ${ctx.target} has no rate limit (${describeQueueState(q)}): nothing to remove — not sent.`,
          );
        }
        const r = await ctx.clients.corvo.removeThrottle(name, { signal: ctx.signal });
        return { summary: `queue ${name}: throttle removed (${r.status})` };
      }),
  },
  {
    id: 'retry',
    title: 'Retry job',
    description: 'Move a dead, cancelled, completed or scheduled job back to pending (the requester confirms).',
    level: 'confirm',
    destructive: false,
    params: [JOB_ID],
    describeCall: (p) => `POST /api/v1/jobs/${enc(p['job-id'])}/retry`,
    describeEffect: () =>
      'Moves the job back to pending. Corvo refuses this for active jobs (400 RETRY_ERROR) — the runbook says ' +
      "otherwise; for a stuck active job use cancel, or let the scheduler's reclaim handle the expired lease.",
    execute: (ctx) =>
      explained(ctx, async () => {
        const id = ctx.params['job-id']!;
        const job = await requireJob(ctx, id);
        if (!(RETRYABLE_STATES as readonly string[]).includes(job.state)) {
          throw refuse(
            `job ${id} is ${job.state}: Corvo retries only ${RETRYABLE_STATES.join(', ')} jobs — not sent` +
              (job.state === 'active' ? '; for a stuck active job use /corvo cancel ' + id : ''),
          );
        }
        const r = await ctx.clients.corvo.retryJob(id, { signal: ctx.signal });
        return { summary: `job ${id}: ${r.status}` };
      }),
  },
  {
    id: 'cancel',
    title: 'Cancel job',
    description: 'Cancel a pending, scheduled, retrying or active job (the requester confirms).',
    level: 'confirm',
    destructive: false,
    params: [JOB_ID],
    describeCall: (p) => `POST /api/v1/jobs/${enc(p['job-id'])}/cancel`,
    describeEffect: () =>
      'Cancels the job: pending/scheduled/retrying jobs become cancelled; for an active job Corvo answers ' +
      '"cancelling" and the job reads cancelled at once. It can be retried later.',
    execute: (ctx) =>
      explained(ctx, async () => {
        const id = ctx.params['job-id']!;
        const job = await requireJob(ctx, id);
        if (!(CANCELLABLE_STATES as readonly string[]).includes(job.state)) {
          throw refuse(
            `job ${id} is ${job.state}: Corvo cancels only ${CANCELLABLE_STATES.join(', ')} jobs — nothing to ` +
              'cancel, not sent.',
          );
        }
        const r = await ctx.clients.corvo.cancelJob(id, { signal: ctx.signal });
        // Corvo answers "cancelling" for an active job but the job reads cancelled at once: say what it reads now.
        const after = await ctx.clients.corvo.getJob(id, { signal: ctx.signal }).catch(() => undefined);
        if (!after) return { summary: `job ${id}: ${r.status} (could not re-read it)` };
        return {
          summary:
            after.state === r.status
              ? `job ${id}: ${r.status}`
              : `job ${id}: Corvo answered "${r.status}"; it now reads ${after.state}`,
        };
      }),
  },
  {
    id: 'clear',
    title: 'Clear queue',
    description: "Delete a queue's waiting jobs (needs a second person's approval).",
    level: 'approval',
    destructive: true,
    params: [QUEUE],
    describeCall: (p) => `POST /api/v1/queues/${enc(p.queue)}/clear`,
    describeEffect: (p) => clearEffect(p.queue),
    execute: (ctx) =>
      explained(ctx, async () => {
        const name = ctx.params.queue!;
        const before = await requireQueue(ctx, name);
        const r = await ctx.clients.corvo.clearQueue(name, { signal: ctx.signal });
        return {
          summary:
            `queue ${name}: ${r.status} (${formatNumber(before.pending)} pending before); normal-priority pending ` +
            'jobs may remain in the store, still handed to workers though /queues shows 0 — pause the queue to stop them',
        };
      }),
  },
];
