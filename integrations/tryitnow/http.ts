import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { TargetError } from '../../src/core/target-error.js';

/** Per-call options of every Try It Now client. */
export interface CallOptions {
  /** Cancels the call (job timeout, worker shutdown); combined with the client's own per-request timeout. */
  readonly signal?: AbortSignal;
}

/** What an HTTP sender needs. */
export interface HttpSenderOptions {
  /** Base URL (`http://10.0.0.50:8080`); a path prefix is kept. */
  readonly baseUrl: string;
  /** Name used in messages ("Try It Now API", "Caddy admin API", "NATS monitoring"). */
  readonly system: string;
  readonly timeoutMs: number;
  /** Sent with every request (the API key header). */
  readonly headers?: () => Record<string, string>;
  /** Injected dispatcher (left open by `close`); default: an own keep-alive Agent. */
  readonly dispatcher?: Dispatcher;
}

/** One HTTP exchange. Every status is returned: the caller decides which are errors. */
export interface HttpCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path, segments already encoded. */
  readonly path: string;
  /** Path with placeholders, for messages (`DELETE /id/{id}`); default the path. */
  readonly label?: string;
  readonly accept?: string;
  /** Skip the sender's `headers` (the API key) for an endpoint that needs none. */
  readonly anonymous?: boolean;
}

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  readonly contentType: string;
  /** `GET /health` etc., for messages. */
  readonly endpoint: string;
}

export interface HttpSender {
  send(call: HttpCall, o?: CallOptions): Promise<HttpAnswer>;
  close(): Promise<void>;
}

/** Largest response body read, bytes; a bigger one is a `bad-response` (protects the worker's memory). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_ERROR_TEXT = 200;

class AbortReason {
  constructor(readonly kind: 'timeout' | 'cancelled') {}
}

/** A small undici wrapper: one keep-alive agent, timeout + caller signal, errors as chat-safe {@link TargetError}s. */
export function createHttpSender(o: HttpSenderOptions): HttpSender {
  const base = new URL(o.baseUrl);
  const origin = `${base.protocol}//${base.host}`;
  const basePath = base.pathname.replace(/\/+$/, '');
  const basicAuth =
    base.username || base.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
      : undefined;
  const ownAgent = o.dispatcher
    ? undefined
    : new Agent({ connect: { timeout: o.timeoutMs }, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs });
  const dispatcher: Dispatcher = o.dispatcher ?? (ownAgent as Agent);

  async function send(call: HttpCall, options?: CallOptions): Promise<HttpAnswer> {
    const endpoint = `${call.method} ${call.label ?? call.path}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new AbortReason('timeout')), o.timeoutMs);
    const callerSignal = options?.signal;
    const onCallerAbort = (): void => controller.abort(new AbortReason('cancelled'));
    if (callerSignal?.aborted) onCallerAbort();
    else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const headers: Record<string, string> = {
      accept: call.accept ?? 'application/json',
      ...(call.anonymous ? {} : (o.headers?.() ?? {})),
    };
    if (basicAuth) headers.authorization = basicAuth;
    try {
      if (controller.signal.aborted) throw controller.signal.reason;
      const res = await request(`${origin}${basePath}${call.path}`, {
        method: call.method,
        headers,
        dispatcher,
        signal: controller.signal,
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
      });
      const text = await readBody(res.body, endpoint);
      const ct = res.headers['content-type'];
      const contentType = (Array.isArray(ct) ? ct[0] : ct) ?? '';
      return { status: res.statusCode, text, contentType, endpoint };
    } catch (err) {
      throw networkError(err, endpoint, base.host, o.system, o.timeoutMs, controller.signal);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    send,
    close: async () => {
      if (ownAgent && !ownAgent.destroyed) await ownAgent.destroy();
    },
  };
}

/** Parses a JSON answer with `schema`; a bad one is a `bad-response` naming the first issues. */
export function parseJsonAnswer<T>(schema: z.ZodType<T>, answer: HttpAnswer): T {
  let value: unknown;
  try {
    value = JSON.parse(answer.text);
  } catch {
    const html = /html/i.test(answer.contentType) ? ' (an HTML page: a proxy or the wrong port?)' : '';
    throw new TargetError('bad-response', `${answer.endpoint} returned invalid JSON (HTTP ${answer.status})${html}`, {
      status: answer.status,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new TargetError('bad-response', `${answer.endpoint} returned an unexpected shape (${issues})`, {
      status: answer.status,
    });
  }
  return parsed.data;
}

/** One line of a server's text, without control characters, bounded: safe to repeat in chat. */
export function chatSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > MAX_ERROR_TEXT ? `${line.slice(0, MAX_ERROR_TEXT)}…` : line;
}

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

/** Turns what undici (or our abort) threw into a TargetError with only safe facts in the message. */
function networkError(
  err: unknown,
  endpoint: string,
  host: string,
  system: string,
  timeoutMs: number,
  signal: AbortSignal,
): TargetError {
  if (err instanceof TargetError) return err;
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof AbortReason) {
    return reason.kind === 'timeout'
      ? new TargetError('timeout', `${endpoint} timed out after ${timeoutMs} ms (${system} at ${host})`)
      : new TargetError('timeout', `${endpoint} was cancelled before the ${system} answered`);
  }
  return describeSocketError(err, `${endpoint} failed`, host, timeoutMs);
}

/**
 * A socket-level failure (connection refused, reset, DNS, timeout) as a TargetError whose message is
 * `"<what>: <reason> (<host>)"`. Shared with the NATS and Valkey clients.
 */
export function describeSocketError(err: unknown, what: string, host: string, timeoutMs: number): TargetError {
  const code = errorCode(err);
  const detail = (text: string): string => `${what}: ${text} (${host})`;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
    case 'TIMEOUT':
    case 'CONNECTION_TIMEOUT':
      return new TargetError('timeout', detail(`timed out after ${timeoutMs} ms`), { cause: err });
    case 'ECONNREFUSED':
    case 'CONNECTION_REFUSED':
      return new TargetError('unreachable', detail('connection refused'), { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'DISCONNECT':
    case 'CONNECTION_CLOSED':
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
      return new TargetError('unreachable', `${what}: the client was closed`, { cause: err });
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
