import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createPagerDutyClient } from '../../integrations/pagerduty/rest-client.js';
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

  return {
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
          clock: o.clock,
          logger: log,
        },
      });
    },
  };
}
