/**
 * What a run's findings set off beyond the report (issue 14): the runbooks' durations (pending until held, from the
 * finding history) and, when `escalation.pagerduty` is configured, the page — one trigger when a paging finding's
 * duration has held, one resolve when it clears — plus a Page on-call button on critical findings. Runs inside the
 * run's `beforeReport`, before the findings are recorded, so the history and the digest see the pending severity.
 */
import type pg from 'pg';
import type { ScheduleConfig } from '../config/config-file.js';
import type { Clock } from '../core/clock.js';
import type { Conversation, Invocation } from '../core/invocation.js';
import { historyWorkflowOf } from '../core/checklist.js';
import { isProbeFailure } from '../core/probe.js';
import { sortFindings, type EscalationLevel, type Finding, type ProposedAction } from '../core/report.js';
import type { SystemModule } from '../core/system.js';
import { createThresholdLookup, type ThresholdOverrides } from '../core/threshold.js';
import { newOpaqueId, saveOffer } from '../approvals/approval-store.js';
import type { ReportDraft } from '../runner/run-diagnostic.js';
import { formatElapsed } from '../schedules/format-time.js';
import { listUnresolved } from './escalation-store.js';
import type { Escalator } from './escalator.js';
import { judgeDurations, loadStreaks, type DurationState } from './judge-durations.js';
import { PAGE_IN_FLIGHT_TEXT, PAGE_ON_CALL } from './page-on-call.js';

/** Adds durations and pages to a run's findings before they are recorded. */
export type RunJudge = (invocation: Invocation, draft: ReportDraft, now: Date) => Promise<ReportDraft>;

export interface RunJudgeOptions {
  readonly db: pg.Pool;
  readonly systems: readonly SystemModule[];
  readonly schedules: readonly ScheduleConfig[];
  readonly thresholds: ThresholdOverrides;
  /** Absent: no paging (no `escalation.pagerduty`). */
  readonly escalation?: {
    readonly escalator: Escalator;
    /** `escalation.pagerduty.codes`: finding codes that page, beyond the runbooks' own paging rows. */
    readonly codes: Readonly<Record<string, EscalationLevel>>;
  };
  readonly clock: Clock;
}

/** A link back to where the run was posted, when the platform has a stable one. */
export function linksOf(conversation: Conversation): { href: string; text: string }[] {
  if (conversation.platform !== 'slack' || !/^[A-Z0-9]+$/.test(conversation.channelId)) return [];
  const team = conversation.teamId && /^[A-Z0-9]+$/.test(conversation.teamId) ? `&team=${conversation.teamId}` : '';
  return [
    {
      href: `https://slack.com/app_redirect?channel=${conversation.channelId}${team}`,
      text: 'Slack channel of the report',
    },
  ];
}

/**
 * The longest time between two runs of an `every:` schedule that still counts as watching: a missed tick and a late
 * start (two intervals, plus the lateness a run may have before it says it is late). Longer, nobody looked.
 */
export function maxRunGapMs(everyMs: number): number {
  return 2 * everyMs + Math.max(5000, Math.min(everyMs, 60_000));
}

/** The P-level a finding pages at, or undefined when it does not page. */
export function pageLevelOf(f: Finding, codes: Readonly<Record<string, EscalationLevel>>): EscalationLevel | undefined {
  if (f.severity === 'ok') return undefined;
  if (f.escalation?.page) return f.escalation.level;
  return codes[f.code];
}

/** `[P0] KyroDB prod: Writes are refused … (kyrodb.wal.circuit-breaker)`. */
export function pageSummary(displayName: string, target: string, level: EscalationLevel, f: Finding): string {
  return `[${level}] ${displayName} ${target}: ${f.title} (${f.code})`;
}

export function createRunJudge(o: RunJudgeOptions): RunJudge {
  return async (invocation, draft, now) => {
    const system = o.systems.find((s) => s.id === invocation.system);
    if (!system || invocation.target === '') return draft;
    const everyMs = o.schedules.flatMap((s) =>
      s.system === system.id && s.target === invocation.target && s.every !== undefined ? [s.every] : [],
    );
    const measured = everyMs.length > 0;
    const { since, durationSince, unobserved } = await loadStreaks(o.db, {
      system: system.id,
      target: invocation.target,
      codes: draft.findings.map((f) => f.code),
      now,
      ...(measured ? { maxGapMs: maxRunGapMs(Math.min(...everyMs)) } : {}),
    });
    const judged = judgeDurations(draft.findings, {
      since: durationSince,
      unobserved,
      now,
      measured,
      thresholdMs: createThresholdLookup(system.id, system.thresholds ?? [], o.thresholds),
    });
    if (!o.escalation) return { ...draft, findings: sortFindings(judged.findings) };

    const { escalator, codes } = o.escalation;
    // What the run checked, as the finding history names it: a checklist by its name (the daily checks other things
    // than the weekly), so a page is cleared by absence only from a run of what set it off.
    const runWorkflow = historyWorkflowOf(invocation.workflow, invocation.args);
    const notes: string[] = [];
    const findings: Finding[] = [];
    const stateOf = (code: string): DurationState => judged.states.get(code) ?? 'none';
    for (const f of judged.findings) {
      const level = pageLevelOf(f, codes);
      let finding = f;
      if (level && (stateOf(f.code) === 'none' || stateOf(f.code) === 'held')) {
        const summary = pageSummary(system.displayName, invocation.target, level, f);
        const held = judged.heldMs.get(f.code);
        const outcome = await escalator.page({
          system: system.id,
          target: invocation.target,
          code: f.code,
          level,
          summary,
          workflow: runWorkflow,
          fromProbe: isProbeFailure(f),
          // A finding with a duration pages once per streak of its duration condition, not of the code.
          streakSince: (f.duration ? durationSince : since).get(f.code) ?? now,
          details: {
            evidence: f.evidence,
            ...(f.nextStep ? { next_step: f.nextStep } : {}),
            ...(f.section ? { runbook_section: f.section } : {}),
            ...(held !== undefined ? { held: formatElapsed(held) } : {}),
            ...(f.duration ? { threshold: f.duration.threshold } : {}),
            finding_code: f.code,
            severity: f.severity,
            run: invocation.invocationId,
          },
          links: linksOf(invocation.conversation),
          requestedBy: 'auto',
          requestId: invocation.invocationId,
        });
        if (outcome.kind === 'sent') {
          notes.push(`Paged the on-call through PagerDuty: ${summary}`);
        } else if (outcome.kind === 'failed') {
          notes.push(
            `Could not page the on-call through PagerDuty (${outcome.error}): ` +
              (outcome.retryable ? 'the next run tries again.' : 'PagerDuty refused the event; it is not sent again.'),
          );
        } else if (outcome.current?.state === 'open' && outcome.current.openedAt) {
          finding = {
            ...f,
            evidence: `${f.evidence}\nThe on-call is paged (PagerDuty, since ${outcome.current.openedAt.toISOString()}).`,
          };
        } else if (outcome.current?.state === 'rejected') {
          // The condition's page was refused (400) and is not retried: a reader must not assume the on-call knows.
          finding = {
            ...f,
            evidence:
              `${f.evidence}\nNot paged: PagerDuty refused the page (${outcome.current.lastError ?? 'no detail'}) ` +
              'and it is not sent again for this condition; page the on-call by hand if it needs one.',
          };
        } else if (outcome.current?.state === 'triggering') {
          // Another worker holds the claim, or one stopped mid-send: the page's outcome is not known yet.
          finding = { ...f, evidence: `${f.evidence}\n${PAGE_IN_FLIGHT_TEXT}: a later run re-checks.` };
        }
      }
      if (finding.severity === 'critical') {
        finding = await withPageButton(o.db, invocation, finding, level ?? finding.escalation?.level ?? 'P1');
      }
      findings.push(finding);
    }

    // Resolve the pages whose condition this run saw cleared. A finding missing from a run whose probes failed says
    // nothing (the target did not answer), so only a run of the paging workflow with every probe answered clears it.
    const probesFailed = judged.findings.some(isProbeFailure);
    for (const row of await listUnresolved(o.db, { system: system.id, target: invocation.target })) {
      const f = judged.findings.find((x) => x.code === row.code);
      // A page the runbook asked for clears with its condition (the finding ok, or no longer a paging one: writes
      // partly failing is not "refused"); a page a person asked for clears only when the finding does.
      // Absent: a probe's failure is gone when every probe of this run answered; a rule's finding that is absent was
      // not decided (its rule had no data), which is no evidence the condition cleared.
      const cleared = f
        ? f.severity === 'ok' ||
          (row.requestedBy === 'auto' && f.severity !== 'inconclusive' && pageLevelOf(f, codes) === undefined)
        : row.fromProbe && row.workflow === runWorkflow && !probesFailed;
      if (!f && !row.fromProbe && row.workflow === runWorkflow) {
        notes.push(
          `The page for ${row.code} stays open: this run could not decide that check (it had no data for it), so ` +
            'whether the condition cleared is not known. It resolves when a run sees it ok.',
        );
      }
      if (!cleared) continue;
      const outcome = await escalator.resolve(row, invocation.invocationId);
      if (outcome.kind === 'sent') notes.push(`Resolved the page: ${row.summary}`);
      else if (outcome.kind === 'failed') {
        notes.push(`Could not resolve the page through PagerDuty (${outcome.error}): the next run tries again.`);
      }
    }
    return {
      ...draft,
      findings: sortFindings(findings),
      notes: notes.length ? [...notes, ...(draft.notes ?? [])] : draft.notes,
    };
  };
}

/** A critical finding offers Page on-call (the requester confirms): a stored offer, as the run's other buttons. */
async function withPageButton(
  db: pg.Pool,
  invocation: Invocation,
  f: Finding,
  level: EscalationLevel,
): Promise<Finding> {
  if (f.actions?.some((a) => a.remediation === PAGE_ON_CALL.id)) return f;
  const offerId = newOpaqueId('ofr');
  const params = { system: invocation.system, code: f.code, level, ...(isProbeFailure(f) ? { probe: 'yes' } : {}) };
  await saveOffer(db, {
    id: offerId,
    invocationId: invocation.invocationId,
    system: invocation.system,
    target: invocation.target,
    remediation: PAGE_ON_CALL.id,
    params,
    findingCode: f.code,
    findingTitle: f.title,
    findingEvidence: f.evidence,
  });
  const action: ProposedAction = {
    remediation: PAGE_ON_CALL.id,
    label: PAGE_ON_CALL.title,
    params,
    level: 'confirm',
    destructive: false,
    offerId,
  };
  return { ...f, actions: [...(f.actions ?? []), action] };
}
