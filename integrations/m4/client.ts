import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { ClientDeps } from '../../src/core/system.js';
import { TargetError } from '../../src/core/target-error.js';
import {
  basicAuthHeader,
  chatSafe as boundedLine,
  createKeepAliveAgent,
  describeSocketError,
  headerValue,
  isTlsErrorCode,
} from '../shared/http-json-client.js';
import type { M4InstanceConfig } from './config.js';
import { RUN_ID_PATTERN } from './db.js';
import { createSseParser, type SseMessage } from './sse.js';
import { encodePathSegment } from '../shared/path-segment.js';

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call (job timeout, worker shutdown); combined with the client's own timeouts. */
  readonly signal?: AbortSignal;
}

/** How much of a run's SSE stream to read. */
export interface StreamReadOptions extends CallOptions {
  /**
   * Sent as `?fromSeq=` exactly as given (a string lets a test send anything). Absent: no query parameter, the
   * server replays from seq 1.
   */
  readonly fromSeq?: number | string;
  /** Stop after this many run events. Default 1000. */
  readonly maxEvents?: number;
  /** Stop listening after this long, ms (measured from the request). Default the config's `streamWindowMs`. */
  readonly maxMs?: number;
}

/** A run event as the stream sends it (`packages/agents-contracts`, §4.2). */
export interface RunStreamEvent {
  readonly runId: string;
  readonly seq: number;
  /** Event time, epoch ms. */
  readonly ts: number;
  readonly type: string;
  readonly v?: number;
  readonly source?: string;
  readonly name?: string;
  readonly fn?: string;
}

/** An SSE `event: error` (oRPC's encoding of an error thrown by the event iterator). Server text is bounded. */
export interface StreamErrorEvent {
  readonly code?: string;
  readonly status?: number;
  readonly message?: string;
}

/** Why reading stopped. */
export type StreamEnd =
  /** oRPC's `event: done`: the iterator returned (after `RunFinished`). */
  | 'done'
  /** The server closed the connection without `done`. */
  | 'closed'
  /** `maxMs` elapsed: normal for a run that is still going (the stream waits for live events). */
  | 'time-cap'
  | 'event-cap'
  | 'size-cap'
  /** The connection failed mid-stream. */
  | 'broken';

export interface StreamRead {
  /** `GET /api/agents/runs/<id>/stream?fromSeq=…`, for evidence. */
  readonly endpoint: string;
  readonly status: number;
  /** Run events in arrival order (duplicates and disorder kept: that is what the checks look for). */
  readonly events: readonly RunStreamEvent[];
  readonly errors: readonly StreamErrorEvent[];
  /** `message` events whose data was not a run event. */
  readonly invalid: number;
  /** Keep-alive comments received. */
  readonly pings: number;
  readonly end: StreamEnd;
  readonly elapsedMs: number;
}

/** Typed client of M4's HTTP API (§4.2; oRPC OpenAPI routes under `/api`, no auth). Throws only {@link TargetError}. */
export interface M4Client {
  /** `GET /api/health` → `OK`. */
  health(o?: CallOptions): Promise<string>;
  /**
   * `GET /api/agents/runs/{runId}/stream?fromSeq=N`, read until the server ends it or a cap is hit. A non-2xx
   * answer throws (`api-error` with the status and oRPC's error code); an SSE error event is returned in `errors`.
   */
  readRunStream(runId: string, o?: StreamReadOptions): Promise<StreamRead>;
  /** Destroys the client's own keep-alive agent (not an injected dispatcher). */
  close(): Promise<void>;
}

export interface M4ClientDeps extends ClientDeps {
  /** HTTP dispatcher (tests, proxies). Default: one keep-alive `Agent` owned by the client. */
  readonly dispatcher?: Dispatcher;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_EVENTS = 1000;
/** Largest stream or body read, bytes. */
const MAX_STREAM_BYTES = 16 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
const MAX_ERROR_TEXT = 160;

const RunStreamEventSchema = z.object({
  runId: z.string(),
  seq: z.number().int().positive(),
  ts: z.number(),
  type: z.string().min(1),
  v: z.number().optional(),
  source: z.string().optional(),
  name: z.string().nullish(),
  fn: z.string().nullish(),
});

/** oRPC's error JSON: `{"defined":false,"code":"INTERNAL_SERVER_ERROR","status":500,"message":"…"}`. */
const OrpcErrorSchema = z.object({
  code: z.string().optional(),
  status: z.number().int().optional(),
  message: z.string().optional(),
});

class AbortReason {
  constructor(readonly kind: 'timeout' | 'cancelled' | 'cap') {}
}

/** Builds a client for one M4 instance. */
export function createM4Client(config: M4InstanceConfig, deps: M4ClientDeps): M4Client {
  const timeoutMs = config.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const windowMs = config.streamWindowMs ?? DEFAULT_TIMEOUT_MS;
  const base = new URL(config.url);
  const origin = `${base.protocol}//${base.host}`;
  const basePath = base.pathname.replace(/\/+$/, '');
  const basicAuth = basicAuthHeader(base);
  const ownAgent = deps.dispatcher ? undefined : createKeepAliveAgent(timeoutMs);
  const dispatcher: Dispatcher = deps.dispatcher ?? (ownAgent as Dispatcher);

  /** One request with its timers; `read` consumes the body while the timers still run. */
  async function call<T>(
    path: string,
    accept: string,
    maxMs: number | undefined,
    signal: AbortSignal | undefined,
    read: (res: Dispatcher.ResponseData, ctl: AbortController) => Promise<T>,
  ): Promise<T> {
    const endpoint = `GET ${path}`;
    const controller = new AbortController();
    const headerTimer = setTimeout(() => controller.abort(new AbortReason('timeout')), timeoutMs);
    const capTimer =
      maxMs === undefined ? undefined : setTimeout(() => controller.abort(new AbortReason('cap')), maxMs);
    const onCallerAbort = (): void => controller.abort(new AbortReason('cancelled'));
    if (signal?.aborted) onCallerAbort();
    else signal?.addEventListener('abort', onCallerAbort, { once: true });
    const headers: Record<string, string> = { accept };
    if (basicAuth) headers.authorization = basicAuth;
    try {
      let res: Dispatcher.ResponseData;
      try {
        if (controller.signal.aborted) throw controller.signal.reason;
        res = await request(`${origin}${basePath}${path}`, {
          method: 'GET',
          headers,
          dispatcher,
          signal: controller.signal,
          headersTimeout: timeoutMs,
          // Pings keep a live stream busy; our own cap ends it first.
          bodyTimeout: (maxMs ?? timeoutMs) + timeoutMs,
        });
      } catch (err) {
        throw networkError(err, endpoint, base.host, timeoutMs, controller.signal, true);
      }
      clearTimeout(headerTimer);
      if (res.statusCode < 200 || res.statusCode > 299) {
        const text = await readText(res.body, MAX_ERROR_BODY).catch(() => '');
        throw httpError(res.statusCode, text, endpoint);
      }
      return await read(res, controller);
    } finally {
      clearTimeout(headerTimer);
      if (capTimer) clearTimeout(capTimer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    health: async (o = {}) =>
      call('/api/health', 'text/plain', undefined, o.signal, async (res, ctl) => {
        try {
          return (await readText(res.body, MAX_ERROR_BODY)).trim();
        } catch (err) {
          throw networkError(err, 'GET /api/health', base.host, timeoutMs, ctl.signal, false);
        }
      }),

    async readRunStream(runId, o = {}) {
      if (typeof runId !== 'string' || !RUN_ID_PATTERN.test(runId)) {
        throw new TargetError('api-error', 'GET /api/agents/runs/{runId}/stream not sent: the run id is not valid', {
          code: 'VALIDATION_ERROR',
        });
      }
      const query = o.fromSeq === undefined ? '' : `?fromSeq=${encodeURIComponent(String(o.fromSeq))}`;
      const path = `/api/agents/runs/${encodePathSegment(runId, 'run id', 'GET /api/agents/runs/{runId}/stream')}/stream${query}`;
      const endpoint = `GET ${path}`;
      const maxEvents = o.maxEvents ?? DEFAULT_MAX_EVENTS;
      const maxMs = o.maxMs ?? windowMs;
      const started = performance.now();
      return call(path, 'text/event-stream', maxMs, o.signal, async (res, ctl) => {
        const contentType = headerValue(res.headers['content-type']) ?? '';
        if (!/^text\/event-stream/i.test(contentType)) {
          discard(res.body);
          throw new TargetError(
            'bad-response',
            `${endpoint} answered ${contentType.split(';')[0] || 'no content type'} instead of text/event-stream (HTTP ${res.statusCode})`,
            { status: res.statusCode },
          );
        }
        const parser = createSseParser();
        const events: RunStreamEvent[] = [];
        const errors: StreamErrorEvent[] = [];
        let invalid = 0;
        let end: StreamEnd | undefined;
        let bytes = 0;
        const handle = (m: SseMessage): void => {
          if (m.event === 'done') end = 'done';
          else if (m.event === 'error') errors.push(parseErrorEvent(m.data));
          else if (m.event === 'message') {
            const e = parseRunEvent(m.data);
            if (e) events.push(e);
            else invalid += 1;
          }
        };
        try {
          for await (const chunk of res.body) {
            const buf = chunk as Buffer;
            bytes += buf.length;
            for (const m of parser.push(buf)) {
              if (events.length >= maxEvents) break;
              handle(m);
            }
            if (end === 'done') break;
            if (events.length >= maxEvents) {
              end = 'event-cap';
              break;
            }
            if (bytes > MAX_STREAM_BYTES) {
              end = 'size-cap';
              break;
            }
          }
          if (end === undefined) {
            parser.end().forEach(handle);
            end = end ?? 'closed';
          }
        } catch (err) {
          const reason: unknown = ctl.signal.aborted ? ctl.signal.reason : undefined;
          if (reason instanceof AbortReason && reason.kind === 'cap') end = 'time-cap';
          else if (reason instanceof AbortReason && reason.kind === 'cancelled') {
            throw new TargetError('timeout', `${endpoint} was cancelled while reading the stream`, { cause: err });
          } else end = 'broken';
        } finally {
          discard(res.body);
        }
        return {
          endpoint,
          status: res.statusCode,
          events,
          errors,
          invalid,
          pings: parser.comments,
          end,
          elapsedMs: Math.round(performance.now() - started),
        };
      });
    },

    close: async () => {
      if (ownAgent && !ownAgent.destroyed) await ownAgent.destroy();
    },
  };
}

/** Drops a body we stop reading; undici then reports an abort, which nobody needs to hear. */
function discard(body: Dispatcher.ResponseData['body']): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy();
}

function parseRunEvent(data: string): RunStreamEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  // oRPC's RPC (non-OpenAPI) encoding wraps values as {json, meta}; accept both.
  if (value && typeof value === 'object' && 'json' in value && !('seq' in value))
    value = (value as { json: unknown }).json;
  const parsed = RunStreamEventSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const { name, fn, ...rest } = parsed.data;
  return { ...rest, ...(name ? { name } : {}), ...(fn ? { fn } : {}) };
}

function parseErrorEvent(data: string): StreamErrorEvent {
  try {
    const parsed = OrpcErrorSchema.safeParse(JSON.parse(data));
    if (!parsed.success) return {};
    const { code, status, message } = parsed.data;
    return {
      ...(code && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? { code } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(message ? { message: chatSafe(message) } : {}),
    };
  } catch {
    return {};
  }
}

async function readText(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      discard(body);
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A non-2xx answer, read through oRPC's error JSON when there is one. */
function httpError(status: number, text: string, endpoint: string): TargetError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const parsed = OrpcErrorSchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      code = parsed.data.code && /^[A-Z][A-Z0-9_]{0,63}$/.test(parsed.data.code) ? parsed.data.code : undefined;
      message = parsed.data.message ? chatSafe(parsed.data.message) : undefined;
    }
  } catch {
    // not JSON
  }
  const detail = code ? `${status} ${code}${message ? `: ${message}` : ''}` : `HTTP ${status}`;
  return new TargetError('api-error', `${endpoint}: M4 answered ${detail}`, { status, code });
}

/** One line of the server's text, bounded to M4's shorter limit. */
function chatSafe(text: string): string {
  return boundedLine(text, MAX_ERROR_TEXT);
}

/** Turns whatever undici (or our abort) threw into a TargetError, keeping only safe facts in the message. */
function networkError(
  err: unknown,
  endpoint: string,
  host: string,
  timeoutMs: number,
  signal: AbortSignal,
  beforeHeaders: boolean,
): TargetError {
  if (err instanceof TargetError) return err;
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof AbortReason) {
    if (reason.kind === 'cancelled') return new TargetError('timeout', `${endpoint} was cancelled before M4 answered`);
    return new TargetError(
      'timeout',
      beforeHeaders ? `${endpoint}: M4 did not answer within ${timeoutMs} ms` : `${endpoint} timed out`,
    );
  }
  return describeSocketError(err, `${endpoint} failed`, host, timeoutMs, {
    timeout: () => `${endpoint}: M4 did not answer within ${timeoutMs} ms (${host})`,
    closed: () => `${endpoint} not sent: the M4 client was closed`,
    codePattern: /^[A-Z][A-Z0-9_]+$/,
    // M4's wording: no separate "network unreachable", and EHOSTDOWN and TLS failures as plain network errors.
    reason: (code) =>
      code === 'ENETUNREACH'
        ? 'host unreachable'
        : code === 'EHOSTDOWN' || isTlsErrorCode(code)
          ? `network error ${code}`
          : undefined,
  });
}
