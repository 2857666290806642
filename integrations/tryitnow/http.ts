import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { createHttpJsonClient, describeSocketError, parseJson, type CallOptions } from '../shared/http-json-client.js';

/** Per-call options of every Try It Now client. */
export type { CallOptions } from '../shared/http-json-client.js';
export { chatSafe, describeSocketError, errorCode } from '../shared/http-json-client.js';

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

/** A small undici wrapper: one keep-alive agent, timeout + caller signal, errors as chat-safe {@link TargetError}s. */
export function createHttpSender(o: HttpSenderOptions): HttpSender {
  const http = createHttpJsonClient({
    baseUrl: o.baseUrl,
    timeoutMs: o.timeoutMs,
    dispatcher: o.dispatcher,
    headers: o.headers,
    errors: {
      timedOut: (c) => `${c.endpoint} timed out after ${c.timeoutMs} ms (${o.system} at ${c.host})`,
      cancelled: (c) => `${c.endpoint} was cancelled before the ${o.system} answered`,
      socket: (err, c) => describeSocketError(err, `${c.endpoint} failed`, c.host, c.timeoutMs),
    },
  });

  async function send(call: HttpCall, options?: CallOptions): Promise<HttpAnswer> {
    const endpoint = `${call.method} ${call.label ?? call.path}`;
    const res = await http.send({
      method: call.method,
      path: call.path,
      endpoint,
      accept: call.accept ?? 'application/json',
      anonymous: call.anonymous,
      signal: options?.signal,
    });
    return { status: res.status, text: res.text, contentType: res.contentType, endpoint };
  }

  return { send, close: () => http.close() };
}

/** Parses a JSON answer with `schema`; a bad one is a `bad-response` naming the first issues. */
export function parseJsonAnswer<T>(schema: z.ZodType<T>, answer: HttpAnswer): T {
  return parseJson(schema, answer.text, {
    subject: answer.endpoint,
    status: answer.status,
    invalidJsonHint: /html/i.test(answer.contentType) ? ' (an HTML page: a proxy or the wrong port?)' : '',
  });
}
