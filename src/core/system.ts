import type { z } from 'zod';
import type { Clock } from './clock.js';
import type { Workflow } from './workflow.js';
import type { Remediation } from './remediation.js';
import type { ThresholdSpec } from './threshold.js';

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
  /**
   * `npm run check`: one cheap read that needs the configured credentials, proving the instance is reachable and
   * accepts them. Resolves with what it learned; throws (a `TargetError`) when it is not reachable or refuses.
   * Optional: an integration without it is reported as not checked.
   */
  readonly checkSetup?: (clients: Clients, config: Config) => Promise<SetupProbeResult>;
}

/** What {@link TargetIntegration.checkSetup} learned about one instance. */
export interface SetupProbeResult {
  /** What was read, for the check line (`API key accepted: GET /api/v1/queues answered 3 queues`). */
  readonly detail: string;
  /** The version the instance reports; absent when it reports none. */
  readonly version?: string;
  /** When there is no version: why (`Corvo's API reports no version`). */
  readonly versionNote?: string;
  /** Something that works but needs a look (the line becomes WARN). */
  readonly warning?: string;
}

/** An integration together with its workflows (`workflows/<id>/index.ts`); composed in `src/main`. */
export interface SystemModule<Config = unknown, Clients = unknown> extends TargetIntegration<Config, Clients> {
  readonly workflows: readonly Workflow<Clients>[];
  readonly remediations: readonly Remediation<Clients>[];
  /** The runbook's durations, overridable under `thresholds.<id>` (see `threshold.ts`). */
  readonly thresholds?: readonly ThresholdSpec[];
}

/** Erases an integration's type parameters for a registry list (each entry stays type-checked where it is built). */
export function eraseIntegration<Config, Clients>(integration: TargetIntegration<Config, Clients>): TargetIntegration {
  return integration as unknown as TargetIntegration;
}

/**
 * One line of the systems registry (`workflows/index.ts`): an integration joined with its runbook, which must use the
 * clients that integration builds (checked here, where both types are known), then erased like
 * {@link eraseIntegration} so that one list holds every system. Sound as long as the engine only hands a system's
 * workflows and fixes the clients of that same system's `createClients`.
 */
export function defineSystem<Config, Clients>(
  integration: TargetIntegration<Config, Clients>,
  runbook: {
    readonly workflows: readonly Workflow<Clients>[];
    readonly remediations?: readonly Remediation<Clients>[];
    readonly thresholds?: readonly ThresholdSpec[];
  },
): SystemModule {
  const system: SystemModule<Config, Clients> = {
    ...integration,
    workflows: runbook.workflows,
    remediations: runbook.remediations ?? [],
    ...(runbook.thresholds ? { thresholds: runbook.thresholds } : {}),
  };
  return { ...eraseIntegration(system), workflows: system.workflows, remediations: system.remediations };
}
