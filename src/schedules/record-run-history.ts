import type pg from 'pg';
import type { Clock } from '../core/clock.js';
import type { Invocation } from '../core/invocation.js';
import type { Finding } from '../core/report.js';
import type { ReportDraft } from '../runner/run-diagnostic.js';
import { historyWorkflowOf } from '../core/checklist.js';
import { diffRuns, recordFindingRun, type FindingDiff, type RunFinding } from '../store/finding-history.js';
import { findPreviousRun } from '../store/find-previous-run.js';
import { formatClockIn, formatElapsed } from './format-time.js';

/** The schedule a run belongs to, for the digest. */
export interface ScheduleRunContext {
  readonly name: string;
  /** Time zone clock times are shown in. */
  readonly timezone: string;
}

/** A finding that holds since `since`: its evidence gains "Open since 02:14 (6 h 46 min)." on its own line. */
export function withOpenSince(finding: Finding, since: Date, now: Date, timeZone: string): Finding {
  const line = `Open since ${formatClockIn(since, now, timeZone)} (${formatElapsed(now.getTime() - since.getTime())}).`;
  return { ...finding, evidence: finding.evidence ? `${finding.evidence}\n${line}` : line };
}

const named = (f: RunFinding): string => `${f.title} (${f.code})`;

/** "since the last run (09:00): 1 new warning, 2 cleared" — or "first run of this schedule". */
export function digestSummary(diff: FindingDiff, now: Date, timeZone: string): string {
  if (diff.previousAt === null) return 'first run of this schedule';
  const parts: string[] = [];
  for (const severity of ['critical', 'warning', 'inconclusive'] as const) {
    const n = diff.appeared.filter((f) => f.severity === severity).length;
    if (n) parts.push(`${n} new ${severity}`);
  }
  if (diff.changed.length) parts.push(`${diff.changed.length} changed severity`);
  if (diff.cleared.length) parts.push(`${diff.cleared.length} cleared`);
  if (diff.unchecked.length) parts.push(`${diff.unchecked.length} not re-checked (the target did not answer)`);
  const since = `since the last run (${formatClockIn(diff.previousAt, now, timeZone)})`;
  return parts.length ? `${since}: ${parts.join(', ')}` : `${since}: no change`;
}

/** One note per change since the last run, naming the finding. */
export function digestNotes(diff: FindingDiff): string[] {
  if (diff.previousAt === null) return [];
  return [
    ...diff.appeared.map((f) => `New since the last run (${f.severity}): ${named(f)}`),
    ...diff.changed.map((c) => `Now ${c.now.severity}, was ${c.before.severity}: ${named(c.now)}`),
    ...diff.cleared.map((f) => `Cleared since the last run (was ${f.severity}): ${named(f)}`),
    ...diff.unchecked.map(
      (f) => `Not re-checked this run, still open as far as the bot knows (was ${f.severity}): ${named(f)}`,
    ),
  ];
}

/**
 * Records a run's findings in the finding history and annotates its report: each finding that already held
 * before this run says since when; a scheduled run's summary and notes say what changed since that schedule's
 * previous run, and a checklist run by hand what changed since the last run of that checklist on that target.
 * Returns the annotated draft and the diff (scheduled and checklist runs only).
 */
export async function recordRunHistory(
  db: pg.Pool,
  invocation: Invocation,
  draft: ReportDraft,
  o: { readonly now: Date; readonly schedule: ScheduleRunContext | null },
): Promise<{ draft: ReportDraft; diff?: FindingDiff }> {
  const workflow = historyWorkflowOf(invocation.workflow, invocation.args);
  const run = {
    runId: invocation.invocationId,
    system: invocation.system,
    target: invocation.target,
    workflow,
    at: o.now,
  };
  // A checklist run by hand says what changed since the last run of that checklist on that target.
  const previous = !o.schedule && workflow !== invocation.workflow ? await findPreviousRun(db, run) : undefined;
  const recorded = await recordFindingRun(db, {
    ...run,
    schedule: o.schedule?.name ?? null,
    findings: draft.findings,
  });
  const diff =
    recorded.diff ??
    (previous
      ? diffRuns(
          previous.findings,
          draft.findings.map((f) => ({ code: f.code, severity: f.severity, title: f.title, value: f.value ?? null })),
          previous.at,
          draft.findings.some((f) => f.probeFailure),
        )
      : undefined);
  const timeZone = o.schedule?.timezone ?? 'UTC';
  const findings = draft.findings.map((f) => {
    const since = recorded.since.get(f.code);
    return since && f.severity !== 'ok' ? withOpenSince(f, since, o.now, timeZone) : f;
  });
  if (!diff) return { draft: { ...draft, findings } };
  return {
    draft: {
      ...draft,
      findings,
      summary: `${draft.summary} · ${digestSummary(diff, o.now, timeZone)}`,
      notes: [...digestNotes(diff), ...(draft.notes ?? [])],
    },
    diff,
  };
}

/** The `beforeReport` of runs by hand: records their findings and says since when each one holds. */
export function createRecordRunHistory(db: pg.Pool, clock: Clock) {
  return async (invocation: Invocation, draft: ReportDraft): Promise<ReportDraft> =>
    // The bot's own reports (`/runbook audit`) have no target and no findings worth a history.
    invocation.target === '' || invocation.system === 'runbook'
      ? draft
      : (await recordRunHistory(db, invocation, draft, { now: new Date(clock.now()), schedule: null })).draft;
}
