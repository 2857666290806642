import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AlertIntake, WebhookOutcome } from '../../src/core/alert-intake.js';
import type { Logger } from '../../src/core/logger.js';
import type { Secret } from '../../src/core/secret.js';
import { normalizeAlertmanagerNotification } from './normalize-alertmanager-notification.js';
import { AlertmanagerWebhookSchema } from './schemas.js';
import { verifyBearerToken } from './verify-bearer-token.js';

export interface AlertmanagerIngressOptions {
  /** `ALERTMANAGER_BEARER_TOKEN`; unset: every request is refused. */
  readonly token: Secret | undefined;
  readonly logger: Logger;
  readonly onEvent: AlertIntake;
  readonly onOutcome?: (outcome: WebhookOutcome) => void;
}

function answer(res: ServerResponse, status: number, body: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * `POST /webhooks/alertmanager` (platforms.md §4): 401 without the configured bearer token; 400 for anything but a
 * v4 notification (Alertmanager does not retry 4xx); 202 once recorded and queued (a `repeat_interval` resend or an
 * HA peer's duplicate is answered 202 and changes nothing); 503 when Postgres or Redis is down, which Alertmanager
 * retries until the notification times out (≈ `group_interval`).
 */
export function createAlertmanagerIngress(o: AlertmanagerIngressOptions) {
  const log = o.logger.child({ source: 'alertmanager' });
  const token = o.token?.reveal();
  if (!token) log.warn({}, 'Alertmanager webhooks are refused: set ALERTMANAGER_BEARER_TOKEN');
  const done = (outcome: WebhookOutcome) => o.onOutcome?.(outcome);

  return {
    async handle(req: IncomingMessage, res: ServerResponse, rawBody: Buffer): Promise<WebhookOutcome> {
      const verdict = verifyBearerToken(req.headers.authorization, token);
      if (!verdict.ok) {
        log.warn({ reason: verdict.reason }, 'alertmanager webhook refused');
        answer(res, 401, { error: 'invalid token' });
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
      const parsed = AlertmanagerWebhookSchema.safeParse(json);
      if (!parsed.success) {
        answer(res, 400, { error: 'not an Alertmanager v4 notification' });
        done('malformed');
        return 'malformed';
      }
      const event = normalizeAlertmanagerNotification(parsed.data);
      try {
        const outcome = await o.onEvent(event, {});
        answer(res, 202, { status: outcome });
        done(outcome);
        return outcome;
      } catch (err) {
        log.error(
          { eventId: event.eventId, err: { name: (err as Error).name, message: (err as Error).message } },
          'alertmanager notification not recorded; Alertmanager will retry',
        );
        answer(res, 503, { error: 'temporarily unavailable; retry' });
        done('unavailable');
        return 'unavailable';
      }
    },
  };
}
