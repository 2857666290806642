/**
 * The Bot Connector REST API (platforms.md §2.3), spoken directly with fetch: `POST v3/conversations`,
 * `POST v3/conversations/{id}/activities[/{activityId}]`, `PUT v3/conversations/{id}/activities/{activityId}`.
 * Plain JSON in and out, so nothing here depends on an SDK. The base URL is the conversation's stored `serviceUrl`;
 * the `Authorization` header comes from the Bot Framework module (undefined when authentication is off).
 *
 * Teams throttles (429) and sometimes answers 412/502/503/504 for a moment: those are retried here with exponential
 * backoff and jitter, honouring `Retry-After` (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit).
 * A 429 that outlasts the retries becomes {@link RateLimitedError}, so the queue delays the job instead of failing it.
 */
import { z } from 'zod';
import { RateLimitedError } from '../../src/core/chat-transport.js';

/** A Bot Connector activity as we post it (a subset of the Activity schema). */
export interface ConnectorActivity {
  readonly type: 'message';
  readonly id?: string;
  readonly text?: string;
  readonly textFormat?: 'plain' | 'markdown' | 'xml';
  /** Notification text for card-only messages. */
  readonly summary?: string;
  readonly attachments?: readonly { readonly contentType: string; readonly content: unknown }[];
  readonly entities?: readonly Record<string, unknown>[];
  readonly replyToId?: string;
  readonly conversation?: { readonly id: string };
}

/** `POST v3/conversations` parameters for a new thread in a channel (platforms.md §2.4). */
export interface CreateConversationParams {
  readonly isGroup: boolean;
  readonly bot: { readonly id: string; readonly name?: string };
  readonly channelData: Record<string, unknown>;
  readonly tenantId?: string;
  readonly activity: ConnectorActivity;
}

/** The connector answered with an error status (after the retries, for the retryable ones). */
export class ConnectorError extends Error {
  constructor(
    readonly status: number,
    readonly operation: string,
  ) {
    super(`Teams connector ${operation} answered HTTP ${status}`);
    this.name = 'ConnectorError';
  }

  /** True for statuses worth another attempt later (throttling, gateway trouble). */
  get transient(): boolean {
    return RETRYABLE.has(this.status) || this.status >= 500;
  }
}

/** The connector's `ResourceResponse` / `ConversationResourceResponse` (the fields we read). */
const ResourceResponseSchema = z.looseObject({
  id: z.string().max(1000).optional(),
  activityId: z.string().max(500).optional(),
});
export type ResourceResponse = z.infer<typeof ResourceResponseSchema>;

/**
 * A conversation member (`GET v3/conversations/{id}/members/{memberId}`, platforms-2.md §6.1). The roster names the
 * Entra object id `objectId` (activities say `aadObjectId`); `email` and `userPrincipalName` can differ.
 */
const MemberSchema = z.looseObject({
  id: z.string().max(500),
  objectId: z.string().max(100).optional(),
  aadObjectId: z.string().max(100).optional(),
  email: z.string().max(320).nullable().optional(),
  userPrincipalName: z.string().max(320).nullable().optional(),
});
export type TeamsMember = z.infer<typeof MemberSchema>;

/** Statuses Teams documents as retryable, plus 503. */
const RETRYABLE = new Set([412, 429, 502, 503, 504]);

export interface ConnectorOptions {
  /** `Authorization` header for a service URL (undefined: unsigned, authentication off). */
  readonly authorizationFor: (serviceUrl: string) => Promise<string | undefined>;
  /** Injectable HTTP (tests); default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Per-request timeout, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Attempts per call for retryable statuses (1 = no retry). Default 4. */
  readonly attempts?: number;
  /** First backoff, ms; doubles each attempt, with jitter. Default 500. */
  readonly baseDelayMs?: number;
  /** Longest single wait, ms. Default 8 000. */
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface Connector {
  createConversation(serviceUrl: string, params: CreateConversationParams): Promise<ResourceResponse>;
  sendToConversation(
    serviceUrl: string,
    conversationId: string,
    activity: ConnectorActivity,
  ): Promise<ResourceResponse>;
  replyToActivity(
    serviceUrl: string,
    conversationId: string,
    activityId: string,
    activity: ConnectorActivity,
  ): Promise<ResourceResponse>;
  updateActivity(
    serviceUrl: string,
    conversationId: string,
    activityId: string,
    activity: ConnectorActivity,
  ): Promise<ResourceResponse>;
  /**
   * One member of a conversation, by Teams user id, UPN or Entra object id (for a channel, ask the team's id); undefined
   * when Teams does not know them there (404 `MemberNotFoundInConversation`).
   */
  getMember?(serviceUrl: string, conversationId: string, memberId: string): Promise<TeamsMember | undefined>;
}

/** `Retry-After` in seconds or as an HTTP date, as ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The wait before retry `attempt` (1-based): exponential, capped, with "equal jitter" (half fixed, half random). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function joinUrl(serviceUrl: string, path: string): string {
  return new URL(path, serviceUrl.endsWith('/') ? serviceUrl : `${serviceUrl}/`).toString();
}

/** A Bot Connector client on plain fetch. */
export function createConnector(o: ConnectorOptions): Connector {
  const doFetch = o.fetch ?? fetch;
  const attempts = Math.max(1, o.attempts ?? 4);
  const baseMs = o.baseDelayMs ?? 500;
  const maxMs = o.maxDelayMs ?? 8000;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = o.random ?? Math.random;

  async function call(
    operation: string,
    method: 'POST' | 'PUT',
    serviceUrl: string,
    path: string,
    body: unknown,
  ): Promise<ResourceResponse> {
    const url = joinUrl(serviceUrl, path);
    const payload = JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      const authorization = await o.authorizationFor(serviceUrl);
      let res: Response;
      try {
        res = await doFetch(url, {
          method,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            accept: 'application/json',
            ...(authorization ? { authorization } : {}),
          },
          body: payload,
          signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
        });
      } catch (err) {
        // Not retried here: a POST may have landed. The queue retries the job.
        throw new Error(`Teams connector ${operation} failed: ${(err as Error)?.name ?? 'network error'}`);
      }
      if (res.ok) {
        const text = await res.text();
        let json: unknown;
        try {
          json = text.trim() === '' ? {} : JSON.parse(text);
        } catch {
          json = {};
        }
        // An answer without ids is not an error (an update may answer `{}`); callers check what they need.
        const parsed = ResourceResponseSchema.safeParse(json);
        return parsed.success ? parsed.data : {};
      }
      await res.arrayBuffer().catch(() => undefined);
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      // A wait longer than we are willing to hold a worker slot for is the queue's to do (429 below).
      if (RETRYABLE.has(res.status) && attempt < attempts && (retryAfter === undefined || retryAfter <= maxMs)) {
        await sleep(retryAfter ?? backoffMs(attempt, baseMs, maxMs, random));
        continue;
      }
      if (res.status === 429) throw new RateLimitedError(retryAfter ?? backoffMs(attempt, baseMs, maxMs, random));
      throw new ConnectorError(res.status, operation);
    }
  }

  const conv = (id: string) => `v3/conversations/${encodeURIComponent(id)}`;
  return {
    async getMember(serviceUrl, conversationId, memberId) {
      const url = joinUrl(serviceUrl, `${conv(conversationId)}/members/${encodeURIComponent(memberId)}`);
      const authorization = await o.authorizationFor(serviceUrl);
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'GET',
          headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) },
          signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
        });
      } catch (err) {
        throw new Error(`Teams connector getMember failed: ${(err as Error)?.name ?? 'network error'}`);
      }
      if (res.status === 404) {
        await res.arrayBuffer().catch(() => undefined);
        return undefined;
      }
      if (!res.ok) {
        await res.arrayBuffer().catch(() => undefined);
        throw new ConnectorError(res.status, 'getMember');
      }
      const parsed = MemberSchema.safeParse(await res.json().catch(() => undefined));
      return parsed.success ? parsed.data : undefined;
    },
    createConversation: (serviceUrl, params) =>
      call('createConversation', 'POST', serviceUrl, 'v3/conversations', params),
    sendToConversation: (serviceUrl, conversationId, activity) =>
      call('sendToConversation', 'POST', serviceUrl, `${conv(conversationId)}/activities`, activity),
    replyToActivity: (serviceUrl, conversationId, activityId, activity) =>
      call(
        'replyToActivity',
        'POST',
        serviceUrl,
        `${conv(conversationId)}/activities/${encodeURIComponent(activityId)}`,
        activity,
      ),
    updateActivity: (serviceUrl, conversationId, activityId, activity) =>
      call(
        'updateActivity',
        'PUT',
        serviceUrl,
        `${conv(conversationId)}/activities/${encodeURIComponent(activityId)}`,
        { ...activity, id: activityId },
      ),
  };
}
