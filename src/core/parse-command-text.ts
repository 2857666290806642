import { isValidArg } from './command-args.js';
import type { CommandSpec, ParsedCommand, SubcommandSpec } from './command-spec.js';
import { renderHelp, usageLine } from './render-help.js';
import { resolveTarget } from './resolve-target.js';
import { tokenizeCommand } from './tokenize-command.js';
import { UserFacingError } from './user-facing-error.js';

const MAX_TEXT = 500;

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
  const tokens = tokenizeCommand(text.trim());
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
