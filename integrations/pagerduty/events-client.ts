/**
 * The PagerDuty Events API v2 (platforms-2.md §2): `POST /v2/enqueue` with the integration key (`routing_key`) in the
 * body and no Authorization header. A `trigger` opens an alert (or applies to the open one with the same
 * `dedup_key`); a `resolve` closes it (dropped, still 202, when nothing is open under that key). 202 carries the
 * `dedup_key`; 400 is an invalid event (never retried); 429 and 5xx or a network error are retried with backoff.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { redactSecrets } from '../../src/core/redact.js';
import type { Secret } from '../../src/core/secret.js';

/** PagerDuty's `dedup_key` limit. */
export const MAX_DEDUP_KEY = 255;
/** PagerDuty's `payload.summary` limit; what happens above it is unverified, so we truncate ourselves. */
export const MAX_SUMMARY = 1024;

export interface PagerDutyEventsClientOptions {
  /** `escalation.pagerduty.routingKey`: the 32-character integration key of a service or ruleset. */
  readonly routingKey: Secret;
  /** `PAGERDUTY_EVENTS_URL`, default `https://events.pagerduty.com` (tests: the loopback fake). */
  readonly eventsUrl: string;
  /** Per-request timeout, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Attempts in all for 429, 5xx and network errors. Default 3 (PagerDuty suggests 3). */
  readonly attempts?: number;
  /** First backoff, ms, doubled after each attempt. Default 2000. */
  readonly backoffMs?: number;
  /** Waits between attempts (tests pass a fast one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** `payload.severity`. */
export type EventSeverity = 'critical' | 'error' | 'warning' | 'info';

/** The `payload` of a trigger (platforms-2.md §2). */
export interface TriggerPayload {
  readonly summary: string;
  readonly source: string;
  readonly severity: EventSeverity;
  readonly timestamp?: string;
  readonly component?: string;
  readonly group?: string;
  readonly class?: string;
  readonly custom_details?: Readonly<Record<string, unknown>>;
}

/** A trigger: its stable key, payload, and links back to where it was seen. */
export interface TriggerEvent {
  readonly dedupKey: string;
  readonly payload: TriggerPayload;
  readonly links?: readonly { readonly href: string; readonly text?: string }[];
  readonly client?: string;
  readonly clientUrl?: string;
}

/** A failed event: `retryable` when sending it again later may succeed (429, 5xx, network). */
export class PagerDutyEventsError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PagerDutyEventsError';
  }
}

const AcceptedSchema = z
  .object({
    status: z.string().max(100),
    message: z.string().max(1000),
    dedup_key: z.string().min(1).max(MAX_DEDUP_KEY),
  })
  .passthrough();
const RejectedSchema = z
  .object({
    status: z.string().max(100).optional(),
    message: z.string().max(1000).optional(),
    errors: z.array(z.string().max(1000)).max(20).optional(),
  })
  .passthrough();

/** A dedup key within PagerDuty's 255 characters: kept as is when it fits, else cut with a hash of the whole. */
export function fitDedupKey(key: string): string {
  if (key.length <= MAX_DEDUP_KEY) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${key.slice(0, MAX_DEDUP_KEY - hash.length - 1)}~${hash}`;
}

/** A summary within PagerDuty's 1024 characters, cut with an ellipsis. */
export function fitSummary(summary: string): string {
  return summary.length <= MAX_SUMMARY ? summary : `${summary.slice(0, MAX_SUMMARY - 1)}…`;
}

export function createPagerDutyEventsClient(o: PagerDutyEventsClientOptions) {
  const url = `${o.eventsUrl.replace(/\/+$/, '')}/v2/enqueue`;
  const attempts = Math.max(1, o.attempts ?? 3);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function sendOnce(body: Record<string, unknown>): Promise<string> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        // No Authorization header: the routing key in the body is the credential (platforms-2.md §2).
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new PagerDutyEventsError(`PagerDuty Events API unreachable (${(err as Error).name})`, true);
    }
    const json: unknown = await res.json().catch(() => undefined);
    if (res.status === 202) {
      // 202 is the ingestion: an unexpected body (a proxy rewriting it) does not undo it. Saying "refused" here
      // would leave the alert open in PagerDuty and never resolved. Every event we send carries its dedup_key.
      const parsed = AcceptedSchema.safeParse(json);
      return parsed.success ? parsed.data.dedup_key : (body.dedup_key as string);
    }
    const rejected = RejectedSchema.safeParse(json);
    const detail = rejected.success
      ? [rejected.data.message, ...(rejected.data.errors ?? [])].filter(Boolean).join('; ')
      : '';
    const retryable = res.status === 429 || res.status >= 500;
    throw new PagerDutyEventsError(
      // Redacted before the cap: a cut through an echoed key would leave a head no redaction recognises.
      `PagerDuty Events API answered ${res.status}${detail ? `: ${redactSecrets(detail).slice(0, 300)}` : ''}`,
      retryable,
      res.status,
    );
  }

  async function send(body: Record<string, unknown>): Promise<{ dedupKey: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { dedupKey: await sendOnce(body) };
      } catch (err) {
        if (!(err instanceof PagerDutyEventsError) || !err.retryable || attempt >= attempts) throw err;
        await sleep((o.backoffMs ?? 2000) * 2 ** (attempt - 1));
      }
    }
  }

  return {
    /** Opens an alert, or applies to the open one with the same key (PagerDuty deduplicates it). */
    trigger(e: TriggerEvent): Promise<{ dedupKey: string }> {
      return send({
        routing_key: o.routingKey.reveal(),
        event_action: 'trigger',
        dedup_key: fitDedupKey(e.dedupKey),
        payload: { ...e.payload, summary: fitSummary(e.payload.summary) },
        ...(e.links?.length ? { links: e.links } : {}),
        ...(e.client ? { client: e.client } : {}),
        ...(e.clientUrl ? { client_url: e.clientUrl } : {}),
      });
    },
    /** Resolves the open alert with this key; dropped (still 202) when none is open. */
    resolve(dedupKey: string): Promise<{ dedupKey: string }> {
      return send({ routing_key: o.routingKey.reveal(), event_action: 'resolve', dedup_key: fitDedupKey(dedupKey) });
    },
  };
}

export type PagerDutyEventsClient = ReturnType<typeof createPagerDutyEventsClient>;
