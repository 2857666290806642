import type { CommandSpec } from './command-spec.js';
import { UserFacingError } from './user-facing-error.js';

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
