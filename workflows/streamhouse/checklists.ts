import type { StreamhouseClients } from '../../integrations/streamhouse/index.js';
import { createChecklistWorkflow, type Checklist } from '../../src/core/checklist.js';
import { healthWorkflow } from './health.js';

/** Streamhouse's runbook has no checklist of its own: its health check is the daily one (every finding of `health`). */
export const streamhouseChecklists: readonly Checklist<StreamhouseClients>[] = [
  {
    name: 'daily',
    section: 'Health check (daily)',
    items: [{ kind: 'check', text: 'Health check', workflow: healthWorkflow, codes: 'all' }],
  },
];

/** `/streamhouse checklist daily`. */
export const streamhouseChecklistWorkflow = createChecklistWorkflow({
  system: 'streamhouse',
  displayName: 'Streamhouse',
  checklists: streamhouseChecklists,
});
