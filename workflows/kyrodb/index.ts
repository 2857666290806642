import type { KyroClients } from '../../integrations/kyrodb/index.js';
import type { Workflow } from '../../src/core/workflow.js';
import { decideWorkflow } from './decide.js';
import { healthWorkflow } from './health.js';
import { latencyWorkflow } from './latency.js';

export { kyrodbChecklistWorkflow, kyrodbChecklists } from './checklists.js';

/** KyroDB's workflows, one per runbook procedure; `help` lists them in this order. Diagnostics only (no fixes yet). */
export const kyrodbWorkflows: readonly Workflow<KyroClients>[] = [healthWorkflow, latencyWorkflow, decideWorkflow];
