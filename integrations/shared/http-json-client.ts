import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { TargetError } from '../../src/core/target-error.js';
import { assertNoDotSegments } from './path-segment.js';

/**
 * The HTTP plumbing every target integration shares: one keep-alive undici `Agent` per client, a per-request timeout
 * combined with the caller's signal, the body always consumed (with a size cap), and every network failure turned
 * into a chat-safe {@link TargetError}. What differs per product (auth headers, error envelopes, the wording of
 * HTTP errors) stays in the integration: this module takes the product's name and message style as parameters.
 */

/** Largest response body read, bytes; a bigger one is a `bad-response` (protects the worker's memory). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Default longest piece of a server's own error text repeated in a message. */
export const MAX_ERROR_TEXT = 200;

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call (job timeout, worker shutdown); combined with the client's own per-request timeout. */
  readonly signal?: AbortSignal;
}

/** What a failure message may name: the endpoint label, the host (never credentials) and the timeout. */
export interface FailureContext {
  /** `GET /healthz`, `POST /api/v1/queues/{name}/pause`… */
  readonly endpoint: string;
  /** `host:port` of the base URL, without credentials. */
  readonly host: string;
  readonly timeoutMs: number;
}

/** How a client words the failures that happen before an HTTP answer is read. */
export interface NetworkErrorStyle {
  /** The client's own per-request timer fired. */
  readonly timedOut: (c: FailureContext) => string;
  /** The caller's signal aborted the call. */
  readonly cancelled: (c: FailureContext) => string;
  /** Anything undici threw (refused, reset, DNS, its own timeouts…). */
  readonly socket: (err: unknown, c: FailureContext) => TargetError;
}

/**
 * The style of the Corvo, KyroDB and Streamhouse clients: `<endpoint> timed out after N ms`,
 * `<endpoint> was cancelled before <service> answered`, `<endpoint> failed: connection refused (<host>)`,
 * `<endpoint> not sent: the <service> client was closed`. `hostInTimeout` appends ` (<host>)` to timeouts.
 */
export function endpointErrorStyle(service: string, o: { readonly hostInTimeout?: boolean } = {}): NetworkErrorStyle {
  const timedOut = (c: FailureContext): string =>
    `${c.endpoint} timed out after ${c.timeoutMs} ms${o.hostInTimeout ? ` (${c.host})` : ''}`;
  return {
    timedOut,
    cancelled: (c) => `${c.endpoint} was cancelled before ${service} answered`,
    socket: (err, c) =>
      describeSocketError(err, `${c.endpoint} failed`, c.host, c.timeoutMs, {
        timeout: () => timedOut(c),
        connectTimeout: () => `${c.endpoint} timed out connecting to ${c.host} after ${c.timeoutMs} ms`,
        closed: () => `${c.endpoint} not sent: the ${service} client was closed`,
      }),
  };
}

/** Overrides of {@link describeSocketError}'s timeout and closed-client sentences. */
export interface SocketErrorTexts {
  /** Undici's headers/body timeout (and a driver's `TIMEOUT`). Default `<what>: timed out after N ms (<host>)`. */
  readonly timeout?: () => string;
  /** Connect timeout, `ETIMEDOUT`. Default as `timeout`. */
  readonly connectTimeout?: () => string;
  /** The client was closed before the call. Default `<what>: the client was closed`. */
  readonly closed?: () => string;
  /** Overrides the reason of an `unreachable` code (`host unreachable`…); undefined keeps the default. */
  readonly reason?: (code: string | undefined) => string | undefined;
  /** What an error code must look like (default {@link errorCode}'s). */
  readonly codePattern?: RegExp;
}

/** A TLS failure code of Node or OpenSSL (`ERR_TLS_CERT_ALTNAME_INVALID`, `CERT_HAS_EXPIRED`…). */
export function isTlsErrorCode(code: string | undefined): boolean {
  return code !== undefined && /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code);
}

/**
 * A socket-level failure (connection refused, reset, DNS, timeout, TLS) as a TargetError whose message is
 * `"<what>: <reason> (<host>)"`. Knows undici's codes, Node's, and the aliases of the NATS and Valkey drivers.
 */
export function describeSocketError(
  err: unknown,
  what: string,
  host: string,
  timeoutMs: number,
  texts: SocketErrorTexts = {},
): TargetError {
  const code = errorCode(err, texts.codePattern);
  const detail = (text: string): string => `${what}: ${text} (${host})`;
  const unreachable = (text: string): TargetError =>
    new TargetError('unreachable', detail(texts.reason?.(code) ?? text), { cause: err });
  const timeout = texts.timeout ?? ((): string => detail(`timed out after ${timeoutMs} ms`));
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'TIMEOUT':
      return new TargetError('timeout', timeout(), { cause: err });
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
    case 'CONNECTION_TIMEOUT':
      return new TargetError('timeout', (texts.connectTimeout ?? timeout)(), { cause: err });
    case 'ECONNREFUSED':
    case 'CONNECTION_REFUSED':
      return unreachable('connection refused');
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'DISCONNECT':
    case 'CONNECTION_CLOSED':
      return unreachable('connection reset by the server');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return unreachable('DNS lookup failed');
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
      return unreachable('host unreachable');
    case 'ENETUNREACH':
      return unreachable('network unreachable');
    case 'UND_ERR_DESTROYED':
    case 'UND_ERR_CLOSED':
      return new TargetError('unreachable', texts.closed?.() ?? `${what}: the client was closed`, { cause: err });
    default:
      if (isTlsErrorCode(code)) {
        return unreachable(`TLS handshake failed (${code})`);
      }
      return unreachable(code ? `network error ${code}` : 'network error');
  }
}

/** What {@link createHttpJsonClient} needs. */
export interface HttpJsonClientOptions {
  /** Base URL; its path is kept as a prefix, its credentials (if any) become a Basic header. */
  readonly baseUrl: string;
  /** Per-request timeout (connect, headers, body and overall), ms. */
  readonly timeoutMs: number;
  /** Injected dispatcher (tests, proxies, one agent shared by several clients), left open by `close`. */
  readonly dispatcher?: Dispatcher;
  /** Headers sent on every request not marked `anonymous` (the API key). Called per request. */
  readonly headers?: () => Record<string, string>;
  /** How failures before an answer are worded. */
  readonly errors: NetworkErrorStyle;
}

/** One HTTP exchange. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /**
   * Path below the base URL, segments already encoded (`encodePathSegment`); may carry a query string. A path with a
   * `.` or `..` segment is refused before anything is sent.
   */
  readonly path: string;
  /** Label for messages (`GET /api/v1/jobs/{id}`). */
  readonly endpoint: string;
  readonly accept: string;
  /** JSON body, sent with `content-type: application/json`. */
  readonly json?: unknown;
  /** Skip the client's `headers` (the API key) for an endpoint that needs none. */
  readonly anonymous?: boolean;
  readonly signal?: AbortSignal;
}

/** Any answer, 2xx or not: the caller decides which statuses are errors. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** First `content-type` value, `''` when absent. */
  readonly contentType: string;
  readonly text: string;
}

export interface HttpJsonClient {
  /** `scheme://host:port` of the base URL, without credentials. */
  readonly origin: string;
  /** `host:port`, for messages. */
  readonly host: string;
  /** The base URL's path, without a trailing slash. */
  readonly basePath: string;
  /** Sends one request and reads its whole body; throws only {@link TargetError} (network, timeout, oversize). */
  send(req: HttpRequest): Promise<HttpResponse>;
  /** Destroys the client's own keep-alive agent (not an injected dispatcher). Calls after this fail. */
  close(): Promise<void>;
}

/** Why our own abort controller fired. */
class AbortReason {
  constructor(readonly kind: 'timeout' | 'cancelled') {}
}

/** A keep-alive agent whose connect, headers and body timeouts are `timeoutMs`. */
export function createKeepAliveAgent(timeoutMs: number): Agent {
  return new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
}

/** Credentials in a URL (a proxy in front of the target) as a Basic header; they never appear in messages. */
export function basicAuthHeader(url: URL): string | undefined {
  if (!url.username && !url.password) return undefined;
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

/**
 * Links a per-request timer and the caller's signal into one controller whose `signal.reason` tells which fired.
 * `dispose` clears the timer and the listener.
 */
export function linkAbort(
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): { readonly controller: AbortController; readonly dispose: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new AbortReason('timeout')), timeoutMs);
  const onCallerAbort = (): void => controller.abort(new AbortReason('cancelled'));
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    controller,
    dispose: () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}

/** Turns what undici (or our abort) threw into a TargetError worded by `style`. */
export function networkError(
  err: unknown,
  c: FailureContext,
  signal: AbortSignal,
  style: NetworkErrorStyle,
): TargetError {
  if (err instanceof TargetError) return err;
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof AbortReason) {
    return new TargetError('timeout', reason.kind === 'timeout' ? style.timedOut(c) : style.cancelled(c));
  }
  return style.socket(err, c);
}

/** Builds a client for one HTTP base URL. */
export function createHttpJsonClient(o: HttpJsonClientOptions): HttpJsonClient {
  const base = new URL(o.baseUrl);
  const origin = `${base.protocol}//${base.host}`;
  const basePath = base.pathname.replace(/\/+$/, '');
  const basicAuth = basicAuthHeader(base);
  const ownAgent = o.dispatcher ? undefined : createKeepAliveAgent(o.timeoutMs);
  const dispatcher: Dispatcher = o.dispatcher ?? (ownAgent as Agent);

  async function send(req: HttpRequest): Promise<HttpResponse> {
    const { controller, dispose } = linkAbort(o.timeoutMs, req.signal);
    const headers: Record<string, string> = { accept: req.accept, ...(req.anonymous ? {} : (o.headers?.() ?? {})) };
    if (basicAuth) headers.authorization = basicAuth;
    let payload: string | undefined;
    if (req.json !== undefined) {
      payload = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    try {
      assertNoDotSegments(req.path, req.endpoint);
      if (controller.signal.aborted) throw controller.signal.reason;
      const res = await request(`${origin}${basePath}${req.path}`, {
        method: req.method,
        headers,
        body: payload,
        dispatcher,
        signal: controller.signal,
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
      });
      const text = await readBody(res.body, req.endpoint);
      return {
        status: res.statusCode,
        headers: res.headers,
        contentType: headerValue(res.headers['content-type']) ?? '',
        text,
      };
    } catch (err) {
      throw networkError(
        err,
        { endpoint: req.endpoint, host: base.host, timeoutMs: o.timeoutMs },
        controller.signal,
        o.errors,
      );
    } finally {
      dispose();
    }
  }

  return {
    origin,
    host: base.host,
    basePath,
    send,
    close: async () => {
      if (ownAgent && !ownAgent.destroyed) await ownAgent.destroy();
    },
  };
}

/** Reads the whole body (always consumed, as undici requires), up to `maxBytes`; more is a `bad-response`. */
export async function readBody(
  body: Dispatcher.ResponseData['body'],
  endpoint: string,
  maxBytes = MAX_BODY_BYTES,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > maxBytes) {
      body.destroy();
      throw new TargetError('bad-response', `${endpoint} answered more than ${maxBytes / 1024 / 1024} MiB`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `text` parsed as JSON and checked with `schema`, or what is wrong with it (`invalid JSON`, `an unexpected shape (…)`). */
export function tryParseJson<T>(
  schema: z.ZodType<T>,
  text: string,
): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string; readonly json: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'invalid JSON', json: false };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, problem: `an unexpected shape (${issues})`, json: true };
}

/**
 * Parses a JSON answer with `schema`, or throws a `bad-response`: `<subject> returned invalid JSON (HTTP <status>)<hint>`
 * or `<subject> returned an unexpected shape (<first issues>)`. `subject` is the endpoint, optionally with the
 * service (`GET /health: Streamhouse`).
 */
export function parseJson<T>(
  schema: z.ZodType<T>,
  text: string,
  o: { readonly subject: string; readonly status: number; readonly invalidJsonHint?: string },
): T {
  const parsed = tryParseJson(schema, text);
  if (parsed.ok) return parsed.value;
  const suffix = parsed.json ? '' : ` (HTTP ${o.status})${o.invalidJsonHint ?? ''}`;
  throw new TargetError('bad-response', `${o.subject} returned ${parsed.problem}${suffix}`, { status: o.status });
}

/** `Retry-After` as seconds (`0.006`, `1`) or an HTTP date, in ms from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** One line of a server's text, without control characters, bounded: safe to repeat in chat. */
export function chatSafe(text: string, max = MAX_ERROR_TEXT): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** The first value of a response header. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The first safe-looking error code on the error, its cause, or (AggregateError) its sub-errors. `pattern` is what
 * a code must look like (default upper-case letters, digits and `_`).
 */
export function errorCode(err: unknown, pattern = /^[A-Z0-9_]+$/, depth = 0): string | undefined {
  if (depth > 3 || typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && pattern.test(code)) return code;
  const nested = (err as { errors?: unknown }).errors;
  if (Array.isArray(nested)) {
    for (const e of nested) {
      const c = errorCode(e, pattern, depth + 1);
      if (c) return c;
    }
  }
  return errorCode((err as { cause?: unknown }).cause, pattern, depth + 1);
}
