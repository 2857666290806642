/**
 * A loopback fake of the PagerDuty Events API v2, faithful to platforms-2.md §2: `POST /v2/enqueue` (and
 * `/v2/change/enqueue`, accepted and recorded) with no Authorization header — the `routing_key` in the body is the
 * credential. 202 `{"status":"success","message":"Event processed","dedup_key"}` (a UUID-like key is generated when a
 * trigger has none); 400 `{"status":"invalid event","message","errors":[…]}` on a missing `routing_key`,
 * `event_action`, trigger `payload` field (`summary`, `source`, `severity`) or ack/resolve `dedup_key`; a 429 switch
 * (`rateLimitNext`) and a 5xx switch (`failNext`). It keeps `dedup_key → open | resolved` per routing key: a trigger on
 * an open key applies to it (deduplicated), on a resolved key opens a new alert; ack/resolve of a key that is not open
 * (or from another routing key) are dropped, still 202. Tests only.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One event the fake received, and what it did with it. */
export interface FakeEvent {
  readonly path: string;
  readonly status: number;
  readonly authorization?: string;
  readonly body: unknown;
  readonly routingKey?: string;
  readonly action?: string;
  readonly dedupKey?: string;
  /** `opened` a new alert, `deduplicated` onto an open one, `resolved`/`acknowledged` it, or `dropped`. */
  readonly outcome?: 'opened' | 'deduplicated' | 'acknowledged' | 'resolved' | 'dropped';
}

export interface FakeAlert {
  readonly routingKey: string;
  readonly dedupKey: string;
  state: 'triggered' | 'acknowledged' | 'resolved';
  /** Triggers applied to it (1 = the one that opened it). */
  triggers: number;
  readonly payload: Record<string, unknown>;
}

export interface FakePagerDutyEvents {
  readonly url: string;
  /** Every request, in order. */
  readonly events: readonly FakeEvent[];
  /** Accepted (202) events of one action (and dedup key). */
  accepted(action: 'trigger' | 'acknowledge' | 'resolve', dedupKey?: string): FakeEvent[];
  /** Alerts ever opened, newest last (a re-trigger after a resolve is a new alert). */
  readonly alerts: readonly FakeAlert[];
  /** `open` (triggered or acknowledged), `resolved`, or undefined when the key never opened an alert. */
  stateOf(dedupKey: string, routingKey?: string): 'open' | 'resolved' | undefined;
  /** The next `n` requests get 429 "Request Limit Exceeded" (not ingested). */
  rateLimitNext(n: number): void;
  /** The next `n` requests get 500 (not ingested). */
  failNext(n: number): void;
  /** Holds each response this long, ms (a slow PagerDuty). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];

/** What is missing or wrong in an event, as PagerDuty's `errors` list would say it. */
function validate(body: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (typeof body.routing_key !== 'string' || body.routing_key === '') errors.push("'routing_key' is missing or blank");
  const action = body.event_action;
  if (action !== 'trigger' && action !== 'acknowledge' && action !== 'resolve') {
    errors.push("'event_action' is missing or invalid");
  }
  if (typeof body.dedup_key === 'string' && body.dedup_key.length > 255) {
    errors.push("'dedup_key' is too long (max 255)");
  }
  if (action === 'trigger') {
    const p = body.payload as Record<string, unknown> | undefined;
    if (!p || typeof p !== 'object') errors.push("'payload' is missing");
    else {
      if (typeof p.summary !== 'string' || p.summary === '') errors.push("'payload.summary' is missing or blank");
      else if (p.summary.length > 1024) errors.push("'payload.summary' is too long (max 1024)");
      if (typeof p.source !== 'string' || p.source === '') errors.push("'payload.source' is missing or blank");
      if (!SEVERITIES.includes(p.severity as string)) errors.push("'payload.severity' is missing or invalid");
    }
  } else if (action === 'acknowledge' || action === 'resolve') {
    if (typeof body.dedup_key !== 'string' || body.dedup_key === '') errors.push("'dedup_key' is missing or blank");
  }
  return errors;
}

export async function startFakePagerDutyEvents(): Promise<FakePagerDutyEvents> {
  const events: FakeEvent[] = [];
  const alerts: FakeAlert[] = [];
  let limited = 0;
  let failing = 0;
  let delayMs = 0;
  const openAlert = (routingKey: string, dedupKey: string) =>
    alerts.findLast((a) => a.routingKey === routingKey && a.dedupKey === dedupKey && a.state !== 'resolved');

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const answer = (status: number, body: unknown, event: Omit<FakeEvent, 'path' | 'status' | 'authorization'>) => {
        events.push({
          path: req.url ?? '',
          status,
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          ...event,
        });
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        }, delayMs);
      };
      if (req.method !== 'POST' || (req.url !== '/v2/enqueue' && req.url !== '/v2/change/enqueue')) {
        answer(404, { status: 'not found', message: 'Not found' }, { body: raw });
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
      } catch {
        answer(
          400,
          { status: 'invalid event', message: 'Event object is invalid', errors: ['invalid JSON'] },
          {
            body: raw,
          },
        );
        return;
      }
      const meta = {
        body,
        routingKey: typeof body.routing_key === 'string' ? body.routing_key : undefined,
        action: typeof body.event_action === 'string' ? body.event_action : undefined,
        dedupKey: typeof body.dedup_key === 'string' ? body.dedup_key : undefined,
      };
      if (limited > 0) {
        limited--;
        answer(429, { status: 'throttle event', message: 'Request Limit Exceeded' }, meta);
        return;
      }
      if (failing > 0) {
        failing--;
        answer(500, { status: 'error', message: 'Internal Server Error' }, meta);
        return;
      }
      if (req.url === '/v2/change/enqueue') {
        answer(202, { status: 'success', message: 'Change event processed' }, meta);
        return;
      }
      const errors = validate(body);
      if (errors.length > 0) {
        answer(400, { status: 'invalid event', message: 'Event object is invalid', errors }, meta);
        return;
      }
      const routingKey = meta.routingKey!;
      const dedupKey = meta.dedupKey ?? randomUUID().replace(/-/g, '');
      const open = openAlert(routingKey, dedupKey);
      let outcome: FakeEvent['outcome'];
      if (meta.action === 'trigger') {
        if (open) {
          open.triggers++;
          outcome = 'deduplicated';
        } else {
          alerts.push({
            routingKey,
            dedupKey,
            state: 'triggered',
            triggers: 1,
            payload: body.payload as Record<string, unknown>,
          });
          outcome = 'opened';
        }
      } else if (!open) {
        outcome = 'dropped';
      } else if (meta.action === 'acknowledge') {
        open.state = 'acknowledged';
        outcome = 'acknowledged';
      } else {
        open.state = 'resolved';
        outcome = 'resolved';
      }
      answer(
        202,
        { status: 'success', message: 'Event processed', dedup_key: dedupKey },
        {
          ...meta,
          dedupKey,
          outcome,
        },
      );
    })().catch(() => {
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    alerts,
    accepted: (action, dedupKey) =>
      events.filter(
        (e) => e.status === 202 && e.action === action && (dedupKey === undefined || e.dedupKey === dedupKey),
      ),
    stateOf(dedupKey, routingKey) {
      const found = alerts.filter(
        (a) => a.dedupKey === dedupKey && (routingKey === undefined || a.routingKey === routingKey),
      );
      if (found.length === 0) return undefined;
      return found.some((a) => a.state !== 'resolved') ? 'open' : 'resolved';
    },
    rateLimitNext: (n) => {
      limited = n;
    },
    failNext: (n) => {
      failing = n;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
