import type pg from 'pg';
import type { Registry } from 'prom-client';
import { createAlertmanagerIngress } from '../../integrations/alertmanager/alertmanager-ingress.js';
import { createPagerDutyIngress } from '../../integrations/pagerduty/pagerduty-ingress.js';
import { registerAlertMetrics } from '../alerts/alert-metrics.js';
import { createAlertIntake, createAlertSeen, KnownEvents } from '../alerts/record-alert-event.js';
import type { Logger } from '../core/logger.js';
import type { Env } from '../config/env.js';
import type { BodyRoute } from '../http/create-server.js';
import type { BotQueues } from '../jobs/create-queues.js';

/**
 * The alert webhooks of the web process: `POST /webhooks/pagerduty` and `POST /webhooks/alertmanager`. Both are
 * always mounted; without their secret (`PAGERDUTY_WEBHOOK_SECRETS`, `ALERTMANAGER_BEARER_TOKEN`) they refuse every
 * request with 401.
 */
export function createAlertRoutes(o: {
  env: Env;
  db: pg.Pool;
  queues: BotQueues;
  registry: Registry;
  logger: Logger;
}): Record<string, BodyRoute> {
  const known = new KnownEvents();
  const onEvent = createAlertIntake({ db: o.db, queue: o.queues.alertEvents, known });
  const outcomes = registerAlertMetrics(o.registry, o.db);
  const pagerduty = createPagerDutyIngress({
    secrets: o.env.PAGERDUTY_WEBHOOK_SECRETS,
    logger: o.logger,
    onEvent,
    seen: createAlertSeen(known),
    onOutcome: outcomes('pagerduty'),
  });
  const alertmanager = createAlertmanagerIngress({
    token: o.env.ALERTMANAGER_BEARER_TOKEN,
    logger: o.logger,
    onEvent,
    onOutcome: outcomes('alertmanager'),
  });
  return {
    '/webhooks/pagerduty': async (req, res, body) => {
      await pagerduty.handle(req, res, body);
    },
    '/webhooks/alertmanager': async (req, res, body) => {
      await alertmanager.handle(req, res, body);
    },
  };
}
