import { createSystemCommand } from '../src/core/command.js';
import { corvoChecklistWorkflow, corvoRemediations, corvoWorkflows } from '../workflows/corvo/index.js';

/** `/corvo`: one subcommand per workflow and per fix of the Corvo runbook. */
export const corvoCommand = createSystemCommand(
  'corvo',
  'Corvo',
  [...corvoWorkflows, corvoChecklistWorkflow],
  corvoRemediations,
);
