import { checklistNamesOf, checklistTitle } from '../core/checklist.js';
import type { SystemModule } from '../core/system.js';

/** What a schedule runs: a workflow of its system with its arguments, and the report's title. */
export interface ScheduledRun {
  readonly workflow: string;
  readonly args: Readonly<Record<string, string>>;
  /** `Try It Now daily checklist`, `Corvo health (schedule corvo-health)`; the renderers add ` — <target>`. */
  readonly title: string;
}

/** A schedule's `checklist:` or `workflow:` (exactly one is set; the config checks that). */
export interface ScheduledRunSpec {
  readonly name: string;
  readonly checklist?: string;
  readonly workflow?: string;
}

/**
 * Resolves what a schedule runs, or says why it cannot run. A `workflow:` must be one of the system's workflows. A
 * `checklist:` must be one of the system's runbook checklists (its `checklist` workflow's lists: Try It Now's daily,
 * weekly, monthly and on-deploy, KyroDB's daily and weekly, the health check as the daily of the others); it runs
 * that workflow with the checklist's name. The config refuses unknown names at load; this says why at start too.
 */
export function resolveScheduledRun(
  system: SystemModule | undefined,
  spec: ScheduledRunSpec,
): ScheduledRun | { readonly problem: string } {
  if (!system) return { problem: 'unknown system' };
  if (spec.workflow !== undefined) {
    const workflow = system.workflows.find((w) => w.id === spec.workflow);
    if (!workflow) {
      return {
        problem: `${system.displayName} has no workflow "${spec.workflow}" (one of: ${system.workflows.map((w) => w.id).join(', ')})`,
      };
    }
    return { workflow: workflow.id, args: {}, title: `${workflow.title} (schedule ${spec.name})` };
  }
  const checklist = spec.checklist ?? '';
  const names = checklistNamesOf(system.workflows);
  if (names.includes(checklist)) {
    return { workflow: 'checklist', args: { checklist }, title: checklistTitle(system.displayName, checklist) };
  }
  return {
    problem:
      `${system.displayName} has no checklist "${checklist}"` +
      (names.length ? ` (one of: ${names.join(', ')})` : ' (it has no checklists)'),
  };
}
