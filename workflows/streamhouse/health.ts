import {
  NEVER_UPDATED_RUNBOOK_METRICS,
  SUBSTITUTE_ALERT_EXPR,
  type StreamhouseClients,
} from '../../integrations/streamhouse/index.js';
import { countsText, sortFindings } from '../../src/core/report.js';
import { evaluateRules } from '../../src/core/rule.js';
import { probeFailureFinding } from '../../src/core/probe.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { SECTION } from './corrections.js';
import { healthRules, readAgents } from './health-rules.js';
import { LEASE_THRESHOLDS } from './lease-rules.js';
import { DEFAULT_SAMPLE, PROBES, observeHealth, type HealthObservations, type SampleOptions } from './observe.js';
import { errorText, probeFailureFindings, ranProbe } from './probe-findings.js';

/** Options of {@link createHealthWorkflow}. */
export interface HealthWorkflowOptions {
  /** How `/metrics` is sampled when no Prometheus is configured (tests inject a sleep that moves their clock). */
  readonly sample?: SampleOptions;
}

function failures(obs: HealthObservations, target: string) {
  const http = probeFailureFindings(
    'Streamhouse',
    target,
    [
      ranProbe('health', PROBES.health, obs.health),
      ranProbe('ready', PROBES.ready, obs.ready),
      ranProbe('metrics', PROBES.metrics, obs.rates),
      // The agent list also comes from the metadata store; a failed /admin/agents matters only when both failed.
      ...(obs.dbAgents.ok ? [] : [ranProbe('agents', PROBES.agents, obs.agents)]),
    ],
    'unreachable',
  );
  if (!obs.rates.ok && obs.prometheusError !== undefined) {
    // Both sources of rates failed: say so once, with both reasons.
    const i = http.findIndex((f) => f.code === 'streamhouse.probe.metrics');
    if (i >= 0) {
      const f = http[i]!;
      http[i] = { ...f, evidence: `${f.evidence}; Prometheus: ${errorText(obs.prometheusError)}` };
    }
  }
  const db = probeFailureFindings(
    'Metadata database of',
    target,
    [
      ranProbe('metadata-agents', PROBES.metadataAgents, obs.dbAgents),
      ranProbe('metadata-leases', PROBES.metadataLeases, obs.leases),
    ],
    'metadata',
    SECTION.database,
  );
  return [...http, ...db];
}

function notes(obs: HealthObservations): string[] {
  const out: string[] = [];
  if (obs.rates.ok) {
    const r = obs.rates.value;
    out.push(
      r.source === 'prometheus'
        ? `Rates are ${r.window}.`
        : `Rates are ${r.window}; set prometheusUrl for 5-minute rates over every server.`,
    );
  }
  if (obs.prometheusError !== undefined && obs.rates.ok) {
    out.push(
      `Prometheus did not answer (${errorText(obs.prometheusError)}); rates were sampled from /metrics instead.`,
    );
  }
  if (!obs.agents.ok && obs.dbAgents.ok) {
    out.push(`${errorText(obs.agents.error)} — agents were read from the metadata store instead.`);
  }
  out.push(
    `The runbook's alert rules use ${NEVER_UPDATED_RUNBOOK_METRICS.map((m) => `\`${m.runbookName}\``).join(', ')}: ` +
      'without the `streamhouse_` prefix they match nothing, and the real families are registered but never updated, ' +
      `so none of those alerts can fire. Working substitutes: \`${SUBSTITUTE_ALERT_EXPR.circuitBreaker}\` and ` +
      `\`${SUBSTITUTE_ALERT_EXPR.rateLimited}\`.`,
  );
  return out;
}

function describe(obs: HealthObservations, nowMs: number): string {
  const view = readAgents(obs);
  if (!view) return 'Agents unknown';
  const alive = view.agents.filter((a) => nowMs - a.lastHeartbeatMs <= LEASE_THRESHOLDS.heartbeatDeadMs).length;
  const v = obs.leases.ok ? obs.leases.value.visibility : undefined;
  const leases = !obs.leases.ok
    ? ''
    : v?.scope === 'hidden'
      ? ', leases hidden by row-level security'
      : `, ${obs.leases.value.total} leases${v?.scope === 'organization' ? ` (organization ${v.organizationId} only)` : ''}`;
  return `${alive}/${view.agents.length} agents alive${leases}`;
}

/** `/streamhouse health`, with the metrics sampling injectable. */
export function createHealthWorkflow(options: HealthWorkflowOptions = {}): Workflow<StreamhouseClients> {
  const sample = options.sample ?? DEFAULT_SAMPLE;
  return {
    id: 'health',
    title: 'Streamhouse health',
    description:
      'Checks /health, /ready, agents and heartbeats, leases, producer errors (circuit breaker, rate limiting), S3 ' +
      'errors and latency, and consumer lag.',
    async run(ctx: WorkflowContext<StreamhouseClients>): Promise<WorkflowResult> {
      let obs: HealthObservations;
      try {
        obs = await observeHealth(ctx.clients, ctx.clock, ctx.signal, sample);
      } catch (err) {
        // observeHealth never throws; this guards the report anyway.
        return { findings: [probeFailureFinding('streamhouse.probe.failed', 'Health check could not run', err)] };
      }
      const now = ctx.clock.now();
      const failed = failures(obs, ctx.target);
      const findings = sortFindings([...failed, ...evaluateRules(healthRules, obs, now)]);
      ctx.logger.debug({ findings: findings.length }, 'streamhouse health evaluated');
      return { findings, summary: `${describe(obs, now)}; ${countsText(findings)}`, notes: notes(obs) };
    },
  };
}

export const healthWorkflow = createHealthWorkflow();
