import type { KyroClients } from '../../integrations/kyrodb/index.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { NOT_MEASURED_NOTE, portCorrection } from './corrections.js';
import { diagnoseKyro, unreachableSummary } from './diagnose.js';
import { observeKyro, type KyroObservations } from './observe.js';
import { kyroHealthRules } from './rules/index.js';
import { countsText } from '../../src/core/report.js';

/** `healthy`, `degraded (reason)`, `status unknown`. */
export function describeStatus(obs: KyroObservations): string {
  if (!obs.health.ok) return 'status unknown';
  const h = obs.health.value;
  return 'reason' in h ? `${h.status} (${h.reason})` : h.status;
}

/**
 * `/kyrodb health`: every probe in parallel plus a second `/metrics` scrape `writeWindowMs` later (the write check:
 * KyroDB does not export its breaker state), then every rule of the runbook's health, WAL and training sections.
 */
export async function runHealth(ctx: WorkflowContext<KyroClients>): Promise<WorkflowResult> {
  const client = ctx.clients.kyrodb;
  const obs = await observeKyro(client, ctx.signal, { writeWindowMs: client.writeWindowMs });
  const { findings, nothingAnswered } = diagnoseKyro(obs, kyroHealthRules, ctx.target, ctx.clock.now());
  if (nothingAnswered) return { findings, summary: unreachableSummary(findings, ctx.target) };
  ctx.logger.debug({ findings: findings.length }, 'kyrodb health evaluated');
  return {
    findings,
    summary: `KyroDB ${ctx.target}: ${describeStatus(obs)}; ${countsText(findings)}`,
    notes: [portCorrection(obs.origin), NOT_MEASURED_NOTE],
  };
}

export const healthWorkflow: Workflow<KyroClients> = {
  id: 'health',
  title: 'KyroDB health',
  description:
    'Checks /health, /ready, SLO breaches, whether writes are refused (inserts between two scrapes), training, errors.',
  run: runHealth,
};
