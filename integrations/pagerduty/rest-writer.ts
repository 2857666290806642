/**
 * The PagerDuty REST API for the incident buttons (platforms-2.md §1): incident writes as the clicking person
 * (`From` header), the look-ups they need (the incident's current state, users by email), and the start-up check of
 * whether the key may write at all.
 */
import { z } from 'zod';
import { hasDotSegment } from '../../src/core/dot-segment.js';
import type { Secret } from '../../src/core/secret.js';

export interface PagerDutyWriterOptions {
  /** `PAGERDUTY_API_TOKEN`; the buttons need a read-write key. */
  readonly token: Secret;
  /** `PAGERDUTY_API_URL`, default `https://api.pagerduty.com` (tests: the loopback fake). */
  readonly apiUrl: string;
  /** Per-request timeout, ms. Default 8000 (a click is answered within seconds or not at all). */
  readonly timeoutMs?: number;
}

/** The error envelope `{"error":{"message","code","errors"}}` (platforms-2.md §1.4), plus the HTTP status. */
export class PagerDutyApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    readonly detail: string,
    /** Seconds from `Retry-After` / `ratelimit-reset` on a 429, when PagerDuty sent one. */
    readonly retryAfterS?: number,
  ) {
    super(`PagerDuty answered ${status}${code !== undefined ? ` (code ${code})` : ''}: ${detail}`);
    this.name = 'PagerDutyApiError';
  }
}

const ErrorEnvelopeSchema = z.object({
  error: z
    .object({
      message: z.string().max(500).optional(),
      code: z.number().int().optional(),
      errors: z.array(z.string().max(500)).max(20).optional(),
    })
    .passthrough(),
});

const UserSchema = z
  .object({ id: z.string().min(1).max(50), name: z.string().max(300).optional(), email: z.string().max(320) })
  .passthrough();
export type PagerDutyUser = z.infer<typeof UserSchema>;

const UsersResponseSchema = z.object({ users: z.array(UserSchema) }).passthrough();

const IncidentSchema = z
  .object({
    id: z.string().min(1).max(50),
    status: z.enum(['triggered', 'acknowledged', 'resolved']),
    incident_number: z.number().int().optional(),
    title: z.string().max(2000).optional(),
    escalation_level: z.number().int().optional(),
    assignments: z
      .array(z.object({ assignee: z.object({ id: z.string().max(50) }).passthrough() }).passthrough())
      .optional(),
    acknowledgements: z
      .array(z.object({ acknowledger: z.object({ summary: z.string().max(300).optional() }).passthrough() }))
      .optional(),
  })
  .passthrough();
export type PagerDutyIncidentState = z.infer<typeof IncidentSchema>;

const IncidentResponseSchema = z.object({ incident: IncidentSchema }).passthrough();
const NoteResponseSchema = z.object({ note: z.object({ id: z.string().max(100) }).passthrough() }).passthrough();
const NotesResponseSchema = z
  .object({
    notes: z.array(
      z
        .object({
          id: z.string().max(100),
          content: z.string(),
          user: z
            .object({ id: z.string().max(50) })
            .passthrough()
            .nullish(),
        })
        .passthrough(),
    ),
  })
  .passthrough();

/** The fields of `PUT /incidents/{id}` the buttons set (platforms-2.md §1.2). */
export type IncidentUpdate =
  | { readonly status: 'acknowledged' | 'resolved' }
  | { readonly escalation_level: number }
  | { readonly assignments: readonly { assignee: { id: string; type: 'user_reference' } }[] };

/** What the start-up probe learned about the key. */
export type WriteAccess = 'read-write' | 'read-only' | 'unknown';

/** One path segment from a value we were given (an incident or user id): encoded, dot segments refused. */
function seg(value: string): string {
  if (hasDotSegment(value)) throw new PagerDutyApiError(400, undefined, 'refused an id that is a dot segment');
  return encodeURIComponent(value);
}

export function createPagerDutyWriter(o: PagerDutyWriterOptions) {
  const base = o.apiUrl.replace(/\/+$/, '');

  async function request(
    method: 'GET' | 'PUT' | 'POST',
    path: string,
    opts: { from?: string; body?: unknown } = {},
  ): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Token token=${o.token.reveal()}`,
          accept: 'application/vnd.pagerduty+json;version=2',
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(opts.from !== undefined ? { from: opts.from } : {}),
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(o.timeoutMs ?? 8000),
      });
    } catch (err) {
      throw new PagerDutyApiError(0, undefined, `unreachable (${(err as Error).name})`);
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (res.ok) return body;
    const envelope = ErrorEnvelopeSchema.safeParse(body);
    const e = envelope.success ? envelope.data.error : undefined;
    const detail = [e?.message, ...(e?.errors ?? [])].filter(Boolean).join('; ') || `HTTP ${res.status}`;
    // A 429 may come without headers or body (platforms-2.md §1.4).
    const retry = Number(res.headers.get('retry-after') ?? res.headers.get('ratelimit-reset') ?? NaN);
    throw new PagerDutyApiError(res.status, e?.code, detail, Number.isFinite(retry) ? retry : undefined);
  }

  function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
    const r = schema.safeParse(body);
    if (!r.success) throw new PagerDutyApiError(200, undefined, `unexpected answer to ${what}`);
    return r.data;
  }

  return {
    /** `GET /incidents/{id}`: the state right now (an action on an incident that moved on is refused). */
    async getIncident(id: string): Promise<PagerDutyIncidentState> {
      const body = await request('GET', `/incidents/${seg(id)}`);
      return parse(IncidentResponseSchema, body, 'GET /incidents/{id}').incident;
    },
    /** `PUT /incidents/{id}` as the user `fromEmail`. */
    async updateIncident(id: string, fromEmail: string, update: IncidentUpdate): Promise<PagerDutyIncidentState> {
      const body = await request('PUT', `/incidents/${seg(id)}`, {
        from: fromEmail,
        body: { incident: { type: 'incident_reference', ...update } },
      });
      return parse(IncidentResponseSchema, body, 'PUT /incidents/{id}').incident;
    },
    /** `POST /incidents/{id}/notes` as the user `fromEmail`; returns the note id. */
    async addNote(id: string, fromEmail: string, content: string): Promise<string> {
      const body = await request('POST', `/incidents/${seg(id)}/notes`, {
        from: fromEmail,
        body: { note: { content } },
      });
      return parse(NoteResponseSchema, body, 'POST /incidents/{id}/notes').note.id;
    },
    /** `GET /incidents/{id}/notes`: the incident's notes (a retry looks for its own note before posting it again). */
    async listNotes(id: string): Promise<{ id: string; content: string; userId?: string }[]> {
      const body = await request('GET', `/incidents/${seg(id)}/notes`);
      return parse(NotesResponseSchema, body, 'GET /incidents/{id}/notes').notes.map((n) => ({
        id: n.id,
        content: n.content,
        ...(n.user?.id ? { userId: n.user.id } : {}),
      }));
    },
    /**
     * The PagerDuty user whose email is exactly `email` (case-insensitive). `query` is a substring match on name and
     * email (platforms-2.md §1.3), so the results are filtered here; several exact matches count as none.
     */
    async findUserByEmail(email: string): Promise<PagerDutyUser | undefined> {
      const body = await request('GET', `/users?query=${encodeURIComponent(email)}&limit=100`);
      const users = parse(UsersResponseSchema, body, 'GET /users').users;
      const exact = users.filter((u) => u.email.toLowerCase() === email.toLowerCase());
      return exact.length === 1 ? exact[0] : undefined;
    },
    /** `GET /users/{id}` (a pinned PagerDuty user id: its email goes into `From`). */
    async getUser(id: string): Promise<PagerDutyUser | undefined> {
      try {
        const body = await request('GET', `/users/${seg(id)}`);
        return parse(z.object({ user: UserSchema }).passthrough(), body, 'GET /users/{id}').user;
      } catch (err) {
        if (err instanceof PagerDutyApiError && err.status === 404) return undefined;
        throw err;
      }
    },
    /**
     * Whether the key may write, without changing anything: a `PUT` on an incident id that cannot exist. A read-only
     * key is refused before the look-up (403, "Access Denied"); a read-write key gets 404 (or 400 for the made-up
     * `From`). That ordering is our reading of the API (not documented); anything else is `unknown` and keeps the
     * buttons off until a later probe succeeds.
     */
    async probeWriteAccess(): Promise<{ access: WriteAccess; reason: string }> {
      try {
        await request('PUT', '/incidents/RUNBOOKBOTPROBE0', {
          from: 'runbook-bot-probe@invalid.example',
          body: { incident: { type: 'incident_reference' } },
        });
        return { access: 'unknown', reason: 'the write probe unexpectedly succeeded' };
      } catch (err) {
        const e = err as PagerDutyApiError;
        // Past the permission check: the id (404) or the made-up From user (400, e.g. 1008) was refused instead.
        if (e.status === 404 || e.status === 400)
          return { access: 'read-write', reason: 'the key may write incidents' };
        if (e.status === 401) return { access: 'unknown', reason: 'PagerDuty refused the key (401)' };
        if (e.status === 403) return { access: 'read-only', reason: 'the key is read-only (403 on an incident write)' };
        return { access: 'unknown', reason: `the write probe failed: ${e.message}` };
      }
    },
  };
}

export type PagerDutyWriter = ReturnType<typeof createPagerDutyWriter>;
