import type { ApiHealth, DemoRoutes, NatsHealthz, TryItNowClients } from '../../integrations/tryitnow/index.js';
import { parseExposition, type Exposition } from '../../integrations/prometheus/parse-exposition.js';
import { findSamples } from '../../integrations/prometheus/query.js';
import { formatNumber } from '../../src/core/format.js';
import type { Finding } from '../../src/core/report.js';
import { isTargetError } from '../../src/core/target-error.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { CORRECTION, SECTION } from './corrections.js';
import {
  countsText,
  evaluateRules,
  plural,
  probeFailureFindings,
  settle,
  sortFindings,
  valueOf,
  type FailedProbe,
  type ProbeResult,
  type Rule,
} from './rule.js';

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

export async function observeHealth(clients: TryItNowClients, signal: AbortSignal): Promise<HealthObservations> {
  const [api, nats, valkey, caddy, metrics] = await Promise.all([
    settle(() => clients.api.health({ signal })),
    settle(() => clients.nats.healthz({ signal })),
    settle(() => clients.valkey.ping({ signal })),
    settle(() => clients.caddy.demoRoutes({ signal })),
    settle(async () => parseExposition(await clients.api.metricsText({ signal }))),
  ]);
  return { api, nats, valkey, caddy, metrics };
}

const apiHealth: Rule<HealthObservations> = {
  code: 'tryitnow.health.api',
  title: 'Try It Now API is unhealthy',
  okTitle: 'Try It Now API healthy',
  section: SECTION.healthChecks,
  nextStep:
    "The API answers 503 when its own Valkey ping fails: check Valkey (`valkey-cli -h <host> ping`, and this report's " +
    "Valkey line) and the API's VALKEY_ADDR; `journalctl -u try-it-now | grep -i valkey`.",
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
          `${apiHealth.nextStep} While Valkey is away nothing can be acquired (acquire answers 500 RATE_LIMIT_ERROR), ` +
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

function failures(obs: HealthObservations): FailedProbe[] {
  const failed: FailedProbe[] = [];
  const add = (p: ProbeResult<unknown>, code: string, what: string): void => {
    if (!p.ok) failed.push({ code, what, section: SECTION.healthChecks, error: p.error });
  };
  add(obs.api, 'tryitnow.probe.api-health', 'The Try It Now API');
  add(obs.nats, 'tryitnow.probe.nats-monitor', 'The NATS monitoring endpoint');
  add(obs.valkey, 'tryitnow.probe.valkey', 'Valkey');
  add(obs.caddy, 'tryitnow.probe.caddy', 'The Caddy admin API');
  return failed;
}

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
  const obs = await observeHealth(ctx.clients, ctx.signal);
  const findings = sortFindings([
    ...probeFailureFindings(failures(obs), ctx.target),
    ...evaluateRules(healthRules, obs),
  ]);
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
