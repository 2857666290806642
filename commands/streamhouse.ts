import { createSystemCommand } from '../src/core/command.js';
import { streamhouseWorkflows } from '../workflows/streamhouse/index.js';
import { streamhouseRemediations } from '../workflows/streamhouse/remediations.js';

/** `/streamhouse`: one subcommand per workflow and per fix of the Streamhouse runbook. */
export const streamhouseCommand = createSystemCommand(
  'streamhouse',
  'Streamhouse',
  streamhouseWorkflows,
  streamhouseRemediations,
);
