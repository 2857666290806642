import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ClientDeps } from '../../src/core/system.js';
import { TargetError } from '../../src/core/target-error.js';
import type { CorvoInstanceConfig } from './config.js';
import {
  ClusterStatusSchema,
  ErrorEnvelopeSchema,
  HealthzSchema,
  JobSchema,
  QueueInfoSchema,
  RebuildSqliteResultSchema,
  RuntimeSchema,
  SearchResultSchema,
  StatusResultSchema,
  WorkerInfoSchema,
  type ClusterStatus,
  type ErrorEnvelope,
  type Healthz,
  type Job,
  type QueueInfo,
  type RebuildSqliteResult,
  type Runtime,
  type SearchFilter,
  type SearchResult,
  type StatusResult,
  type WorkerInfo,
} from './schemas.js';

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call (job timeout, worker shutdown); combined with the client's own per-request timeout. */
  readonly signal?: AbortSignal;
}

/** What building a Corvo client may use, beyond {@link ClientDeps}. */
export interface CorvoClientDeps extends ClientDeps {
  /**
   * HTTP dispatcher to send requests through (tests, proxies). Default: one keep-alive `Agent` owned by the client
   * and destroyed by {@link CorvoClient.close}; an injected dispatcher is left open.
   */
  readonly dispatcher?: Dispatcher;
}

/**
 * Typed client of one Corvo node's HTTP API (`reference/targets.md` §1). Every method throws only
 * {@link TargetError}, whose message names the endpoint and the reason and is safe to show in chat.
 */
export interface CorvoClient {
  /** `GET /healthz` (no auth). A 503 `{"code":"UNHEALTHY"}` (database ping failed) is an `api-error`. */
  healthz(o?: CallOptions): Promise<Healthz>;
  /** `GET /api/v1/cluster/status`: single raft object, or `{"mode":"multi-raft",…}` with `--raft-shards>1`. */
  clusterStatus(o?: CallOptions): Promise<ClusterStatus>;
  /** `GET /api/v1/debug/runtime`. */
  runtime(o?: CallOptions): Promise<Runtime>;
  /** `GET /api/v1/metrics`: the raw Prometheus text (parsed elsewhere; it can be invalid in multi-raft mode). */
  metricsText(o?: CallOptions): Promise<string>;
  /** `GET /api/v1/queues`. */
  queues(o?: CallOptions): Promise<QueueInfo[]>;
  /** `GET /api/v1/workers`. */
  workers(o?: CallOptions): Promise<WorkerInfo[]>;
  /** `POST /api/v1/jobs/search` (a read, despite the POST). Rows carry no `lease_expires_at`. */
  searchJobs(filter: SearchFilter, o?: CallOptions): Promise<SearchResult>;
  /** `GET /api/v1/jobs/{id}`: the full job, with `lease_expires_at`. */
  getJob(id: string, o?: CallOptions): Promise<Job>;
  /** `POST /api/v1/admin/rebuild-sqlite`. Rebuilds only the **leader's** SQLite mirror (followers proxy it). */
  rebuildSqlite(o?: CallOptions): Promise<RebuildSqliteResult>;
  /** `POST /api/v1/queues/{name}/pause` → `{"status":"paused"}`. */
  pauseQueue(name: string, o?: CallOptions): Promise<StatusResult>;
  /** `POST /api/v1/queues/{name}/resume` → `{"status":"resumed"}`. */
  resumeQueue(name: string, o?: CallOptions): Promise<StatusResult>;
  /** `POST /api/v1/queues/{name}/concurrency` with `{"max":max}`. `max <= 0` removes the limit (as `null` does). */
  setConcurrency(name: string, max: number, o?: CallOptions): Promise<StatusResult>;
  /** `POST /api/v1/queues/{name}/throttle` with `{"rate","window_ms"}`; Corvo rejects non-positive values. */
  setThrottle(name: string, rate: number, windowMs: number, o?: CallOptions): Promise<StatusResult>;
  /** `DELETE /api/v1/queues/{name}/throttle`. */
  removeThrottle(name: string, o?: CallOptions): Promise<StatusResult>;
  /** `POST /api/v1/queues/{name}/clear`: deletes the queue's pending and scheduled jobs. */
  clearQueue(name: string, o?: CallOptions): Promise<StatusResult>;
  /** `POST /api/v1/jobs/{id}/retry`: only from dead/cancelled/completed/scheduled (400 `RETRY_ERROR` otherwise). */
  retryJob(id: string, o?: CallOptions): Promise<StatusResult>;
  /** `POST /api/v1/jobs/{id}/cancel` → `cancelled`, or `cancelling` for an active job. */
  cancelJob(id: string, o?: CallOptions): Promise<StatusResult>;
  /** Destroys the client's own keep-alive agent (not an injected dispatcher). Calls after this fail. */
  close(): Promise<void>;
}

/** Default per-request timeout when neither the config nor the deps give one, ms. */
const DEFAULT_TIMEOUT_MS = 5000;
/** Largest response body read, bytes; a bigger one is a `bad-response` (protects the worker's memory). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Longest piece of Corvo's own error text repeated in a message. */
const MAX_ERROR_TEXT = 200;

interface Call<T> {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** API path, segments already encoded. */
  readonly path: string;
  readonly body?: unknown;
  /** Zod schema of a JSON answer; absent: the raw text is returned. */
  readonly schema?: z.ZodType<T>;
}

/** Lists that may come back as `null` (a nil Go slice) are read as empty. */
const QueueListSchema = QueueInfoSchema.array()
  .nullable()
  .transform((v) => v ?? []);
const WorkerListSchema = WorkerInfoSchema.array()
  .nullable()
  .transform((v) => v ?? []);

/** Why our own abort controller fired. */
class AbortReason {
  constructor(readonly kind: 'timeout' | 'cancelled') {}
}

/**
 * Builds a client for one Corvo instance. One keep-alive `Agent` per client; each request gets the configured
 * timeout (connect, headers, body and overall) combined with the caller's signal.
 */
export function createCorvoClient(config: CorvoInstanceConfig, deps: CorvoClientDeps): CorvoClient {
  // The schema defaults timeoutMs to 5000, so deps.timeoutMs only applies to configs built without the schema.
  const timeoutMs = config.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const base = new URL(config.url);
  const origin = `${base.protocol}//${base.host}`;
  const basePath = base.pathname.replace(/\/+$/, '');
  // Credentials in the URL (a proxy in front of Corvo) become a Basic header and never appear in messages.
  const basicAuth =
    base.username || base.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
      : undefined;
  const ownAgent = deps.dispatcher
    ? undefined
    : new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const dispatcher: Dispatcher = deps.dispatcher ?? (ownAgent as Agent);

  async function send<T>(call: Call<T>, options: CallOptions | undefined): Promise<T> {
    const endpoint = `${call.method} ${call.path}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new AbortReason('timeout')), timeoutMs);
    const callerSignal = options?.signal;
    const onCallerAbort = (): void => controller.abort(new AbortReason('cancelled'));
    if (callerSignal?.aborted) onCallerAbort();
    else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

    const headers: Record<string, string> = { accept: call.schema ? 'application/json' : 'text/plain' };
    // The one place the key is revealed: the header sent to the Corvo it belongs to.
    if (config.apiKey) headers['x-api-key'] = config.apiKey.reveal();
    if (basicAuth) headers.authorization = basicAuth;
    let payload: string | undefined;
    if (call.body !== undefined) {
      payload = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }

    try {
      let status: number;
      let responseHeaders: Record<string, string | string[] | undefined>;
      let text: string;
      try {
        if (controller.signal.aborted) throw controller.signal.reason;
        const res = await request(`${origin}${basePath}${call.path}`, {
          method: call.method,
          headers,
          body: payload,
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
      if (status < 200 || status > 299) throw httpError(status, responseHeaders, text, endpoint, config, deps);
      if (!call.schema) {
        const contentType = headerValue(responseHeaders['content-type']) ?? '';
        if (/html/i.test(contentType)) {
          throw new TargetError('bad-response', `${endpoint} returned HTML instead of text (HTTP ${status})`, {
            status,
          });
        }
        return text as T;
      }
      return parseJson(call.schema, text, endpoint, status);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  const get = <T>(path: string, schema: z.ZodType<T>, o?: CallOptions): Promise<T> =>
    send({ method: 'GET', path, schema }, o);
  const post = <T>(path: string, schema: z.ZodType<T>, body: unknown, o?: CallOptions): Promise<T> =>
    send({ method: 'POST', path, schema, body }, o);

  const queuePath = (name: string, action: string, method: string): string =>
    `/api/v1/queues/${segment(name, 'queue name', `${method} /api/v1/queues/{name}/${action}`)}/${action}`;
  const jobPath = (id: string, action: string, method: string): string =>
    `/api/v1/jobs/${segment(id, 'job id', `${method} /api/v1/jobs/{id}${action ? `/${action}` : ''}`)}${action ? `/${action}` : ''}`;

  // Every method is async, so argument checks reject like any other failure instead of throwing synchronously.
  return {
    healthz: async (o) => get('/healthz', HealthzSchema, o),
    clusterStatus: async (o) => get('/api/v1/cluster/status', ClusterStatusSchema, o),
    runtime: async (o) => get('/api/v1/debug/runtime', RuntimeSchema, o),
    metricsText: async (o) => send<string>({ method: 'GET', path: '/api/v1/metrics' }, o),
    queues: async (o) => get('/api/v1/queues', QueueListSchema, o),
    workers: async (o) => get('/api/v1/workers', WorkerListSchema, o),
    searchJobs: async (filter, o) => post('/api/v1/jobs/search', SearchResultSchema, filter, o),
    getJob: async (id, o) => get(jobPath(id, '', 'GET'), JobSchema, o),
    rebuildSqlite: async (o) => post('/api/v1/admin/rebuild-sqlite', RebuildSqliteResultSchema, undefined, o),
    pauseQueue: async (name, o) => post(queuePath(name, 'pause', 'POST'), StatusResultSchema, undefined, o),
    resumeQueue: async (name, o) => post(queuePath(name, 'resume', 'POST'), StatusResultSchema, undefined, o),
    setConcurrency: async (name, max, o) => {
      const path = queuePath(name, 'concurrency', 'POST');
      // NaN would serialize as null, which Corvo reads as 0 = "remove the limit": refuse instead of guessing.
      integer(max, 'max', `POST ${path}`);
      return post(path, StatusResultSchema, { max }, o);
    },
    setThrottle: async (name, rate, windowMs, o) => {
      const path = queuePath(name, 'throttle', 'POST');
      integer(rate, 'rate', `POST ${path}`);
      integer(windowMs, 'window_ms', `POST ${path}`);
      return post(path, StatusResultSchema, { rate, window_ms: windowMs }, o);
    },
    removeThrottle: async (name, o) =>
      send({ method: 'DELETE', path: queuePath(name, 'throttle', 'DELETE'), schema: StatusResultSchema }, o),
    clearQueue: async (name, o) => post(queuePath(name, 'clear', 'POST'), StatusResultSchema, undefined, o),
    retryJob: async (id, o) => post(jobPath(id, 'retry', 'POST'), StatusResultSchema, undefined, o),
    cancelJob: async (id, o) => post(jobPath(id, 'cancel', 'POST'), StatusResultSchema, undefined, o),
    close: async () => {
      if (ownAgent && !ownAgent.destroyed) await ownAgent.destroy();
    },
  };
}

/** One URL-encoded path segment; an empty one would silently hit another route. */
function segment(value: string, what: string, endpoint: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TargetError('api-error', `${endpoint} not sent: the ${what} is empty`, { code: 'VALIDATION_ERROR' });
  }
  return encodeURIComponent(value);
}

function integer(value: number, what: string, endpoint: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new TargetError('api-error', `${endpoint} not sent: ${what} must be an integer (got ${String(value)})`, {
      code: 'VALIDATION_ERROR',
    });
  }
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

function parseJson<T>(schema: z.ZodType<T>, text: string, endpoint: string, status: number): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TargetError('bad-response', `${endpoint} returned invalid JSON (HTTP ${status})`, { status });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new TargetError('bad-response', `${endpoint} returned an unexpected shape (${issues})`, { status });
  }
  return parsed.data;
}

/** A non-2xx answer, read through Corvo's `{error, code, retry_after_ms}` envelope. */
function httpError(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
  endpoint: string,
  config: CorvoInstanceConfig,
  deps: ClientDeps,
): TargetError {
  const envelope = parseEnvelope(text);
  const code = envelope?.code;
  const reason = envelope ? chatSafe(envelope.error) : undefined;
  const detail = envelope ? `${status} ${code}: ${reason}` : `HTTP ${status}, no Corvo error envelope`;

  if (status === 401) {
    const why = envelope ? `401 ${reason}` : 'HTTP 401';
    const message = config.apiKey
      ? `${endpoint}: Corvo rejected the API key (${why})`
      : `${endpoint}: Corvo requires an API key and none is configured (${why})`;
    return new TargetError('unauthorized', message, { status, code });
  }
  if (status === 403) {
    return new TargetError('forbidden', `${endpoint}: Corvo refused this call for the API key's role (${detail})`, {
      status,
      code,
    });
  }
  if (status === 429) {
    const retryAfterMs = envelope?.retry_after_ms ?? parseRetryAfter(headerValue(headers['retry-after']), deps);
    const what =
      code === 'OVERLOADED'
        ? 'Corvo is overloaded'
        : code === 'RATE_LIMITED'
          ? 'Corvo is rate-limiting the bot'
          : 'Corvo asked the bot to slow down';
    const hint = retryAfterMs === undefined ? '' : `; retry after ${retryAfterMs} ms`;
    return new TargetError('rate-limited', `${endpoint}: ${what} (${detail})${hint}`, { status, code, retryAfterMs });
  }
  return new TargetError('api-error', `${endpoint}: Corvo answered ${detail}`, { status, code });
}

function parseEnvelope(text: string): ErrorEnvelope | undefined {
  try {
    const parsed = ErrorEnvelopeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` as seconds (Corvo prints `0.006` or `1`) or an HTTP date, in ms. */
function parseRetryAfter(value: string | undefined, deps: ClientDeps): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - deps.clock.now());
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
      : new TargetError('timeout', `${endpoint} was cancelled before Corvo answered`);
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
      return new TargetError('unreachable', `${endpoint} not sent: the Corvo client was closed`, { cause: err });
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
