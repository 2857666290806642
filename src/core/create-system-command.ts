import type { CommandSpec } from './command-spec.js';
import type { Remediation } from './remediation.js';
import type { Workflow } from './workflow.js';

/** The command of a target system: one subcommand per workflow and per fix, each described by itself. */
export function createSystemCommand(
  system: string,
  displayName: string,
  workflows: readonly Pick<Workflow<unknown>, 'id' | 'description' | 'args' | 'options'>[],
  remediations: readonly Pick<Remediation<unknown>, 'id' | 'description' | 'params' | 'level'>[] = [],
): CommandSpec {
  return {
    name: system,
    system,
    displayName,
    description: `${displayName} runbook`,
    subcommands: [
      ...workflows.map((w) => ({
        name: w.id,
        description: w.description,
        args: w.args ?? [],
        options: w.options,
        workflow: w.id,
      })),
      ...remediations.map((r) => ({
        name: r.id,
        description: r.description,
        args: r.params,
        workflow: r.id,
        remediation: { level: r.level },
      })),
    ],
  };
}
