import { createSystemCommand } from '../src/core/command.js';
import { m4ChecklistWorkflow, m4Remediations, m4Workflows } from '../workflows/m4/index.js';

/** `/m4`: one subcommand per workflow and per fix of the M4 runbook. It never offers to set `publishedAt`. */
export const m4Command = createSystemCommand('m4', 'M4', [...m4Workflows, m4ChecklistWorkflow], m4Remediations);
