import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ClientDeps } from '../../src/core/system.js';
import { TargetError } from '../../src/core/target-error.js';
import { chatSafe, createHttpJsonClient, endpointErrorStyle, tryParseJson } from '../shared/http-json-client.js';
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
  /** The configured wait between the two `/metrics` scrapes of the write check, ms (`writeWindowMs`; 0: one scrape). */
  readonly writeWindowMs: number;
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
/** Default wait between the write check's two scrapes when the config was built without the schema, ms. */
const DEFAULT_WRITE_WINDOW_MS = 5000;

interface Call<T> {
  /** API path with its query string, already encoded. */
  readonly path: string;
  /** Zod schema of a JSON answer; absent: the raw text is returned. */
  readonly schema?: z.ZodType<T>;
  /** Non-2xx statuses whose body is an answer of this schema (`/health` and `/ready` answer 503 with JSON). */
  readonly answerStatuses?: readonly number[];
}

/**
 * Builds a client for one KyroDB instance. One keep-alive `Agent` per client; each request gets the configured
 * timeout (connect, headers, body and overall) combined with the caller's signal.
 */
export function createKyroClient(config: KyroInstanceConfig, deps: KyroClientDeps): KyroClient {
  // The schema defaults timeoutMs to 5000, so deps.timeoutMs only applies to configs built without the schema.
  const timeoutMs = config.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Credentials in the URL (a proxy in front of KyroDB) become a Basic header and never appear in messages. The API
  // key then goes in x-api-key only, which KyroDB checks before `authorization`.
  const http = createHttpJsonClient({
    baseUrl: config.url,
    timeoutMs,
    dispatcher: deps.dispatcher,
    // The one place the key is revealed: the header sent to the KyroDB it belongs to.
    headers: (): Record<string, string> => (config.apiKey ? { 'x-api-key': config.apiKey.reveal() } : {}),
    errors: endpointErrorStyle('KyroDB'),
  });

  async function send<T>(call: Call<T>, options: CallOptions | undefined): Promise<{ value: T; status: number }> {
    const endpoint = `GET ${call.path}`;
    const res = await http.send({
      method: 'GET',
      path: call.path,
      endpoint,
      accept: call.schema ? 'application/json' : 'text/plain',
      signal: options?.signal,
    });
    const { status, text } = res;
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
    if (/html/i.test(res.contentType)) {
      throw new TargetError('bad-response', `${endpoint} returned HTML instead of text (HTTP ${status})`, { status });
    }
    return { value: text as T, status };
  }

  // Every method is async, so argument checks reject like any other failure instead of throwing synchronously.
  return {
    origin: http.origin,
    writeWindowMs: config.writeWindowMs ?? DEFAULT_WRITE_WINDOW_MS,
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
    close: () => http.close(),
  };
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
