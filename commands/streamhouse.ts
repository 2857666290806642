import { createSystemCommand } from '../src/core/command.js';
import {
  streamhouseChecklistWorkflow,
  streamhouseRemediations,
  streamhouseWorkflows,
} from '../workflows/streamhouse/index.js';

/** `/streamhouse`: one subcommand per workflow and per fix of the Streamhouse runbook. */
export const streamhouseCommand = createSystemCommand(
  'streamhouse',
  'Streamhouse',
  [...streamhouseWorkflows, streamhouseChecklistWorkflow],
  streamhouseRemediations,
);
