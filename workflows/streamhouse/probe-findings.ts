import type { Finding } from '../../src/core/report.js';
import { inconclusiveFinding, isTargetError } from '../../src/core/target-error.js';
import { SECTION } from './corrections.js';
import type { ProbeResult } from './observe.js';

/** A probe that may have failed, with how to name it. */
export interface NamedProbe {
  /** Dotted-code suffix: `streamhouse.probe.<name>`. */
  readonly name: string;
  /** What it reads, for titles: `health`, `agent list`. */
  readonly what: string;
  readonly result: ProbeResult<unknown>;
}

function kindOf(error: unknown): string {
  return isTargetError(error) ? error.kind : 'unexpected';
}

/** "Streamhouse prod is unreachable (metrics)", "… rejected the bot's credentials (agent list)". */
export function failureTitle(service: string, target: string, what: string, error: unknown): string {
  switch (kindOf(error)) {
    case 'timeout':
      return `${service} ${target} did not answer in time (${what})`;
    case 'unreachable':
      return `${service} ${target} is unreachable (${what})`;
    case 'unauthorized':
      return `${service} ${target} rejected the bot's credentials (${what})`;
    case 'forbidden':
      return `The bot may not read ${what} on ${service} ${target}`;
    case 'rate-limited':
      return `${service} ${target} is rate-limiting the bot (${what})`;
    default:
      return `Could not read ${service} ${target}'s ${what}`;
  }
}

/**
 * Inconclusive findings for the failed probes of one service. When every probe failed there is one finding
 * (`streamhouse.probe.<allName>`) with the first error as evidence; otherwise one per failed probe.
 */
export function probeFailureFindings(
  service: string,
  target: string,
  probes: readonly NamedProbe[],
  allName: string,
  section: string = SECTION.agentHealth,
): Finding[] {
  const failed = probes.filter((p) => !p.result.ok);
  if (failed.length === 0) return [];
  const errorOf = (p: NamedProbe): unknown => (p.result.ok ? undefined : p.result.error);
  if (failed.length === probes.length && probes.length > 1) {
    const first = failed[0]!;
    const kinds = new Set(failed.map((p) => kindOf(errorOf(p))));
    const kind = kinds.size === 1 ? kindOf(errorOf(first)) : 'mixed';
    const title =
      kind === 'unreachable' || kind === 'timeout'
        ? `${service} ${target} is unreachable`
        : failureTitle(service, target, probes.map((p) => p.what).join(', '), errorOf(first));
    const finding = inconclusiveFinding(`streamhouse.probe.${allName}`, title, errorOf(first), section);
    return [{ ...finding, evidence: `${finding.evidence} (all ${failed.length} probes failed)` }];
  }
  return failed.map((p) =>
    inconclusiveFinding(
      `streamhouse.probe.${p.name}`,
      failureTitle(service, target, p.what, errorOf(p)),
      errorOf(p),
      section,
    ),
  );
}

/** The error's chat-safe message, or a generic line for anything that is not a TargetError. */
export function errorText(error: unknown): string {
  return isTargetError(error) ? error.message : 'unexpected error (see the bot logs)';
}
