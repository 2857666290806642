import type { Finding, ProposedAction, Severity } from '../../src/core/report.js';

/** What a rule's `evaluate` returns; {@link evaluateRule} adds the rule's code, section and defaults. */
export interface FindingDraft {
  readonly severity: Severity;
  /** The measured value against its threshold. */
  readonly evidence: string;
  /** Defaults to the rule's `okTitle` for `ok`, else its `title`. */
  readonly title?: string;
  /** Defaults to the rule's `nextStep` for `warning`/`critical`. */
  readonly nextStep?: string;
  /** Replaces the rule's correction. */
  readonly runbookCorrection?: string;
  readonly actions?: readonly ProposedAction[];
}

/** One check of the Streamhouse runbook, as data, over the observations `Obs` of one workflow. */
export interface StreamhouseRule<Obs> {
  /** Stable dotted code (`streamhouse.producer.circuit-breaker`). */
  readonly code: string;
  /** Title when the signal is bad. */
  readonly title: string;
  /** Title when the signal is healthy. */
  readonly okTitle: string;
  /** Runbook section the signal comes from. */
  readonly section: string;
  /** What to do when the signal is bad, corrected where the runbook is wrong. */
  readonly nextStep: string;
  /** Where the runbook misleads about this signal. */
  readonly runbookCorrection?: string;
  /**
   * `always`: the correction is shown even when the signal is ok, because the runbook's way of checking it is wrong
   * whatever the state (its alert metric never updates). Default `bad`.
   */
  readonly correctionWhen?: 'bad' | 'always';
  /** Reads the observations; null when the data it needs is missing (the failed probe is reported on its own). */
  evaluate(obs: Obs, nowMs: number): FindingDraft | null;
}

/** Evaluates one rule into a finding (null when its data is missing). */
export function evaluateRule<Obs>(rule: StreamhouseRule<Obs>, obs: Obs, nowMs: number): Finding | null {
  const draft = rule.evaluate(obs, nowMs);
  if (!draft) return null;
  const bad = draft.severity === 'warning' || draft.severity === 'critical';
  const correction =
    draft.runbookCorrection ?? (bad || rule.correctionWhen === 'always' ? rule.runbookCorrection : undefined);
  const finding: Finding = {
    code: rule.code,
    severity: draft.severity,
    title: draft.title ?? (draft.severity === 'ok' ? rule.okTitle : rule.title),
    evidence: draft.evidence,
    section: rule.section,
    nextStep: draft.nextStep ?? (bad ? rule.nextStep : undefined),
    runbookCorrection: correction,
    actions: draft.actions && draft.actions.length > 0 ? draft.actions : undefined,
  };
  return Object.fromEntries(Object.entries(finding).filter(([, v]) => v !== undefined)) as unknown as Finding;
}

/** Runs the rules in order; rules without data are skipped. */
export function evaluateRules<Obs>(rules: readonly StreamhouseRule<Obs>[], obs: Obs, nowMs: number): Finding[] {
  return rules.map((r) => evaluateRule(r, obs, nowMs)).filter((f): f is Finding => f !== null);
}

/** The core's ordering and counts, where this system's workflows import their rule helpers from. */
export { countsText, sortFindings } from '../../src/core/report.js';

/** `4 min 12 s ago` from a past epoch-ms time. */
export function ago(ms: number, nowMs: number): string {
  return `${formatAge(nowMs - ms)} ago`;
}

/** A duration in ms as `850 ms`, `42 s`, `4 min 12 s`, `2 h 5 min`. */
export function formatAge(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(abs / 1000);
  const sign = ms < 0 ? '-' : '';
  if (s < 60) return `${sign}${s} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const r = s - m * 60;
    return `${sign}${m} min${r ? ` ${r} s` : ''}`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.round((s - h * 3600) / 60);
  return `${sign}${h} h${m ? ` ${m} min` : ''}`;
}

/** The first `max` items joined with `; `, and `; +N more` when cut. */
export function listText(items: readonly string[], max: number): string {
  const shown = items.slice(0, max).join('; ');
  return items.length > max ? `${shown}; +${items.length - max} more` : shown;
}
