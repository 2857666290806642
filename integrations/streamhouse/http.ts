import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { TargetError } from '../../src/core/target-error.js';

/**
 * The HTTP plumbing shared by the Streamhouse, schema-registry and Prometheus calls: one request with a timeout
 * combined with the caller's signal, the body read with a size cap, and every failure turned into a
 * {@link TargetError} whose message names the endpoint and the reason — never a URL with credentials, a key or a
 * stack trace.
 */

/** Largest response body read, bytes; a bigger one is a `bad-response` (protects the worker's memory). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Longest piece of the server's own error text repeated in a message. */
const MAX_ERROR_TEXT = 200;

/** A service the bot calls over HTTP: base URL, who it is in messages, how to read its error bodies. */
export interface HttpServiceOptions {
  /** Name in messages: `Streamhouse`, `the schema registry`, `Prometheus`. */
  readonly service: string;
  /** Base URL; its path is kept as a prefix, its credentials (if any) become a Basic header. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly dispatcher: Dispatcher;
  /** Headers sent on every request (auth, organization). Called per request. */
  readonly headers?: () => Record<string, string>;
  /** Reads the service's error body; undefined when it is not in the service's format. */
  readonly readError?: (text: string) => { readonly reason: string; readonly code?: string } | undefined;
}

/** One request. `path` is already encoded and may carry a query string. */
export interface HttpCall {
  readonly path: string;
  readonly accept: string;
  /** Statuses returned to the caller instead of thrown (e.g. 503 of `/ready`, 404 of an optional config). */
  readonly passStatus?: readonly number[];
  readonly signal?: AbortSignal;
}

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

export interface HttpService {
  /** `GET` the path; non-2xx answers not in `passStatus` throw. */
  get(call: HttpCall): Promise<HttpAnswer>;
  /** `GET` and parse a JSON answer with `schema`. */
  getJson<T>(path: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T>;
}

/** Why our own abort controller fired. */
class AbortReason {
  constructor(readonly kind: 'timeout' | 'cancelled') {}
}

export function createHttpService(o: HttpServiceOptions): HttpService {
  const base = new URL(o.baseUrl);
  const origin = `${base.protocol}//${base.host}`;
  const basePath = base.pathname.replace(/\/+$/, '');
  const basicAuth =
    base.username || base.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
      : undefined;

  async function get(call: HttpCall): Promise<HttpAnswer> {
    const endpoint = `GET ${basePath}${call.path.split('?')[0]}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new AbortReason('timeout')), o.timeoutMs);
    const onCallerAbort = (): void => controller.abort(new AbortReason('cancelled'));
    if (call.signal?.aborted) onCallerAbort();
    else call.signal?.addEventListener('abort', onCallerAbort, { once: true });

    const headers: Record<string, string> = { accept: call.accept, ...(o.headers?.() ?? {}) };
    if (basicAuth) headers.authorization = basicAuth;
    try {
      let status: number;
      let contentType: string;
      let text: string;
      try {
        if (controller.signal.aborted) throw controller.signal.reason;
        const res = await request(`${origin}${basePath}${call.path}`, {
          method: 'GET',
          headers,
          dispatcher: o.dispatcher,
          signal: controller.signal,
          headersTimeout: o.timeoutMs,
          bodyTimeout: o.timeoutMs,
        });
        status = res.statusCode;
        contentType = headerValue(res.headers['content-type']) ?? '';
        text = await readBody(res.body, endpoint);
      } catch (err) {
        throw networkError(err, endpoint, base.host, o.service, o.timeoutMs, controller.signal);
      }
      if ((status < 200 || status > 299) && !call.passStatus?.includes(status)) {
        throw httpError(status, text, endpoint, o);
      }
      return { status, contentType, text };
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    get,
    async getJson<T>(path: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
      const answer = await get({ path, accept: 'application/json', signal });
      return parseJson(schema, answer.text, `GET ${basePath}${path.split('?')[0]}`, answer.status, o.service);
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

/** Parses `text` as JSON with `schema`; a `bad-response` naming the first issues otherwise. */
export function parseJson<T>(schema: z.ZodType<T>, text: string, endpoint: string, status: number, service: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TargetError('bad-response', `${endpoint}: ${service} returned invalid JSON (HTTP ${status})`, { status });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new TargetError('bad-response', `${endpoint}: ${service} returned an unexpected shape (${issues})`, {
      status,
    });
  }
  return parsed.data;
}

function httpError(status: number, text: string, endpoint: string, o: HttpServiceOptions): TargetError {
  const known = o.readError?.(text);
  const code = known?.code;
  const reason = known ? chatSafe(known.reason) : undefined;
  const detail = known ? `HTTP ${status}${code ? ` ${code}` : ''}: ${reason}` : `HTTP ${status}`;
  if (status === 401) {
    return new TargetError('unauthorized', `${endpoint}: ${o.service} rejected the bot's credentials (${detail})`, {
      status,
      code,
    });
  }
  if (status === 403) {
    return new TargetError('forbidden', `${endpoint}: ${o.service} refused this call for the bot's key (${detail})`, {
      status,
      code,
    });
  }
  if (status === 429) {
    return new TargetError('rate-limited', `${endpoint}: ${o.service} is rate-limiting the bot (${detail})`, {
      status,
      code,
    });
  }
  return new TargetError('api-error', `${endpoint}: ${o.service} answered ${detail}`, { status, code });
}

/** One line of the server's text, without control characters, bounded. */
export function chatSafe(text: string): string {
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
  service: string,
  timeoutMs: number,
  signal: AbortSignal,
): TargetError {
  if (err instanceof TargetError) return err;
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof AbortReason) {
    return reason.kind === 'timeout'
      ? new TargetError('timeout', `${endpoint} timed out after ${timeoutMs} ms (${host})`)
      : new TargetError('timeout', `${endpoint} was cancelled before ${service} answered`);
  }
  const code = errorCode(err);
  const detail = (text: string): string => `${endpoint} failed: ${text} (${host})`;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new TargetError('timeout', `${endpoint} timed out after ${timeoutMs} ms (${host})`, { cause: err });
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
      return new TargetError('unreachable', `${endpoint} not sent: the ${service} client was closed`, { cause: err });
    default:
      if (code && /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code)) {
        return new TargetError('unreachable', detail(`TLS handshake failed (${code})`), { cause: err });
      }
      return new TargetError('unreachable', detail(code ? `network error ${code}` : 'network error'), { cause: err });
  }
}

/** The first safe-looking error code on the error, its cause, or (AggregateError) its sub-errors. */
export function errorCode(err: unknown, depth = 0): string | undefined {
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
