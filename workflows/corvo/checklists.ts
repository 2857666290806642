import type { CorvoClients } from '../../integrations/corvo/index.js';
import { createChecklistWorkflow, type Checklist } from '../../src/core/checklist.js';
import { healthWorkflow } from './health.js';

/** Corvo's runbook has no checklist of its own: its health check is the daily one (every finding of `health`). */
export const corvoChecklists: readonly Checklist<CorvoClients>[] = [
  {
    name: 'daily',
    section: 'Health check (daily)',
    items: [{ kind: 'check', text: 'Health check', workflow: healthWorkflow, codes: 'all' }],
  },
];

/** `/corvo checklist daily`. */
export const corvoChecklistWorkflow = createChecklistWorkflow({
  system: 'corvo',
  displayName: 'Corvo',
  checklists: corvoChecklists,
});
