import type pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import type { WebhookOutcome } from '../core/alert-intake.js';
import { countAlertOutcomes } from './incident-store.js';

/**
 * Alert metrics of the web process's `/metrics`:
 * - `runbook_bot_webhook_deliveries_total{source,outcome}`: what this process answered to each alert webhook;
 * - `runbook_bot_alerts_unrouted_total`: incidents recorded with no chat destination (no rule matched and no
 *   `alerts.defaultChannel`), read from Postgres at scrape time so it counts what every worker recorded;
 * - `runbook_bot_alerts_storm_suppressed_total`: incidents folded into a storm summary instead of their own thread.
 * Returns the outcome recorder of one source.
 */
export function registerAlertMetrics(registry: Registry, db: pg.Pool) {
  const deliveries = new Counter({
    name: 'runbook_bot_webhook_deliveries_total',
    help: 'Alert webhook deliveries by source and outcome (accepted, duplicate, ignored, unauthorized, malformed, unavailable).',
    labelNames: ['source', 'outcome'],
    registers: [registry],
  });
  // Both counters share one query per scrape.
  let cache: { at: number; value: Promise<{ unrouted: number; suppressed: number }> } | undefined;
  const counts = () => {
    if (!cache || Date.now() - cache.at > 1000) cache = { at: Date.now(), value: countAlertOutcomes(db) };
    return cache.value;
  };
  new Counter({
    name: 'runbook_bot_alerts_unrouted_total',
    help: 'Incidents recorded without a chat destination: no alerts rule matched and no alerts.defaultChannel is set.',
    registers: [registry],
    async collect() {
      const c = await counts().catch(() => undefined);
      if (c) {
        this.reset();
        this.inc(c.unrouted);
      }
    },
  });
  new Counter({
    name: 'runbook_bot_alerts_storm_suppressed_total',
    help: 'Incidents recorded and counted in a storm summary instead of getting their own thread.',
    registers: [registry],
    async collect() {
      const c = await counts().catch(() => undefined);
      if (c) {
        this.reset();
        this.inc(c.suppressed);
      }
    },
  });
  // Label-bound children, made once per (source, outcome): the hot path of every delivery hashes no labels.
  return (source: 'pagerduty' | 'alertmanager') => {
    const bound = new Map<WebhookOutcome, { inc(): void }>();
    return (outcome: WebhookOutcome) => {
      let child = bound.get(outcome);
      if (!child) bound.set(outcome, (child = deliveries.labels({ source, outcome })));
      child.inc();
    };
  };
}
