import type { M4Clients } from '../../integrations/m4/index.js';
import { createChecklistWorkflow, workflowAsDailyChecklist, type Checklist } from '../../src/core/checklist.js';
import { outboxWorkflow } from './outbox.js';

/**
 * M4's runbook has no checklist and no health check by that name: its system-wide check is the outbox's (backlog,
 * publish lag, the "Schema Health Checks" indexes), which is the daily one. Run and stream checks need a run id.
 */
export const m4Checklists: readonly Checklist<M4Clients>[] = [
  workflowAsDailyChecklist({
    section: 'Outbox Lag and Schema Health Checks (daily)',
    text: 'Outbox and schema health',
    workflow: outboxWorkflow,
  }),
];

/** `/m4 checklist daily`. */
export const m4ChecklistWorkflow = createChecklistWorkflow({
  system: 'm4',
  displayName: 'M4',
  checklists: m4Checklists,
});
