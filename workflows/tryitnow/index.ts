import type { TryItNowClients } from '../../integrations/tryitnow/index.js';
import type { Workflow } from '../../src/core/workflow.js';
import { healthWorkflow } from './health.js';
import { poolWorkflow } from './pool.js';
import { queueWorkflow } from './queue.js';
import { stateWorkflow } from './state.js';

export { tryitnowChecklistWorkflow, tryitnowChecklists } from './checklists.js';

export { tryitnowRemediations } from './remediations.js';

/** Try It Now's workflows, one per runbook symptom; `help` lists them in this order. */
export const tryitnowWorkflows: readonly Workflow<TryItNowClients>[] = [
  healthWorkflow,
  poolWorkflow,
  queueWorkflow,
  stateWorkflow,
];
