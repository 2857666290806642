import type { Clock } from './clock.js';
import type { ArgSpec, OptionSpec } from './command-spec.js';
import type { Finding } from './report.js';
import type { Logger } from './logger.js';
import type { ThresholdLookup } from './threshold.js';

/** What a workflow receives: the clients of one configured instance, plus the clock and a cancellation signal. */
export interface WorkflowContext<Clients> {
  /** Configured instance name (`prod`). */
  readonly target: string;
  /** Typed clients of the target system, built by its integration. */
  readonly clients: Clients;
  /** Parsed command arguments by name. */
  readonly args: Readonly<Record<string, string>>;
  readonly clock: Clock;
  /** Aborted when the job times out or the worker shuts down. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** The system's thresholds by name: `thresholds.<system>` of the config, else the runbook's (see `threshold.ts`). */
  readonly thresholds?: ThresholdLookup;
  /** Earlier runs' values of this target's findings (a weekly check's "same day last week"); absent without a store. */
  readonly history?: FindingHistory;
}

/** Read access to the finding history of one target (the values earlier runs recorded). */
export interface FindingHistory {
  /** The value `code` had in the run of this target nearest to `at`, within `toleranceMs`; undefined when none. */
  valueAt(
    code: string,
    at: Date,
    toleranceMs: number,
  ): Promise<{ readonly at: Date; readonly value: number } | undefined>;
}

/** What a workflow returns; the runner turns it into a {@link Report}. */
export interface WorkflowResult {
  readonly findings: readonly Finding[];
  /** The report's title when it depends on the arguments (`Try It Now daily checklist`); defaults to the workflow's. */
  readonly title?: string;
  /** One line; defaults to a count of findings by severity. */
  readonly summary?: string;
  /** Manual steps and copyable commands shown after the findings. */
  readonly notes?: readonly string[];
}

/** One runbook procedure, named for the symptom it diagnoses (`health`, `sqlite-diverged`). */
export interface Workflow<Clients> {
  /** Id, kebab-case; also the subcommand that runs it. */
  readonly id: string;
  /** Human title (`Corvo health`). */
  readonly title: string;
  /** One line, user-facing: `help` lists it. */
  readonly description: string;
  /** Positional arguments, in order (`<queue>`). */
  readonly args?: readonly ArgSpec[];
  /** `--name value` options. */
  readonly options?: readonly OptionSpec[];
  run(ctx: WorkflowContext<Clients>): Promise<WorkflowResult>;
}
