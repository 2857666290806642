/**
 * `npm run check`, PagerDuty part: the REST key reads, whether it may write (the incident buttons depend on it; the
 * same probe the web process runs at start), the webhook secrets are set, and, with `escalation.pagerduty`, the
 * Events routing key is well-formed, `PAGERDUTY_EVENTS_URL` answers as the Events API does, and the paging codes
 * name a system.
 */
import type { Secret } from '../../src/core/secret.js';
import { describeError, displayUrl, fail, ok, warn, withDeadline, type CheckLine } from '../../src/core/setup-check.js';
import { createPagerDutyWriter, PagerDutyApiError } from './rest-writer.js';

export interface PagerDutySetupOptions {
  readonly apiToken?: Secret;
  /** `PAGERDUTY_API_URL`. */
  readonly apiUrl: string;
  readonly webhookSecrets: readonly Secret[];
  /** `escalation.pagerduty.routingKey`, when configured (never sent by the check). */
  readonly routingKey?: Secret;
  /** `PAGERDUTY_EVENTS_URL`: probed only when a routing key is configured. */
  readonly eventsUrl: string;
  /** `escalation.pagerduty.codes`: finding codes that page. */
  readonly codes?: Readonly<Record<string, string>>;
  /** The ids of the target systems: every finding code starts with one (`kyrodb.`). */
  readonly systemIds?: readonly string[];
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
    return lines;
  }
  const key = o.routingKey.reveal();
  if (ROUTING_KEY.test(key)) {
    lines.push(ok('pagerduty.events', 'escalation.pagerduty.routingKey is well-formed (32 characters; not sent)'));
  } else {
    lines.push(
      fail(
        'pagerduty.events',
        `escalation.pagerduty.routingKey is malformed (${key.length} characters; an Events API v2 integration key has 32 letters and digits)`,
        'escalation.pagerduty.routingKey: the Integration Key of an "Events API V2" integration on the service',
      ),
    );
  }
  lines.push(await probeEventsApi(o.eventsUrl, ms));
  const codesLine = checkPagingCodes(o.codes ?? {}, o.systemIds ?? []);
  if (codesLine) lines.push(codesLine);
  return lines;
}

/**
 * Reachability of the Events API without opening an alert: `POST /v2/enqueue` with an empty event (no routing key,
 * no action), which PagerDuty refuses with 400 before ingesting anything (platforms-2.md §2). A 400 proves that the
 * URL reaches something that validates events; it cannot prove the routing key is accepted (only an event carrying
 * it could, and a valid one opens an alert).
 */
export async function probeEventsApi(eventsUrl: string, ms: number): Promise<CheckLine> {
  const url = `${eventsUrl.replace(/\/+$/, '')}/v2/enqueue`;
  const shown = displayUrl(eventsUrl);
  const fix = `PAGERDUTY_EVENTS_URL (${shown}; default https://events.pagerduty.com), and that the bot's network reaches it`;
  let status: number;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(ms),
    });
    status = res.status;
    await res.body?.cancel().catch(() => {});
  } catch (err) {
    return fail('pagerduty.events.reachable', `PagerDuty Events API not reachable: ${describeError(err)}`, fix);
  }
  if (status === 400) {
    return ok(
      'pagerduty.events.reachable',
      `${shown} answered an empty event with 400, as the Events API does (nothing was created; whether PagerDuty accepts the routing key shows only at the first page)`,
    );
  }
  if (status === 429 || status >= 500) {
    return warn(
      'pagerduty.events.reachable',
      `${shown} answered ${status} (${status === 429 ? 'rate limited' : 'server error'}): reachable, but pages may be delayed (they are retried)`,
    );
  }
  return fail(
    'pagerduty.events.reachable',
    `${shown} answered an empty event with ${status}, not the Events API's 400: pages would not arrive`,
    fix,
  );
}

/**
 * `escalation.pagerduty.codes` against the systems: every finding code starts with its system's id, so a code under
 * no system's id is never reported and never pages. A misspelling after a real system's id is not caught here: some
 * codes are built at run time (probe failures, Corvo's checks), so there is no complete list to hold them against.
 */
export function checkPagingCodes(
  codes: Readonly<Record<string, string>>,
  systemIds: readonly string[],
): CheckLine | undefined {
  const names = Object.keys(codes);
  if (names.length === 0) return undefined;
  const orphans = names.filter((c) => !systemIds.some((id) => c.startsWith(`${id}.`)));
  if (orphans.length > 0) {
    return warn(
      'pagerduty.events.codes',
      `${orphans.join(', ')}: no rule reports ${orphans.length === 1 ? 'this code' : 'these codes'} (finding codes start with a system id: ${systemIds.join(', ')}), so ${orphans.length === 1 ? 'it never pages' : 'they never page'}`,
      'escalation.pagerduty.codes: the code as a report shows it (e.g. corvo.scheduler.stalled)',
    );
  }
  return ok(
    'pagerduty.events.codes',
    `${names.length} code(s) page beside the runbooks' own rows: ${names.map((c) => `${c} (${codes[c]})`).join(', ')}`,
  );
}
