import { createSystemCommand } from '../src/core/command.js';
import { tryitnowChecklistWorkflow, tryitnowRemediations, tryitnowWorkflows } from '../workflows/tryitnow/index.js';

/** `/tryitnow`: one subcommand per workflow and per fix of the Try It Now runbook. */
export const tryitnowCommand = createSystemCommand(
  'tryitnow',
  'Try It Now',
  [...tryitnowWorkflows, tryitnowChecklistWorkflow],
  tryitnowRemediations,
);
