import { defineSystem, type SystemModule } from '../src/core/system.js';
import { corvoIntegration } from '../integrations/corvo/index.js';
import { kyrodbIntegration } from '../integrations/kyrodb/index.js';
import { m4Integration } from '../integrations/m4/index.js';
import { streamhouseIntegration } from '../integrations/streamhouse/index.js';
import { tryitnowIntegration } from '../integrations/tryitnow/index.js';
import { CORVO_THRESHOLDS } from './corvo/durations.js';
import { corvoChecklistWorkflow, corvoWorkflows } from './corvo/index.js';
import { corvoRemediations } from './corvo/remediations.js';
import { KYRO_THRESHOLDS } from './kyrodb/durations.js';
import { kyrodbChecklistWorkflow, kyrodbWorkflows } from './kyrodb/index.js';
import { M4_THRESHOLDS } from './m4/durations.js';
import { m4ChecklistWorkflow, m4Workflows } from './m4/index.js';
import { m4Remediations } from './m4/remediations.js';
import { streamhouseChecklistWorkflow, streamhouseWorkflows } from './streamhouse/index.js';
import { streamhouseRemediations } from './streamhouse/remediations.js';
import { tryitnowChecklistWorkflow, tryitnowWorkflows } from './tryitnow/index.js';
import { tryitnowRemediations } from './tryitnow/remediations.js';

/**
 * Every system's runbook (its workflows and its fixes) joined with its integration, one line per system:
 * `defineSystem` checks that the runbook uses the clients that integration builds.
 */
export const systems: readonly SystemModule[] = [
  defineSystem(corvoIntegration, {
    workflows: [...corvoWorkflows, corvoChecklistWorkflow],
    remediations: corvoRemediations,
    thresholds: CORVO_THRESHOLDS,
  }),
  defineSystem(kyrodbIntegration, {
    workflows: [...kyrodbWorkflows, kyrodbChecklistWorkflow],
    thresholds: KYRO_THRESHOLDS,
  }),
  defineSystem(m4Integration, {
    workflows: [...m4Workflows, m4ChecklistWorkflow],
    remediations: m4Remediations,
    thresholds: M4_THRESHOLDS,
  }),
  defineSystem(streamhouseIntegration, {
    workflows: [...streamhouseWorkflows, streamhouseChecklistWorkflow],
    remediations: streamhouseRemediations,
  }),
  defineSystem(tryitnowIntegration, {
    workflows: [...tryitnowWorkflows, tryitnowChecklistWorkflow],
    remediations: tryitnowRemediations,
  }),
];
