import type { z } from 'zod';
import type { Clock } from './clock.js';
import type { Workflow } from './workflow.js';
import type { Remediation } from './remediation.js';

/** What building clients may use: the clock and a default per-request timeout. */
export interface ClientDeps {
  readonly clock: Clock;
  /** Per-request timeout, ms (default chosen by each client). */
  readonly timeoutMs?: number;
}

/**
 * A target system's integration: the schema of one configured instance under `targets.<id>.<name>` (each
 * integration owns its config block) and how to build its typed clients. Listed in `integrations/index.ts`.
 */
export interface TargetIntegration<Config = unknown, Clients = unknown> {
  /** Id used in config (`targets.corvo`), commands (`/corvo`), job names, log fields and metric labels. */
  readonly id: string;
  /** Display name (`Corvo`). */
  readonly displayName: string;
  /** Zod schema of one instance under `targets.<id>.<name>`. */
  readonly instanceSchema: z.ZodType<Config>;
  createClients(config: Config, deps: ClientDeps): Clients;
}

/** An integration together with its workflows (`workflows/<id>/index.ts`); composed in `src/main`. */
export interface SystemModule<Config = unknown, Clients = unknown> extends TargetIntegration<Config, Clients> {
  readonly workflows: readonly Workflow<Clients>[];
  readonly remediations: readonly Remediation<Clients>[];
}

/** Erases an integration's type parameters for a registry list (each entry stays type-checked where it is built). */
export function eraseIntegration<Config, Clients>(integration: TargetIntegration<Config, Clients>): TargetIntegration {
  return integration as unknown as TargetIntegration;
}
