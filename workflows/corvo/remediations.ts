import { formatNumber } from '../../src/core/format.js';
import type { ArgSpec } from '../../src/core/command.js';
import type { Remediation } from '../../src/core/remediation.js';
import { TargetError } from '../../src/core/target-error.js';
import type { CorvoClients } from '../../integrations/corvo/index.js';

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
    describeEffect: () =>
      "Rebuilds every SQLite table of the LEADER's mirror from Pebble (the source of truth); search and the dashboard " +
      'read SQLite, so they may be briefly incomplete while it runs. The request is proxied to the leader, so a ' +
      'follower\'s mirror is NOT rebuilt — the runbook\'s "safe to run anytime… nuclear" overstates it; a diverged ' +
      'follower needs a restart or a re-join.',
    verify: { workflow: 'health', findingCode: 'corvo.sqlite.mirror-dropped' },
    async execute({ clients, signal }) {
      const r = await clients.corvo.rebuildSqlite({ signal });
      if (!r.rebuilt) throw new TargetError('api-error', 'Corvo answered without rebuilding (rebuilt: false)');
      return { summary: `rebuilt in ${formatNumber(r.duration_ms)} ms` };
    },
  },
  {
    id: 'resume',
    title: 'Resume queue',
    description: 'Resume a paused queue (the requester confirms).',
    level: 'confirm',
    destructive: false,
    params: [QUEUE],
    describeCall: (p) => `POST /api/v1/queues/${enc(p.queue)}/resume`,
    describeEffect: (p) => `Workers start fetching from "${p.queue}" again. Reversible with pause.`,
    verify: { workflow: 'health', findingCode: 'corvo.queues.paused' },
    async execute({ clients, params, signal }) {
      const r = await clients.corvo.resumeQueue(params.queue!, { signal });
      return { summary: `queue ${params.queue}: ${r.status}` };
    },
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
      'jobs of this queue at once as they fetch.',
    async execute({ clients, params, signal }) {
      const r = await clients.corvo.setConcurrency(params.queue!, 0, { signal });
      return { summary: `queue ${params.queue}: concurrency limit removed (${r.status})` };
    },
  },
  {
    id: 'unthrottle',
    title: 'Remove rate limit',
    description: "Remove a queue's throttle (the requester confirms).",
    level: 'confirm',
    destructive: false,
    params: [QUEUE],
    describeCall: (p) => `DELETE /api/v1/queues/${enc(p.queue)}/throttle`,
    describeEffect: (p) => `Removes the rate limit of "${p.queue}"; fetches are no longer paced.`,
    async execute({ clients, params, signal }) {
      const r = await clients.corvo.removeThrottle(params.queue!, { signal });
      return { summary: `queue ${params.queue}: throttle removed (${r.status})` };
    },
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
    async execute({ clients, params, signal }) {
      const id = params['job-id']!;
      const job = await clients.corvo.getJob(id, { signal });
      if (!(RETRYABLE_STATES as readonly string[]).includes(job.state)) {
        throw new TargetError(
          'api-error',
          `job ${id} is ${job.state}: Corvo retries only ${RETRYABLE_STATES.join(', ')} jobs` +
            (job.state === 'active' ? ' — for a stuck active job use /corvo cancel ' + id : ''),
          { code: 'RETRY_ERROR' },
        );
      }
      const r = await clients.corvo.retryJob(id, { signal });
      return { summary: `job ${id}: ${r.status}` };
    },
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
      'Cancels the job: pending/scheduled/retrying jobs become cancelled; an active job becomes "cancelling" and stops ' +
      'when its worker next reports. It can be retried later.',
    async execute({ clients, params, signal }) {
      const r = await clients.corvo.cancelJob(params['job-id']!, { signal });
      return { summary: `job ${params['job-id']}: ${r.status}` };
    },
  },
  {
    id: 'clear',
    title: 'Clear queue',
    description: "Delete a queue's waiting jobs (needs a second person's approval).",
    level: 'approval',
    destructive: true,
    params: [QUEUE],
    describeCall: (p) => `POST /api/v1/queues/${enc(p.queue)}/clear`,
    describeEffect: (p) => `Deletes the jobs waiting in "${p.queue}". They cannot be recovered except from a backup.`,
    async execute({ clients, params, signal }) {
      const r = await clients.corvo.clearQueue(params.queue!, { signal });
      return { summary: `queue ${params.queue}: ${r.status}` };
    },
  },
];
