import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { TargetError } from '../../src/core/target-error.js';
import {
  chatSafe,
  createHttpJsonClient,
  endpointErrorStyle,
  parseJson as parseJsonWith,
} from '../shared/http-json-client.js';

export { chatSafe, errorCode } from '../shared/http-json-client.js';

/**
 * The HTTP plumbing shared by the Streamhouse, schema-registry and Prometheus calls: one request with a timeout
 * combined with the caller's signal, the body read with a size cap, and every failure turned into a
 * {@link TargetError} whose message names the endpoint and the reason — never a URL with credentials, a key or a
 * stack trace.
 */

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

export function createHttpService(o: HttpServiceOptions): HttpService {
  const http = createHttpJsonClient({
    baseUrl: o.baseUrl,
    timeoutMs: o.timeoutMs,
    dispatcher: o.dispatcher,
    headers: o.headers,
    errors: endpointErrorStyle(o.service, { hostInTimeout: true }),
  });
  const endpointOf = (path: string): string => `GET ${http.basePath}${path.split('?')[0]}`;

  async function get(call: HttpCall): Promise<HttpAnswer> {
    const endpoint = endpointOf(call.path);
    const { status, contentType, text } = await http.send({
      method: 'GET',
      path: call.path,
      endpoint,
      accept: call.accept,
      signal: call.signal,
    });
    if ((status < 200 || status > 299) && !call.passStatus?.includes(status)) {
      throw httpError(status, text, endpoint, o);
    }
    return { status, contentType, text };
  }

  return {
    get,
    async getJson<T>(path: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
      const answer = await get({ path, accept: 'application/json', signal });
      return parseJson(schema, answer.text, endpointOf(path), answer.status, o.service);
    },
  };
}

/** Parses `text` as JSON with `schema`; a `bad-response` naming the first issues otherwise. */
export function parseJson<T>(schema: z.ZodType<T>, text: string, endpoint: string, status: number, service: string): T {
  return parseJsonWith(schema, text, { subject: `${endpoint}: ${service}`, status });
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
