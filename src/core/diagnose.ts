/**
 * The diagnose pipeline every runbook shares once its probes have run: find the probes that got no answer, report
 * them in the system's own words, and, unless nothing answered at all, evaluate the rules and sort the findings
 * worst first. The system keeps what is its own: which probes ran, how a failed probe is worded, the summary line.
 */
import { failedProbes, nothingAnswered, type FailedProbe, type RanProbe } from './probe.js';
import { sortFindings, type Finding } from './report.js';
import { evaluateRules, type EvaluateOptions, type FindingDraft, type Rule } from './rule.js';
import type { ThresholdLookup } from './threshold.js';

/** What {@link diagnoseProbes} reads. */
export interface DiagnoseInput<Obs, Draft extends FindingDraft = FindingDraft> {
  /** The observations the rules read. */
  readonly obs: Obs;
  /** The probes that ran (see `probesRun`), the workflow's own included: they decide "nothing answered". */
  readonly ran: readonly RanProbe[];
  /** The checks, in report order within a severity. */
  readonly rules: readonly Rule<Obs, Draft>[];
  /** The time the rules judge ages against. */
  readonly nowMs: number;
  /** Counts an error as an answer (see `failedProbes`: Corvo's `/healthz` 503 UNHEALTHY is a verdict). */
  readonly isAnswer?: (probe: RanProbe, error: unknown) => boolean;
  /**
   * The system's findings for the failed probes (built with `probeFailureFinding`). `allFailed` is true when
   * nothing answered: the report then has only these findings, usually one line ("X is unreachable").
   */
  readonly failureFindings: (failed: readonly FailedProbe[], allFailed: boolean) => Finding[];
  /** Passed to {@link evaluateRules} (a system's `finish`). */
  readonly evaluate?: EvaluateOptions<Obs, Draft>;
  /** The system's thresholds (the workflow context's), handed to the rules. */
  readonly thresholds?: ThresholdLookup;
}

/** What {@link diagnoseProbes} found. */
export interface Diagnosis {
  /** Probe failures and rule findings, worst first (rule order within a severity); only the failures when nothing answered. */
  readonly findings: Finding[];
  /** True when probes ran and none answered: no rule was evaluated. */
  readonly nothingAnswered: boolean;
}

/**
 * Probe results to findings: the failed probes' findings, then (unless nothing answered) every rule's, sorted
 * worst first. Never throws on a failed probe; a rule whose data is missing is skipped.
 */
export function diagnoseProbes<Obs, Draft extends FindingDraft = FindingDraft>(
  input: DiagnoseInput<Obs, Draft>,
): Diagnosis {
  const failed = failedProbes(input.ran, input.isAnswer);
  const allFailed = nothingAnswered(input.ran, failed);
  const failures = input.failureFindings(failed, allFailed);
  if (allFailed) return { findings: failures, nothingAnswered: true };
  const findings = sortFindings([
    ...failures,
    ...evaluateRules(input.rules, input.obs, input.nowMs, {
      ...input.evaluate,
      thresholds: input.thresholds ?? input.evaluate?.thresholds,
    }),
  ]);
  return { findings, nothingAnswered: false };
}
