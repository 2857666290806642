import type { KyroClients } from '../../integrations/kyrodb/index.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { METRIC_NAME_MAP } from './corrections.js';
import { diagnoseKyro, unreachableSummary } from './diagnose.js';
import { observeKyro } from './observe.js';
import { kyroLatencyRules } from './rules/index.js';
import { countsText } from '../../src/core/report.js';

/**
 * `/kyrodb latency`: the runbook's "P99 Latency High" — the p99 against its SLO and what the metrics can say about
 * the layer (the cache hit rate, the tier split), never HNSW from `kyrodb_hnsw_latency_ns` (the whole search call).
 */
export async function runLatency(ctx: WorkflowContext<KyroClients>): Promise<WorkflowResult> {
  const obs = await observeKyro(ctx.clients.kyrodb, ctx.signal);
  const { findings, nothingAnswered } = diagnoseKyro(obs, kyroLatencyRules, ctx.target, ctx.clock.now());
  if (nothingAnswered) return { findings, summary: unreachableSummary(findings, ctx.target) };
  // The slow-layer verdict when the p99 is over its SLO, else the p99 verdict ("Query p99 latency within SLO").
  const layer = findings.find((f) => f.code === 'kyrodb.latency.slow-layer' && f.severity === 'warning');
  const p99 = findings.find((f) => f.code === 'kyrodb.latency.query-p99');
  ctx.logger.debug({ findings: findings.length }, 'kyrodb latency evaluated');
  return {
    findings,
    summary: `${(layer ?? p99)?.title ?? 'Query latency unknown'}; ${countsText(findings)}`,
    notes: [
      'The runbook greps metric names KyroDB does not export. What to read instead:',
      ...METRIC_NAME_MAP.map((r) => `• ${r.runbook} → ${r.actual}`),
    ],
  };
}

export const latencyWorkflow: Workflow<KyroClients> = {
  id: 'latency',
  title: 'KyroDB latency',
  description:
    'P99 against its SLO, cache hit rate and hot/cold tier; says what the metrics cannot tell about the slow layer.',
  run: runLatency,
};
