import { UserFacingError } from './user-facing-error.js';
import type { Workflow } from './workflow.js';
import type { Remediation } from './remediation.js';
import type { Actor, Conversation } from './invocation.js';
import { hasDotSegment } from './dot-segment.js';

/** A positional argument of a subcommand. */
export interface ArgSpec {
  readonly name: string;
  /** Shown in usage (`<queue>`). */
  readonly description: string;
  readonly required: boolean;
  /** Values must match (validated before anything is queued). */
  readonly pattern?: RegExp;
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

const MAX_TEXT = 500;

/**
 * Whether `value` is acceptable for `spec`: it matches the pattern, and it is never a `.`/`..` path segment in any
 * spelling (values end up in request paths, where those would reach another endpoint — whatever the pattern allows).
 */
export function isValidArg(spec: Pick<ArgSpec, 'pattern'>, value: string): boolean {
  return typeof value === 'string' && (!spec.pattern || spec.pattern.test(value)) && !hasDotSegment(value);
}

/**
 * Checks parameters that did not come through {@link parseCommandText} — e.g. a fix offered by a finding, whose
 * values come from a target (a queue's name) — against the fix's own argument specs: every required one present,
 * nothing unknown, each value valid ({@link isValidArg}). Returns what is wrong, or undefined when they pass.
 */
export function checkParams(specs: readonly ArgSpec[], params: Readonly<Record<string, string>>): string | undefined {
  for (const spec of specs) {
    const value = params[spec.name];
    if (value === undefined) {
      if (spec.required) return `<${spec.name}> is missing`;
      continue;
    }
    if (!isValidArg(spec, value)) return `<${spec.name}> is not a valid ${spec.description}`;
  }
  const unknown = Object.keys(params).find((k) => !specs.some((s) => s.name === k));
  return unknown === undefined ? undefined : `"${unknown.slice(0, 40)}" is not a parameter of this fix`;
}

/** Splits on whitespace; double or single quotes group words. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) tokens.push(m[1] ?? m[2] ?? m[3] ?? '');
  return tokens;
}

function usageLine(spec: CommandSpec, sub: SubcommandSpec): string {
  const parts = [`/${spec.name} ${sub.name}`];
  for (const a of sub.args) parts.push(a.required ? `<${a.name}>` : `[${a.name}]`);
  for (const o of sub.options ?? []) parts.push(`[--${o.name} <${o.name}>]`);
  if (sub.needsTarget !== false) parts.push('[--target NAME]');
  return parts.join(' ');
}

/** The help text of a command: one line per subcommand, from the workflows' own descriptions. */
export function renderHelp(spec: CommandSpec): string {
  const lines = [`/${spec.name} — ${spec.description}`, ''];
  for (const sub of spec.subcommands) lines.push(`• ${usageLine(spec, sub)} — ${sub.description}`);
  lines.push(`• /${spec.name} help — this list`);
  return lines.join('\n');
}

function usageError(spec: CommandSpec, message: string, sub?: SubcommandSpec): UserFacingError {
  const usage = sub ? `Usage: ${usageLine(spec, sub)}` : renderHelp(spec);
  return new UserFacingError('usage', `${message}\n${usage}`);
}

/**
 * Parses what the user typed after the command (`health --target prod`). `targets` are the configured instance
 * names of the command's system. Throws {@link UserFacingError} with usage for anything it cannot run.
 */
export function parseCommandText(spec: CommandSpec, text: string, targets: readonly string[]): ParsedCommand {
  if (text.length > MAX_TEXT) throw usageError(spec, `That command is too long (${text.length} characters).`);
  const tokens = tokenize(text.trim());
  const name = (tokens.shift() ?? 'help').toLowerCase();
  if (name === 'help' || name === '--help' || name === '-h') return { kind: 'help', text: renderHelp(spec) };
  const sub = spec.subcommands.find((s) => s.name === name);
  if (!sub) throw usageError(spec, `Unknown subcommand "${name.slice(0, 40)}".`);

  let target: string | undefined;
  const options: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (!tok.startsWith('--')) {
      positional.push(tok);
      continue;
    }
    const eq = tok.indexOf('=');
    const key = (eq === -1 ? tok.slice(2) : tok.slice(2, eq)).toLowerCase();
    const value = eq === -1 ? tokens[++i] : tok.slice(eq + 1);
    if (value === undefined || value === '') throw usageError(spec, `--${key} needs a value.`, sub);
    if (key === 'target') {
      target = value;
      continue;
    }
    const opt = sub.options?.find((o) => o.name === key);
    if (!opt) throw usageError(spec, `Unknown option --${key.slice(0, 40)}.`, sub);
    if (!isValidArg(opt, value)) throw usageError(spec, `Invalid value for --${key}.`, sub);
    options[opt.name] = value;
  }

  const args: Record<string, string> = { ...options };
  if (positional.length > sub.args.length) throw usageError(spec, 'Too many arguments.', sub);
  sub.args.forEach((a, i) => {
    const value = positional[i];
    if (value === undefined) {
      if (a.required) throw usageError(spec, `Missing <${a.name}>.`, sub);
      return;
    }
    if (!isValidArg(a, value)) throw usageError(spec, `Invalid <${a.name}>: "${value.slice(0, 80)}".`, sub);
    args[a.name] = value;
  });

  const kind = sub.remediation ? 'remediate' : 'run';
  if (sub.needsTarget === false) {
    return { kind, system: spec.system, workflow: sub.workflow, subcommand: sub.name, target: '', args };
  }
  return {
    kind,
    system: spec.system,
    workflow: sub.workflow,
    subcommand: sub.name,
    target: resolveTarget(spec, targets, target),
    args,
  };
}

/** `--target` picks an instance; without it the only configured one is used; ambiguity lists the names. */
export function resolveTarget(spec: CommandSpec, targets: readonly string[], requested: string | undefined): string {
  if (requested !== undefined) {
    if (targets.includes(requested)) return requested;
    throw new UserFacingError(
      'unknown-target',
      targets.length
        ? `No ${spec.displayName} instance named "${requested.slice(0, 60)}". Configured: ${targets.join(', ')}.`
        : `No ${spec.displayName} instance is configured (add one under targets.${spec.system} in the bot config).`,
    );
  }
  if (targets.length === 1) return targets[0]!;
  if (targets.length === 0) {
    throw new UserFacingError(
      'no-target',
      `No ${spec.displayName} instance is configured (add one under targets.${spec.system} in the bot config).`,
    );
  }
  throw new UserFacingError(
    'ambiguous-target',
    `Several ${spec.displayName} instances are configured: ${targets.join(', ')}. Add --target NAME.`,
  );
}

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
