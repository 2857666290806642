import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createPagerDutyClient } from '../../integrations/pagerduty/rest-client.js';
import { createPagerDutyWriter } from '../../integrations/pagerduty/rest-writer.js';
import { createIdentityMap } from '../alerts/identity-map.js';
import { runPagerDutyAction } from '../alerts/incident-actions.js';
import { createAlertmanagerSilences } from '../../integrations/alertmanager/silences-client.js';
import {
  activeSilenceOf,
  createSilence,
  runSilenceAction,
  sweepSilences,
  type SilenceDeps,
} from '../alerts/incident-silences.js';
import {
  createSilenceApprovalModule,
  SILENCE_REMEDIATION,
  SILENCE_SYSTEM,
  SILENCE_TARGET,
} from '../alerts/silence-approval.js';
import type { IncidentRecord } from '../alerts/incident-store.js';
import type { IncidentCardExtras } from '../alerts/create-incident-card.js';
import type { IncidentActionKind } from '../core/incident.js';
import type { IncidentActionJob } from '../jobs/job-schemas.js';
import { createRenderGuard } from '../alerts/render-guard.js';
import { startAlertWorkers } from '../alerts/start-alert-workers.js';
import type { ChatTransport } from '../core/chat-transport.js';
import type { Clock } from '../core/clock.js';
import type { Platform } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import type { BotConfig } from '../config/config-file.js';
import type { Env } from '../config/env.js';
import { channelKeyOf, createChannelPacer, DEFAULT_PACING } from '../jobs/channel-pacer.js';
import type { BotQueues } from '../jobs/create-queues.js';
import { findChatPost } from '../store/chat-posts.js';
import { systems, targetsOf } from './systems.js';

export interface AlertingOptions {
  readonly env: Env;
  readonly config: BotConfig;
  /** A fail-fast connection for pacing, locks and markers (not the blocking worker one). */
  readonly redis: Redis;
  readonly db: pg.Pool;
  readonly queues: BotQueues;
  readonly transports: Readonly<Partial<Record<Platform, ChatTransport>>>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The worker side of alerts, wired from config and environment: per-channel pacing (also used for reports), the
 * incident processing and posting workers, and the optional PagerDuty REST look-up.
 */
export function createAlerting(o: AlertingOptions) {
  const log = o.logger.child({ component: 'alerts' });
  const prefix = o.env.QUEUE_PREFIX;
  const pacer = createChannelPacer(o.redis, prefix, o.config.pacing ?? DEFAULT_PACING);
  const pagerduty = o.env.PAGERDUTY_API_TOKEN
    ? createPagerDutyClient({ token: o.env.PAGERDUTY_API_TOKEN, apiUrl: o.env.PAGERDUTY_API_URL })
    : undefined;
  // Only workflows that run without arguments can be started by an alert.
  const workflowsOf = (system: string) =>
    systems
      .find((s) => s.id === system)
      ?.workflows.filter((w) => !(w.args ?? []).some((a) => a.required))
      .map((w) => w.id) ?? [];
  for (const [source, rules] of [
    ['pagerduty', o.config.alerts.pagerduty],
    ['alertmanager', o.config.alerts.alertmanager],
  ] as const) {
    rules.forEach((rule, i) => {
      if (rule.workflow && !workflowsOf(rule.system).includes(rule.workflow)) {
        log.warn(
          { rule: `alerts.${source}[${i}]`, system: rule.system, workflow: rule.workflow },
          'alerts rule names a workflow this system does not have; its threads will say so',
        );
      }
    });
  }
  const storm = o.config.alerts.storm ?? { threshold: 10, window: 60_000 };

  // Incident buttons (issue 12): PagerDuty writes need a read-write key, probed once per process at start.
  const writer = o.env.PAGERDUTY_API_TOKEN
    ? createPagerDutyWriter({ token: o.env.PAGERDUTY_API_TOKEN, apiUrl: o.env.PAGERDUTY_API_URL })
    : undefined;
  type WriteAccessResult = { writable: boolean; reason: string; definitive: boolean };
  const probeOnce = async (): Promise<WriteAccessResult> => {
    if (!writer) {
      return {
        writable: false,
        definitive: true,
        reason: 'PAGERDUTY_API_TOKEN is not set (a read-write REST API key turns them on)',
      };
    }
    const r = await writer.probeWriteAccess();
    return {
      writable: r.access === 'read-write',
      definitive: r.access !== 'unknown',
      reason:
        r.access === 'read-write'
          ? r.reason
          : `${r.reason}; PAGERDUTY_API_TOKEN must be a read-write REST API key for the incident buttons`,
    };
  };
  // A definitive answer (read-write, read-only, no key) is kept; an inconclusive one is asked again after a minute.
  let cached: { at: number; result: Promise<WriteAccessResult> } | undefined;
  const pagerdutyWritable = async (): Promise<WriteAccessResult> => {
    if (cached) {
      const r = await cached.result;
      if (r.definitive || Date.now() - cached.at < 60_000) return r;
    }
    cached = { at: Date.now(), result: probeOnce() };
    return cached.result;
  };
  void pagerdutyWritable().then((r) =>
    r.writable
      ? log.info({}, 'PagerDuty incident buttons on (Acknowledge, Resolve, Escalate, Reassign, Add note)')
      : log.warn({ reason: r.reason }, `PagerDuty incident buttons off: ${r.reason}`),
  );
  const identities = writer
    ? createIdentityMap({
        db: o.db,
        pagerduty: writer,
        transports: o.transports,
        pins: o.config.identities ?? {},
        refreshMs: o.env.IDENTITY_REFRESH_S * 1000,
      })
    : undefined;
  const refreshThreads = async (incidentId: string) => {
    const { rows } = await o.db.query(
      `select t.platform, i.version from incident_threads t join incidents i on i.id = t.incident_id
       where t.incident_id = $1 and not t.suppressed`,
      [incidentId],
    );
    for (const r of rows) {
      await o.queues.incidentPosts.add(
        'thread',
        { kind: 'thread', incidentId, platform: r.platform },
        { jobId: `thr-${incidentId}-${r.platform}-${r.version}` },
      );
    }
  };
  const rootExtras = async (incident: IncidentRecord): Promise<IncidentCardExtras> => {
    if (incident.status === 'resolved') return {};
    if (incident.source === 'alertmanager') {
      if (!alertmanager) return {};
      const silence = await activeSilenceOf(o.db, incident.id);
      return silence ? { actions: ['unsilence'], silence } : { actions: ['silence-1h', 'silence-4h', 'silence-24h'] };
    }
    if (incident.source === 'pagerduty') {
      if (!(await pagerdutyWritable()).writable) return {};
      const actions: IncidentActionKind[] = [
        ...(incident.status === 'triggered' ? (['acknowledge'] as const) : []),
        'resolve',
        'escalate',
        'reassign',
        'note',
      ];
      return { actions };
    }
    return {};
  };
  const alertmanager = o.env.ALERTMANAGER_URL ? createAlertmanagerSilences({ url: o.env.ALERTMANAGER_URL }) : undefined;
  if (!alertmanager) log.info({}, 'Alertmanager silence buttons off: ALERTMANAGER_URL is not set');
  const silenceDeps: SilenceDeps = {
    db: o.db,
    ...(alertmanager ? { alertmanager } : {}),
    maxDurationMs: o.config.alerts.silences?.maxDuration ?? 24 * 3600_000,
    transports: o.transports,
    refreshThreads: (id) => refreshThreads(id),
    requestApproval: async (r) => {
      await o.queues.interactions.add(
        'request',
        {
          kind: 'request',
          system: SILENCE_SYSTEM,
          target: SILENCE_TARGET,
          remediation: SILENCE_REMEDIATION,
          params: { silence: r.recordId, matchers: r.matchers, duration: r.duration, why: r.why },
          actor: r.actor,
          conversation: r.conversation,
          deliveryKey: r.deliveryKey,
        },
        { jobId: `request-${r.deliveryKey}` },
      );
    },
    clock: o.clock,
    logger: log,
  };
  const actionDeps = {
    db: o.db,
    ...(writer ? { pagerduty: writer } : {}),
    pagerdutyWritable,
    ...(identities ? { identities } : {}),
    transports: o.transports,
    refreshThreads,
    clock: o.clock,
    logger: log,
  };
  const handleIncidentAction = async (job: IncidentActionJob, queuedAt?: number): Promise<void> => {
    if (job.kind === 'silence-sweep') {
      await sweepSilences(silenceDeps);
      return;
    }
    switch (job.action) {
      case 'acknowledge':
      case 'resolve':
      case 'escalate':
      case 'reassign':
      case 'note':
        await runPagerDutyAction({ ...job, action: job.action, clickedAt: queuedAt }, actionDeps);
        return;
      default:
        await runSilenceAction({ ...job, action: job.action }, silenceDeps);
    }
  };

  return {
    /** The approval engine's step for silences that need a second person (added to the systems it knows). */
    silenceApproval: createSilenceApprovalModule((recordId) => createSilence(silenceDeps, recordId, true)),
    /** For the chat-posts worker: a report's wait for its channel slot (none once it was posted). */
    async pace(holderId: string, conversation: { platform: string; channelId: string }, postId: string) {
      if (await findChatPost(o.db, postId)) return 0;
      return pacer.acquire(channelKeyOf(conversation), holderId);
    },
    startWorkers(w: { connection: Redis; concurrency: number; lockDurationMs: number; stalledIntervalMs: number }) {
      return startAlertWorkers({
        ...w,
        prefix,
        queues: o.queues,
        logger: log,
        incidentActions: handleIncidentAction,
        process: {
          db: o.db,
          rules: { pagerduty: o.config.alerts.pagerduty, alertmanager: o.config.alerts.alertmanager },
          defaultChannel: o.config.alerts.defaultChannel,
          channels: o.config.channels,
          workflowsOf,
          targetsOf: (system) => targetsOf(o.config, system),
          platforms: Object.keys(o.transports) as Platform[],
          storm: { threshold: storm.threshold, windowMs: storm.window },
          ...(pagerduty
            ? {
                enrich: async (event) => (event.source === 'pagerduty' ? pagerduty.alertDetails(event.externalId) : {}),
              }
            : {}),
          clock: o.clock,
          logger: log,
        },
        reconcile: {
          db: o.db,
          guard: createRenderGuard(o.redis, prefix),
          pacer,
          transports: o.transports,
          enqueueDiagnostic: async (invocation) => {
            await o.queues.diagnostics.add(`${invocation.system}.${invocation.workflow}`, invocation, {
              jobId: invocation.invocationId,
            });
          },
          displayNameOf: (system) => systems.find((s) => s.id === system)?.displayName ?? system,
          rootExtras,
          clock: o.clock,
          logger: log,
        },
      });
    },
  };
}
