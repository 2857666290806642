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
 * `checklist:` is a runbook checklist of the system; a system with no checklists of its own runs its `health`
 * workflow as its `daily` checklist (the runbooks' health check is their daily check). Runbook checklists are
 * resolved here, in this one place, when the systems carry them.
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
  if (checklist === 'daily' && system.workflows.some((w) => w.id === 'health')) {
    return { workflow: 'health', args: {}, title: `${system.displayName} daily checklist` };
  }
  return { problem: `${system.displayName} has no checklist "${checklist}"` };
}
