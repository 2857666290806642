import type { Finding, ProposedAction, Severity } from '../../src/core/report.js';
import { inconclusiveFinding, isTargetError } from '../../src/core/target-error.js';
import type { ProbeResult } from '../../src/core/probe.js';

/** Probes come from the core; this system's workflows import them from here. */
export { settle, type ProbeResult } from '../../src/core/probe.js';

/** The value of a probe that answered, else undefined. */
export function valueOf<T>(p: ProbeResult<T>): T | undefined {
  return p.ok ? p.value : undefined;
}

/** What a rule's `evaluate` returns; {@link evaluateRule} adds the rule's code, section and defaults. */
export interface FindingDraft {
  readonly severity: Severity;
  /** The measured value against its threshold. */
  readonly evidence: string;
  /** Defaults to the rule's `okTitle` for `ok`, else its `title`. */
  readonly title?: string;
  /** Defaults to the rule's `nextStep` for `warning`/`critical`. */
  readonly nextStep?: string;
  /** Shown at any severity when set here; defaults to the rule's correction (see {@link Rule.correctAlways}). */
  readonly runbookCorrection?: string;
  /** Defaults to the rule's `actions` for `warning`/`critical`; `[]` offers none. */
  readonly actions?: readonly ProposedAction[];
}

/** One check of the Try It Now runbook, as data plus one small function over a workflow's observations. */
export interface Rule<Obs> {
  /** Stable dotted code (`tryitnow.pool.ready`). */
  readonly code: string;
  /** Title when the signal is bad. */
  readonly title: string;
  /** Title when the signal is healthy. */
  readonly okTitle: string;
  /** Runbook section the check comes from (`Monitoring › Alerting Thresholds`). */
  readonly section: string;
  /** What to do when the signal is bad, corrected where the runbook is wrong. */
  readonly nextStep: string;
  /** Where the runbook misleads about this signal. */
  readonly runbookCorrection?: string;
  /** Show the correction on healthy findings too (the runbook's instruction for this check is wrong as written). */
  readonly correctAlways?: boolean;
  /** Fixes offered when the signal is bad. */
  readonly actions?: readonly ProposedAction[];
  /** Reads the observations; null when the data it needs is missing (the failed probe is reported on its own). */
  evaluate(obs: Obs): FindingDraft | null;
}

/** Runs one rule and turns its draft into a finding; null when the rule had nothing to read. */
export function evaluateRule<Obs>(rule: Rule<Obs>, obs: Obs): Finding | null {
  const draft = rule.evaluate(obs);
  if (!draft) return null;
  const bad = draft.severity === 'warning' || draft.severity === 'critical';
  const actions = draft.actions ?? (bad ? rule.actions : undefined);
  const finding: Finding = {
    code: rule.code,
    severity: draft.severity,
    title: draft.title ?? (draft.severity === 'ok' ? rule.okTitle : rule.title),
    evidence: draft.evidence,
    section: rule.section,
    nextStep: draft.nextStep ?? (bad ? rule.nextStep : undefined),
    runbookCorrection: draft.runbookCorrection ?? (bad || rule.correctAlways ? rule.runbookCorrection : undefined),
    actions: actions && actions.length > 0 ? actions : undefined,
  };
  return Object.fromEntries(Object.entries(finding).filter(([, v]) => v !== undefined)) as unknown as Finding;
}

/** Runs the rules in order; rules without data are skipped. */
export function evaluateRules<Obs>(rules: readonly Rule<Obs>[], obs: Obs): Finding[] {
  return rules.map((r) => evaluateRule(r, obs)).filter((f): f is Finding => f !== null);
}

/** A probe that failed, as reported. */
export interface FailedProbe {
  /** Finding code, containing `probe` (the approval engine reads that as "target did not answer"). */
  readonly code: string;
  /** e.g. "Try It Now API /metrics". */
  readonly what: string;
  readonly section: string;
  readonly error: unknown;
  /** Added to the inconclusive finding (e.g. "/metrics needs the API key"). */
  readonly runbookCorrection?: string;
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

/** One inconclusive finding per failed probe, each naming what could not be read and why. */
export function probeFailureFindings(failed: readonly FailedProbe[], target: string): Finding[] {
  return failed.map((f) => {
    const finding = inconclusiveFinding(f.code, titleFor(f.error, target, f.what), f.error, f.section);
    return f.runbookCorrection && isTargetError(f.error) && f.error.kind === 'unauthorized'
      ? { ...finding, runbookCorrection: f.runbookCorrection }
      : finding;
  });
}

/** The core's ordering and counts, where this system's workflows import their rule helpers from. */
export { countsText, sortFindings } from '../../src/core/report.js';

/** `12 %` of `part / whole`, rounded down so 19.9 % never prints as 20 %. */
export function percent(part: number, whole: number): string {
  return `${Math.floor((part / whole) * 1000) / 10} %`;
}

/** `1 message`, `3 messages`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}
