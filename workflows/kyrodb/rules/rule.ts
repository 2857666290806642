/**
 * A KyroDB check is a core {@link Rule} over {@link KyroObservations} plus the runbook's escalation row. The one
 * KyroDB convention on top of the core engine: every bad finding opens its next step with the runbook's severity
 * ("Runbook severity P1 if …"), or says that no row of the table covers it.
 */
import {
  evaluateRule as evaluateCoreRule,
  evaluateRules as evaluateCoreRules,
  isBad,
  type EvaluateOptions,
  type FindingDraft,
  type Rule,
  type RuleText,
} from '../../../src/core/rule.js';
import type { Finding } from '../../../src/core/report.js';
import { escalationFields, escalationText, type Escalation } from '../escalation.js';
import type { KyroObservations } from '../observe.js';

/** A draft that may name another escalation row than its rule's, or `null` for none. */
export interface KyroDraft extends FindingDraft {
  /** Defaults to the rule's `escalation`; `null` for none. */
  readonly escalation?: Escalation | null;
}

/** One check of the KyroDB runbook, as data. */
export type KyroRule = Rule<KyroObservations, KyroDraft> & {
  /** The runbook's escalation row for this signal; quoted at the head of the next step when the signal is bad. */
  readonly escalation?: Escalation;
  /** Every KyroDB check says what to do when its signal is bad. */
  readonly nextStep: RuleText<KyroObservations>;
};

/** Said when no row of the runbook's escalation table fits a bad signal, so every finding states its severity. */
export const NO_ESCALATION_TEXT = "Runbook severity: no row of the runbook's escalation table (P0-P3) covers this.";

/** The escalation prefix: a bad finding's next step opens with the runbook's severity for it. */
export const KYRO_EVALUATE: EvaluateOptions<KyroObservations, KyroDraft> = {
  finish(finding, draft, rule) {
    if (!isBad(finding.severity)) return finding;
    // The core hands `finish` the rule as a core Rule; every rule evaluated with these options is a KyroRule.
    const escalation = draft.escalation === null ? undefined : (draft.escalation ?? (rule as KyroRule).escalation);
    const severityText = escalation ? escalationText(escalation) : NO_ESCALATION_TEXT;
    return {
      ...finding,
      nextStep: `${severityText} ${finding.nextStep ?? ''}`.trim(),
      // The row's duration and P-level, for the engine's pending step and the page (issue 14).
      ...(escalation ? escalationFields(escalation, finding.code) : {}),
    };
  },
};

/** Runs one KyroDB rule (core engine, escalation prefix); null when the rule had nothing to read. */
export function evaluateRule(rule: KyroRule, obs: KyroObservations, nowMs: number): Finding | null {
  return evaluateCoreRule(rule, obs, nowMs, KYRO_EVALUATE);
}

/** Runs the KyroDB rules in order; rules without data are skipped. */
export function evaluateRules(rules: readonly KyroRule[], obs: KyroObservations, nowMs: number): Finding[] {
  return evaluateCoreRules(rules, obs, nowMs, KYRO_EVALUATE);
}
