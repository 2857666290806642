import type { StreamhouseClients } from '../../integrations/streamhouse/index.js';
import { createChecklistWorkflow, workflowAsDailyChecklist, type Checklist } from '../../src/core/checklist.js';
import { healthWorkflow } from './health.js';

/** Streamhouse's runbook has no checklist of its own: its health check is the daily one (every finding of `health`). */
export const streamhouseChecklists: readonly Checklist<StreamhouseClients>[] = [
  workflowAsDailyChecklist({ section: 'Health check (daily)', text: 'Health check', workflow: healthWorkflow }),
];

/** `/streamhouse checklist daily`. */
export const streamhouseChecklistWorkflow = createChecklistWorkflow({
  system: 'streamhouse',
  displayName: 'Streamhouse',
  checklists: streamhouseChecklists,
});
