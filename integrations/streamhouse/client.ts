import type { Dispatcher } from 'undici';
import type { ClientDeps } from '../../src/core/system.js';
import { TargetError } from '../../src/core/target-error.js';
import { createKeepAliveAgent } from '../shared/http-json-client.js';
import type { StreamhouseInstanceConfig } from './config.js';
import { chatSafe, createHttpService, parseJson } from './http.js';
import {
  AgentSchema,
  CompatibilitySchema,
  HealthSchema,
  PromQueryResponseSchema,
  RegistryErrorSchema,
  SchemaVersionSchema,
  SubjectListSchema,
  VersionListSchema,
  type Agent,
  type Health,
  type PromVector,
  type Readiness,
  type SchemaVersion,
} from './schemas.js';
import { encodePathSegment } from '../shared/path-segment.js';

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call (job timeout, worker shutdown); combined with the client's own per-request timeout. */
  readonly signal?: AbortSignal;
}

/** What building a Streamhouse client may use, beyond {@link ClientDeps}. */
export interface StreamhouseClientDeps extends ClientDeps {
  /**
   * HTTP dispatcher to send requests through (tests, proxies). Default: one keep-alive agent owned by the client
   * and destroyed by {@link StreamhouseClient.close}; an injected dispatcher is left open.
   */
  readonly dispatcher?: Dispatcher;
}

/**
 * Typed client of one Streamhouse deployment's HTTP APIs (`reference/targets.md` §3.2) and, when configured, of the
 * Prometheus that scrapes it. Every method throws only {@link TargetError}, whose message names the endpoint and the
 * reason and is safe to show in chat.
 */
export interface StreamhouseClient {
  /** `GET /health` → `{"status":"ok"}` (a standalone agent's text `OK` is read as status `ok`). */
  health(o?: CallOptions): Promise<Health>;
  /** `GET /ready`: 200 → ready; 503 (metadata store failing) → `{ ready: false, status: 503 }`, not an error. */
  ready(o?: CallOptions): Promise<Readiness>;
  /** `GET /admin/agents` (the utoipa docs say `/api/v1/agents`; the router mounts it under `/admin`). */
  agents(o?: CallOptions): Promise<Agent[]>;
  /** `GET /metrics`: the raw OpenMetrics text (parsed by the workflows). */
  metricsText(o?: CallOptions): Promise<string>;
  /** Schema registry `GET /subjects` for the configured organization. */
  subjects(o?: CallOptions): Promise<string[]>;
  /** Schema registry `GET /subjects/{s}/versions` → `[1,2,3]`. 404 (error_code 40401) is an `api-error`. */
  subjectVersions(subject: string, o?: CallOptions): Promise<number[]>;
  /** Schema registry `GET /subjects/{s}/versions/{n|latest}`. */
  schemaVersion(subject: string, version: number | 'latest', o?: CallOptions): Promise<SchemaVersion>;
  /** Schema registry `GET /config/{s}`; undefined when the subject has no level of its own (404). */
  subjectCompatibility(subject: string, o?: CallOptions): Promise<string | undefined>;
  /** Schema registry `GET /config` (global level, seeded `backward`). */
  globalCompatibility(o?: CallOptions): Promise<string>;
  /** True when `prometheusUrl` is configured. */
  readonly hasPrometheus: boolean;
  /**
   * Prometheus `GET /api/v1/query?query=…` (instant query). Throws `api-error` when no `prometheusUrl` is configured.
   * `NaN`/`±Inf` values are kept as numbers.
   */
  prometheusQuery(query: string, o?: CallOptions): Promise<PromVector>;
  /** Destroys the client's own keep-alive agent (not an injected dispatcher). Calls after this fail. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** Builds a client for one Streamhouse instance. One keep-alive dispatcher serves all three services. */
export function createStreamhouseClient(
  config: StreamhouseInstanceConfig,
  deps: StreamhouseClientDeps,
): StreamhouseClient {
  const timeoutMs = config.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ownAgent = deps.dispatcher ? undefined : createKeepAliveAgent(timeoutMs);
  const dispatcher: Dispatcher = deps.dispatcher ?? (ownAgent as Dispatcher);

  const streamhouse = createHttpService({
    service: 'Streamhouse',
    baseUrl: config.url,
    timeoutMs,
    dispatcher,
    // The one place the admin key is revealed: the header sent to the Streamhouse it belongs to.
    headers: (): Record<string, string> => (config.apiKey ? { authorization: `Bearer ${config.apiKey.reveal()}` } : {}),
    readError: readRegistryError,
  });
  const registry = createHttpService({
    service: 'the schema registry',
    baseUrl: config.schemaRegistryUrl ?? `${config.url.replace(/\/+$/, '')}/schemas`,
    timeoutMs,
    dispatcher,
    // At HEAD the subject and per-subject config routes answer 400 without it (§3.1); without organizationId
    // configured the registry says so ("Missing x-organization-id header").
    headers: (): Record<string, string> =>
      config.organizationId ? { 'x-organization-id': config.organizationId } : {},
    readError: readRegistryError,
  });
  const prometheus = config.prometheusUrl
    ? createHttpService({
        service: 'Prometheus',
        baseUrl: config.prometheusUrl,
        timeoutMs,
        dispatcher,
        readError: readPrometheusError,
      })
    : undefined;

  const subjectPath = (subject: string, what: string): string =>
    `/subjects/${encodePathSegment(subject, 'subject', `GET /subjects/{subject}/${what}`)}`;

  return {
    async health(o) {
      const answer = await streamhouse.get({ path: '/health', accept: 'application/json, text/plain;q=0.5', ...o });
      // The standalone agent binary answers text `OK`; the unified server JSON.
      if (!/json/i.test(answer.contentType) && /^\s*ok\s*$/i.test(answer.text)) return { status: 'ok' };
      return parseJson(HealthSchema, answer.text, 'GET /health', answer.status, 'Streamhouse');
    },
    async ready(o) {
      const answer = await streamhouse.get({ path: '/ready', accept: 'application/json', passStatus: [503], ...o });
      return { ready: answer.status >= 200 && answer.status <= 299, status: answer.status };
    },
    agents: (o) => streamhouse.getJson('/admin/agents', AgentSchema.array(), o?.signal),
    async metricsText(o) {
      const answer = await streamhouse.get({
        path: '/metrics',
        accept: 'application/openmetrics-text;version=1.0.0, text/plain;version=0.0.4;q=0.5',
        ...o,
      });
      if (/html/i.test(answer.contentType)) {
        throw new TargetError('bad-response', `GET /metrics: Streamhouse returned HTML instead of metrics`, {
          status: answer.status,
        });
      }
      return answer.text;
    },
    subjects: (o) => registry.getJson('/subjects', SubjectListSchema, o?.signal),
    subjectVersions: async (subject, o) =>
      registry.getJson(`${subjectPath(subject, 'versions')}/versions`, VersionListSchema, o?.signal),
    schemaVersion: async (subject, version, o) => {
      const v = version === 'latest' ? 'latest' : String(Math.trunc(version));
      return registry.getJson(`${subjectPath(subject, 'versions/{n}')}/versions/${v}`, SchemaVersionSchema, o?.signal);
    },
    async subjectCompatibility(subject, o) {
      const path = `/config/${encodePathSegment(subject, 'subject', 'GET /config/{subject}')}`;
      const answer = await registry.get({ path, accept: 'application/json', passStatus: [404], ...o });
      if (answer.status === 404) return undefined;
      return parseJson(CompatibilitySchema, answer.text, `GET ${path}`, answer.status, 'the schema registry')
        .compatibilityLevel;
    },
    globalCompatibility: async (o) =>
      (await registry.getJson('/config', CompatibilitySchema, o?.signal)).compatibilityLevel,
    hasPrometheus: prometheus !== undefined,
    async prometheusQuery(query, o) {
      if (!prometheus) {
        throw new TargetError('api-error', 'Prometheus query not sent: no prometheusUrl is configured');
      }
      const res = await prometheus.getJson(
        `/api/v1/query?query=${encodeURIComponent(query)}`,
        PromQueryResponseSchema,
        o?.signal,
      );
      if (res.status === 'error') {
        throw new TargetError(
          'api-error',
          `GET /api/v1/query: Prometheus answered ${chatSafe(res.errorType)}: ${chatSafe(res.error)}`,
          {
            code: res.errorType,
          },
        );
      }
      if (res.data.resultType === 'scalar') {
        return { series: [{ labels: {}, value: promNumber(res.data.result[1]) }] };
      }
      return { series: res.data.result.map((s) => ({ labels: s.metric, value: promNumber(s.value[1]) })) };
    },
    close: async () => {
      if (ownAgent && !ownAgent.destroyed) await ownAgent.destroy();
    },
  };
}

/** Prometheus prints sample values as strings: `"1.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`. */
function promNumber(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const n = Number(text);
  return Number.isNaN(n) ? NaN : n;
}

/** `{"error_code":40401,"message":"Subject not found"}`: the registry's error body (the REST API's too). */
function readRegistryError(text: string): { reason: string; code?: string } | undefined {
  try {
    const parsed = RegistryErrorSchema.safeParse(JSON.parse(text));
    return parsed.success ? { reason: parsed.data.message, code: String(parsed.data.error_code) } : undefined;
  } catch {
    return undefined;
  }
}

/** `{"status":"error","errorType":"bad_data","error":"…"}`. */
function readPrometheusError(text: string): { reason: string; code?: string } | undefined {
  try {
    const parsed = PromQueryResponseSchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.status === 'error'
      ? { reason: parsed.data.error, code: parsed.data.errorType }
      : undefined;
  } catch {
    return undefined;
  }
}
