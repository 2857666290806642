import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ClientDeps } from '../../src/core/system.js';
import { TargetError } from '../../src/core/target-error.js';
import type { KyroInstanceConfig } from './config.js';
import {
  ErrorBodySchema,
  HEALTH_HTTP_STATUS,
  HealthSchema,
  ReadySchema,
  SloSchema,
  UsageSchema,
  type Health,
  type Ready,
  type Slo,
  type Usage,
} from './schemas.js';

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call (job timeout, worker shutdown); combined with the client's own per-request timeout. */
  readonly signal?: AbortSignal;
}

/** What building a KyroDB client may use, beyond {@link ClientDeps}. */
export interface KyroClientDeps extends ClientDeps {
  /**
   * HTTP dispatcher to send requests through (tests, proxies). Default: one keep-alive `Agent` owned by the client
   * and destroyed by {@link KyroClient.close}; an injected dispatcher is left open.
   */
  readonly dispatcher?: Dispatcher;
}

/**
 * Typed client of one KyroDB server's HTTP observability listener (`reference/targets.md` §2.2). Every method throws
 * only {@link TargetError}, whose message names the endpoint and the reason and is safe to show in chat. Admin
 * operations (flush, snapshot) are gRPC-only in KyroDB and are not here.
 */
export interface KyroClient {
  /** `scheme://host:port` of the configured url, without credentials: for corrected commands shown to operators. */
  readonly origin: string;
  /**
   * `GET /health`. The 503 answers (`starting`, `unhealthy`) are returned, not thrown: they are the server's
   * verdict. A 503 without one of those bodies (a proxy, a load balancer) is an `api-error`.
   */
  health(o?: CallOptions): Promise<Health>;
  /** `GET /ready`: `{ready:false,status:"not_ready"}` (HTTP 503) is returned, not thrown. */
  ready(o?: CallOptions): Promise<Ready>;
  /** `GET /slo` (always 200; needs the key under `observability_auth: metrics_and_slo|all`). */
  slo(o?: CallOptions): Promise<Slo>;
  /** `GET /metrics`: the raw Prometheus 0.0.4 text (parsed elsewhere). */
  metricsText(o?: CallOptions): Promise<string>;
  /** `GET /usage?scope=…` (HEAD only). 404 "usage tracking disabled" when `auth.enabled=false`: an `api-error`. */
  usage(scope?: 'self' | 'all', o?: CallOptions): Promise<Usage>;
  /** Destroys the client's own keep-alive agent (not an injected dispatcher). Calls after this fail. */
  close(): Promise<void>;
}

/** Default per-request timeout when neither the config nor the deps give one, ms. */
const DEFAULT_TIMEOUT_MS = 5000;
/** Largest response body read, bytes; a bigger one is a `bad-response` (protects the worker's memory). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Longest piece of KyroDB's own error text repeated in a message. */
const MAX_ERROR_TEXT = 200;

interface Call<T> {
  /** API path with its query string, already encoded. */
  readonly path: string;
  /** Zod schema of a JSON answer; absent: the raw text is returned. */
  readonly schema?: z.ZodType<T>;
  /** Non-2xx statuses whose body is an answer of this schema (`/health` and `/ready` answer 503 with JSON). */
  readonly answerStatuses?: readonly number[];
}

/** Why our own abort controller fired. */
class AbortReason {
  constructor(readonly kind: 'timeout' | 'cancelled') {}
}

/**
 * Builds a client for one KyroDB instance. One keep-alive `Agent` per client; each request gets the configured
 * timeout (connect, headers, body and overall) combined with the caller's signal.
 */
export function createKyroClient(config: KyroInstanceConfig, deps: KyroClientDeps): KyroClient {
  // The schema defaults timeoutMs to 5000, so deps.timeoutMs only applies to configs built without the schema.
  const timeoutMs = config.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const base = new URL(config.url);
  const origin = `${base.protocol}//${base.host}`;
  const basePath = base.pathname.replace(/\/+$/, '');
  // Credentials in the URL (a proxy in front of KyroDB) become a Basic header and never appear in messages. The API
  // key then goes in x-api-key only, which KyroDB checks before `authorization`.
  const basicAuth =
    base.username || base.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
      : undefined;
  const ownAgent = deps.dispatcher
    ? undefined
    : new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const dispatcher: Dispatcher = deps.dispatcher ?? (ownAgent as Agent);

  async function send<T>(call: Call<T>, options: CallOptions | undefined): Promise<{ value: T; status: number }> {
    const endpoint = `GET ${call.path}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new AbortReason('timeout')), timeoutMs);
    const callerSignal = options?.signal;
    const onCallerAbort = (): void => controller.abort(new AbortReason('cancelled'));
    if (callerSignal?.aborted) onCallerAbort();
    else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

    const headers: Record<string, string> = { accept: call.schema ? 'application/json' : 'text/plain' };
    // The one place the key is revealed: the header sent to the KyroDB it belongs to.
    if (config.apiKey) headers['x-api-key'] = config.apiKey.reveal();
    if (basicAuth) headers.authorization = basicAuth;

    try {
      let status: number;
      let responseHeaders: Record<string, string | string[] | undefined>;
      let text: string;
      try {
        if (controller.signal.aborted) throw controller.signal.reason;
        const res = await request(`${origin}${basePath}${call.path}`, {
          method: 'GET',
          headers,
          dispatcher,
          signal: controller.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        status = res.statusCode;
        responseHeaders = res.headers;
        text = await readBody(res.body, endpoint);
      } catch (err) {
        throw networkError(err, endpoint, base.host, timeoutMs, controller.signal);
      }
      const isAnswer = (status >= 200 && status <= 299) || (call.answerStatuses ?? []).includes(status);
      if (isAnswer && call.schema) {
        const parsed = tryParseJson(call.schema, text);
        if (parsed.ok) return { value: parsed.value, status };
        // A 503 from a proxy in front of KyroDB is an HTTP error, not a malformed KyroDB answer.
        if (status >= 200 && status <= 299) {
          throw new TargetError('bad-response', `${endpoint} returned ${parsed.problem} (HTTP ${status})`, { status });
        }
      }
      if (status < 200 || status > 299) throw httpError(status, text, endpoint, config);
      const contentType = headerValue(responseHeaders['content-type']) ?? '';
      if (/html/i.test(contentType)) {
        throw new TargetError('bad-response', `${endpoint} returned HTML instead of text (HTTP ${status})`, { status });
      }
      return { value: text as T, status };
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  // Every method is async, so argument checks reject like any other failure instead of throwing synchronously.
  return {
    origin,
    health: async (o) => {
      const { value, status } = await send({ path: '/health', schema: HealthSchema, answerStatuses: [503] }, o);
      // KyroDB pairs each status with one HTTP code; anything else is not the health_handler talking.
      if (HEALTH_HTTP_STATUS[value.status] !== status) {
        throw new TargetError(
          'bad-response',
          `GET /health answered status "${value.status}" with HTTP ${status} (KyroDB sends ${HEALTH_HTTP_STATUS[value.status]})`,
          { status },
        );
      }
      return value;
    },
    ready: async (o) => {
      const { value, status } = await send({ path: '/ready', schema: ReadySchema, answerStatuses: [503] }, o);
      if (value.ready !== (status === 200)) {
        throw new TargetError('bad-response', `GET /ready answered ready=${value.ready} with HTTP ${status}`, {
          status,
        });
      }
      return value;
    },
    slo: async (o) => (await send({ path: '/slo', schema: SloSchema }, o)).value,
    metricsText: async (o) => (await send<string>({ path: '/metrics' }, o)).value,
    usage: async (scope, o) => {
      if (scope !== undefined && scope !== 'self' && scope !== 'all') {
        throw new TargetError('api-error', `GET /usage not sent: scope must be "self" or "all"`);
      }
      const path = scope === undefined ? '/usage' : `/usage?scope=${scope}`;
      return (await send({ path, schema: UsageSchema }, o)).value;
    },
    close: async () => {
      if (ownAgent && !ownAgent.destroyed) await ownAgent.destroy();
    },
  };
}

/** Reads the whole body (always consumed, as undici requires), up to {@link MAX_BODY_BYTES}. */
async function readBody(body: Dispatcher.ResponseData['body'], endpoint: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      throw new TargetError('bad-response', `${endpoint} answered more than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tryParseJson<T>(schema: z.ZodType<T>, text: string): { ok: true; value: T } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'invalid JSON' };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, problem: `an unexpected shape (${issues})` };
}

/**
 * A non-2xx answer. KyroDB's auth middleware answers 401/403 with the plain-text body `unauthorized`/`forbidden`;
 * `/usage` answers its other errors as `{"error": "..."}`; anything else (a proxy page) is not echoed.
 */
function httpError(status: number, text: string, endpoint: string, config: KyroInstanceConfig): TargetError {
  const reason = errorText(text);
  const detail = reason ? `HTTP ${status}: ${reason}` : `HTTP ${status}`;
  if (status === 401) {
    const why = reason ? `401 ${reason}` : 'HTTP 401';
    const message = config.apiKey
      ? `${endpoint}: KyroDB rejected the API key (${why})`
      : `${endpoint}: KyroDB requires an API key (server.observability_auth) and none is configured (${why})`;
    return new TargetError('unauthorized', message, { status });
  }
  if (status === 403) {
    return new TargetError('forbidden', `${endpoint}: KyroDB refused this call for the API key (${detail})`, {
      status,
    });
  }
  if (status === 429) {
    return new TargetError('rate-limited', `${endpoint}: KyroDB asked the bot to slow down (${detail})`, { status });
  }
  return new TargetError('api-error', `${endpoint}: KyroDB answered ${detail}`, { status });
}

/** The server's own short error text: a JSON `error` field, or one plain-text word line; never an HTML page. */
function errorText(text: string): string | undefined {
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) return chatSafe(parsed.data.error);
  } catch {
    // not JSON
  }
  const trimmed = text.trim();
  // KyroDB's plain-text errors are single words (`unauthorized`); a longer text is someone else's page.
  if (/^[a-z_ -]{1,40}$/i.test(trimmed)) return trimmed;
  return undefined;
}

/** One line of the server's text, without control characters, bounded. */
function chatSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > MAX_ERROR_TEXT ? `${line.slice(0, MAX_ERROR_TEXT)}…` : line;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Turns whatever undici (or our abort) threw into a TargetError, keeping only safe facts in the message. */
function networkError(
  err: unknown,
  endpoint: string,
  host: string,
  timeoutMs: number,
  signal: AbortSignal,
): TargetError {
  if (err instanceof TargetError) return err;
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof AbortReason) {
    return reason.kind === 'timeout'
      ? new TargetError('timeout', `${endpoint} timed out after ${timeoutMs} ms`)
      : new TargetError('timeout', `${endpoint} was cancelled before KyroDB answered`);
  }
  const code = errorCode(err);
  const detail = (text: string): string => `${endpoint} failed: ${text} (${host})`;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new TargetError('timeout', `${endpoint} timed out after ${timeoutMs} ms`, { cause: err });
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return new TargetError('timeout', `${endpoint} timed out connecting to ${host} after ${timeoutMs} ms`, {
        cause: err,
      });
    case 'ECONNREFUSED':
      return new TargetError('unreachable', detail('connection refused'), { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return new TargetError('unreachable', detail('connection reset by the server'), { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new TargetError('unreachable', detail('DNS lookup failed'), { cause: err });
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
      return new TargetError('unreachable', detail('host unreachable'), { cause: err });
    case 'ENETUNREACH':
      return new TargetError('unreachable', detail('network unreachable'), { cause: err });
    case 'UND_ERR_DESTROYED':
    case 'UND_ERR_CLOSED':
      return new TargetError('unreachable', `${endpoint} not sent: the KyroDB client was closed`, { cause: err });
    default:
      if (code && /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code)) {
        return new TargetError('unreachable', detail(`TLS handshake failed (${code})`), { cause: err });
      }
      return new TargetError('unreachable', detail(code ? `network error ${code}` : 'network error'), {
        cause: err,
      });
  }
}

/** The first safe-looking error code on the error, its cause, or (AggregateError) its sub-errors. */
function errorCode(err: unknown, depth = 0): string | undefined {
  if (depth > 3 || typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code;
  const nested = (err as { errors?: unknown }).errors;
  if (Array.isArray(nested)) {
    for (const e of nested) {
      const c = errorCode(e, depth + 1);
      if (c) return c;
    }
  }
  return errorCode((err as { cause?: unknown }).cause, depth + 1);
}
