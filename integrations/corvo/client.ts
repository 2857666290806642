import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ClientDeps } from '../../src/core/system.js';
import { TargetError } from '../../src/core/target-error.js';
import {
  chatSafe,
  createHttpJsonClient,
  endpointErrorStyle,
  headerValue,
  parseJson,
  parseRetryAfter,
} from '../shared/http-json-client.js';
import { encodePathSegment } from '../shared/path-segment.js';
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

/**
 * Builds a client for one Corvo instance. One keep-alive `Agent` per client; each request gets the configured
 * timeout (connect, headers, body and overall) combined with the caller's signal.
 */
export function createCorvoClient(config: CorvoInstanceConfig, deps: CorvoClientDeps): CorvoClient {
  // The schema defaults timeoutMs to 5000, so deps.timeoutMs only applies to configs built without the schema.
  const timeoutMs = config.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Credentials in the URL (a proxy in front of Corvo) become a Basic header and never appear in messages.
  const http = createHttpJsonClient({
    baseUrl: config.url,
    timeoutMs,
    dispatcher: deps.dispatcher,
    // The one place the key is revealed: the header sent to the Corvo it belongs to.
    headers: (): Record<string, string> => (config.apiKey ? { 'x-api-key': config.apiKey.reveal() } : {}),
    errors: endpointErrorStyle('Corvo'),
  });

  async function send<T>(call: Call<T>, options: CallOptions | undefined): Promise<T> {
    const endpoint = `${call.method} ${call.path}`;
    const res = await http.send({
      method: call.method,
      path: call.path,
      endpoint,
      accept: call.schema ? 'application/json' : 'text/plain',
      json: call.body,
      signal: options?.signal,
    });
    const { status } = res;
    if (status < 200 || status > 299) throw httpError(status, res.headers, res.text, endpoint, config, deps);
    if (!call.schema) {
      if (/html/i.test(res.contentType)) {
        throw new TargetError('bad-response', `${endpoint} returned HTML instead of text (HTTP ${status})`, {
          status,
        });
      }
      return res.text as T;
    }
    return parseJson(call.schema, res.text, { subject: endpoint, status });
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
    close: () => http.close(),
  };
}

/** One URL-encoded path segment; an empty one or a dot segment would silently hit another route. */
const segment = encodePathSegment;

function integer(value: number, what: string, endpoint: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new TargetError('api-error', `${endpoint} not sent: ${what} must be an integer (got ${String(value)})`, {
      code: 'VALIDATION_ERROR',
    });
  }
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
    const retryAfterMs =
      envelope?.retry_after_ms ?? parseRetryAfter(headerValue(headers['retry-after']), deps.clock.now());
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
