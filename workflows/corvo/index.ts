import type { CorvoClients } from '../../integrations/corvo/index.js';
import type { Workflow } from '../../src/core/workflow.js';
import { healthWorkflow } from './health.js';

/** Corvo's workflows, one per runbook symptom; `help` lists them in this order. */
export const corvoWorkflows: readonly Workflow<CorvoClients>[] = [healthWorkflow];
