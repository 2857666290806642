import type { ApiHealth, DemoRoutes, NatsHealthz, TryItNowClients } from '../../integrations/tryitnow/index.js';
import { parseExposition, type Exposition } from '../../integrations/prometheus/parse-exposition.js';
import { findSamples } from '../../integrations/prometheus/query.js';
import { diagnoseProbes } from '../../src/core/diagnose.js';
import { formatNumber } from '../../src/core/format.js';
import { probesRun, runProbes, type ProbeResult } from '../../src/core/probe.js';
import { countsText, type Finding } from '../../src/core/report.js';
import type { Rule } from '../../src/core/rule.js';
import { isTargetError } from '../../src/core/target-error.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { CORRECTION, SECTION } from './corrections.js';
import { plural } from './format.js';
import { probeFailures, valueOf, type TryItNowProbes } from './probes.js';

/** One probe per component the runbook's "Health Checks" section names, taken at the same moment. */
export interface HealthObservations {
  /** Try It Now `GET /health` (no auth). */
  readonly api: ProbeResult<ApiHealth & { readonly httpStatus: number }>;
  /** NATS monitoring `GET /healthz`. */
  readonly nats: ProbeResult<NatsHealthz & { readonly httpStatus: number }>;
  /** Valkey `PING`. */
  readonly valkey: ProbeResult<string>;
  /** Caddy admin `GET /config/apps/http/servers/demo/routes`. */
  readonly caddy: ProbeResult<DemoRoutes>;
  /** `GET /metrics` (key): the acquire and route counters tell a fresh server from a deleted `demo` server. */
  readonly metrics: ProbeResult<Exposition>;
}

const healthFailure = (code: string) => ({ code, section: SECTION.healthChecks });

/** The probes, run in parallel; a failed `/metrics` is read by the Caddy rule (it needs the API key). */
export const healthProbes: TryItNowProbes<HealthObservations> = {
  api: {
    endpoint: 'GET /health',
    what: 'The Try It Now API',
    failure: healthFailure('tryitnow.probe.api-health'),
    call: (clients, signal) => clients.api.health({ signal }),
  },
  nats: {
    endpoint: 'GET /healthz',
    what: 'The NATS monitoring endpoint',
    failure: healthFailure('tryitnow.probe.nats-monitor'),
    call: (clients, signal) => clients.nats.healthz({ signal }),
  },
  valkey: {
    endpoint: 'PING',
    what: 'Valkey',
    failure: healthFailure('tryitnow.probe.valkey'),
    call: (clients, signal) => clients.valkey.ping({ signal }),
  },
  caddy: {
    endpoint: 'GET /config/apps/http/servers/demo/routes',
    what: 'The Caddy admin API',
    failure: healthFailure('tryitnow.probe.caddy'),
    call: (clients, signal) => clients.caddy.demoRoutes({ signal }),
  },
  metrics: {
    endpoint: 'GET /metrics',
    what: 'The metrics',
    call: async (clients, signal) => parseExposition(await clients.api.metricsText({ signal })),
  },
};

const API_STEP =
  "The API answers 503 when its own Valkey ping fails: check Valkey (`valkey-cli -h <host> ping`, and this report's " +
  "Valkey line) and the API's VALKEY_ADDR; `journalctl -u try-it-now | grep -i valkey`.";

const apiHealth: Rule<HealthObservations> = {
  code: 'tryitnow.health.api',
  title: 'Try It Now API is unhealthy',
  okTitle: 'Try It Now API healthy',
  section: SECTION.healthChecks,
  nextStep: API_STEP,
  runbookCorrection: CORRECTION.healthBody,
  evaluate(obs) {
    const h = valueOf(obs.api);
    if (!h) return null;
    if (h.httpStatus === 200 && h.status === 'ok') {
      return {
        severity: 'ok',
        evidence: `GET /health → 200 {"status":"ok"}, container mode ${h.mode ?? 'not reported'}`,
      };
    }
    if (h.httpStatus === 503) {
      return {
        severity: 'critical',
        title: 'Try It Now API cannot reach its store (Valkey)',
        evidence: `GET /health → 503 {"status":"${h.status}","error":"${h.error ?? ''}"}`,
        nextStep:
          `${API_STEP} While Valkey is away nothing can be acquired (acquire answers 500 RATE_LIMIT_ERROR), ` +
          '`/api/v1/pool/stats` hangs without an answer, and the `demo_pool_*` gauges stay frozen at their last ' +
          'values: they are not the pool.',
      };
    }
    return { severity: 'warning', evidence: `GET /health → ${h.httpStatus} status "${h.status}" (expected "ok")` };
  },
};

const natsHealth: Rule<HealthObservations> = {
  code: 'tryitnow.health.nats',
  title: 'NATS server reports unhealthy',
  okTitle: 'NATS server healthy',
  section: SECTION.healthChecks,
  nextStep:
    'NATS `/healthz` fails when the server or JetStream is not ready (e.g. JetStream disabled, store unavailable, ' +
    'still recovering). Check the NATS server log and that it runs with `-js`; the Try It Now server needs ' +
    'JetStream at start-up to create its stream.',
  evaluate(obs) {
    const h = valueOf(obs.nats);
    if (!h) return null;
    if (h.httpStatus === 200 && h.status === 'ok')
      return { severity: 'ok', evidence: 'GET /healthz → 200 {"status":"ok"}' };
    return {
      severity: 'critical',
      evidence: `GET /healthz → ${h.httpStatus} status "${h.status}"${h.error ? `: ${h.error}` : ''}`,
    };
  },
};

const valkeyHealth: Rule<HealthObservations> = {
  code: 'tryitnow.health.valkey',
  title: 'Valkey answered PING with something else than PONG',
  okTitle: 'Valkey answers PING',
  section: SECTION.healthChecks,
  nextStep: 'Check the Valkey server (loading a dataset, replica without master, memory) and its log.',
  evaluate(obs) {
    const pong = valueOf(obs.valkey);
    if (pong === undefined) return null;
    return pong === 'PONG'
      ? { severity: 'ok', evidence: 'PING → PONG' }
      : { severity: 'warning', evidence: `PING → ${JSON.stringify(pong).slice(0, 60)}` };
  },
};

/** Sum of a counter's samples whose labels include `labels`. */
function counter(expo: Exposition, name: string, labels: Record<string, string>): number {
  return findSamples(expo, name)
    .filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))
    .reduce((sum, x) => sum + x.value, 0);
}

const n = formatNumber;

const caddyHealth: Rule<HealthObservations> = {
  code: 'tryitnow.health.caddy',
  title: "Caddy's `demo` server is gone: every acquire fails (503 ROUTE_FAILED)",
  okTitle: 'Caddy admin API reachable',
  section: SECTION.healthChecks,
  nextStep:
    'Try It Now creates the `demo` server once, at its first acquire, and does not notice it was deleted: until it ' +
    'restarts, each acquire answers 503 ROUTE_FAILED and destroys one ready instance. Restart the Try It Now server ' +
    '(`systemctl restart try-it-now`); the next acquire recreates the `demo` server. ' +
    CORRECTION.rateLimit,
  runbookCorrection: CORRECTION.deleteDemoServer,
  evaluate(obs) {
    const c = valueOf(obs.caddy);
    if (!c) return null;
    const expo = valueOf(obs.metrics);
    const routeFailed = expo ? counter(expo, 'demo_acquisitions_total', { result: 'route_failed' }) : 0;
    const addFailed = expo ? counter(expo, 'demo_route_operations_total', { operation: 'add', result: 'failure' }) : 0;
    const acquired = expo ? counter(expo, 'demo_acquisitions_total', { result: 'success' }) : 0;
    const counts =
      `demo_acquisitions_total{result="route_failed"} ${n(routeFailed)}, ` +
      `demo_route_operations_total{operation="add",result="failure"} ${n(addFailed)}, ` +
      `demo_acquisitions_total{result="success"} ${n(acquired)} since the server started`;
    if (c.serverExists) {
      return {
        severity: 'ok',
        evidence:
          `admin API answers; server \`demo\` has ${plural(c.routes.length, 'route')}` +
          (routeFailed > 0 || addFailed > 0 ? `; earlier route failures: ${counts}` : ''),
      };
    }
    const missing = 'GET /config/apps/http/servers/demo/routes → 400 invalid traversal path: no `demo` server';
    if (!expo) {
      const why = !obs.metrics.ok && isTargetError(obs.metrics.error) ? obs.metrics.error.message : 'not read';
      return {
        severity: 'inconclusive',
        title: 'Caddy has no `demo` server; whether that is normal cannot be told',
        evidence:
          `${missing}. Normal on a server with no acquire since it started (the first acquire creates it); an outage ` +
          `if it was deleted while the server runs. /metrics, whose acquire counters tell which, was not read: ${why}`,
        nextStep: 'Set the API key for this target (it guards /metrics too) and run `/tryitnow health` again.',
        runbookCorrection: CORRECTION.deleteDemoServer,
      };
    }
    if (routeFailed === 0 && addFailed === 0 && acquired === 0) {
      return {
        severity: 'ok',
        title: 'Caddy has no `demo` server yet — normal before the first acquire',
        evidence:
          `${missing}; ${counts}. Try It Now creates the \`demo\` server with its first acquire, so a server that ` +
          'has not handed out a demo since it started has none: this is not a failure.',
      };
    }
    return {
      severity: 'critical',
      evidence:
        `${missing}, yet ${counts}: the server had created it (or tried to), so it was deleted while Try It Now ` +
        'runs. Every acquire now fails and destroys a ready instance.',
    };
  },
};

/** The four component checks of "Monitoring › Health Checks", in report order. */
export const healthRules: readonly Rule<HealthObservations>[] = [apiHealth, natsHealth, valkeyHealth, caddyHealth];

function summaryOf(obs: HealthObservations, findings: readonly Finding[]): string {
  const api = obs.api.ok
    ? obs.api.value.httpStatus === 200
      ? `API ok (${obs.api.value.mode ?? '?'})`
      : 'API unhealthy'
    : 'API ?';
  const nats = obs.nats.ok ? (obs.nats.value.httpStatus === 200 ? 'NATS ok' : 'NATS unhealthy') : 'NATS ?';
  const valkey = obs.valkey.ok ? (obs.valkey.value === 'PONG' ? 'Valkey ok' : 'Valkey odd') : 'Valkey ?';
  const caddyFinding = findings.find((f) => f.code === 'tryitnow.health.caddy');
  const caddy = obs.caddy.ok
    ? obs.caddy.value.serverExists
      ? `Caddy ${plural(obs.caddy.value.routes.length, 'route')}`
      : caddyFinding?.severity === 'critical'
        ? 'Caddy demo server deleted'
        : 'Caddy without demo server (yet)'
    : 'Caddy ?';
  return `${[api, nats, valkey, caddy].join(', ')}; ${countsText(findings)}`;
}

/** `/tryitnow health`: the API, NATS, Valkey and Caddy, each probed once, in parallel. */
export async function runHealth(ctx: WorkflowContext<TryItNowClients>): Promise<WorkflowResult> {
  const obs = await runProbes<TryItNowClients, HealthObservations>(healthProbes, ctx.clients, ctx.signal);
  const { findings } = diagnoseProbes({
    obs,
    ran: probesRun(healthProbes, obs),
    rules: healthRules,
    nowMs: ctx.clock.now(),
    failureFindings: probeFailures(healthProbes, ctx.target),
  });
  ctx.logger.debug({ findings: findings.length }, 'tryitnow health evaluated');
  return {
    findings,
    summary: summaryOf(obs, findings),
    notes: [
      'JetStream consumers and queue depth: `/tryitnow queue`. Pool level and provision failures: `/tryitnow pool`.',
    ],
  };
}

export const healthWorkflow: Workflow<TryItNowClients> = {
  id: 'health',
  title: 'Try It Now health',
  description: 'Checks the API (/health), NATS (/healthz), Valkey (PING) and the Caddy admin API.',
  run: runHealth,
};
