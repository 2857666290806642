/**
 * Try It Now's probes, on the core's probe table: each probe says how its failure is reported (code, runbook
 * section), and {@link probeFailures} words every failed probe the same way, for all four workflows.
 */
import type { TryItNowClients } from '../../integrations/tryitnow/index.js';
import {
  probeFailureFinding,
  type FailedProbe,
  type ProbeResult,
  type ProbeSpec,
  type ProbeValue,
} from '../../src/core/probe.js';
import type { Finding } from '../../src/core/report.js';
import { isTargetError } from '../../src/core/target-error.js';

/** How a probe that got no answer is reported. */
export interface ProbeFailureReport {
  /** Finding code (`tryitnow.probe.…`). */
  readonly code: string;
  readonly section: string;
  /** Added to the finding when the probe was refused the bot's credentials (`/metrics` needs the API key). */
  readonly unauthorizedCorrection?: string;
}

/**
 * One Try It Now probe: the core's spec (`what` names it in the failure's title: "Valkey", "The Caddy admin API")
 * and how its failure is reported. Without `failure`, a failed probe is left to the rules that read it.
 */
export interface TryItNowProbe<T> extends ProbeSpec<TryItNowClients, T> {
  readonly failure?: ProbeFailureReport;
}

/** Every probe of a workflow, by the observation it fills (a core `ProbeTable` with failure reports). */
export type TryItNowProbes<Obs> = { readonly [K in keyof Obs]-?: TryItNowProbe<ProbeValue<Obs[K]>> };

/** The value of a probe that answered, else undefined. */
export function valueOf<T>(p: ProbeResult<T>): T | undefined {
  return p.ok ? p.value : undefined;
}

function titleFor(error: unknown, target: string, what: string): string {
  const kind = isTargetError(error) ? error.kind : 'unexpected';
  switch (kind) {
    case 'timeout':
      return `${what} of ${target} did not answer in time`;
    case 'unreachable':
      return `${what} of ${target} is unreachable`;
    case 'unauthorized':
      return `${what} of ${target} rejected the bot's credentials`;
    case 'forbidden':
      return `${what} of ${target} refused the bot`;
    default:
      return `Could not read ${what} of ${target}`;
  }
}

function failureFinding(report: ProbeFailureReport, what: string, error: unknown, target: string): Finding {
  const finding = probeFailureFinding(report.code, titleFor(error, target, what), error, report.section);
  return report.unauthorizedCorrection && isTargetError(error) && error.kind === 'unauthorized'
    ? { ...finding, runbookCorrection: report.unauthorizedCorrection }
    : finding;
}

/**
 * The findings of the failed probes (the core pipeline's `failureFindings`): one inconclusive finding per failed
 * probe that has a `failure` report, naming what could not be read and why; one per code (Valkey's PING and its
 * reads share a connection: the first failed probe in table order speaks for both). With `nothingAnswered`, a
 * workflow whose probes all failed gets that one line instead ("NATS JetStream is unreachable", not three).
 */
export function probeFailures<Obs>(
  probes: TryItNowProbes<Obs>,
  target: string,
  o: { readonly nothingAnswered?: ProbeFailureReport & { readonly what: string } } = {},
): (failed: readonly FailedProbe[], allFailed: boolean) => Finding[] {
  return (failed, allFailed) => {
    if (allFailed && o.nothingAnswered) {
      return [failureFinding(o.nothingAnswered, o.nothingAnswered.what, failed[0]!.error, target)];
    }
    const codes = new Set<string>();
    const findings: Finding[] = [];
    for (const f of failed) {
      const report = probes[f.name as keyof Obs].failure;
      if (!report || codes.has(report.code)) continue;
      codes.add(report.code);
      findings.push(failureFinding(report, f.what, f.error, target));
    }
    return findings;
  };
}
