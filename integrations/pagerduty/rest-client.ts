import { encodePathSegment } from '../shared/path-segment.js';
import type { Secret } from '../../src/core/secret.js';
import { PagerDutyAlertsResponseSchema } from './schemas.js';

export interface PagerDutyClientOptions {
  /** `PAGERDUTY_API_TOKEN` (a read-only REST API key is enough). */
  readonly token: Secret;
  /** `PAGERDUTY_API_URL`, default `https://api.pagerduty.com` (tests: the loopback fake). */
  readonly apiUrl: string;
  /** Per-request timeout, ms. Default 3000: the look-up only refines routing and must not hold an alert back. */
  readonly timeoutMs?: number;
}

/** Most keys kept from one alert's details (they become routing labels). */
const MAX_KEYS = 50;

function flatten(details: unknown, into: Record<string, string>): void {
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return;
  for (const [key, value] of Object.entries(details as Record<string, unknown>)) {
    if (Object.keys(into).length >= MAX_KEYS) return;
    if (key.length > 100 || key in into) continue;
    if (typeof value === 'string') into[key] = value.slice(0, 1000);
    else if (typeof value === 'number' || typeof value === 'boolean') into[key] = String(value);
  }
}

/**
 * The PagerDuty REST API, read-only, for what webhooks do not carry: the alerts' `custom_details` (platforms.md
 * §3.6: `GET /incidents/{id}/alerts`; Events-API-v2 custom details appear under `body.details` and/or
 * `body.cef_details.details`, both are read).
 */
export function createPagerDutyClient(o: PagerDutyClientOptions) {
  const base = o.apiUrl.replace(/\/+$/, '');
  return {
    /** Top-level scalar custom details of the incident's first alerts, as strings (first alert wins on a clash). */
    async alertDetails(incidentId: string): Promise<Record<string, string>> {
      const url = `${base}/incidents/${encodePathSegment(incidentId, 'incident id', 'GET /incidents/{id}/alerts')}/alerts?limit=5`;
      let res: Response;
      try {
        res = await fetch(url, {
          headers: {
            authorization: `Token token=${o.token.reveal()}`,
            accept: 'application/vnd.pagerduty+json;version=2',
          },
          signal: AbortSignal.timeout(o.timeoutMs ?? 3000),
        });
      } catch (err) {
        throw new Error(`PagerDuty API unreachable (${(err as Error).name})`);
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`PagerDuty API answered ${res.status} to GET /incidents/{id}/alerts`);
      }
      const parsed = PagerDutyAlertsResponseSchema.safeParse(await res.json().catch(() => undefined));
      if (!parsed.success) throw new Error('PagerDuty API answered an unexpected body to GET /incidents/{id}/alerts');
      const out: Record<string, string> = {};
      for (const alert of parsed.data.alerts) {
        flatten(alert.body?.details, out);
        flatten(alert.body?.cef_details?.details, out);
      }
      return out;
    },
  };
}

export type PagerDutyClient = ReturnType<typeof createPagerDutyClient>;
