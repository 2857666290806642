import {
  failedProbes,
  nothingAnswered,
  probeFailureFinding,
  type FailedProbe,
  type ProbeResult,
  type RanProbe,
} from '../../src/core/probe.js';
import type { Finding } from '../../src/core/report.js';
import { isTargetError } from '../../src/core/target-error.js';
import { SECTION } from './corrections.js';

/**
 * A probe that ran, as its failure finding names it: `streamhouse.probe.<code>` (the same probe has a different code
 * in another group, e.g. the metadata store's `agents` is `metadata-agents`).
 */
export function ranProbe(
  code: string,
  probe: { readonly endpoint: string; readonly what: string },
  result: ProbeResult<unknown>,
): RanProbe {
  return { name: code, endpoint: probe.endpoint, what: probe.what, result };
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
 * Inconclusive findings for the failed probes of one service (see {@link ranProbe}). When every probe of several
 * failed there is one finding (`streamhouse.probe.<allName>`) with the first error as evidence; otherwise one per
 * failed probe.
 */
export function probeFailureFindings(
  service: string,
  target: string,
  ran: readonly RanProbe[],
  allName: string,
  section: string = SECTION.agentHealth,
): Finding[] {
  const failed = failedProbes(ran);
  return serviceFailureFindings(service, target, failed, nothingAnswered(ran, failed), allName, section);
}

/** {@link probeFailureFindings} from the core's failed probes (`allFailed`: none of the service's probes answered). */
export function serviceFailureFindings(
  service: string,
  target: string,
  failed: readonly FailedProbe[],
  allFailed: boolean,
  allName: string,
  section: string = SECTION.agentHealth,
): Finding[] {
  if (failed.length === 0) return [];
  if (allFailed && failed.length > 1) {
    const first = failed[0]!;
    const kinds = new Set(failed.map((p) => kindOf(p.error)));
    const kind = kinds.size === 1 ? kindOf(first.error) : 'mixed';
    const title =
      kind === 'unreachable' || kind === 'timeout'
        ? `${service} ${target} is unreachable`
        : failureTitle(service, target, failed.map((p) => p.what).join(', '), first.error);
    const finding = probeFailureFinding(`streamhouse.probe.${allName}`, title, first.error, section);
    return [{ ...finding, evidence: `${finding.evidence} (all ${failed.length} probes failed)` }];
  }
  return failed.map((p) =>
    probeFailureFinding(
      `streamhouse.probe.${p.name}`,
      failureTitle(service, target, p.what, p.error),
      p.error,
      section,
    ),
  );
}

/** The error's chat-safe message, or a generic line for anything that is not a TargetError. */
export function errorText(error: unknown): string {
  return isTargetError(error) ? error.message : 'unexpected error (see the bot logs)';
}
