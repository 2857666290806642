import type { CorvoClients } from '../../integrations/corvo/index.js';
import type { Workflow, WorkflowContext, WorkflowResult } from '../../src/core/workflow.js';
import { diagnose } from './diagnose.js';
import { observeCorvo } from './observe.js';
import { corvoRules } from './rules/index.js';

/** `/corvo health`: every probe in parallel, then every rule of the runbook's health and metrics sections. */
export async function runHealth(ctx: WorkflowContext<CorvoClients>): Promise<WorkflowResult> {
  const obs = await observeCorvo(ctx.clients.corvo, ctx.signal);
  const result = diagnose(ctx, { obs, rules: corvoRules });
  ctx.logger.debug({ findings: result.findings.length }, 'corvo health evaluated');
  return result;
}

export const healthWorkflow: Workflow<CorvoClients> = {
  id: 'health',
  title: 'Corvo health',
  description: 'Checks leadership, apply pipeline, streams, Raft, SQLite mirror, scheduler, queues and workers.',
  run: runHealth,
};
