import { formatSeconds } from '../../src/core/format.js';
import type { Finding, ProposedAction, Severity } from '../../src/core/report.js';
import { inconclusiveFinding, isTargetError } from '../../src/core/target-error.js';

/** Probes come from the core; this system's workflows import them from here. */
export { settle, type ProbeResult } from '../../src/core/probe.js';

/** What a rule's `evaluate` returns; {@link evaluateRules} adds the rule's code, section and defaults. */
export interface FindingDraft {
  readonly severity: Severity;
  readonly evidence: string;
  /** Defaults to the rule's `okTitle` for `ok`, else its `title`. */
  readonly title?: string;
  /** Defaults to the rule's `nextStep` when not ok. */
  readonly nextStep?: string;
  /** Defaults to the rule's `runbookCorrection` (shown whatever the severity: it is about the check's own method). */
  readonly runbookCorrection?: string;
  readonly actions?: readonly ProposedAction[];
}

/** One check of the M4 runbook, as data. `evaluate` returns null when the check does not apply. */
export interface M4Rule<Obs> {
  /** Stable dotted code (`m4.outbox.stuck`). */
  readonly code: string;
  readonly title: string;
  readonly okTitle: string;
  /** Runbook section the check comes from. */
  readonly section: string;
  readonly nextStep?: string;
  readonly runbookCorrection?: string;
  evaluate(obs: Obs, nowMs: number): FindingDraft | null;
}

export function evaluateRules<Obs>(rules: readonly M4Rule<Obs>[], obs: Obs, nowMs: number): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    const draft = rule.evaluate(obs, nowMs);
    if (!draft) continue;
    const bad = draft.severity !== 'ok';
    const nextStep = draft.nextStep ?? (bad ? rule.nextStep : undefined);
    const correction = draft.runbookCorrection ?? rule.runbookCorrection;
    findings.push({
      code: rule.code,
      severity: draft.severity,
      title: draft.title ?? (bad ? rule.title : rule.okTitle),
      evidence: draft.evidence,
      section: rule.section,
      ...(nextStep ? { nextStep } : {}),
      ...(correction ? { runbookCorrection: correction } : {}),
      ...(draft.actions && draft.actions.length > 0 ? { actions: draft.actions } : {}),
    });
  }
  return findings;
}

/** The core's ordering and counts, where this system's workflows import their rule helpers from. */
export { countsText, sortFindings } from '../../src/core/report.js';

/** The inconclusive finding of a failed probe: `m4.probe.<what>`, the TargetError's chat-safe reason as evidence. */
export function probeFailure(code: string, title: string, error: unknown, section?: string): Finding {
  return inconclusiveFinding(code, title, error, section);
}

export function errorKind(error: unknown): string {
  return isTargetError(error) ? error.kind : 'unexpected';
}

/** `ms` as "25 min", "1.5 s", "120 ms". */
export function duration(ms: number): string {
  return formatSeconds(ms / 1000);
}

/** ISO time, or "—". */
export function iso(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : new Date(ms).toISOString();
}
