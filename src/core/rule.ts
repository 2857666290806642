/**
 * The one rule engine every runbook uses: a runbook check is a {@link Rule} (data plus one small `evaluate` over a
 * workflow's observations); {@link evaluateRules} turns the drafts into {@link Finding}s with the rule's defaults.
 */
import type { Finding, ProposedAction, Severity } from './report.js';
import type { ThresholdLookup } from './threshold.js';

/** What a rule's `evaluate` returns; {@link evaluateRule} adds the rule's code, section and defaults. */
export interface FindingDraft {
  readonly severity: Severity;
  /** The measured value against its threshold. */
  readonly evidence: string;
  /** Defaults to the rule's `okTitle` for `ok`, else its `title`. */
  readonly title?: string;
  /** Defaults to the rule's `nextStep` when the finding is bad (see {@link isBad}). */
  readonly nextStep?: string;
  /** Shown at any severity when set here; defaults to the rule's correction (see {@link Rule.correctionWhen}). */
  readonly runbookCorrection?: string;
  /** Defaults to the rule's `actions` when bad; `[]` offers none. */
  readonly actions?: readonly ProposedAction[];
  /** The measured number behind the verdict, kept in the finding history (see {@link Finding.value}). */
  readonly value?: number;
}

/** A rule's text: fixed, or read from the observations (a correction that names the value the target reported). */
export type RuleText<Obs> = string | ((obs: Obs) => string);

/**
 * One check of a runbook, as data. `Obs` is what it reads (a workflow's observations); `Draft` lets a system add
 * fields to the draft that its {@link EvaluateOptions.finish} reads (KyroDB's escalation row).
 */
export interface Rule<Obs, Draft extends FindingDraft = FindingDraft> {
  /** Stable dotted code (`corvo.sqlite.mirror-dropped`). */
  readonly code: string;
  /** Title when the signal is bad. */
  readonly title: string;
  /** Title when the signal is healthy. */
  readonly okTitle: string;
  /** Runbook section the check comes from (`Critical Metrics to Monitor › SQLite Mirror`). */
  readonly section: string;
  /** What to do when the signal is bad, corrected where the runbook is wrong. */
  readonly nextStep?: RuleText<Obs>;
  /** Where the runbook misleads about this signal. */
  readonly runbookCorrection?: RuleText<Obs>;
  /**
   * When the rule's correction is shown. `bad` (default): on warning and critical findings. `always`: on every
   * finding, because the runbook's way of checking this signal is wrong whatever the state.
   */
  readonly correctionWhen?: 'bad' | 'always';
  /** Fixes offered when the signal is bad. */
  readonly actions?: readonly ProposedAction[];
  /**
   * The runbook's duration for this signal (a `held` threshold of the system, see `threshold.ts`): a bad finding is
   * pending until it has held that long across consecutive scheduled runs.
   */
  readonly duration?: { readonly threshold: string };
  /**
   * Reads the observations; null when the data it needs is missing (the failed probe is reported on its own).
   * `thresholds` resolves the system's named `value` thresholds (configured, else the runbook's); absent when the
   * caller has no config (unit tests): the rule then uses the runbook's value.
   */
  evaluate(obs: Obs, nowMs: number, thresholds?: ThresholdLookup): Draft | null;
}

/** What {@link evaluateRule} may be told beyond the rule and the observations. */
export interface EvaluateOptions<Obs, Draft extends FindingDraft> {
  /** Rewrites the finding after the defaults are applied (a system's own convention, e.g. an escalation prefix). */
  readonly finish?: (finding: Finding, draft: Draft, rule: Rule<Obs, Draft>, obs: Obs) => Finding;
  /** The system's thresholds by name, handed to each rule's `evaluate` (see `threshold.ts`). */
  readonly thresholds?: ThresholdLookup;
}

/** Warning and critical: the severities that take the rule's next step, correction and actions by default. */
export function isBad(severity: Severity): boolean {
  return severity === 'warning' || severity === 'critical';
}

function resolveText<Obs>(text: RuleText<Obs> | undefined, obs: Obs): string | undefined {
  return typeof text === 'function' ? text(obs) : text;
}

/** Runs one rule and turns its draft into a finding; null when the rule had nothing to read. */
export function evaluateRule<Obs, Draft extends FindingDraft = FindingDraft>(
  rule: Rule<Obs, Draft>,
  obs: Obs,
  nowMs: number,
  options: EvaluateOptions<Obs, Draft> = {},
): Finding | null {
  const draft = rule.evaluate(obs, nowMs, options.thresholds);
  if (!draft) return null;
  const bad = isBad(draft.severity);
  const actions = draft.actions ?? (bad ? rule.actions : undefined);
  const correction =
    draft.runbookCorrection ??
    (bad || rule.correctionWhen === 'always' ? resolveText(rule.runbookCorrection, obs) : undefined);
  const nextStep = draft.nextStep ?? (bad ? resolveText(rule.nextStep, obs) : undefined);
  const finding: Finding = {
    code: rule.code,
    severity: draft.severity,
    title: draft.title ?? (draft.severity === 'ok' ? rule.okTitle : rule.title),
    evidence: draft.evidence,
    section: rule.section,
    ...(nextStep !== undefined ? { nextStep } : {}),
    ...(correction !== undefined ? { runbookCorrection: correction } : {}),
    ...(actions && actions.length > 0 ? { actions } : {}),
    ...(bad && rule.duration ? { duration: rule.duration } : {}),
    ...(draft.value !== undefined ? { value: draft.value } : {}),
  };
  return options.finish ? options.finish(finding, draft, rule, obs) : finding;
}

/** Runs the rules in order; rules without data are skipped. */
export function evaluateRules<Obs, Draft extends FindingDraft = FindingDraft>(
  rules: readonly Rule<Obs, Draft>[],
  obs: Obs,
  nowMs: number,
  options: EvaluateOptions<Obs, Draft> = {},
): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    const finding = evaluateRule(rule, obs, nowMs, options);
    if (finding) findings.push(finding);
  }
  return findings;
}
