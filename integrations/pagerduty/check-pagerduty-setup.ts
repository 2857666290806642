/**
 * `npm run check`, PagerDuty part: the REST key reads, whether it may write (the incident buttons depend on it; the
 * same probe the web process runs at start), the webhook secrets are set, and the Events routing key is well-formed.
 */
import type { Secret } from '../../src/core/secret.js';
import { describeError, displayUrl, fail, ok, warn, withDeadline, type CheckLine } from '../../src/core/setup-check.js';
import { createPagerDutyWriter, PagerDutyApiError } from './rest-writer.js';

export interface PagerDutySetupOptions {
  readonly apiToken?: Secret;
  /** `PAGERDUTY_API_URL`. */
  readonly apiUrl: string;
  readonly webhookSecrets: readonly Secret[];
  /** `escalation.pagerduty.routingKey`, when configured. */
  readonly routingKey?: string;
  /** Per call, ms. Default 8000. */
  readonly timeoutMs?: number;
}

/** An Events API v2 integration key: 32 letters and digits. */
const ROUTING_KEY = /^[A-Za-z0-9]{32}$/;

export async function checkPagerDutySetup(o: PagerDutySetupOptions): Promise<CheckLine[]> {
  const ms = o.timeoutMs ?? 8000;
  const lines: CheckLine[] = [];
  if (!o.apiToken) {
    lines.push(
      ok('pagerduty.rest', 'no PAGERDUTY_API_TOKEN: no custom-detail look-ups and no incident buttons (by choice)'),
    );
  } else {
    const writer = createPagerDutyWriter({ token: o.apiToken, apiUrl: o.apiUrl, timeoutMs: ms });
    let reads = false;
    try {
      // A user id that cannot exist: 404 proves the key was accepted without reading anyone's data.
      await withDeadline(ms, 'GET /users/{id}', () => writer.getUser('PRUNBOOKCHECK0'));
      reads = true;
      lines.push(ok('pagerduty.rest.read', `the REST key reads (${displayUrl(o.apiUrl)})`));
    } catch (err) {
      lines.push(
        err instanceof PagerDutyApiError && (err.status === 401 || err.status === 403)
          ? fail(
              'pagerduty.rest.read',
              `PagerDuty refused the REST key (${err.status})`,
              'PAGERDUTY_API_TOKEN: a REST API key (read-write for the incident buttons)',
            )
          : fail(
              'pagerduty.rest.read',
              `PagerDuty REST API not reachable: ${describeError(err)}`,
              `PAGERDUTY_API_URL (${displayUrl(o.apiUrl)})`,
            ),
      );
    }
    if (reads) {
      const probe = await withDeadline(ms, 'write probe', () => writer.probeWriteAccess()).catch((err: unknown) => ({
        access: 'unknown' as const,
        reason: describeError(err),
      }));
      lines.push(
        probe.access === 'read-write'
          ? ok('pagerduty.rest.write', 'the key may write incidents: the incident buttons are on')
          : probe.access === 'read-only'
            ? warn(
                'pagerduty.rest.write',
                'the key is read-only: no incident buttons (Acknowledge, Resolve, …)',
                'PAGERDUTY_API_TOKEN: a read-write REST key, if you want the buttons',
              )
            : warn(
                'pagerduty.rest.write',
                `cannot tell whether the key may write (${probe.reason}); the incident buttons stay off`,
              ),
      );
    }
  }
  lines.push(
    o.webhookSecrets.length > 0
      ? ok(
          'pagerduty.webhook-secrets',
          `${o.webhookSecrets.length} webhook secret(s) set (PagerDuty cannot be asked whether they match: a wrong one shows as 401 on /pagerduty/webhook)`,
        )
      : warn(
          'pagerduty.webhook-secrets',
          'PAGERDUTY_WEBHOOK_SECRETS is not set: every PagerDuty webhook is refused',
          'PAGERDUTY_WEBHOOK_SECRETS: the signing secret of each v3 webhook subscription (comma-separated)',
        ),
  );
  if (o.routingKey === undefined) {
    lines.push(ok('pagerduty.events', 'no escalation.pagerduty.routingKey: the bot opens no pages (by choice)'));
  } else if (ROUTING_KEY.test(o.routingKey)) {
    lines.push(ok('pagerduty.events', 'escalation.pagerduty.routingKey is well-formed (32 characters; not sent)'));
  } else {
    lines.push(
      fail(
        'pagerduty.events',
        `escalation.pagerduty.routingKey is malformed (${o.routingKey.length} characters; an Events API v2 integration key has 32 letters and digits)`,
        'escalation.pagerduty.routingKey: the Integration Key of an "Events API V2" integration on the service',
      ),
    );
  }
  return lines;
}
