import type { Actor, Conversation } from './invocation.js';

// The command model: what a slash command and its subcommands declare, what parsing yields, and what a chat
// platform hands over. Types only; parsing, help text and the factory live in their own files.

/** A positional argument of a subcommand. */
export interface ArgSpec {
  readonly name: string;
  /** Shown in usage (`<queue>`). */
  readonly description: string;
  readonly required: boolean;
  /** Values must match (validated before anything is queued). */
  readonly pattern?: RegExp;
  /** The only values accepted, shown in usage instead of the name (`<daily|weekly>`). */
  readonly choices?: readonly string[];
}

/** A `--name value` option of a subcommand (besides the universal `--target`). */
export interface OptionSpec {
  readonly name: string;
  readonly description: string;
  readonly pattern?: RegExp;
}

/** One subcommand (`health`, `jobs-stuck-pending <queue>`). */
export interface SubcommandSpec {
  readonly name: string;
  /** One line, user-facing; `help` lists it. */
  readonly description: string;
  readonly args: readonly ArgSpec[];
  readonly options?: readonly OptionSpec[];
  /** What running it does: a workflow of the system, or an engine action (`audit`). */
  readonly workflow: string;
  /** Set when the subcommand asks for a fix (`rebuild-sqlite`): it opens an approval request instead of a run. */
  readonly remediation?: { readonly level: 'approval' | 'confirm' };
  /** False for engine commands that need no configured target (`/runbook audit`). Default true. */
  readonly needsTarget?: boolean;
}

/** What users type: one slash command (`/corvo`) with its subcommands. `help` is implicit. */
export interface CommandSpec {
  /** Without the slash: `corvo`. */
  readonly name: string;
  /** The system its workflows belong to (`corvo`), or `runbook` for the bot's own commands. */
  readonly system: string;
  /** Display name in help (`Corvo`). */
  readonly displayName: string;
  readonly description: string;
  readonly subcommands: readonly SubcommandSpec[];
}

/** A parsed command line. */
export type ParsedCommand =
  | { readonly kind: 'help'; readonly text: string }
  | {
      readonly kind: 'run' | 'remediate';
      readonly system: string;
      /** The workflow, or for `remediate` the remediation id. */
      readonly workflow: string;
      readonly subcommand: string;
      readonly target: string;
      readonly args: Readonly<Record<string, string>>;
    };

/** A command as it arrived from any chat platform, already verified. */
export interface CommandRequest {
  /** Without slash: `corvo`. */
  readonly command: string;
  /** What followed the command; parsed here, never stored or queued as is. */
  readonly text: string;
  readonly actor: Actor;
  readonly conversation: Conversation;
  /**
   * Unique per user action and identical on redelivery (Slack `trigger_id`, Teams activity id): the invocation id
   * is derived from it, so a redelivered command maps onto the job already queued.
   */
  readonly deliveryKey: string;
}

/** The immediate answer, shown only to the user who typed the command. */
export interface CommandReply {
  readonly text: string;
  /** Set when a job was queued. */
  readonly invocationId?: string;
}
