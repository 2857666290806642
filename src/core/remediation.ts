import type { ArgSpec } from './command-spec.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

/** What a remediation needs to run: the instance's clients and the approved parameters. */
export interface RemediationContext<Clients> {
  readonly target: string;
  readonly clients: Clients;
  readonly params: Readonly<Record<string, string>>;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Who asked for the step and confirmed or approved it (`slack:U…`), for fixes that tell others who did it. */
  readonly requestedBy?: string;
}

/** What a remediation did, in one line for chat ("rebuilt in 1,234 ms"). */
export interface RemediationResult {
  readonly summary: string;
}

/**
 * A fix the runbook offers, as data plus one small function. Destructive ones need a second person's approval
 * (`approval`); reversible ones need the requester to confirm (`confirm`). Named imperatively (`rebuild-sqlite`).
 */
export interface Remediation<Clients> {
  /** Id, kebab-case; also the subcommand that requests it (`/corvo rebuild-sqlite`). */
  readonly id: string;
  /** Button text and card title (`Rebuild SQLite`). */
  readonly title: string;
  /** One line for help. */
  readonly description: string;
  readonly level: 'approval' | 'confirm';
  readonly destructive: boolean;
  /** Parameters, in order, as typed after the subcommand. Validated before anything is recorded. */
  readonly params: readonly ArgSpec[];
  /** The exact call it makes, for the approval card (`POST /api/v1/admin/rebuild-sqlite`). */
  describeCall(params: Readonly<Record<string, string>>): string;
  /** What it changes, for the approval card, corrected where the runbook is wrong. */
  describeEffect(params: Readonly<Record<string, string>>): string;
  /**
   * The diagnostic that motivates it: re-run at click time (if the finding has cleared, the step does not run) and
   * after the step (to tell whether it worked). Absent: no re-validation.
   */
  readonly verify?: { readonly workflow: string; readonly findingCode: string };
  execute(ctx: RemediationContext<Clients>): Promise<RemediationResult>;
}
