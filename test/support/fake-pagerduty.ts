/**
 * A loopback fake of the PagerDuty REST API, faithful to platforms-2.md §1.6: `GET /incidents/{id}/alerts`,
 * `GET /incidents/{id}` (id or number), `GET /incidents/{id}/notes`, `PUT /incidents/{id}`, `POST /incidents/{id}/notes`, `GET /users?query=`,
 * `GET /users/{id}`, `GET /priorities`. `Authorization: Token token=<key>` is required (401, code 2006); the two writes
 * require `From` naming a user (400) and a read-write key (403, code 2010); `incident.type` is validated (400, code
 * 2001); unknown ids are 404 code 2100; the status machine triggered → acknowledged → resolved answers 1001/1002 on
 * repeats; every answer carries the `ratelimit-*` headers, and {@link FakePagerDutyApi.rateLimitNext} returns 429
 * code 2020 (with or without headers). After a write it can POST the signed v3 webhook that PagerDuty would send, with
 * `agent` = the `From` user. Tests and the bench only.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePagerDutyUser {
  readonly id: string;
  readonly name: string;
  readonly email: string;
}

export interface FakePagerDutyIncident {
  id: string;
  number: number;
  title: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  escalationLevel: number;
  assignees: string[];
  serviceId: string;
  serviceName: string;
  incidentKey: string;
  createdAt: string;
  notes: { id: string; content: string; userId: string }[];
}

export interface FakePagerDutyCall {
  readonly method: string;
  readonly path: string;
  readonly authorized: boolean;
  readonly from?: string;
  readonly body?: unknown;
  readonly status: number;
}

export interface FakePagerDutyApi {
  readonly url: string;
  /** Requests seen, in order. */
  readonly calls: readonly FakePagerDutyCall[];
  /** Writes (`PUT`/`POST`) seen, in order. */
  writes(): FakePagerDutyCall[];
  /** Alerts of an incident, each with its `custom_details` (put under `body.details`, or `cef_details` when asked). */
  setAlerts(incidentId: string, details: readonly Record<string, unknown>[], o?: { cef?: boolean }): void;
  addUser(user: FakePagerDutyUser): void;
  addIncident(incident: Partial<FakePagerDutyIncident> & Pick<FakePagerDutyIncident, 'id'>): FakePagerDutyIncident;
  incident(id: string): FakePagerDutyIncident | undefined;
  /** The next `n` requests get 429 (code 2020), with `Retry-After` unless `headers` is false. */
  rateLimitNext(n: number, o?: { retryAfterS?: number; headers?: boolean }): void;
  /** Where to POST the v3 webhook after each write (signed with `secret`); undefined stops sending. */
  setWebhook(target: { url: string; secret: string } | undefined): void;
  close(): Promise<void>;
}

export interface FakePagerDutyOptions {
  /** The read-write key. */
  readonly token: string;
  /** A read-only key: reads succeed, writes get 403 code 2010. */
  readonly readOnlyToken?: string;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakePagerDutyApi(o: FakePagerDutyOptions): Promise<FakePagerDutyApi> {
  const alerts = new Map<string, unknown[]>();
  const users = new Map<string, FakePagerDutyUser>();
  const incidents = new Map<string, FakePagerDutyIncident>();
  const calls: FakePagerDutyCall[] = [];
  let limited = { remaining: 0, retryAfterS: 30, headers: true };
  let webhook: { url: string; secret: string } | undefined;
  let eventSeq = 0;
  let noteSeq = 0;

  const userRef = (u: FakePagerDutyUser) => ({ id: u.id, type: 'user_reference', summary: u.name });
  const incidentJson = (i: FakePagerDutyIncident) => ({
    id: i.id,
    type: 'incident',
    incident_number: i.number,
    title: i.title,
    status: i.status,
    incident_key: i.incidentKey,
    escalation_level: i.escalationLevel,
    service: { id: i.serviceId, type: 'service_reference', summary: i.serviceName },
    assignments: i.assignees.flatMap((id) => (users.get(id) ? [{ assignee: userRef(users.get(id)!) }] : [])),
    created_at: i.createdAt,
    html_url: `https://acme.pagerduty.com/incidents/${i.id}`,
  });

  const sendWebhook = (
    i: FakePagerDutyIncident,
    eventType: string,
    agent: FakePagerDutyUser,
    note?: { id: string; content: string },
  ) => {
    if (!webhook) return;
    const target = webhook;
    eventSeq += 1;
    const body = JSON.stringify({
      event: {
        id: `01FAKEPD${Date.now()}${eventSeq}`,
        event_type: eventType,
        resource_type: 'incident',
        occurred_at: new Date().toISOString(),
        agent: { ...userRef(agent), html_url: `https://acme.pagerduty.com/users/${agent.id}` },
        client: { name: 'PagerDuty' },
        // incident.annotated carries the note and a reference to its incident (platforms.md §3.2).
        data: note
          ? {
              id: note.id,
              type: 'incident_note',
              content: note.content,
              incident: {
                id: i.id,
                type: 'incident_reference',
                summary: i.title,
                html_url: `https://acme.pagerduty.com/incidents/${i.id}`,
              },
            }
          : {
              id: i.id,
              type: 'incident',
              html_url: `https://acme.pagerduty.com/incidents/${i.id}`,
              number: i.number,
              status: i.status,
              incident_key: i.incidentKey,
              created_at: i.createdAt,
              title: i.title,
              service: { id: i.serviceId, type: 'service_reference', summary: i.serviceName },
              assignees: i.assignees.flatMap((id) => (users.get(id) ? [userRef(users.get(id)!)] : [])),
              escalation_policy: { id: 'PEPFAKE', type: 'escalation_policy_reference', summary: 'Fake policy' },
              teams: [],
              priority: null,
              urgency: 'high',
              conference_bridge: null,
              resolve_reason: null,
            },
      },
    });
    const signature = `v1=${createHmac('sha256', target.secret).update(body).digest('hex')}`;
    fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-pagerduty-signature': signature,
        'x-webhook-id': `whk-${eventSeq}`,
      },
      body,
    }).catch(() => {});
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      const raw = method === 'PUT' || method === 'POST' ? await readBody(req) : '';
      const auth = req.headers.authorization ?? '';
      const readWrite = auth === `Token token=${o.token}`;
      const authorized = readWrite || (o.readOnlyToken !== undefined && auth === `Token token=${o.readOnlyToken}`);
      const from = typeof req.headers.from === 'string' ? req.headers.from : undefined;
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const json = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        calls.push({ method, path: url.pathname, authorized, ...(from ? { from } : {}), body, status });
        res.writeHead(status, {
          'content-type': 'application/json',
          'ratelimit-limit': '960',
          'ratelimit-remaining': '959',
          'ratelimit-reset': '60',
          ...headers,
        });
        res.end(JSON.stringify(payload));
      };
      const error = (status: number, message: string, code: number, errors?: string[]) =>
        json(status, { error: { message, code, ...(errors ? { errors } : {}) } });

      if (limited.remaining > 0) {
        limited.remaining -= 1;
        if (!limited.headers) {
          calls.push({ method, path: url.pathname, authorized, ...(from ? { from } : {}), body, status: 429 });
          res.writeHead(429).end();
          return;
        }
        return json(
          429,
          { error: { message: 'Rate Limit Exceeded', code: 2020 } },
          { 'retry-after': String(limited.retryAfterS), 'ratelimit-remaining': '0' },
        );
      }
      if (!auth.startsWith('Token token=') || !authorized) return error(401, 'Authentication failed', 2006);

      const path = url.pathname;
      let m: RegExpExecArray | null;
      if (method === 'GET' && (m = /^\/incidents\/([^/]+)\/alerts$/.exec(path))) {
        const list = alerts.get(decodeURIComponent(m[1]!)) ?? [];
        return json(200, { alerts: list, limit: 25, offset: 0, more: false, total: null });
      }
      if (method === 'GET' && path === '/priorities') {
        return json(200, {
          priorities: [
            { id: 'PPRI001', type: 'priority', summary: 'P1', name: 'P1', description: 'critical' },
            { id: 'PPRI002', type: 'priority', summary: 'P2', name: 'P2', description: 'high' },
          ],
          limit: 25,
          offset: 0,
          more: false,
          total: null,
        });
      }
      if (method === 'GET' && path === '/users') {
        const q = (url.searchParams.get('query') ?? '').toLowerCase();
        // Substring on name and email, as the real API does (platforms-2.md §1.3).
        const found = [...users.values()].filter(
          (u) => u.name.toLowerCase().includes(q) || u.email.toLowerCase().includes(q),
        );
        return json(200, {
          users: found.map((u) => ({ id: u.id, type: 'user', name: u.name, email: u.email, role: 'user' })),
          limit: 25,
          offset: 0,
          more: false,
          total: null,
        });
      }
      if (method === 'GET' && (m = /^\/users\/([^/]+)$/.exec(path))) {
        const u = users.get(decodeURIComponent(m[1]!));
        if (!u) return error(404, 'Not Found', 2100);
        return json(200, { user: { id: u.id, type: 'user', name: u.name, email: u.email, role: 'user' } });
      }
      const incidentPath = /^\/incidents\/([^/]+)(\/notes)?$/.exec(path);
      if (!incidentPath) return error(404, 'Not Found', 2100);
      const key = decodeURIComponent(incidentPath[1]!);
      const isWrite = method === 'PUT' || method === 'POST';
      if (isWrite) {
        if (!readWrite) return error(403, 'Access Denied', 2010);
        if (!from) {
          return error(
            400,
            'You must specify a user\'s email address in the "From" header to perform this action',
            2001,
          );
        }
      }
      const incident =
        incidents.get(key) ?? [...incidents.values()].find((i) => /^\d+$/.test(key) && i.number === Number(key));
      if (!incident) return error(404, 'Not Found', 2100);
      const actor = from ? [...users.values()].find((u) => u.email.toLowerCase() === from.toLowerCase()) : undefined;
      if (isWrite && !actor) return error(400, 'Requester User Not Found', 1008);

      if (method === 'GET' && !incidentPath[2]) return json(200, { incident: incidentJson(incident) });
      if (method === 'GET' && incidentPath[2]) {
        return json(200, {
          notes: incident.notes.map((n) => ({
            id: n.id,
            user: users.get(n.userId) ? userRef(users.get(n.userId)!) : null,
            channel: { summary: 'The PagerDuty API' },
            content: n.content,
            created_at: new Date().toISOString(),
          })),
        });
      }
      if (method === 'POST' && incidentPath[2]) {
        const content = (body as { note?: { content?: unknown } } | undefined)?.note?.content;
        if (typeof content !== 'string' || content === '') {
          return error(400, 'Invalid Input Provided', 2001, ['Note content is required']);
        }
        noteSeq += 1;
        const note = { id: `PNOTE${noteSeq}`, content, userId: actor!.id };
        incident.notes.push(note);
        json(200, {
          note: {
            id: note.id,
            user: userRef(actor!),
            channel: { summary: 'The PagerDuty API' },
            content,
            created_at: new Date().toISOString(),
          },
        });
        sendWebhook(incident, 'incident.annotated', actor!, note);
        return;
      }
      if (method === 'PUT' && !incidentPath[2]) {
        const inc = (body as { incident?: Record<string, unknown> } | undefined)?.incident;
        if (!inc || (inc.type !== 'incident_reference' && inc.type !== 'incident')) {
          return error(400, 'Invalid Input Provided', 2001, ['Incident type must be incident_reference']);
        }
        let eventType: string | undefined;
        if (inc.status !== undefined) {
          if (inc.status === 'acknowledged') {
            if (incident.status === 'resolved') return error(400, 'Incident Already Resolved', 1001);
            if (incident.status === 'acknowledged') return error(400, 'Incident Already Acknowledged', 1002);
            incident.status = 'acknowledged';
            eventType = 'incident.acknowledged';
          } else if (inc.status === 'resolved') {
            if (incident.status === 'resolved') return error(400, 'Incident Already Resolved', 1001);
            incident.status = 'resolved';
            eventType = 'incident.resolved';
          } else {
            return error(400, 'Invalid Status', 1003);
          }
        }
        if (inc.escalation_level !== undefined) {
          if (incident.status === 'resolved') return error(400, 'Incident Already Resolved', 1001);
          if (typeof inc.escalation_level !== 'number' || inc.escalation_level < 1 || inc.escalation_level > 5) {
            return error(400, 'Cannot Escalate', 1006);
          }
          incident.escalationLevel = inc.escalation_level;
          eventType = 'incident.escalated';
        }
        if (Array.isArray(inc.assignments)) {
          if (incident.status === 'resolved') return error(400, 'Incident Already Resolved', 1001);
          const ids = (inc.assignments as { assignee?: { id?: string } }[]).map((a) => a.assignee?.id ?? '');
          if (ids.some((id) => !users.has(id))) return error(400, 'Assigned To User Not Found', 1007);
          incident.assignees = ids;
          eventType = 'incident.reassigned';
        }
        json(200, { incident: incidentJson(incident) });
        if (eventType) sendWebhook(incident, eventType, actor!);
        return;
      }
      return error(404, 'Not Found', 2100);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    writes: () => calls.filter((c) => c.method === 'PUT' || c.method === 'POST'),
    setAlerts(incidentId, details, opts) {
      alerts.set(
        incidentId,
        details.map((d, i) => ({
          id: `PALERT${i}`,
          type: 'alert',
          summary: String(d.summary ?? 'alert'),
          status: 'triggered',
          severity: 'critical',
          body: opts?.cef
            ? { type: 'alert_body', contexts: [], cef_details: { details: d } }
            : { type: 'alert_body', contexts: [], details: d },
        })),
      );
    },
    addUser(user) {
      users.set(user.id, user);
    },
    addIncident(partial) {
      const incident: FakePagerDutyIncident = {
        number: incidents.size + 1000,
        title: 'Fake incident',
        status: 'triggered',
        escalationLevel: 1,
        assignees: [],
        serviceId: 'PSVC123',
        serviceName: 'Corvo Production',
        incidentKey: `key-${partial.id}`,
        createdAt: new Date().toISOString(),
        notes: [],
        ...partial,
      };
      incidents.set(incident.id, incident);
      return incident;
    },
    incident: (id) => incidents.get(id),
    rateLimitNext(n, opts) {
      limited = { remaining: n, retryAfterS: opts?.retryAfterS ?? 30, headers: opts?.headers ?? true };
    },
    setWebhook(target) {
      webhook = target;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
