import { createSystemCommand } from '../src/core/command.js';
import { streamhouseWorkflows } from '../workflows/streamhouse/index.js';

/** `/streamhouse`: one subcommand per workflow of the Streamhouse runbook. */
export const streamhouseCommand = createSystemCommand('streamhouse', 'Streamhouse', streamhouseWorkflows);
