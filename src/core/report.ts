/**
 * The platform-neutral message model. Workflows produce a {@link Report}; each chat platform has one pure
 * renderer that turns it into its own format (Slack Block Kit, Adaptive Cards, plain text).
 */
import { formatNumber } from './format.js';
import type { IncidentActionKind } from './incident.js';

/** How bad a finding is. `inconclusive` means the probe could not decide (target unreachable, bad credentials…). */
export type Severity = 'ok' | 'warning' | 'critical' | 'inconclusive';

/** Ordered from best to worst, so the overall verdict is the worst finding. */
export const SEVERITY_ORDER: readonly Severity[] = ['ok', 'inconclusive', 'warning', 'critical'];

/** A fix the runbook offers for a finding. Rendered as a button; a destructive one opens an approval request. */
export interface ProposedAction {
  /** Remediation id, imperative and stable (`rebuild-sqlite`, `resume-queue`). */
  readonly remediation: string;
  /** Button text, short (Slack truncates visually near 30 characters). */
  readonly label: string;
  /** Parameters of the step (`{ queue: "emails" }`); never secrets. */
  readonly params: Readonly<Record<string, string>>;
  /** `approval`: a second person approves; `confirm`: the requester confirms; `none`: read-only follow-up. */
  readonly level: 'approval' | 'confirm' | 'none';
  /** Renders the button red. */
  readonly destructive: boolean;
  /** Opaque id of the stored offer, set by the engine before posting: the only thing a button carries. */
  readonly offerId?: string;
  /**
   * An action on an incident instead of a stored offer (Unsilence in `/runbook silences`): rendered as that
   * incident's own button, carrying `target` (`<incident id>` or `<incident id>--<silence record id>`).
   */
  readonly incident?: { readonly action: IncidentActionKind; readonly target: string };
}

/** One diagnosis: what was measured, against what, what the runbook says to do next. */
export interface Finding {
  /** Stable dotted code, e.g. `corvo.sqlite.mirror-dropped`. */
  readonly code: string;
  readonly severity: Severity;
  /** One line, e.g. "SQLite diverged from Pebble". */
  readonly title: string;
  /** The measured value against its threshold, e.g. "apply queue 14,210 / 16,384 pending — normal is < 1,000". */
  readonly evidence: string;
  /** The runbook section this check comes from, e.g. "Critical Metrics to Monitor › SQLite Mirror". */
  readonly section?: string;
  /** What to do next, corrected where the runbook disagrees with the real code. */
  readonly nextStep?: string;
  /** Where the runbook is wrong about this signal, told to the operator so they are not misled. */
  readonly runbookCorrection?: string;
  /** Fixes offered as buttons. */
  readonly actions?: readonly ProposedAction[];
  /**
   * Set on the inconclusive finding of a probe that got no answer (see `probeFailureFinding` in `probe.ts`): the
   * target did not answer, as opposed to a check that could not decide from what it read.
   */
  readonly probeFailure?: true;
  /**
   * The measured number behind the verdict (a P99 in ms, a backlog count), when there is one: kept in the finding
   * history so a later run can compare it with an earlier one. Not rendered.
   */
  readonly value?: number;
  /**
   * A runbook duration this finding's condition must hold for before it takes its severity (`circuit-breaker-open`,
   * a `held` threshold of its system): until then a scheduled run reports it as pending. Not rendered.
   */
  readonly duration?: { readonly threshold: string };
  /**
   * The runbook's escalation for this finding once its duration has held: its P-level and whether the runbook pages
   * the on-call for it (KyroDB's P0 rows). Not rendered.
   */
  readonly escalation?: { readonly level: EscalationLevel; readonly page: boolean };
}

/** A runbook's escalation level, P0 the most urgent. */
export type EscalationLevel = 'P0' | 'P1' | 'P2' | 'P3';

/** What a workflow run produced. */
export interface Report {
  /** e.g. "Corvo health". */
  readonly title: string;
  /** Target system id (`corvo`) and configured instance name (`prod`). */
  readonly system: string;
  readonly target: string;
  /** Workflow id (`health`, `sqlite-diverged`). */
  readonly workflow: string;
  /** The worst severity among the findings (`ok` when there are none). */
  readonly verdict: Severity;
  /** One-line summary under the header. */
  readonly summary: string;
  readonly findings: readonly Finding[];
  /** Correlates the chat message with logs and the audit trail. */
  readonly invocationId: string;
  /** ISO-8601 time the report was produced. */
  readonly generatedAt: string;
  /** Free-form follow-ups (manual steps, copyable commands) shown after the findings. */
  readonly notes?: readonly string[];
}

/** The worst severity of a list of findings, `ok` for none. */
export function worstSeverity(findings: readonly Pick<Finding, 'severity'>[]): Severity {
  let worst: Severity = 'ok';
  for (const f of findings) {
    if (SEVERITY_ORDER.indexOf(f.severity) > SEVERITY_ORDER.indexOf(worst)) worst = f.severity;
  }
  return worst;
}

/** Builds a report, deriving the verdict from the findings. */
export function createReport(fields: Omit<Report, 'verdict'>): Report {
  return { ...fields, verdict: worstSeverity(fields.findings) };
}

/** Worst first; within a severity, the given order (the workflows' rule order). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_ORDER.indexOf(b.f.severity) - SEVERITY_ORDER.indexOf(a.f.severity) || a.i - b.i)
    .map(({ f }) => f);
}

/** A workflow summary's counts: "1 critical, 2 warning", or "all 7 checks ok". */
export function countsText(findings: readonly Finding[]): string {
  const order: Severity[] = ['critical', 'warning', 'inconclusive'];
  const parts = order
    .map((s) => ({ s, count: findings.filter((f) => f.severity === s).length }))
    .filter((p) => p.count > 0)
    .map((p) => `${p.count} ${p.s}`);
  return parts.length > 0 ? parts.join(', ') : `all ${findings.length} checks ok`;
}

/** What a size-limited rendering left out of one group of a report: its findings by severity, and its notes. */
export interface OmittedCounts {
  /** Findings the group shows, by severity; empty for notes. */
  readonly findings: Partial<Record<Severity, number>>;
  readonly notes: number;
}

/** "3 more findings not shown (1 critical, 2 passed); 1 note not shown": every renderer's notice of what it cut. */
export function omittedText(omitted: readonly OmittedCounts[]): string {
  const by = new Map<Severity, number>();
  let notes = 0;
  for (const meta of omitted) {
    for (const [s, c] of Object.entries(meta.findings) as [Severity, number][]) by.set(s, (by.get(s) ?? 0) + c);
    notes += meta.notes;
  }
  const total = [...by.values()].reduce((a, b) => a + b, 0);
  const detail = (['critical', 'warning', 'inconclusive', 'ok'] as const)
    .filter((s) => by.get(s))
    .map((s) => `${formatNumber(by.get(s) ?? 0)} ${s === 'ok' ? 'passed' : s}`)
    .join(', ');
  const parts: string[] = [];
  if (total > 0) parts.push(`${formatNumber(total)} more finding${total === 1 ? '' : 's'} not shown (${detail})`);
  if (notes > 0) parts.push(`${formatNumber(notes)} note${notes === 1 ? '' : 's'} not shown`);
  return parts.join('; ');
}

/**
 * A rendered report's counts: "1 critical, 2 warning, 5 passed" (`withPassed`), "1 critical, 2 warning" (without),
 * "all 7 checks passed" when nothing else is left to say, "no checks ran" for none.
 */
export function verdictCountsText(findings: readonly Finding[], withPassed: boolean): string {
  const counts = new Map<Severity, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const parts = (['critical', 'warning', 'inconclusive'] as const)
    .filter((s) => counts.get(s))
    .map((s) => `${formatNumber(counts.get(s) ?? 0)} ${s}`);
  const passed = counts.get('ok') ?? 0;
  if (withPassed && passed > 0) parts.push(`${formatNumber(passed)} passed`);
  if (parts.length > 0) return parts.join(', ');
  if (findings.length === 0) return 'no checks ran';
  return `all ${formatNumber(findings.length)} checks passed`;
}
