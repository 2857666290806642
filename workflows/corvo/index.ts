import type { CorvoClients } from '../../integrations/corvo/index.js';
import type { Workflow } from '../../src/core/workflow.js';
import { applyOverloadedWorkflow } from './apply-overloaded.js';
import { clusterJoinErrorsWorkflow } from './cluster-join-errors.js';
import { healthWorkflow } from './health.js';
import { jobsStuckActiveWorkflow } from './jobs-stuck-active.js';
import { jobsStuckPendingWorkflow } from './jobs-stuck-pending.js';
import { leaderInstabilityWorkflow } from './leader-instability.js';
import { profilingWorkflow } from './profiling.js';
import { runtimeWorkflow } from './runtime.js';
import { slowFetchesWorkflow } from './slow-fetches.js';
import { snapshotIssuesWorkflow } from './snapshot-issues.js';
import { sqliteDivergedWorkflow } from './sqlite-diverged.js';
import { streamOverloadedWorkflow } from './stream-overloaded.js';

export { corvoChecklistWorkflow, corvoChecklists } from './checklists.js';

export { corvoRemediations } from './remediations.js';

/** Corvo's workflows, one per runbook symptom; `help` lists them in this order (the runbook's). */
export const corvoWorkflows: readonly Workflow<CorvoClients>[] = [
  healthWorkflow,
  jobsStuckActiveWorkflow,
  jobsStuckPendingWorkflow,
  sqliteDivergedWorkflow,
  applyOverloadedWorkflow,
  streamOverloadedWorkflow,
  leaderInstabilityWorkflow,
  slowFetchesWorkflow,
  snapshotIssuesWorkflow,
  clusterJoinErrorsWorkflow,
  runtimeWorkflow,
  profilingWorkflow,
];
