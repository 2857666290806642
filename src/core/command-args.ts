import type { ArgSpec } from './command-spec.js';
import { hasDotSegment } from './dot-segment.js';

/**
 * Whether `value` is acceptable for `spec`: it matches the pattern, is one of the choices when there are, and it is never a `.`/`..` path segment in any
 * spelling (values end up in request paths, where those would reach another endpoint — whatever the pattern allows).
 */
export function isValidArg(spec: Pick<ArgSpec, 'pattern' | 'choices'>, value: string): boolean {
  return (
    typeof value === 'string' &&
    (!spec.pattern || spec.pattern.test(value)) &&
    (!spec.choices || spec.choices.includes(value)) &&
    !hasDotSegment(value)
  );
}

/**
 * Checks parameters that did not come through `parseCommandText` — e.g. a fix offered by a finding, whose
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
