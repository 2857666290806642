/**
 * Alertmanager's v2 API for silences (platforms-2.md §3, verified against the real 0.25 binary): the preview
 * (`GET /api/v2/alerts?filter=…`, label matching; `GET /api/v2/alerts/groups`), create (`POST /api/v2/silences`),
 * read (`GET /api/v2/silence/{id}`, `GET /api/v2/silences`) and expire (`DELETE /api/v2/silence/{id}`).
 */
import { z } from 'zod';
import { redactSecrets } from '../../src/core/redact.js';
import { encodePathSegment } from '../shared/path-segment.js';

export interface AlertmanagerSilencesOptions {
  /** `ALERTMANAGER_URL`, e.g. `http://alertmanager:9093`. */
  readonly url: string;
  /** Per-request timeout, ms. Default 5000. */
  readonly timeoutMs?: number;
}

/** An equality matcher (the only kind the bot creates: the group's own labels). */
export interface EqualMatcher {
  readonly name: string;
  readonly value: string;
}

export class AlertmanagerApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(`Alertmanager answered ${status}: ${detail}`);
    this.name = 'AlertmanagerApiError';
  }
}

const AlertSchema = z
  .object({
    fingerprint: z.string().max(100),
    labels: z.record(z.string(), z.string()),
    status: z.object({ state: z.string().max(50) }).passthrough(),
  })
  .passthrough();
export type AlertmanagerAlert = z.infer<typeof AlertSchema>;

const GroupSchema = z
  .object({
    labels: z.record(z.string(), z.string()),
    receiver: z.object({ name: z.string().max(300) }).passthrough(),
    alerts: z.array(AlertSchema),
  })
  .passthrough();

const SilenceSchema = z
  .object({
    id: z.string().max(100),
    status: z.object({ state: z.enum(['active', 'pending', 'expired']) }).passthrough(),
    endsAt: z.string().max(50),
    comment: z.string().max(10_000).optional(),
  })
  .passthrough();

/** `name="value"` with `\` and `"` escaped: Alertmanager's filter syntax (an unescaped `"` is a 400). */
export function filterOf(m: EqualMatcher): string {
  return `${m.name}="${m.value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function createAlertmanagerSilences(o: AlertmanagerSilencesOptions) {
  const base = o.url.replace(/\/+$/, '');

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: body !== undefined ? { 'content-type': 'application/json' } : {},
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
      });
    } catch (err) {
      throw new AlertmanagerApiError(0, `unreachable (${(err as Error).name})`);
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      // 400 bodies are JSON strings; 422 is {code, message} (platforms-2.md §3.1).
      const detail =
        typeof parsed === 'string'
          ? parsed
          : typeof (parsed as { message?: unknown } | undefined)?.message === 'string'
            ? (parsed as { message: string }).message
            : `HTTP ${res.status}`;
      // Secrets out before the cut: a cut through one would leave a prefix the redaction no longer recognises.
      throw new AlertmanagerApiError(res.status, redactSecrets(detail).slice(0, 300));
    }
    return parsed;
  }

  return {
    /** Alerts Alertmanager holds now that the matchers select (active, silenced and inhibited alike). */
    async matchingAlerts(matchers: readonly EqualMatcher[]): Promise<AlertmanagerAlert[]> {
      const query = matchers.map((m) => `filter=${encodeURIComponent(filterOf(m))}`).join('&');
      const body = await request('GET', `/api/v2/alerts?${query}`);
      const r = z.array(AlertSchema).safeParse(body);
      if (!r.success) throw new AlertmanagerApiError(200, 'unexpected answer to GET /api/v2/alerts');
      return r.data;
    },
    /** The alert groups, each with its labels, receiver and alerts. */
    async groups(): Promise<z.infer<typeof GroupSchema>[]> {
      const body = await request('GET', '/api/v2/alerts/groups');
      const r = z.array(GroupSchema).safeParse(body);
      if (!r.success) throw new AlertmanagerApiError(200, 'unexpected answer to GET /api/v2/alerts/groups');
      return r.data;
    },
    /** Creates a silence; returns its id. */
    async createSilence(s: {
      matchers: readonly EqualMatcher[];
      startsAt: Date;
      endsAt: Date;
      createdBy: string;
      comment: string;
    }): Promise<string> {
      const body = await request('POST', '/api/v2/silences', {
        matchers: s.matchers.map((m) => ({ name: m.name, value: m.value, isRegex: false, isEqual: true })),
        startsAt: s.startsAt.toISOString(),
        endsAt: s.endsAt.toISOString(),
        createdBy: s.createdBy,
        comment: s.comment,
      });
      const r = z.object({ silenceID: z.string().min(1).max(100) }).safeParse(body);
      if (!r.success) throw new AlertmanagerApiError(200, 'unexpected answer to POST /api/v2/silences');
      return r.data.silenceID;
    },
    /**
     * Every silence Alertmanager holds, expired ones included (kept for its retention): a retry after a crash looks
     * for the silence it may have created by the marker in its comment (platforms-2.md §3.2).
     */
    async listSilences(): Promise<z.infer<typeof SilenceSchema>[]> {
      const body = await request('GET', '/api/v2/silences');
      const r = z.array(SilenceSchema).safeParse(body);
      if (!r.success) throw new AlertmanagerApiError(200, 'unexpected answer to GET /api/v2/silences');
      return r.data;
    },
    /** The silence's state and end, or undefined when Alertmanager does not know it (404). */
    async getSilence(id: string): Promise<z.infer<typeof SilenceSchema> | undefined> {
      try {
        const body = await request(
          'GET',
          `/api/v2/silence/${encodePathSegment(id, 'silence id', 'GET /api/v2/silence/{id}')}`,
        );
        const r = SilenceSchema.safeParse(body);
        if (!r.success) throw new AlertmanagerApiError(200, 'unexpected answer to GET /api/v2/silence/{id}');
        return r.data;
      } catch (err) {
        if (err instanceof AlertmanagerApiError && err.status === 404) return undefined;
        throw err;
      }
    },
    /** Expires a silence (idempotent for an expired one; an unknown id is a 500 in 0.25). */
    async expireSilence(id: string): Promise<void> {
      await request('DELETE', `/api/v2/silence/${encodePathSegment(id, 'silence id', 'DELETE /api/v2/silence/{id}')}`);
    },
  };
}

export type AlertmanagerSilences = ReturnType<typeof createAlertmanagerSilences>;
