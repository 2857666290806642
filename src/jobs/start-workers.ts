import { DelayedError, UnrecoverableError, Worker, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { ApprovalEngine } from '../approvals/engine.js';
import type { ChatTransport } from '../core/chat-transport.js';
import type { Invocation } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import type { Report } from '../core/report.js';
import type { BotQueues } from './create-queues.js';
import { enqueueReportPost } from './enqueue-report-post.js';
import { honourRateLimit } from './honour-rate-limit.js';
import {
  ChatPostJobSchema,
  DiagnosticJobSchema,
  InteractionJobSchema,
  QUEUES,
  RemediationJobSchema,
  type ChatPostJob,
  type DiagnosticJob,
  type InteractionJob,
  type RemediationJob,
} from './job-schemas.js';
import { postReportOnce } from './post-report-once.js';
import { MAX_STALLED_COUNT } from './max-stalled-count.js';

export interface WorkerDeps {
  readonly connection: Redis;
  readonly prefix: string;
  readonly queues: BotQueues;
  readonly transports: Readonly<Partial<Record<ChatTransport['platform'], ChatTransport>>>;
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly db: pg.Pool;
  readonly logger: Logger;
  readonly approvals: ApprovalEngine;
  /** Runs a diagnostic and stores its report (src/runner). */
  readonly runDiagnostic: (invocation: Invocation) => Promise<Report>;
  /** Hard limit for one job, ms. */
  readonly timeoutMs: number;
  /**
   * Per-channel pacing of posts (shared by every process through Redis): how long this post must wait for its slot,
   * ms (0 = post now). `holderId` is the job id, stable across the job's delays. Absent: no pacing.
   */
  readonly pace?: (holderId: string, conversation: ChatPostJob['conversation'], postId: string) => Promise<number>;
}

/** Starts the BullMQ workers of every queue. `close()` stops fetching and waits for running jobs (bounded). */
export function startWorkers(deps: WorkerDeps): { close(timeoutMs?: number): Promise<void> } {
  const log = deps.logger;
  const options = {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    lockDuration: deps.lockDurationMs,
    stalledInterval: deps.stalledIntervalMs,
    maxStalledCount: MAX_STALLED_COUNT,
  };
  const withTimeout = async <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('job timed out')), deps.timeoutMs);
    try {
      return await fn(controller.signal);
    } finally {
      clearTimeout(timer);
    }
  };

  const diagnostics = new Worker<DiagnosticJob>(
    QUEUES.diagnostics,
    async (job) => {
      const parsed = DiagnosticJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError('invalid diagnostic job data');
      const invocation = parsed.data;
      await deps.runDiagnostic(invocation);
      await enqueueReportPost(deps.queues, invocation);
    },
    options,
  );

  const chatPosts = new Worker<ChatPostJob>(
    QUEUES.chatPosts,
    (async (job, token) => {
      const parsed = ChatPostJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError('invalid chat post job data');
      const wait = deps.pace && job.id ? await deps.pace(job.id, parsed.data.conversation, parsed.data.postId) : 0;
      if (wait > 0 && token) {
        // The channel's next slot is later: wait in Redis (survives restarts), then post.
        await job.moveToDelayed(Date.now() + wait, token);
        throw new DelayedError();
      }
      await honourRateLimit(job, token, () => postReportOnce(deps, parsed.data));
    }) as Processor<ChatPostJob>,
    options,
  );

  const interactions = new Worker<InteractionJob>(
    QUEUES.interactions,
    (async (job, token) => {
      const parsed = InteractionJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError('invalid interaction job data');
      await honourRateLimit(job, token, () => deps.approvals.handle(parsed.data));
    }) as Processor<InteractionJob>,
    options,
  );

  const remediations = new Worker<RemediationJob>(
    QUEUES.remediations,
    (async (job, token) => {
      const parsed = RemediationJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError('invalid remediation job data');
      const outcome = await honourRateLimit(job, token, () =>
        withTimeout((signal) => deps.approvals.execute(parsed.data.approvalId, signal)),
      );
      if (outcome === 'locked' && token) {
        // Another destructive step holds this target: come back shortly rather than run side by side.
        await job.moveToDelayed(Date.now() + 3000, token);
        throw new DelayedError();
      }
    }) as Processor<RemediationJob>,
    options,
  );

  const all = [diagnostics, chatPosts, interactions, remediations];
  for (const w of all) {
    w.on('error', (err) => log.error({ queue: w.name, err: { message: err.message } }, 'worker error'));
    w.on('failed', (job, err) =>
      log.warn(
        { queue: w.name, jobId: job?.id, attempt: job?.attemptsMade, err: { message: err.message } },
        'job failed',
      ),
    );
  }

  return {
    async close(timeoutMs = 25_000) {
      const graceful = Promise.all(all.map((w) => w.close()));
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
      if ((await Promise.race([graceful.then(() => 'ok' as const), timer])) === 'timeout') {
        log.warn({ timeoutMs }, 'workers did not finish in time; closing forcefully');
        await Promise.all(all.map((w) => w.close(true)));
      }
    },
  };
}
