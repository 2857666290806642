/**
 * Runbook checklists as data (issue 14): a checklist is the runbook's own list ("Runbook Checklist › Daily", KyroDB's
 * "Daily checks"), each item either a check the bot answers with the findings of one of the system's workflows, a
 * trend it reads from the finding history, or a manual step with its command. {@link runChecklist} turns one into a
 * {@link WorkflowResult}; {@link createChecklistWorkflow} makes `/<system> checklist <name>` of a system's list.
 */
import { sortFindings, worstSeverity, type Finding, type Severity } from './report.js';
import type { Workflow, WorkflowContext, WorkflowResult } from './workflow.js';

/** An item the bot checks: it runs `workflow` (once per checklist run, shared by items) and keeps `codes`. */
export interface ChecklistCheck<Clients> {
  readonly kind: 'check';
  /** The runbook's wording of the item. */
  readonly text: string;
  /** The workflow whose diagnosis answers the item (reused, not a probe of its own). */
  readonly workflow: Workflow<Clients>;
  /**
   * The finding codes of that workflow that answer it (`all`: every finding, a system whose daily check is its
   * health workflow); the workflow's failed probes are reported as well.
   */
  readonly codes: readonly string[] | 'all';
  /**
   * For an item that asks whether something answers ("metrics are being collected"): the finding reported when the
   * workflow's failed probes do not include `probeCode` (when they do, that failure is the item's verdict).
   */
  readonly answered?: {
    readonly probeCode: string;
    readonly code: string;
    readonly title: string;
    readonly evidence: string;
    /**
     * Failed probes that make an answer no proof (Try It Now's `/metrics` answers while its pool gauges are frozen,
     * because the stats behind them hang): with one of these the item is inconclusive and says `why`, never ok.
     */
    readonly frozenWhen?: { readonly probeCodes: readonly string[]; readonly why: string };
  };
  /** What of the item the bot cannot see, done by hand (the log behind an error counter), with its command. */
  readonly byHand?: string;
  /** Where the runbook's way of doing this item is wrong (its command, port or metric names). */
  readonly runbookCorrection?: string;
}

/** An item that compares a finding's value with the same day of last week (KyroDB's "P99 latency trending up"). */
export interface ChecklistTrend<Clients> {
  readonly kind: 'trend';
  readonly text: string;
  /** The workflow whose finding `code` carries the value (`Finding.value`). */
  readonly workflow: Workflow<Clients>;
  readonly code: string;
  /** The trend finding's own code. */
  readonly trendCode: string;
  /** What the value is (`Query p99`). */
  readonly label: string;
  /** The value as text (`15.2 ms`). */
  readonly format: (value: number) => string;
  /** A rise above this share over last week is a warning (0.2: 20 %). */
  readonly warnRise: number;
  /** Why that threshold (the runbook sets none); shown in the evidence. */
  readonly thresholdNote: string;
}

/** An item the bot cannot check: the runbook's step and its command, shown as a copyable note. */
export interface ChecklistManual {
  readonly kind: 'manual';
  readonly text: string;
  /** The command to run, corrected where the runbook's is wrong. */
  readonly command?: string;
  /** Where the runbook's command is wrong, and what changed. */
  readonly runbookCorrection?: string;
  /** A caution that is not a correction (why the bot does not do it itself). */
  readonly note?: string;
}

export type ChecklistItem<Clients> = ChecklistCheck<Clients> | ChecklistTrend<Clients> | ChecklistManual;

/** One runbook checklist. */
export interface Checklist<Clients> {
  /** Kebab-case; the argument of `/<system> checklist <name>` and a schedule's `checklist:`. */
  readonly name: string;
  /** The runbook section it comes from (`Runbook Checklist › Daily`); each checked finding's section names its item. */
  readonly section: string;
  readonly items: readonly ChecklistItem<Clients>[];
}

/** How far from "the same time last week" an earlier value may be: the nearest run within half a day. */
export const TREND_TOLERANCE_MS = 12 * 3600_000;
const WEEK_MS = 7 * 24 * 3600_000;

/** `Try It Now daily checklist`. */
export function checklistTitle(displayName: string, name: string): string {
  return `${displayName} ${name} checklist`;
}

function withSection(finding: Finding, section: string): Finding {
  return { ...finding, section };
}

function percentChange(now: number, before: number): string {
  const change = (now - before) / before;
  const rounded = Math.round(change * 1000) / 10;
  return `${rounded > 0 ? '+' : ''}${rounded} %`;
}

async function trendFinding<Clients>(
  item: ChecklistTrend<Clients>,
  source: Finding | undefined,
  section: string,
  ctx: WorkflowContext<Clients>,
): Promise<Finding> {
  const base = { code: item.trendCode, section };
  const current = source?.value;
  if (current === undefined) {
    return {
      ...base,
      severity: 'inconclusive',
      title: `${item.label} trend unknown: no value in this run`,
      evidence: `${item.code} was not measured in this run${source ? ` (${source.title})` : ''}, so there is nothing to compare.`,
    };
  }
  const now = ctx.clock.now();
  const lastWeek = new Date(now - WEEK_MS);
  const before = await ctx.history?.valueAt(item.code, lastWeek, TREND_TOLERANCE_MS);
  if (!before || before.value <= 0) {
    return {
      ...base,
      severity: 'inconclusive',
      title: `${item.label} trend: no value from last week to compare yet`,
      evidence:
        `${item.label} ${item.format(current)} now; no run of this target stored a value within ` +
        `${TREND_TOLERANCE_MS / 3600_000} h of ${lastWeek.toISOString().slice(0, 16).replace('T', ' ')} UTC ` +
        '(the same time last week). Runs record it from now on.',
      value: current,
    };
  }
  const rise = (current - before.value) / before.value;
  const up = rise > item.warnRise;
  const direction = rise > 0 ? 'up' : rise < 0 ? 'down' : 'flat';
  return {
    ...base,
    severity: up ? 'warning' : 'ok',
    title: up
      ? `${item.label} trending up: ${percentChange(current, before.value)} on last week`
      : `${item.label} not trending up (${direction} ${percentChange(current, before.value)} on last week)`,
    evidence:
      `${item.label} ${item.format(current)} now vs ${item.format(before.value)} on ` +
      `${before.at.toISOString().slice(0, 16).replace('T', ' ')} UTC (same day last week): ` +
      `${percentChange(current, before.value)} — warning above +${Math.round(item.warnRise * 100)} %; ${item.thresholdNote}`,
    value: current,
  };
}

/**
 * Runs one checklist: each workflow its checked items name runs once (in parallel, with no arguments); each checked
 * item keeps its codes' findings (section: the item), a trend item compares with last week, and the manual items
 * become notes with their commands. The failed probes of a workflow are reported once. A workflow that throws is one
 * inconclusive finding, never a failed checklist.
 */
export async function runChecklist<Clients>(
  o: { readonly system: string; readonly displayName: string },
  checklist: Checklist<Clients>,
  ctx: WorkflowContext<Clients>,
): Promise<WorkflowResult> {
  const workflows = [
    ...new Set(checklist.items.flatMap((i) => (i.kind === 'manual' ? [] : [i.workflow]))),
  ] as Workflow<Clients>[];
  const results = new Map<Workflow<Clients>, WorkflowResult>();
  await Promise.all(
    workflows.map(async (w) => {
      try {
        results.set(w, await w.run({ ...ctx, args: {} }));
      } catch (err) {
        ctx.logger.warn({ workflow: w.id, err: { message: (err as Error)?.message } }, 'checklist workflow failed');
        results.set(w, {
          findings: [
            {
              code: `${o.system}.checklist.workflow-failed`,
              severity: 'inconclusive',
              title: `${w.title} could not complete`,
              evidence: `The ${w.id} workflow stopped on an unexpected error (details in the bot logs).`,
              probeFailure: true,
            },
          ],
        });
      }
    }),
  );

  const findings: Finding[] = [];
  const seen = new Set<string>();
  const add = (f: Finding, section: string) => {
    if (seen.has(f.code)) return;
    seen.add(f.code);
    findings.push(withSection(f, section));
  };
  const notes: string[] = [];
  const verdicts: Severity[] = [];
  let checked = 0;
  const manual: ChecklistManual[] = [];
  for (const item of checklist.items) {
    const section = `${checklist.section} › ${item.text}`;
    if (item.kind === 'manual') {
      manual.push(item);
      continue;
    }
    checked++;
    const result = results.get(item.workflow)!;
    const failed = result.findings.filter((f) => f.probeFailure);
    if (item.kind === 'trend') {
      const source = result.findings.find((f) => f.code === item.code);
      if (!source && failed.length > 0) {
        for (const f of failed) add(f, section);
        verdicts.push(worstSeverity(failed));
        continue;
      }
      const trend = await trendFinding(item, source, section, ctx);
      add(trend, section);
      verdicts.push(trend.severity);
      continue;
    }
    const own = result.findings.filter((f) => (item.codes === 'all' ? !f.probeFailure : item.codes.includes(f.code)));
    if (item.answered && !failed.some((f) => f.code === item.answered!.probeCode)) {
      const frozen = item.answered.frozenWhen;
      const frozenBy = frozen && failed.find((f) => frozen.probeCodes.includes(f.code));
      own.push(
        frozen && frozenBy
          ? {
              code: item.answered.code,
              severity: 'inconclusive',
              title: `${item.answered.title}: not known`,
              evidence: `${item.answered.evidence}; but ${frozen.why} (${frozenBy.title})`,
            }
          : { code: item.answered.code, severity: 'ok', title: item.answered.title, evidence: item.answered.evidence },
      );
    }
    for (const f of [...own, ...failed]) add(f, section);
    const mine = own.length > 0 ? own : failed;
    verdicts.push(mine.length > 0 ? worstSeverity(mine) : 'inconclusive');
    if (mine.length === 0) {
      notes.push(`Not decided — ${item.text}: the ${item.workflow.id} workflow reported nothing for it this run.`);
    }
    // The whole workflow is the item (a health check as the daily): its notes come with it.
    if (item.codes === 'all') notes.push(...(result.notes ?? []));
    if (item.byHand) notes.push(`By hand too — ${item.text}: ${item.byHand}`);
    if (item.runbookCorrection) notes.push(`Runbook correction — ${item.text}: ${item.runbookCorrection}`);
  }
  for (const m of manual) {
    notes.push(
      `By hand — ${m.text}${m.command ? `: \`${m.command}\`` : ''}` +
        (m.note ? ` — ${m.note}` : '') +
        (m.runbookCorrection ? ` (runbook correction: ${m.runbookCorrection})` : ''),
    );
  }
  const counts = (['critical', 'warning', 'inconclusive'] as const)
    .map((s) => ({ s, n: verdicts.filter((v) => v === s).length }))
    .filter((x) => x.n > 0)
    .map((x) => `${x.n} ${x.s}`);
  const okItems = verdicts.filter((v) => v === 'ok').length;
  const summary =
    `${checked} of ${checklist.items.length} items checked by the bot` +
    ` (${[...(okItems ? [`${okItems} ok`] : []), ...counts].join(', ') || 'none'})` +
    `, ${manual.length} by hand`;
  return {
    findings: sortFindings(findings),
    title: checklistTitle(o.displayName, checklist.name),
    summary,
    notes,
  };
}

/**
 * The `daily` checklist of a system whose runbook has none of its own: one check, answered by every finding of the
 * workflow that is its system-wide health check (Corvo's and Streamhouse's `health`, M4's `outbox`).
 */
export function workflowAsDailyChecklist<Clients>(o: {
  /** The runbook section the check comes from (`Health check (daily)`). */
  readonly section: string;
  /** The item's wording (`Health check`). */
  readonly text: string;
  readonly workflow: Workflow<Clients>;
}): Checklist<Clients> {
  return {
    name: 'daily',
    section: o.section,
    items: [{ kind: 'check', text: o.text, workflow: o.workflow, codes: 'all' }],
  };
}

/** The `checklist` workflow of a system: `/<system> checklist <name>`; its lists are also what schedules may name. */
export interface ChecklistWorkflow<Clients> extends Workflow<Clients> {
  readonly checklists: readonly Checklist<Clients>[];
}

/** Builds a system's `checklist` workflow from its checklists (their names are the argument's choices). */
export function createChecklistWorkflow<Clients>(o: {
  readonly system: string;
  readonly displayName: string;
  readonly checklists: readonly Checklist<Clients>[];
}): ChecklistWorkflow<Clients> {
  const names = o.checklists.map((c) => c.name);
  return {
    id: 'checklist',
    title: `${o.displayName} checklist`,
    description: `Runs a runbook checklist: the checks it can, the rest as manual steps (${names.join(', ')}).`,
    args: [{ name: 'checklist', description: 'checklist name', required: true, choices: names }],
    checklists: o.checklists,
    async run(ctx) {
      const checklist = o.checklists.find((c) => c.name === ctx.args.checklist);
      if (!checklist) {
        return {
          findings: [
            {
              code: `${o.system}.checklist.unknown`,
              severity: 'inconclusive',
              title: 'Unknown checklist',
              evidence: `${o.displayName} has no checklist "${String(ctx.args.checklist ?? '').slice(0, 40)}" (one of: ${names.join(', ')}).`,
            },
          ],
        };
      }
      return runChecklist(o, checklist, ctx);
    },
  };
}

/** The checklist names of a system's workflows (those of its `checklist` workflow); empty when it has none. */
export function checklistNamesOf(workflows: readonly Pick<Workflow<unknown>, 'id'>[]): string[] {
  const w = workflows.find((x) => x.id === 'checklist') as Partial<ChecklistWorkflow<unknown>> | undefined;
  return w?.checklists ? w.checklists.map((c) => c.name) : [];
}

/**
 * The workflow a run is kept under in the finding history: a checklist run under `checklist:<name>` (daily and
 * weekly are different lists, and each compares with its own previous run), any other run under its workflow id.
 */
export function historyWorkflowOf(workflow: string, args: Readonly<Record<string, string>>): string {
  return workflow === 'checklist' && args.checklist ? `checklist:${args.checklist}` : workflow;
}
