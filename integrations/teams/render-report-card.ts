import {
  omittedText,
  verdictCountsText,
  type Finding,
  type OmittedCounts,
  type ProposedAction,
  type Report,
  type Severity,
} from '../../src/core/report.js';
import {
  adaptiveCard,
  type CardElement,
  type ElementGroup,
  fitElementGroups,
  formatCount,
  richText,
  TEAMS_LIMITS,
  textRun,
  toOneLine,
  truncateText,
  type TeamsCardMessage,
} from './adaptive-card.js';
import { VERBS } from './teams-activity.js';
import { INCIDENT_VERB_PREFIX } from './render-incident-card.js';

export interface RenderReportCardOptions {
  /**
   * The id an offered fix's button carries (`Action.Execute` data `{ id }`): the caller stores the action and returns
   * its opaque id. Undefined (or not `[A-Za-z0-9_-]{1,150}`) renders the action as text only. Called in display order.
   */
  readonly actionId: (action: ProposedAction, finding: Finding) => string | undefined;
  /** Appended to the "N more findings not shown" line, e.g. "see the thread". */
  readonly omittedHint?: string;
  /** Card budget in bytes of JSON. Default {@link TEAMS_LIMITS.cardBytes}. */
  readonly budgetBytes?: number;
}

const EMOJI: Record<Severity, string> = { critical: '🔴', warning: '🟡', inconclusive: '⚪', ok: '🟢' };
const VERDICT: Record<Severity, string> = {
  critical: 'CRITICAL',
  warning: 'WARNING',
  inconclusive: 'INCONCLUSIVE',
  ok: 'OK',
};
const VERDICT_COLOR: Record<Severity, 'Attention' | 'Warning' | 'Good' | undefined> = {
  critical: 'Attention',
  warning: 'Warning',
  inconclusive: undefined,
  ok: 'Good',
};
/** Container style per severity (Teams colours the container's background). */
const STYLE: Record<Severity, string> = {
  critical: 'attention',
  warning: 'warning',
  inconclusive: 'emphasis',
  ok: 'good',
};
const RANK: Record<Severity, number> = { critical: 0, warning: 1, inconclusive: 2, ok: 3 };
const rankOf = (s: Severity) => RANK[s] ?? RANK.inconclusive;

const LEVEL_TEXT: Record<ProposedAction['level'], string> = {
  approval: 'needs approval',
  confirm: 'needs confirmation',
  none: 'read-only',
};

const CAPS = {
  full: { title: 200, code: 120, evidence: 1000, section: 200, next: 500, correction: 600, action: 200 },
  compact: { title: 150, code: 80, evidence: 200, section: 100, next: 200, correction: 250, action: 120 },
  minimal: { title: 120, code: 60, evidence: 120, section: 0, next: 0, correction: 150, action: 0 },
} as const;
type Caps = (typeof CAPS)[keyof typeof CAPS];

type GroupMeta = OmittedCounts;
const NONE: GroupMeta = { findings: {}, notes: 0 };

const cut = (text: string, max: number) => truncateText(text, max);

function generatedText(generatedAt: string): string {
  const ms = Date.parse(generatedAt);
  if (Number.isNaN(ms)) return cut(toOneLine(generatedAt), 60);
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function buttonFor(action: ProposedAction, id: string, primary: boolean): CardElement {
  const title = toOneLine(action.label) || toOneLine(action.remediation) || 'Run fix';
  return {
    type: 'Action.Execute',
    title: cut(title, TEAMS_LIMITS.buttonTitle),
    // An incident's own action (Unsilence in /runbook silences) is routed like the button on its root.
    verb: action.incident ? `${INCIDENT_VERB_PREFIX}${action.incident.action}` : VERBS.offer,
    data: { id },
    ...(action.destructive ? { style: 'destructive' } : primary ? { style: 'positive' } : {}),
  };
}

function actionLine(action: ProposedAction, reason: string, max: number): CardElement {
  const label = toOneLine(action.label) || toOneLine(action.remediation);
  const kind = `${action.destructive ? 'destructive, ' : ''}${LEVEL_TEXT[action.level] ?? action.level}`;
  return richText([textRun(cut(`→ ${label} (${kind}; ${reason})`, max), { isSubtle: true })], { spacing: 'Small' });
}

function labelled(label: string, text: string, max: number, o: { color?: 'Warning' } = {}): CardElement {
  return richText([textRun(label, { weight: 'Bolder', ...o }), textRun(cut(text, max))], { spacing: 'Small' });
}

function findingContainer(finding: Finding, caps: Caps, extra: readonly CardElement[]): CardElement {
  const title = toOneLine(finding.title) || toOneLine(finding.code) || 'Finding';
  const items: CardElement[] = [
    richText([
      textRun(`${EMOJI[finding.severity] ?? EMOJI.inconclusive} `),
      textRun(cut(title, caps.title), { weight: 'Bolder' }),
      ...(finding.code
        ? [textRun(`  ${cut(toOneLine(finding.code), caps.code)}`, { fontType: 'Monospace', isSubtle: true })]
        : []),
    ]),
  ];
  if (finding.evidence) items.push(richText([textRun(cut(finding.evidence, caps.evidence))], { spacing: 'Small' }));
  if (finding.section && caps.section) items.push(labelled('Runbook: ', finding.section, caps.section));
  if (finding.nextStep && caps.next) items.push(labelled('Next: ', finding.nextStep, caps.next));
  if (finding.runbookCorrection && caps.correction) {
    items.push(labelled('⚠️ Runbook correction: ', finding.runbookCorrection, caps.correction, { color: 'Warning' }));
  }
  items.push(...extra);
  return {
    type: 'Container',
    style: STYLE[finding.severity] ?? STYLE.inconclusive,
    separator: true,
    spacing: 'Medium',
    items,
  };
}

function findingVariants(
  finding: Finding,
  actionIdOf: (action: ProposedAction) => string | undefined,
): CardElement[][] {
  const actions = finding.actions ?? [];
  const buttons: CardElement[] = [];
  const textOnly: ProposedAction[] = [];
  const overflow: ProposedAction[] = [];
  let primaryUsed = false;
  for (const action of actions) {
    const id = action.incident?.target ?? actionIdOf(action);
    if (id === undefined || !/^[A-Za-z0-9_-]{1,150}$/.test(id)) {
      textOnly.push(action);
    } else if (buttons.length >= TEAMS_LIMITS.actionsPerSet) {
      overflow.push(action);
    } else {
      const primary: boolean = !primaryUsed && !action.destructive && action.level !== 'none';
      primaryUsed ||= primary;
      buttons.push(buttonFor(action, id, primary));
    }
  }
  const actionSet: CardElement[] = buttons.length ? [{ type: 'ActionSet', actions: buttons }] : [];
  const lines = (caps: Caps) => [
    ...textOnly.map((a) => actionLine(a, 'run it from the runbook', caps.action)),
    ...overflow.map((a) => actionLine(a, 'no room for another button', caps.action)),
  ];
  const minimalNote = actions.length
    ? [
        richText(
          [
            textRun(
              `${formatCount(actions.length)} fix${actions.length === 1 ? '' : 'es'} not shown here (message size limit)`,
              {
                italic: true,
                isSubtle: true,
              },
            ),
          ],
          { spacing: 'Small' },
        ),
      ]
    : [];
  return [
    [findingContainer(finding, CAPS.full, [...lines(CAPS.full), ...actionSet])],
    [findingContainer(finding, CAPS.compact, [...lines(CAPS.compact), ...actionSet])],
    [findingContainer(finding, CAPS.minimal, minimalNote)],
  ];
}

function noticeElement(omitted: readonly GroupMeta[], hint: string | undefined): CardElement {
  const hintText = hint ? ` — ${cut(toOneLine(hint), 200)}` : '';
  return richText([textRun(`ℹ️ ${omittedText(omitted)}: Teams message size limit${hintText}`, { isSubtle: true })], {
    separator: true,
  });
}

/**
 * Renders a report as an Adaptive Card 1.5 for Teams: title with the verdict, summary, one container per finding
 * worst first (plain ok findings gathered into one "Passed checks" list), fix buttons (`Action.Execute`, verb
 * `runbook.offer`, data = the offer id only), notes, and a footer with the invocation id. The card stays under
 * Teams' message size limit whatever the input: long texts are cut with "… (N more characters)" and, when needed,
 * the least important findings are left out and a last line says "N more findings not shown". Pure apart from
 * calling `options.actionId`.
 */
export function renderReportCard(report: Report, options: RenderReportCardOptions): TeamsCardMessage {
  const findings = report.findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => rankOf(a.finding.severity) - rankOf(b.finding.severity) || a.index - b.index)
    .map((x) => x.finding);
  const verdict = VERDICT[report.verdict] ?? VERDICT.inconclusive;
  const emoji = EMOJI[report.verdict] ?? EMOJI.inconclusive;
  const groups: ElementGroup<GroupMeta>[] = [];

  const heading = report.target
    ? `${emoji} ${toOneLine(report.title)} — ${toOneLine(report.target)}`
    : `${emoji} ${toOneLine(report.title)}`;
  const verdictLine = richText([
    textRun(verdict, {
      weight: 'Bolder',
      ...(VERDICT_COLOR[report.verdict] ? { color: VERDICT_COLOR[report.verdict] } : {}),
    }),
    textRun(` · ${verdictCountsText(findings, true)}`),
  ]);
  const head = (summaryMax: number): CardElement[] => [
    richText([textRun(cut(heading, 250), { size: 'Large', weight: 'Bolder' })]),
    verdictLine,
    ...(report.summary ? [richText([textRun(cut(report.summary, summaryMax))], { spacing: 'Small' })] : []),
  ];
  groups.push({ priority: 0, required: true, meta: NONE, variants: [head(700), head(200)] });

  const gathered = findings.filter((f) => f.severity === 'ok' && !f.runbookCorrection && !f.actions?.length);
  const gatheredSet = new Set(gathered);
  for (const finding of findings.filter((f) => !gatheredSet.has(f))) {
    groups.push({
      priority: 10 + rankOf(finding.severity),
      meta: { findings: { [finding.severity]: 1 }, notes: 0 },
      variants: findingVariants(finding, (action) => options.actionId(action, finding)),
    });
  }
  if (gathered.length > 0) {
    const title = richText([
      textRun(`${EMOJI.ok} Passed checks (${formatCount(gathered.length)})`, { weight: 'Bolder' }),
    ]);
    const container = (items: CardElement[]): CardElement => ({
      type: 'Container',
      style: STYLE.ok,
      separator: true,
      spacing: 'Medium',
      items,
    });
    groups.push({
      priority: 30,
      meta: { findings: { ok: gathered.length }, notes: 0 },
      variants: [
        [
          container([
            title,
            ...gathered.map((f) => richText([textRun(`• ${cut(toOneLine(f.title), 200)}`)], { spacing: 'None' })),
          ]),
        ],
        [container([title])],
      ],
    });
  }
  const notes = (report.notes ?? []).filter((n) => n.trim() !== '');
  if (notes.length > 0) {
    const noteList = (max: number): CardElement[] => [
      {
        type: 'Container',
        separator: true,
        spacing: 'Medium',
        items: [
          richText([textRun('Notes', { weight: 'Bolder' })]),
          ...notes.map((n) => richText([textRun(`• ${cut(n, max)}`)], { spacing: 'None' })),
        ],
      },
    ];
    groups.push({
      priority: 20,
      meta: { findings: {}, notes: notes.length },
      variants: [noteList(1000), noteList(200)],
    });
  }
  const footer = richText(
    [
      textRun(
        `${cut(toOneLine(report.system), 60)}/${cut(toOneLine(report.workflow), 80)} · invocation ` +
          `${cut(toOneLine(report.invocationId), 120)} · generated ${generatedText(report.generatedAt)}`,
        { size: 'Small', isSubtle: true },
      ),
    ],
    { separator: true, spacing: 'Medium' },
  );
  groups.push({ priority: 0, required: true, meta: NONE, variants: [[footer]] });

  const { elements } = fitElementGroups(groups, options.budgetBytes ?? TEAMS_LIMITS.cardBytes, (omitted) =>
    noticeElement(omitted, options.omittedHint),
  );
  const summary = `${toOneLine(report.title)}${report.target ? ` on ${toOneLine(report.target)}` : ''}: ${verdict} — ${verdictCountsText(findings, false)}`;
  return { card: adaptiveCard(elements), summary: cut(summary, TEAMS_LIMITS.summary) };
}
