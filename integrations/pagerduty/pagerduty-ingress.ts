import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AlertIntake, AlertSeen, WebhookOutcome } from '../../src/core/alert-intake.js';
import type { Logger } from '../../src/core/logger.js';
import type { Secret } from '../../src/core/secret.js';
import { normalizePagerDutyEvent } from './normalize-pagerduty-event.js';
import { PagerDutyWebhookHeadSchema, PagerDutyWebhookSchema } from './schemas.js';
import { verifyPagerDutySignature } from './verify-pagerduty-signature.js';

export interface PagerDutyIngressOptions {
  /** `PAGERDUTY_WEBHOOK_SECRETS`; empty: every request is refused. */
  readonly secrets: readonly Secret[];
  readonly logger: Logger;
  /** Records and queues the event (Postgres, then Redis); rejects when either is down. */
  readonly onEvent: AlertIntake;
  /** Fast path for redeliveries (PagerDuty retries for 48 h): answered before the event is normalized. */
  readonly seen?: AlertSeen;
  /** Called once per request with what happened (metrics). */
  readonly onOutcome?: (outcome: WebhookOutcome) => void;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function answer(res: ServerResponse, status: number, body: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * `POST /webhooks/pagerduty` (platforms.md §3): 401 unless `X-PagerDuty-Signature` carries a `v1=` HMAC of the raw
 * body under a configured secret; 400 for a body that is not a v3 webhook; 202 for `pagey.ping` and types the bot
 * ignores; for `incident.*`, 202 only once the event is recorded in Postgres and queued in Redis (a redelivery is
 * answered 202 and changes nothing); 503 when either store is down, so PagerDuty retries (for up to 48 h).
 */
export function createPagerDutyIngress(o: PagerDutyIngressOptions) {
  const log = o.logger.child({ source: 'pagerduty' });
  const secrets = o.secrets.map((s) => s.reveal());
  if (secrets.length === 0) {
    log.warn({}, 'PagerDuty webhooks are refused: set PAGERDUTY_WEBHOOK_SECRETS to the subscription secret');
  }
  const done = (outcome: WebhookOutcome) => o.onOutcome?.(outcome);

  return {
    async handle(req: IncomingMessage, res: ServerResponse, rawBody: Buffer): Promise<WebhookOutcome> {
      const verdict = verifyPagerDutySignature({
        secrets,
        body: rawBody,
        signature: header(req, 'x-pagerduty-signature'),
      });
      if (!verdict.ok) {
        log.warn({ reason: verdict.reason }, 'pagerduty webhook refused');
        answer(res, 401, { error: 'invalid signature' });
        done('unauthorized');
        return 'unauthorized';
      }
      let json: unknown;
      try {
        json = JSON.parse(rawBody.toString('utf8'));
      } catch {
        answer(res, 400, { error: 'body is not JSON' });
        done('malformed');
        return 'malformed';
      }
      // A redelivery of an event already recorded and queued: nothing to do (the signed event.id is the key).
      const head = PagerDutyWebhookHeadSchema.safeParse(json);
      if (o.seen && head.success && head.data.event.event_type.startsWith('incident.')) {
        const seen = await o.seen(`pd:${head.data.event.id}`).catch(() => false);
        if (seen) {
          answer(res, 202, { status: 'duplicate' });
          done('duplicate');
          return 'duplicate';
        }
      }
      const parsed = PagerDutyWebhookSchema.safeParse(json);
      if (!parsed.success) {
        answer(res, 400, { error: 'not a PagerDuty v3 webhook' });
        done('malformed');
        return 'malformed';
      }
      const normalized = normalizePagerDutyEvent(parsed.data);
      if (normalized.kind === 'malformed') {
        log.warn({ eventType: parsed.data.event.event_type, reason: normalized.reason }, 'pagerduty event malformed');
        answer(res, 400, { error: normalized.reason });
        done('malformed');
        return 'malformed';
      }
      if (normalized.kind === 'ignored') {
        log.info({ eventType: parsed.data.event.event_type, reason: normalized.reason }, 'pagerduty event ignored');
        answer(res, 202, { status: 'ignored' });
        done('ignored');
        return 'ignored';
      }
      const deliveryId = header(req, 'x-webhook-id')?.slice(0, 200);
      try {
        const outcome = await o.onEvent(normalized.event, deliveryId ? { deliveryId } : {});
        answer(res, 202, { status: outcome });
        done(outcome);
        return outcome;
      } catch (err) {
        log.error(
          { eventId: normalized.event.eventId, err: { name: (err as Error).name, message: (err as Error).message } },
          'pagerduty event not recorded; PagerDuty will retry',
        );
        answer(res, 503, { error: 'temporarily unavailable; retry' });
        done('unavailable');
        return 'unavailable';
      }
    },
  };
}
