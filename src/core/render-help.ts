import type { CommandSpec, SubcommandSpec } from './command-spec.js';

/** One subcommand's usage: `/m4 stream <name> [--subject <subject>] [--target NAME]`. */
export function usageLine(spec: CommandSpec, sub: SubcommandSpec): string {
  const parts = [`/${spec.name} ${sub.name}`];
  for (const a of sub.args) {
    const shown = a.choices?.length ? a.choices.join('|') : a.name;
    parts.push(a.required ? `<${shown}>` : `[${shown}]`);
  }
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
