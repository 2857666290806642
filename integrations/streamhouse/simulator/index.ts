/**
 * A loopback fake of one Streamhouse unified server and of the Prometheus that scrapes it, faithful to
 * `reference/targets.md` §3: `/health`, `/live`, `/ready` (503 with an empty body when the metadata store fails),
 * `/admin/agents` (Bearer admin key when one is set), `/api/v1/metrics`, the OpenMetrics `/metrics`, the schema
 * registry under `/schemas` (with its `x-organization-id` rule and `{error_code, message}` errors), and Prometheus'
 * `GET /api/v1/query` for the bot's own queries. Counters grow with the injected clock, so two scrapes show rates.
 * Used by tests and the demo; never in production.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import {
  closeServer,
  createDelays,
  listenOnLoopback,
  trackSockets,
  type TrackedSockets,
} from '../../shared/simulator/loopback-server.js';
import {
  answerPromQuery,
  createMetricModel,
  renderExposition,
  type MetricModel,
  type StreamhouseScenario,
} from './metrics.js';
import {
  DEAD_AGENT_ID,
  SAMPLE_GLOBAL_COMPATIBILITY,
  SAMPLE_ORG_ID,
  createSampleCluster,
  createSampleSubjects,
  type SampleSubject,
} from './sample-cluster.js';

export { STREAMHOUSE_SCENARIOS, type StreamhouseScenario } from './metrics.js';

export interface StreamhouseSimulatorOptions {
  /** Initial scenario. Default `healthy`. */
  readonly scenario?: StreamhouseScenario;
  /** Source of every timestamp and of counter growth. Default the system clock. */
  readonly clock?: Clock;
  /** When set, `/admin/*` requires `Authorization: Bearer <apiKey>` (STREAMHOUSE_AUTH_ENABLED with an admin key). */
  readonly apiKey?: string;
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Delay before every answer, real ms (timeout tests). Default 0. */
  readonly latencyMs?: number;
}

/** One request the simulator received. */
export interface RecordedRequest {
  readonly server: 'streamhouse' | 'prometheus';
  readonly method: string;
  /** Path with its query string. */
  readonly path: string;
  /** The `x-organization-id` header, if sent. */
  readonly organizationId?: string;
  /** Whether an `authorization` header was sent (its value is not recorded). */
  readonly authorized: boolean;
}

export interface StreamhouseSimulator {
  /** The Streamhouse server, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The fake Prometheus, `http://127.0.0.1:<port>`. */
  readonly prometheusUrl: string;
  readonly scenario: StreamhouseScenario;
  /** Every request, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Switches scenario; counters restart from the scenario's values at the current clock time. */
  setScenario(s: StreamhouseScenario): void;
  /** `false`: `/ready` answers 503 with an empty body, as when the metadata store fails. */
  setReady(ready: boolean): void;
  /** Delays every answer by `ms` real milliseconds. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const MAX_REQUEST_BODY = 64 * 1024;

/** Starts the two fakes on free loopback ports. */
export async function startStreamhouseSimulator(o: StreamhouseSimulatorOptions = {}): Promise<StreamhouseSimulator> {
  const clock = o.clock ?? systemClock;
  let scenario: StreamhouseScenario = o.scenario ?? 'healthy';
  let model: MetricModel = createMetricModel(scenario);
  let startedAt = clock.now();
  let ready = true;
  let latencyMs = o.latencyMs ?? 0;
  const requests: RecordedRequest[] = [];
  const delays = createDelays();
  const trackers: TrackedSockets[] = [];
  // The registry: subjects per organization (only the sample organization has any), and the global level.
  const registry = new Map<string, Map<string, SampleSubject>>([
    [SAMPLE_ORG_ID, new Map(createSampleSubjects().map((s) => [s.subject, s]))],
  ]);
  let globalCompatibility = SAMPLE_GLOBAL_COMPATIBILITY;

  const elapsedSeconds = (): number => Math.max(0, (clock.now() - startedAt) / 1000);

  function makeServer(kind: RecordedRequest['server']): Server {
    const server = createServer((req, res) => {
      void handle(kind, req, res).catch(() => {
        if (!res.headersSent) send(res, { status: 500, body: '' });
        else res.destroy();
      });
    });
    // `unreachable`: accept, then drop at once, so clients see a reset rather than a refusal.
    trackers.push(trackSockets(server, () => scenario === 'unreachable'));
    return server;
  }

  async function handle(kind: RecordedRequest['server'], req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = req.url ?? '/';
    const org = header(req, 'x-organization-id');
    requests.push({
      server: kind,
      method,
      path: rawPath,
      ...(org !== undefined ? { organizationId: org } : {}),
      authorized: req.headers.authorization !== undefined,
    });
    const body = await readBody(req);
    if (latencyMs > 0) await delays.delay(latencyMs);
    if (scenario === 'unreachable' || res.destroyed) {
      res.destroy();
      return;
    }
    const reply = kind === 'prometheus' ? prometheus(method, rawPath) : streamhouse(method, rawPath, req, body);
    if (!res.destroyed && !res.writableEnded) send(res, reply);
  }

  // --- Streamhouse ---

  function streamhouse(method: string, rawPath: string, req: IncomingMessage, body: string): Reply {
    const path = rawPath.split('?')[0] ?? '/';
    if (path === '/health' || path === '/live') return only(method, 'GET', () => json(200, { status: 'ok' }));
    if (path === '/ready') {
      return only(method, 'GET', () => (ready ? json(200, { status: 'ready' }) : { status: 503, body: '' }));
    }
    if (path === '/metrics') {
      return only(method, 'GET', () => ({
        status: 200,
        body: renderExposition(model, elapsedSeconds()),
        contentType: OPENMETRICS,
      }));
    }
    if (path === '/api/v1/metrics') {
      return only(method, 'GET', () =>
        json(200, {
          topics_count: 3,
          agents_count: agentsJson().length,
          partitions_count: 12,
          total_messages: 1_925_413,
        }),
      );
    }
    if (path === '/admin/agents' || path.startsWith('/admin/agents/')) {
      // /admin/* needs an admin key when auth is on; the body of the 401 is not documented (empty here).
      if (o.apiKey !== undefined && req.headers.authorization !== `Bearer ${o.apiKey}`)
        return { status: 401, body: '' };
      if (path === '/admin/agents') return only(method, 'GET', () => json(200, agentsJson()));
      const id = safeDecode(path.slice('/admin/agents/'.length));
      const agent = agentsJson().find((a) => a.agent_id === id);
      return only(method, 'GET', () => (agent ? json(200, agent) : { status: 404, body: '' }));
    }
    if (path === '/schemas' || path.startsWith('/schemas/')) {
      return schemaRegistry(method, path.slice('/schemas'.length), req, body);
    }
    return { status: 404, body: '' };
  }

  /** `/admin/agents`: the sample cluster; alive agents keep heartbeating, a dead one's heartbeat stays put. */
  function agentsJson() {
    const state = scenario === 'agent-dead' ? 'agent-dead' : 'healthy';
    const now = createSampleCluster(state, clock.now());
    const atStart = createSampleCluster(state, startedAt);
    return now.agents.map((a) => {
      const frozen = state === 'agent-dead' && a.agentId === DEAD_AGENT_ID;
      return {
        agent_id: a.agentId,
        address: a.address,
        availability_zone: a.availabilityZone,
        agent_group: a.agentGroup,
        last_heartbeat: frozen ? atStart.agents.find((x) => x.agentId === a.agentId)!.lastHeartbeat : a.lastHeartbeat,
        started_at: a.startedAt,
        active_leases: now.leases.filter((l) => l.holder === a.agentId).length,
      };
    });
  }

  // --- Schema registry (crates/streamhouse-schema-registry/src/api.rs) ---

  function schemaRegistry(method: string, sub: string, req: IncomingMessage, body: string): Reply {
    const segments = sub.split('/').slice(1).map(safeDecode);
    const org = header(req, 'x-organization-id');
    const needsOrg = (): Reply | undefined =>
      org === undefined ? registryError(400, 400, 'Missing x-organization-id header') : undefined;
    const subjects = (): Map<string, SampleSubject> => {
      let m = registry.get(org ?? '');
      if (!m) {
        m = new Map();
        registry.set(org ?? '', m);
      }
      return m;
    };
    const [a, b, c, d] = segments;
    const n = segments.length;

    if (n === 1 && a === 'subjects') return needsOrg() ?? only(method, 'GET', () => json(200, [...subjects().keys()]));
    if (a === 'subjects' && b !== undefined && c === 'versions' && (n === 3 || n === 4)) {
      const missing = needsOrg();
      if (missing) return missing;
      const subject = subjects().get(b);
      if (!subject) return registryError(404, 40401, 'Subject not found');
      if (n === 3)
        return only(method, 'GET', () =>
          json(
            200,
            subject.versions.map((v) => v.version),
          ),
        );
      const v =
        d === 'latest'
          ? subject.versions[subject.versions.length - 1]
          : subject.versions.find((x) => String(x.version) === d);
      if (!v) return registryError(404, 40401, 'Version not found');
      return only(method, 'GET', () =>
        json(200, {
          subject: subject.subject,
          version: v.version,
          id: v.id,
          schema: v.schema,
          schemaType: v.schemaType,
          references: [],
        }),
      );
    }
    if (n === 1 && a === 'config') {
      if (method === 'GET') return json(200, { compatibilityLevel: globalCompatibility });
      if (method === 'PUT') {
        const level = parseCompatibility(body);
        if (!level) return registryError(422, 42201, 'Invalid compatibility level');
        globalCompatibility = level;
        return json(200, { compatibility: level });
      }
      return { status: 405, body: '' };
    }
    if (n === 2 && a === 'config' && b !== undefined) {
      const missing = needsOrg();
      if (missing) return missing;
      const subject = subjects().get(b);
      if (method === 'GET') {
        // Inferred: a subject without a level of its own answers 404 (the reference does not say).
        if (!subject?.compatibility) return registryError(404, 40401, 'Subject not found');
        return json(200, { compatibilityLevel: subject.compatibility });
      }
      if (method === 'PUT') {
        const level = parseCompatibility(body);
        if (!level) return registryError(422, 42201, 'Invalid compatibility level');
        subjects().set(b, { ...(subject ?? { subject: b, versions: [] }), compatibility: level });
        return json(200, { compatibility: level });
      }
      return { status: 405, body: '' };
    }
    if (n === 2 && a === 'ids' && b !== undefined) {
      for (const m of registry.values()) {
        for (const s of m.values()) {
          const v = s.versions.find((x) => String(x.id) === b);
          if (v) return only(method, 'GET', () => json(200, { schema: v.schema, schemaType: v.schemaType }));
        }
      }
      return registryError(404, 40401, 'Schema not found');
    }
    if (n === 1 && a === 'health')
      return only(method, 'GET', () => ({ status: 200, body: 'OK', contentType: 'text/plain' }));
    return { status: 404, body: '' };
  }

  // --- Prometheus ---

  function prometheus(method: string, rawPath: string): Reply {
    const url = new URL(rawPath, 'http://prometheus.invalid');
    if (url.pathname !== '/api/v1/query') return { status: 404, body: '' };
    if (method !== 'GET' && method !== 'POST') return { status: 405, body: '' };
    const query = url.searchParams.get('query') ?? '';
    const samples = answerPromQuery(model, query);
    if (!samples) {
      return json(400, {
        status: 'error',
        errorType: 'bad_data',
        error: `simulator: unsupported query ${JSON.stringify(query.slice(0, 80))}`,
      });
    }
    const t = clock.now() / 1000;
    return json(200, {
      status: 'success',
      data: {
        resultType: 'vector',
        result: samples.map((s) => ({ metric: s.metric, value: [t, promValue(s.value)] })),
      },
    });
  }

  const streamhouseServer = makeServer('streamhouse');
  const prometheusServer = makeServer('prometheus');
  const [url, prometheusUrl] = await Promise.all([
    listenOnLoopback(streamhouseServer, { host: o.host }),
    listenOnLoopback(prometheusServer, { host: o.host }),
  ]);

  return {
    url,
    prometheusUrl,
    get scenario() {
      return scenario;
    },
    get requests() {
      return requests;
    },
    setScenario(s) {
      scenario = s;
      model = createMetricModel(s);
      startedAt = clock.now();
      if (s === 'unreachable') for (const t of trackers) t.destroyAll();
    },
    setReady(r) {
      ready = r;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async close() {
      delays.clear();
      await Promise.all([streamhouseServer, prometheusServer].map(closeServer));
    },
  };
}

function only(method: string, allowed: string, handler: () => Reply): Reply {
  return method === allowed ? handler() : { status: 405, body: '' };
}

function json(status: number, value: unknown): Reply {
  return { status, body: JSON.stringify(value), contentType: 'application/json' };
}

function registryError(status: number, errorCode: number, message: string): Reply {
  return json(status, { error_code: errorCode, message });
}

const COMPATIBILITY_LEVELS = [
  'BACKWARD',
  'FORWARD',
  'FULL',
  'BACKWARD_TRANSITIVE',
  'FORWARD_TRANSITIVE',
  'FULL_TRANSITIVE',
  'NONE',
];

function parseCompatibility(body: string): string | undefined {
  try {
    const value = (JSON.parse(body) as { compatibility?: unknown }).compatibility;
    return typeof value === 'string' && COMPATIBILITY_LEVELS.includes(value.toUpperCase())
      ? value.toUpperCase()
      : undefined;
  } catch {
    return undefined;
  }
}

/** Prometheus prints values as strings: `"NaN"`, `"+Inf"`, `"0.25"`. */
function promValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { 'content-length': String(Buffer.byteLength(reply.body)) };
  if (reply.contentType) headers['content-type'] = reply.contentType;
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BODY) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
