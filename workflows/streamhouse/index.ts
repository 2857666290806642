import type { StreamhouseClients } from '../../integrations/streamhouse/index.js';
import type { Workflow } from '../../src/core/workflow.js';
import { healthWorkflow } from './health.js';
import { leasesWorkflow } from './leases.js';
import { schemasWorkflow } from './schemas.js';

export { streamhouseChecklistWorkflow, streamhouseChecklists } from './checklists.js';

export { streamhouseRemediations } from './remediations.js';

/** Streamhouse's workflows, one per runbook area; `help` lists them in this order. Diagnostics only for now. */
export const streamhouseWorkflows: readonly Workflow<StreamhouseClients>[] = [
  healthWorkflow,
  leasesWorkflow,
  schemasWorkflow,
];
