import type { CorvoClients } from '../../integrations/corvo/index.js';
import { createChecklistWorkflow, workflowAsDailyChecklist, type Checklist } from '../../src/core/checklist.js';
import { healthWorkflow } from './health.js';

/** Corvo's runbook has no checklist of its own: its health check is the daily one (every finding of `health`). */
export const corvoChecklists: readonly Checklist<CorvoClients>[] = [
  workflowAsDailyChecklist({ section: 'Health check (daily)', text: 'Health check', workflow: healthWorkflow }),
];

/** `/corvo checklist daily`. */
export const corvoChecklistWorkflow = createChecklistWorkflow({
  system: 'corvo',
  displayName: 'Corvo',
  checklists: corvoChecklists,
});
