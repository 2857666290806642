import { Redis } from 'ioredis';
import { createApprovalEngine } from '../approvals/engine.js';
import type { ChatTransport } from '../core/chat-transport.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { createSlackTransport } from '../../integrations/slack/slack-transport.js';
import { createTeamsEdge } from '../../integrations/teams/create-teams-edge.js';
import { createTeamsTransport } from '../../integrations/teams/teams-transport.js';
import type { BotConfig } from '../config/config-file.js';
import { isSlackEnabled, redisTargetOf, type Env } from '../config/env.js';
import { RetentionSchema } from '../config/config-file.js';
import { createQueues } from '../jobs/create-queues.js';
import { enqueueReportPost } from '../jobs/enqueue-report-post.js';
import { createRedisConnection } from '../jobs/redis-connection.js';
import { startRetention } from '../jobs/start-retention.js';
import { startWorkers } from '../jobs/start-workers.js';
import { createAuditWorkflow } from '../runner/audit-workflow.js';
import { createApprovalsWorkflow } from '../runner/approvals-workflow.js';
import { runDiagnostic, runWorkflowQuietly, type RunDiagnosticDeps } from '../runner/run-diagnostic.js';
import { createPool } from '../store/create-pool.js';
import { createIncidentsWorkflow } from '../runner/incidents-workflow.js';
import { createSilencesWorkflow } from '../runner/silences-workflow.js';
import { createSchedulesWorkflow } from '../runner/schedules-workflow.js';
import { createRecordRunHistory } from '../schedules/record-run-history.js';
import { startSchedules } from '../schedules/start-schedules.js';
import type { Platform } from '../core/invocation.js';
import { createAlerting } from './create-alerting.js';
import { createClientsCache, systems } from './systems.js';
import { createPagerDutyEventsClient } from '../../integrations/pagerduty/events-client.js';
import { createEscalator } from '../escalation/escalator.js';
import { createRunJudge } from '../escalation/judge-run.js';
import { createPageOnCall, withPageOnCall } from '../escalation/page-on-call.js';
import { createEscalationsWorkflow } from '../runner/escalations-workflow.js';
import { createThresholdLookup } from '../core/threshold.js';

export interface WorkerOptions {
  readonly env: Env;
  readonly config: BotConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Extra transports (the demo's terminal chat). */
  readonly transports?: Partial<Record<ChatTransport['platform'], ChatTransport>>;
  /** Hard limit for one workflow run, ms. Default 60 000. */
  readonly workflowTimeoutMs?: number;
}

/** The worker process: BullMQ workers for diagnostics, chat posts, approvals and remediations. */
export function createWorker(o: WorkerOptions): { close(): Promise<void> } {
  const clock = o.clock ?? systemClock;
  const log = o.logger;
  const onRedisError = (err: Error) => log.warn({ err: { message: err.message } }, 'redis connection error');
  const connection = createRedisConnection(redisTargetOf(o.env), 'worker', onRedisError);
  // Locks are taken on a separate, fail-fast connection (the worker one waits forever by design).
  const locks: Redis = createRedisConnection(redisTargetOf(o.env), 'producer', onRedisError);
  const db = createPool(o.env.DATABASE_URL, {
    onError: (err) => log.warn({ err: { message: err.message } }, 'postgres connection error'),
  });
  const queues = createQueues(connection, o.env.QUEUE_PREFIX, log);
  const transports: Partial<Record<ChatTransport['platform'], ChatTransport>> = { ...o.transports };
  if (isSlackEnabled(o.env)) {
    transports.slack = createSlackTransport({ botToken: o.env.SLACK_BOT_TOKEN!, apiUrl: o.env.SLACK_API_URL });
  }
  const teams = createTeamsEdge(o.env);
  if (teams.connector) {
    transports.teams = createTeamsTransport({
      db,
      connector: teams.connector,
      configuredChannels: Object.values(o.config.channels).flatMap((c) => (c.teams ? [c.teams] : [])),
      botId: teams.botId,
      logger: log,
    });
  } else if (teams.settings.mode === 'off') {
    log.warn({}, teams.settings.reason);
  }
  const clientsFor = createClientsCache(o.config, clock);
  const timeoutMs = o.workflowTimeoutMs ?? 60_000;
  // Issue 14: the runbooks' durations on every run's findings, and the page when escalation.pagerduty is set.
  const pagerduty = o.config.escalation?.pagerduty;
  const escalator = pagerduty
    ? createEscalator({
        db,
        client: createPagerDutyEventsClient({
          routingKey: pagerduty.routingKey,
          eventsUrl: o.env.PAGERDUTY_EVENTS_URL,
        }),
        clock,
        logger: log,
      })
    : undefined;
  const judge = createRunJudge({
    db,
    systems,
    schedules: o.config.schedules ?? [],
    thresholds: o.config.thresholds ?? {},
    ...(escalator && pagerduty ? { escalation: { escalator, codes: pagerduty.codes } } : {}),
    clock,
  });
  const recordHistory = createRecordRunHistory(db, clock);
  const diagnosticDeps: RunDiagnosticDeps = {
    db,
    systems,
    clientsFor,
    engineWorkflows: {
      'runbook.audit': createAuditWorkflow(db),
      'runbook.approvals': createApprovalsWorkflow(db, clock),
      'runbook.incidents': createIncidentsWorkflow(db),
      'runbook.silences': createSilencesWorkflow(db),
      'runbook.escalations': createEscalationsWorkflow(db, clock, escalator !== undefined),
      'runbook.schedules': createSchedulesWorkflow({
        db,
        schedules: o.config.schedules ?? [],
        systems,
        getSchedulers: () => schedules.listSchedulers(),
        clock,
      }),
    },
    clock,
    logger: log,
    timeoutMs,
    // The runbooks' value thresholds (Corvo's scheduler stall, M4's run stall) as the config overrides them.
    thresholdsFor: (id) =>
      createThresholdLookup(id, systems.find((s) => s.id === id)?.thresholds ?? [], o.config.thresholds ?? {}),
    // Every run's findings go into the finding history (issue 14): "open since", and schedules' digests.
    beforeReport: async (invocation, draft) =>
      recordHistory(invocation, await judge(invocation, draft, new Date(clock.now()))),
  };
  const alerting = createAlerting({
    env: o.env,
    config: o.config,
    redis: locks,
    db,
    queues,
    transports,
    clock,
    logger: log,
  });
  const approvals = createApprovalEngine({
    db,
    redis: locks,
    keyPrefix: o.env.QUEUE_PREFIX,
    // Silences that need a second person go through the same approvals as the runbooks' fixes (issue 12).
    systems: [
      ...(escalator ? withPageOnCall(systems, createPageOnCall({ db, escalator, systems })) : systems),
      alerting.silenceApproval,
    ],
    clientsFor: (system, target) =>
      system === alerting.silenceApproval.id
        ? alerting.silenceApproval.createClients({}, { clock })
        : clientsFor(system, target),
    transports,
    policy: {
      approvers: o.config.approvals.approvers,
      requireDistinctApprover: o.config.approvals.requireDistinctApprover,
    },
    levels: o.config.approvals.levels,
    quorum: o.config.approvals.quorum ?? {},
    ttlMs: o.config.approvals.ttl,
    clock,
    logger: log,
    enqueueExecution: async (approvalId, opts) => {
      const jobId = opts?.force ? `${approvalId}-${Math.floor(Date.now() / 60_000)}` : approvalId;
      await queues.remediations.add('execute', { approvalId }, { jobId });
    },
    enqueueExpiry: async (approvalId, delayMs) => {
      await queues.interactions.add(
        'expire',
        { kind: 'expire', approvalId },
        { jobId: `expire-${approvalId}-${Math.floor(Date.now() / 1000)}`, delay: delayMs },
      );
    },
    runRecordedDiagnostic: async (invocation) => {
      const report = await runDiagnostic(invocation, diagnosticDeps);
      await enqueueReportPost(queues, invocation);
      return report;
    },
    runQuietDiagnostic: (system, target, workflow, args, signal) =>
      runWorkflowQuietly(diagnosticDeps, system, target, workflow, args, signal),
  });
  const workers = startWorkers({
    connection,
    prefix: o.env.QUEUE_PREFIX,
    queues,
    transports,
    concurrency: o.env.WORKER_CONCURRENCY,
    lockDurationMs: o.env.WORKER_LOCK_MS,
    stalledIntervalMs: o.env.WORKER_STALLED_INTERVAL_MS,
    db,
    logger: log,
    approvals,
    runDiagnostic: (invocation) => runDiagnostic(invocation, diagnosticDeps),
    timeoutMs,
    pace: (holderId, conversation, postId) => alerting.pace(holderId, conversation, postId),
  });
  const alertWorkers = alerting.startWorkers({
    connection,
    concurrency: o.env.WORKER_CONCURRENCY,
    lockDurationMs: o.env.WORKER_LOCK_MS,
    stalledIntervalMs: o.env.WORKER_STALLED_INTERVAL_MS,
  });
  const retentionConfig = o.config.retention ?? RetentionSchema.parse({});
  const retention = startRetention({
    connection,
    prefix: o.env.QUEUE_PREFIX,
    db,
    policy: retentionConfig,
    pattern: retentionConfig.pattern,
    clock,
    logger: log,
  });
  const schedules = startSchedules({
    connection,
    prefix: o.env.QUEUE_PREFIX,
    db,
    schedules: o.config.schedules ?? [],
    systems,
    channels: o.config.channels,
    platforms: Object.keys(transports) as Platform[],
    runDiagnostic: (invocation, beforeReport) =>
      runDiagnostic(invocation, {
        ...diagnosticDeps,
        beforeReport: async (inv, draft) => beforeReport(inv, await judge(inv, draft, new Date(clock.now()))),
      }),
    postReport: async (invocation, conversation, postId) => {
      await queues.chatPosts.add(
        'report',
        { postId, kind: 'report', invocationId: invocation.invocationId, conversation },
        { jobId: postId.replace(/:/g, '-') },
      );
    },
    concurrency: o.env.WORKER_CONCURRENCY,
    lockDurationMs: o.env.WORKER_LOCK_MS,
    clock,
    logger: log,
  });
  // One scheduler for the whole deployment (upsert is idempotent across worker processes).
  queues.interactions
    .upsertJobScheduler('approvals-sweep', { every: 30_000 }, { name: 'sweep', data: { kind: 'sweep' } })
    .catch((err: Error) => log.warn({ err: { message: err.message } }, 'could not schedule the approvals sweep'));
  return {
    async close() {
      await Promise.all([workers.close(), alertWorkers.close(), retention.close(), schedules.close()]);
      await queues.close();
      connection.disconnect();
      locks.disconnect();
      await db.end();
    },
  };
}
