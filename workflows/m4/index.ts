import type { M4Clients } from '../../integrations/m4/index.js';
import type { Workflow } from '../../src/core/workflow.js';
import { outboxWorkflow } from './outbox.js';
import { runWorkflow } from './run.js';
import { streamWorkflow } from './stream.js';

export { m4ChecklistWorkflow, m4Checklists } from './checklists.js';

export { m4Remediations } from './remediations.js';

/** M4's workflows, one per runbook symptom; `help` lists them in this order. */
export const m4Workflows: readonly Workflow<M4Clients>[] = [runWorkflow, outboxWorkflow, streamWorkflow];
