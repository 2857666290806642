/**
 * The KyroDB pipeline of `/kyrodb health` and `/kyrodb latency`: the core's {@link diagnoseProbes} (probe failures,
 * nothing-answered short-circuit, the rules with the escalation prefix, worst first) with KyroDB's wording.
 */
import { diagnoseProbes, type Diagnosis } from '../../src/core/diagnose.js';
import { kyroFailureFindings, kyroProbesRun, type KyroObservations } from './observe.js';
import { KYRO_EVALUATE, type KyroRule } from './rules/index.js';

/** Probe failures and rule findings of one KyroDB server, worst first; only the failures when nothing answered. */
export function diagnoseKyro(
  obs: KyroObservations,
  rules: readonly KyroRule[],
  target: string,
  nowMs: number,
): Diagnosis {
  return diagnoseProbes({
    obs,
    ran: kyroProbesRun(obs),
    rules,
    nowMs,
    evaluate: KYRO_EVALUATE,
    failureFindings: (failed, allFailed) => kyroFailureFindings(failed, allFailed, obs.origin, target),
  });
}

/** The summary when nothing answered: the one failure's title ("KyroDB prod is unreachable"). */
export function unreachableSummary(findings: readonly { readonly title: string }[], target: string): string {
  return findings[0]?.title ?? `KyroDB ${target} could not be checked`;
}
