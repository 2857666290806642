import { createSystemCommand } from '../src/core/command.js';
import { kyrodbChecklistWorkflow, kyrodbWorkflows } from '../workflows/kyrodb/index.js';

/**
 * `/kyrodb`: one subcommand per workflow. No fix is a button: KyroDB has no circuit-breaker reset endpoint and no
 * SIGHUP handler, so those runbook steps are shown as manual steps with their warnings.
 */
export const kyrodbCommand = createSystemCommand('kyrodb', 'KyroDB', [...kyrodbWorkflows, kyrodbChecklistWorkflow]);
