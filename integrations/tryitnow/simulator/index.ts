/**
 * Loopback fakes of the Try It Now API and of Caddy's admin API, faithful to `reference/targets.md` §5: same
 * routes, auth rule (`X-API-Key` or `?api_key=` on `/api/v1/*` and `/metrics` when a key is set; 401
 * `{"error":"unauthorized","code":"UNAUTHORIZED"}`), JSON shapes and `/metrics` exposition (`demo_*` names, `result`
 * label, sorted families). NATS and Valkey are not faked: tests run the real servers. Never used in production.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listenOnLoopback, trackSockets } from '../../shared/simulator/loopback-server.js';
import { renderExposition } from './exposition.js';
import { createScenarioState, type SimState, type TryItNowScenario } from './state.js';
import { routeIdOf } from '../schemas.js';

export { TRYITNOW_SCENARIOS, scenarioWorld, type ScenarioWorld, type TryItNowScenario } from './state.js';

/** One request a simulator received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly status: number;
  /** Whether an `X-API-Key` header or `api_key` query parameter was sent (never its value). */
  readonly sentKey: boolean;
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const json = (status: number, body: unknown): Reply => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json; charset=utf-8' },
});

interface Loopback {
  url: string;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server whose handler is synchronous; `dropConnections()` makes it act unreachable. A handler that
 * returns null never answers (the request hangs until the client gives up or the server closes).
 */
async function listen(
  host: string,
  port: number,
  dropConnections: () => boolean,
  handler: (req: IncomingMessage, url: URL, body: string) => Reply | null,
): Promise<Loopback> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (dropConnections()) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let reply: Reply | null;
      try {
        reply = handler(req, new URL(req.url ?? '/', 'http://sim'), Buffer.concat(chunks).toString('utf8'));
      } catch {
        reply = json(500, { error: 'internal simulator error' });
      }
      if (reply === null) return;
      res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
      res.end(reply.body);
    });
  });
  // `unreachable`: accept, then drop at once, so clients see a reset.
  trackSockets(server, dropConnections);
  await listenOnLoopback(server, { host, port });
  const address = server.address() as AddressInfo;
  return { url: `http://${host}:${address.port}`, close: () => closeServer(server) };
}

// ---------------------------------------------------------------------------------------------------------------
// Try It Now API

export interface TryItNowSimulatorOptions {
  /** Initial scenario. Default `healthy`. */
  readonly scenario?: TryItNowScenario;
  /** The server's `API_KEY`. Unset: every request passes, like an empty `API_KEY`. */
  readonly apiKey?: string;
  /** `CONTAINER_MODE`, echoed by `/health`. Default `podman`. */
  readonly mode?: 'docker' | 'podman';
  readonly port?: number;
  readonly host?: string;
}

export interface TryItNowSimulator {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly scenario: TryItNowScenario;
  /** Every request, in order. */
  readonly requests: readonly RecordedRequest[];
  setScenario(s: TryItNowScenario): void;
  /**
   * Makes the API's Valkey unreachable, as the real server behaves then (`reference/real-systems.md`, Try It Now
   * item 4): `/health` answers 503 `{"status":"unhealthy","error":"store unavailable"}`, `/api/v1/pool/stats` never
   * answers (the server has no request timeout), and the `demo_pool_*` gauges stay frozen at their last values.
   * Switching the scenario resets it (`store-unavailable` starts with the store down).
   */
  setStoreAvailable(available: boolean): void;
  close(): Promise<void>;
}

/** Starts the Try It Now API fake on `host:port` (default `127.0.0.1:0`). */
export async function startTryItNowSimulator(o: TryItNowSimulatorOptions = {}): Promise<TryItNowSimulator> {
  let state: SimState = createScenarioState(o.scenario ?? 'healthy');
  let storeAvailable = state.scenario !== 'store-unavailable';
  const requests: RecordedRequest[] = [];
  const mode = o.mode ?? 'podman';

  function authorized(req: IncomingMessage, url: URL): boolean {
    if (!o.apiKey) return true; // empty API_KEY: the middleware lets everything through
    const header = req.headers['x-api-key'];
    const given = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('api_key') ?? '';
    return given === o.apiKey;
  }

  function route(req: IncomingMessage, url: URL): Reply | null {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    if (path === '/health' && method === 'GET') {
      return storeAvailable
        ? json(200, { status: 'ok', mode })
        : json(503, { status: 'unhealthy', error: 'store unavailable' });
    }
    const guarded = path === '/metrics' || path.startsWith('/api/v1/');
    if (guarded && !authorized(req, url)) return json(401, { error: 'unauthorized', code: 'UNAUTHORIZED' });
    if (path === '/metrics' && method === 'GET') {
      return {
        status: 200,
        body: renderExposition(state.metrics),
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores' },
      };
    }
    if (path === '/api/v1/pool/stats' && method === 'GET') {
      if (!storeAvailable) return null; // blocks on Valkey: no answer, ever
      return json(200, state.stats);
    }
    // gin's default 404
    return { status: 404, body: '404 page not found', headers: { 'content-type': 'text/plain' } };
  }

  const server = await listen(
    o.host ?? '127.0.0.1',
    o.port ?? 0,
    () => state.scenario === 'unreachable',
    (req, url) => {
      const reply = route(req, url);
      requests.push({
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        status: reply?.status ?? 0,
        sentKey: req.headers['x-api-key'] !== undefined || url.searchParams.has('api_key'),
      });
      return reply;
    },
  );

  return {
    url: server.url,
    get scenario() {
      return state.scenario;
    },
    requests,
    setScenario: (s) => {
      state = createScenarioState(s);
      storeAvailable = s !== 'store-unavailable';
    },
    setStoreAvailable: (available) => {
      storeAvailable = available;
    },
    close: () => server.close(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Caddy admin API

export interface CaddyAdminSimulatorOptions {
  /**
   * Hostnames (the instance record's `hostname`, not its id) with a route `demo-route-<hostname>` in server `demo`.
   * Undefined (the default): no `demo` server at all, as on a real Try It Now before its first acquire.
   */
  readonly routes?: readonly string[];
  /** Overrides whether the `demo` server exists. Default: it exists when `routes` is given. */
  readonly serverExists?: boolean;
  readonly unreachable?: boolean;
  readonly port?: number;
  readonly host?: string;
}

export interface CaddyAdminSimulator {
  readonly url: string;
  /** Every request, in order. */
  readonly requests: readonly RecordedRequest[];
  /** The `@id`s of the demo server's routes, in order. */
  routeIds(): string[];
  /** Replaces the `demo` server: routes for these hostnames, or (undefined) no `demo` server at all. */
  setRoutes(hostnames: readonly string[] | undefined): void;
  setUnreachable(unreachable: boolean): void;
  close(): Promise<void>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A route as Try It Now's `buildCaddyRoute` writes it: @id by hostname, host `<hostname>.<BASE_DOMAIN>`. */
function demoRoute(hostname: string, index: number): Json {
  return {
    '@id': routeIdOf(hostname),
    match: [{ host: [`${hostname}.demo.example.com`] }],
    handle: [
      {
        handler: 'subroute',
        routes: [{ handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: `127.0.0.1:${20000 + index}` }] }] }],
      },
    ],
    terminal: true,
  };
}

/**
 * Starts the Caddy admin fake: `GET`/`DELETE /config/<path>` with Caddy's traversal rules (400 `invalid traversal
 * path at: …` through a missing object) and `GET`/`DELETE /id/<@id>` (404 `unknown object ID '<id>'`).
 */
export async function startCaddyAdminSimulator(o: CaddyAdminSimulatorOptions = {}): Promise<CaddyAdminSimulator> {
  const servers: Record<string, Json> = {};
  const setDemo = (hostnames: readonly string[] | undefined, exists: boolean): void => {
    delete servers.demo;
    if (exists) servers.demo = { listen: [':8443'], routes: (hostnames ?? []).map((h, i) => demoRoute(h, i)) };
  };
  setDemo(o.routes, o.serverExists ?? o.routes !== undefined);
  const config: { [key: string]: Json } = { admin: { listen: 'localhost:2019' }, apps: { http: { servers } } };
  let unreachable = o.unreachable ?? false;
  const requests: RecordedRequest[] = [];

  /** Caddy's `rawCfgIndex`: @id → the path of its object, e.g. `/config/apps/http/servers/demo/routes/0`. */
  function findId(id: string, node: Json = config, path: string[] = []): string[] | undefined {
    if (node === null || typeof node !== 'object') return undefined;
    if (!Array.isArray(node) && node['@id'] === id) return path;
    const entries: [string, Json][] = Array.isArray(node) ? node.map((v, i) => [String(i), v]) : Object.entries(node);
    for (const [k, v] of entries) {
      const found = findId(id, v, [...path, k]);
      if (found) return found;
    }
    return undefined;
  }

  const caddyError = (status: number, message: string): Reply => json(status, { error: message });

  /** `unsyncedConfigAccess` for GET and DELETE. */
  function access(method: string, parts: string[]): Reply {
    if (parts.length === 0) return method === 'GET' ? json(200, config) : caddyError(400, 'no traversable path');
    let node: Json = config;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const last = i === parts.length - 1;
      if (Array.isArray(node)) {
        const idx = Number(part);
        if (!Number.isInteger(idx))
          return caddyError(400, `[/${parts.slice(0, i + 1).join('/')}] invalid array index '${part}'`);
        if (idx < 0 || idx >= node.length) {
          return caddyError(400, `[/${parts.slice(0, i + 1).join('/')}] array index out of bounds: ${part}`);
        }
        if (last) {
          if (method === 'GET') return json(200, node[idx] ?? null);
          node.splice(idx, 1);
          return { status: 200, body: '', headers: {} };
        }
        node = node[idx] as Json;
      } else if (node !== null && typeof node === 'object') {
        if (last) {
          if (method === 'GET') return json(200, node[part] ?? null);
          delete node[part];
          return { status: 200, body: '', headers: {} };
        }
        node = node[part] ?? null;
      } else {
        return caddyError(400, `invalid traversal path at: ${['config', ...parts.slice(0, i + 1)].join('/')}`);
      }
    }
    return caddyError(400, 'invalid traversal path');
  }

  function route(req: IncomingMessage, url: URL): Reply {
    const method = (req.method ?? 'GET').toUpperCase();
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    if (method !== 'GET' && method !== 'DELETE') return caddyError(405, `method ${method} not allowed`);
    if (segments[0] === 'config') return access(method, segments.slice(1));
    if (segments[0] === 'id') {
      const id = segments[1];
      if (!id) return caddyError(400, 'request path is missing object ID');
      const path = findId(id);
      if (!path) return caddyError(404, `unknown object ID '${id}'`);
      return access(method, [...path, ...segments.slice(2)]);
    }
    return caddyError(404, 'not found');
  }

  const server = await listen(
    o.host ?? '127.0.0.1',
    o.port ?? 0,
    () => unreachable,
    (req, url) => {
      const reply = route(req, url);
      requests.push({
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        status: reply.status,
        sentKey: false,
      });
      return reply;
    },
  );

  return {
    url: server.url,
    requests,
    routeIds: () => {
      const demo = (config.apps as { http: { servers: Record<string, { routes?: { '@id'?: string }[] }> } }).http
        .servers.demo;
      return (demo?.routes ?? []).map((r) => r['@id'] ?? '');
    },
    setRoutes: (hostnames) => setDemo(hostnames, hostnames !== undefined),
    setUnreachable: (u) => {
      unreachable = u;
    },
    close: () => server.close(),
  };
}
