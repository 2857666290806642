import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../core/logger.js';
import { BodyTooLargeError, readBody } from './read-body.js';

/** A POST route whose body is read (within the limit) before it runs. It must answer `res` itself. */
export type BodyRoute = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

/**
 * What bounds a connection before any signature is checked (CONTRACT.md § Environment: `HTTP_*`), so that no one who
 * can reach the public URL can hold descriptors or memory for long.
 */
export interface HttpLimits {
  /** All request headers must arrive within this, ms (slow-loris on headers). Default 10 000. */
  readonly headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this, ms (slow bodies). Default 15 000. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this, ms. Default 5 000. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections at most; more are closed on accept. Default 512. */
  readonly maxConnections: number;
  /**
   * Over `maxBodyBytes`, up to this many bytes of a body are read and thrown away so the sender can read the 413
   * instead of a reset connection. Default 64 MiB.
   */
  readonly maxDiscardBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
  maxDiscardBytes: 64 * 1024 * 1024,
};

export interface ServerOptions {
  readonly maxBodyBytes: number;
  /** Timeouts and caps; {@link DEFAULT_HTTP_LIMITS} when absent. */
  readonly limits?: HttpLimits;
  readonly logger: Logger;
  readonly registry: Registry;
  /** POST routes by exact path. */
  readonly postRoutes: Readonly<Record<string, BodyRoute>>;
  /** `/readyz`: names of the dependencies that failed (empty = ready). */
  readonly checkReady: () => Promise<string[]>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The one `node:http` server of the web process: health, readiness, metrics and the POST routes of the
 * integrations. Unknown paths 404; wrong methods 405; bodies over the limit 413 (after reading the rest, bounded, so
 * the sender gets the answer rather than a reset); a request slower than the timeouts 408 and closed. Errors answer
 * 500 without detail.
 */
export function createHttpServer(o: ServerOptions): Server {
  const limits = o.limits ?? DEFAULT_HTTP_LIMITS;
  const requests = new Counter({
    name: 'runbook_bot_http_requests_total',
    help: 'HTTP requests by route and status.',
    labelNames: ['route', 'status'],
    registers: [o.registry],
  });
  const duration = new Histogram({
    name: 'runbook_bot_http_request_duration_seconds',
    help: 'HTTP request duration by route.',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
    registers: [o.registry],
  });

  // Label-bound children, made once per route and status: the hot path hashes no labels.
  const bound = new Map<string, { request: { inc(): void }; duration: { observe(v: number): void } }>();
  const metricsOf = (route: string, status: number) => {
    const key = `${route} ${status}`;
    let m = bound.get(key);
    if (!m) {
      m = { request: requests.labels({ route, status: String(status) }), duration: duration.labels({ route }) };
      bound.set(key, m);
    }
    return m;
  };

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
      return sendJson(res, 200, { status: 'ok' });
    }
    if (path === '/readyz') {
      const failed = await o.checkReady();
      return sendJson(
        res,
        failed.length ? 503 : 200,
        failed.length ? { status: 'unavailable', failed } : { status: 'ready' },
      );
    }
    if (path === '/metrics') {
      const text = await o.registry.metrics();
      res.writeHead(200, { 'content-type': o.registry.contentType });
      res.end(text);
      return;
    }
    const handler = o.postRoutes[path];
    if (!handler) return sendJson(res, 404, { error: 'not found' });
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
    let body: Buffer;
    try {
      body = await readBody(req, { limit: o.maxBodyBytes, discardLimit: limits.maxDiscardBytes });
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        // Not drained: the rest of the body is still coming; answer, then cut the connection.
        if (!err.drained) res.on('finish', () => req.socket.destroySoon());
        return sendJson(res, 413, { error: `body larger than ${o.maxBodyBytes} bytes (MAX_BODY_BYTES)` });
      }
      return sendJson(res, 400, { error: 'could not read the request body' });
    }
    await handler(req, res, body);
  }

  // Node checks header and request timeouts every `connectionsCheckingInterval` (default 30 s): check often enough
  // that a slow connection is closed close to its deadline.
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req, res) => {
      const started = process.hrtime.bigint();
      const path = (req.url ?? '/').split('?')[0]!;
      const known = path === '/healthz' || path === '/readyz' || path === '/metrics' || path in o.postRoutes;
      const label = known ? path : 'other';
      res.on('finish', () => {
        const m = metricsOf(label, res.statusCode);
        m.request.inc();
        m.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      });
      route(req, res, path).catch((err: unknown) => {
        o.logger.error(
          { route: label, err: { name: (err as Error)?.name, message: (err as Error)?.message } },
          'request failed',
        );
        sendJson(res, 500, { error: 'internal error' });
      });
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  let dropped = 0;
  server.on('drop', () => {
    // One line per burst, not per connection: a flood must not become a log flood.
    if (dropped++ % 1000 === 0) {
      o.logger.warn(
        { maxConnections: limits.maxConnections, dropped },
        'connection refused: HTTP_MAX_CONNECTIONS reached',
      );
    }
  });
  return server;
}
