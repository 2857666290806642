/**
 * A loopback fake of one KyroDB server's HTTP observability listener, faithful to `reference/targets.md` §2.2-2.5:
 * the five routes of HEAD (`/health`, `/ready`, `/slo`, `/metrics`, `/usage`) with their exact JSON, the HTTP status
 * paired with each health status, the plain-text 401 `unauthorized` of `observability_auth_middleware`, and the
 * Prometheus 0.0.4 exposition with KyroDB's metric names (latencies in ns, hit rate 0-1). There is deliberately no
 * `/admin/*` route: KyroDB has none (the runbook's `POST /admin/circuit-breaker/reset` gets a 404 here too).
 * Where the real server differs from its source reading, the simulator does what the real server did
 * (`reference/real-systems.md`, KyroDB 1-8; see `state.ts`): `recovering` closes the port (connection
 * refused), and each `/metrics` scrape advances the application's insert traffic by one step.
 * Used by tests, the demo and `main.ts`; never in production.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { closeServer, createDelays, listenOnLoopback, trackSockets } from '../../shared/simulator/loopback-server.js';
import { renderExposition } from './exposition.js';
import {
  advanceWrites,
  createScenarioState,
  currentSlo,
  healthBody,
  sloBreaches,
  type KyroScenario,
  type SimState,
} from './state.js';

export { KYRO_SCENARIOS, type KyroScenario } from './state.js';

/** `server.observability_auth`: which endpoints need the key (`/usage` always does when auth is enabled). */
export type ObservabilityAuth = 'disabled' | 'metrics_and_slo' | 'all';

export interface KyroSimulatorOptions {
  /** Initial scenario. Default `healthy`. */
  scenario?: KyroScenario;
  /**
   * When set, the server runs with `auth.enabled=true` and this key in its keys file: `/usage` requires it, and so do
   * the endpoints `observabilityAuth` protects. Accepted as `x-api-key` or `authorization: Bearer`.
   */
  apiKey?: string;
  /** Default `disabled` (KyroDB's default). Anything else needs `apiKey`. */
  observabilityAuth?: ObservabilityAuth;
  /** Port to listen on. Default 0 (a free port). */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Source of uptime and `/usage` `generated_at`. Default the system clock. */
  clock?: Clock;
  /** Delay before every answer, ms. Default 0. */
  latencyMs?: number;
}

/** One request the simulator answered. */
export interface RecordedRequest {
  readonly method: string;
  /** Path with its query string. */
  readonly path: string;
  readonly status: number;
}

export interface KyroSimulator {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Current scenario. */
  readonly scenario: KyroScenario;
  /** Every answered request, in order (diagnostics must only ever GET). */
  readonly requests: readonly RecordedRequest[];
  /**
   * Switches to another scenario's state; `unreachable` also drops the open connections, `recovering` stops
   * listening (connection refused) and leaving it listens again on the same port. Resolves once the port is in the
   * scenario's state.
   */
  setScenario(s: KyroScenario): Promise<void>;
  /** Delays every answer by `ms` (timeout tests). */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  contentType?: string;
  body: string;
}

const JSON_TYPE = 'application/json';
/** axum's `text/plain` bodies carry a charset. */
const TEXT_TYPE = 'text/plain; charset=utf-8';
/** `metrics_handler`'s content type: Prometheus text format 0.0.4. */
const EXPOSITION_TYPE = 'text/plain; version=0.0.4';

/** Starts a simulator listening on `host:port` (default `127.0.0.1:0`). */
export async function startKyroSimulator(o: KyroSimulatorOptions = {}): Promise<KyroSimulator> {
  const clock = o.clock ?? systemClock;
  const auth = o.observabilityAuth ?? 'disabled';
  if (auth !== 'disabled' && o.apiKey === undefined) {
    throw new Error(`observabilityAuth "${auth}" needs an apiKey (auth.enabled with a keys file)`);
  }
  let state: SimState = createScenarioState(o.scenario ?? 'healthy');
  let stateSince = clock.now();
  let latencyMs = o.latencyMs ?? 0;
  const requests: RecordedRequest[] = [];
  const delays = createDelays();

  const server: Server = createServer((req, res) => {
    if (state.scenario === 'unreachable') {
      req.socket.destroy();
      return;
    }
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, { status: 500, contentType: TEXT_TYPE, body: 'internal error' });
      else res.destroy();
    });
  });
  // `unreachable`: accept, then drop at once, so clients see a reset rather than a refusal.
  const sockets = trackSockets(server, () => state.scenario === 'unreachable');

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    if (latencyMs > 0) await delays.delay(latencyMs);
    if (state.scenario === 'unreachable') {
      res.destroy();
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = req.url ?? '/';
    const reply = route(method, rawPath, req);
    requests.push({ method, path: rawPath, status: reply.status });
    if (res.destroyed || res.writableEnded) return;
    send(res, reply);
  }

  function uptime(): number {
    return state.uptimeSeconds + Math.max(0, Math.floor((clock.now() - stateSince) / 1000));
  }

  function route(method: string, rawPath: string, req: IncomingMessage): Reply {
    const url = new URL(rawPath, 'http://kyrodb.local');
    const path = url.pathname;
    const known = ['/health', '/ready', '/slo', '/metrics', '/usage'];
    // axum: an unknown path is an empty 404; a known path with another method an empty 405.
    if (!known.includes(path)) return { status: 404, body: '' };
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, body: '' };
    const protectedPath =
      auth === 'all' || (auth === 'metrics_and_slo' && (path === '/metrics' || path === '/slo')) || path === '/usage';
    if (protectedPath && o.apiKey !== undefined && credentialOf(req) !== o.apiKey) {
      return { status: 401, contentType: TEXT_TYPE, body: 'unauthorized' };
    }
    switch (path) {
      case '/health': {
        const body = healthBody(state, uptime());
        const status = body.status === 'healthy' || body.status === 'degraded' ? 200 : 503;
        return json(status, body);
      }
      case '/ready': {
        const status = healthBody(state, uptime()).status;
        return status === 'healthy' || status === 'degraded'
          ? json(200, { ready: true, status: 'ready' })
          : json(503, { ready: false, status: 'not_ready' });
      }
      case '/slo':
        return json(200, sloJson());
      case '/metrics':
        advanceWrites(state);
        return { status: 200, contentType: EXPOSITION_TYPE, body: renderExposition(state, uptime()) };
      default:
        return usage(url.searchParams.get('scope'));
    }
  }

  function sloJson(): unknown {
    const b = sloBreaches(state);
    const c = currentSlo(state.metrics);
    const t = state.slo;
    return {
      slo_breaches: {
        p99_latency: b.p99Latency,
        cache_hit_rate: b.cacheHitRate,
        error_rate: b.errorRate,
        availability: b.availability,
      },
      current_metrics: {
        p99_latency_ns: c.p99LatencyNs,
        cache_hit_rate: c.cacheHitRate,
        error_rate: c.errorRate,
        availability: c.availability,
      },
      slo_thresholds: {
        p99_latency_ns: t.p99LatencyNs,
        min_cache_hit_rate: t.minCacheHitRate,
        max_error_rate: t.maxErrorRate,
        min_availability: t.minAvailability,
        min_samples: t.minSamples,
      },
    };
  }

  function usage(scope: string | null): Reply {
    if (o.apiKey === undefined) return json(404, { error: 'usage tracking disabled (auth.enabled=false)' });
    // The 400 body for a bad scope is not in the reference: this wording is the simulator's own.
    if (scope !== null && scope !== 'self' && scope !== 'all') {
      return json(400, { error: 'invalid scope; expected self or all' });
    }
    const m = state.metrics;
    const storage = m.diskUsedBytes;
    const tenant = {
      tenant_id: 'tenant-ops',
      query_count: m.queriesTotal,
      insert_count: m.inserts,
      delete_count: 0,
      vector_count: m.inserts,
      storage_bytes: storage,
      storage_mb: Math.round((storage / 1024 / 1024) * 100) / 100,
      storage_gb: Math.round((storage / 1024 / 1024 / 1024) * 100) / 100,
      billable_events: m.queriesTotal + m.inserts,
    };
    return json(200, {
      generated_at: Math.floor(clock.now() / 1000),
      totals: {
        query_count: tenant.query_count,
        vector_count: tenant.vector_count,
        storage_bytes: tenant.storage_bytes,
        billable_events: tenant.billable_events,
      },
      tenants: [tenant],
    });
  }

  const sim: KyroSimulator = {
    url: '',
    get scenario() {
      return state.scenario;
    },
    get requests() {
      return requests;
    },
    async setScenario(s) {
      state = createScenarioState(s);
      stateSince = clock.now();
      if (s === 'unreachable') sockets.destroyAll();
      await matchPort();
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async close() {
      delays.clear();
      if (listening) await closeServer(server);
      listening = false;
    },
  };

  const url = await listenOnLoopback(server, o);
  let listening = true;
  const port = Number(new URL(url).port);

  /** Closes the port while recovering (KyroDB opens it only after WAL recovery); opens it again afterwards. */
  async function matchPort(): Promise<void> {
    if (state.portClosed && listening) {
      listening = false;
      await closeServer(server);
    } else if (!state.portClosed && !listening) {
      await listenOnLoopback(server, { host: o.host, port });
      listening = true;
    }
  }

  Object.defineProperty(sim, 'url', { value: url, enumerable: true });
  await matchPort();
  return sim;
}

/** `x-api-key: <key>` first, then `authorization: Bearer <key>` (`observability_auth_middleware`). */
function credentialOf(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (key) return key;
  const authorization = req.headers.authorization;
  const m = authorization ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  return m?.[1]?.trim();
}

function json(status: number, body: unknown): Reply {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body) };
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(reply.body) };
  if (reply.contentType) headers['content-type'] = reply.contentType;
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}
