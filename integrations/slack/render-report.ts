import type { ActionsBlock, Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { INCIDENT_ACTION_PREFIX } from './render-incident-message.js';
import { formatNumber } from '../../src/core/format.js';
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
  BLOCK_KIT_LIMITS,
  type BlockGroup,
  escapeMrkdwn,
  fitBlockGroups,
  mrkdwnText,
  plainText,
  toOneLine,
  truncateText,
} from './block-kit-limits.js';
import type { SlackMessage } from './slack-message.js';

export type { SlackMessage } from './slack-message.js';

export interface RenderReportOptions {
  /**
   * Button value for an offered action; the caller stores the action and returns an opaque id (≤ 2,000 chars).
   * Return undefined to render the action as text only (no button). An empty or over-long value also renders as
   * text: an id cannot be truncated. Called in display order, only for findings the message has room for (plus at
   * most the first finding that turned out not to fit).
   */
  readonly actionValue: (action: ProposedAction, finding: Finding) => string | undefined;
  /**
   * Appended to the "N more findings not shown" line, e.g. "see the thread" when the caller posts the full text
   * report as a threaded reply. Default: nothing.
   */
  readonly omittedHint?: string;
}

const EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':large_yellow_circle:',
  inconclusive: ':white_circle:',
  ok: ':large_green_circle:',
};

const VERDICT: Record<Severity, string> = {
  critical: 'CRITICAL',
  warning: 'WARNING',
  inconclusive: 'INCONCLUSIVE',
  ok: 'OK',
};

/** Display order and importance: worst first. */
const RANK: Record<Severity, number> = { critical: 0, warning: 1, inconclusive: 2, ok: 3 };

function rankOf(severity: Severity): number {
  return RANK[severity] ?? RANK.inconclusive;
}

const LEVEL_TEXT: Record<ProposedAction['level'], string> = {
  approval: 'needs approval',
  confirm: 'needs confirmation',
  none: 'read-only',
};

/** Per-field caps inside a finding's section, by variant (full, compact, minimal). */
const CAPS = {
  full: { title: 200, code: 120, evidence: 1000, section: 200, next: 500, correction: 600, action: 200 },
  compact: { title: 150, code: 80, evidence: 200, section: 100, next: 200, correction: 250, action: 120 },
  minimal: { title: 120, code: 60, evidence: 120, section: 0, next: 0, correction: 150, action: 0 },
} as const;
type Caps = (typeof CAPS)[keyof typeof CAPS];

/** Escaped mrkdwn of target-provided text, cut to `max` characters. */
function esc(text: string, max: number): string {
  return truncateText(escapeMrkdwn(text), max, { mrkdwn: true });
}

type GroupMeta = OmittedCounts;

/** One offered action with its message-wide number (`runbook-action:<n>`). */
interface NumberedAction {
  readonly action: ProposedAction;
  readonly n: number;
}

function paramsText(action: ProposedAction): string {
  return Object.entries(action.params ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function buttonFor(action: ProposedAction, n: number, value: string, primary: boolean, report: Report): Button {
  const label = toOneLine(action.label) || toOneLine(action.remediation) || 'Run fix';
  const button: Button = {
    type: 'button',
    // An incident's own action (Unsilence in /runbook silences) is routed like the button on its root.
    action_id: action.incident ? `${INCIDENT_ACTION_PREFIX}${action.incident.action}` : `runbook-action:${n}`,
    text: plainText(label, BLOCK_KIT_LIMITS.buttonText),
    value,
  };
  if (action.destructive) {
    button.style = 'danger';
    const params = paramsText(action);
    const what = toOneLine(`${action.remediation}${params ? ` (${params})` : ''}`);
    const who =
      action.level === 'approval' ? 'A second person must approve before it runs.' : 'It runs once you confirm.';
    button.confirm = {
      title: plainText(`${label}?`, BLOCK_KIT_LIMITS.confirmTitle),
      text: plainText(
        `Destructive: ${what} on ${toOneLine(report.system)}/${toOneLine(report.target)}. ${who}`,
        BLOCK_KIT_LIMITS.confirmText,
      ),
      confirm: plainText(action.level === 'approval' ? 'Request approval' : 'Run it', BLOCK_KIT_LIMITS.confirmButton),
      deny: plainText('Cancel', BLOCK_KIT_LIMITS.confirmButton),
      style: 'danger',
    };
  } else if (primary) {
    button.style = 'primary';
  }
  return button;
}

function actionLine(action: ProposedAction, reason: string, max: number): string {
  const label = toOneLine(action.label) || toOneLine(action.remediation);
  const kind = `${action.destructive ? 'destructive, ' : ''}${LEVEL_TEXT[action.level] ?? action.level}`;
  return esc(`→ ${label} (${kind}; ${reason})`, max);
}

function findingSection(finding: Finding, caps: Caps, extraLines: readonly string[]): SectionBlock {
  const lines = [`${EMOJI[finding.severity] ?? EMOJI.inconclusive} *${esc(toOneLine(finding.title), caps.title)}*`];
  if (finding.code) lines[0] += `  \`${esc(toOneLine(finding.code), caps.code)}\``;
  if (finding.evidence) lines.push(esc(finding.evidence, caps.evidence));
  if (finding.section && caps.section) lines.push(`*Runbook:* ${esc(finding.section, caps.section)}`);
  if (finding.nextStep && caps.next) lines.push(`*Next:* ${esc(finding.nextStep, caps.next)}`);
  if (finding.runbookCorrection && caps.correction) {
    lines.push(`:warning: *Runbook correction:* ${esc(finding.runbookCorrection, caps.correction)}`);
  }
  lines.push(...extraLines);
  return { type: 'section', text: mrkdwnText(lines.join('\n')) };
}

/** The full, compact and minimal renderings of one finding; values are asked for only when rendered. */
function findingVariants(
  finding: Finding,
  actions: readonly NumberedAction[],
  report: Report,
  options: RenderReportOptions,
): KnownBlock[][] {
  const buttons: Button[] = [];
  const textOnly: ProposedAction[] = [];
  const overflow: ProposedAction[] = [];
  let primaryUsed = false;
  for (const { action, n } of actions) {
    const value = action.incident?.target ?? options.actionValue(action, finding);
    if (value === undefined || value.length === 0 || value.length > BLOCK_KIT_LIMITS.buttonValue) {
      textOnly.push(action);
    } else if (buttons.length >= BLOCK_KIT_LIMITS.actionsElements) {
      overflow.push(action);
    } else {
      // Slack: use `primary` for at most one button of a set; read-only follow-ups stay neutral.
      const primary: boolean = !primaryUsed && !action.destructive && action.level !== 'none';
      primaryUsed ||= primary;
      buttons.push(buttonFor(action, n, value, primary, report));
    }
  }
  const actionsBlock: ActionsBlock[] = buttons.length > 0 ? [{ type: 'actions', elements: buttons }] : [];
  const lines = (caps: Caps): string[] => [
    ...textOnly.map((a) => actionLine(a, 'run it from the runbook', caps.action)),
    ...overflow.map((a) => actionLine(a, 'no room for another button', caps.action)),
  ];
  const minimalNote =
    actions.length > 0
      ? [`_${formatNumber(actions.length)} fix${actions.length === 1 ? '' : 'es'} not shown here (message size limit)_`]
      : [];
  return [
    [findingSection(finding, CAPS.full, lines(CAPS.full)), ...actionsBlock],
    [findingSection(finding, CAPS.compact, lines(CAPS.compact)), ...actionsBlock],
    // Minimal: no buttons (they are the heavy part), but say they exist.
    [findingSection(finding, CAPS.minimal, minimalNote)],
  ];
}

function generatedText(generatedAt: string): string {
  const ms = Date.parse(generatedAt);
  if (Number.isNaN(ms)) return esc(generatedAt, 60);
  // Slack shows the date token in each reader's time zone; the fallback is UTC.
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;
}

function noticeText(omitted: readonly GroupMeta[], hint: string | undefined): string {
  const hintText = hint ? ` — ${esc(toOneLine(hint), 200)}` : '';
  return `:information_source: ${omittedText(omitted)}: Slack message size limit${hintText}`;
}

/**
 * Renders a report as a Slack Block Kit message: header, verdict and summary, one section per finding worst first
 * (passed checks gathered into one section), fix buttons, notes, and a footer with the invocation id. Every Block Kit
 * limit holds whatever the input: long texts are cut with "… (N more characters)", and when the message would exceed
 * 50 blocks or ~11,000 characters the least important findings are left out and a last block says how many.
 * Pure apart from calling `options.actionValue`.
 */
export function renderReport(report: Report, options: RenderReportOptions): SlackMessage {
  const findings = report.findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => rankOf(a.finding.severity) - rankOf(b.finding.severity) || a.index - b.index)
    .map((x) => x.finding);
  const verdict = VERDICT[report.verdict] ?? VERDICT.inconclusive;
  const verdictEmoji = EMOJI[report.verdict] ?? EMOJI.inconclusive;
  const groups: BlockGroup<GroupMeta>[] = [];
  const none: GroupMeta = { findings: {}, notes: 0 };

  const headerText = report.target
    ? `${verdictEmoji} ${toOneLine(report.title)} — ${toOneLine(report.target)}`
    : `${verdictEmoji} ${toOneLine(report.title)}`;
  const summaryLine = `*${verdict}* · ${verdictCountsText(findings, true)}`;
  groups.push({
    priority: 0,
    required: true,
    meta: none,
    render: () => [
      [
        { type: 'header', text: plainText(headerText, BLOCK_KIT_LIMITS.headerText) },
        {
          type: 'section',
          text: mrkdwnText(report.summary ? `${summaryLine}\n${esc(report.summary, 700)}` : summaryLine),
        },
        { type: 'divider' },
      ],
    ],
  });

  // Ok findings with nothing to act on or correct are gathered into one compact section.
  const gathered = findings.filter((f) => f.severity === 'ok' && !f.runbookCorrection && !f.actions?.length);
  const gatheredSet = new Set(gathered);
  const detailed = findings.filter((f) => !gatheredSet.has(f));
  let n = 0;
  for (const finding of detailed) {
    const actions = (finding.actions ?? []).map((action) => ({ action, n: ++n }));
    groups.push({
      priority: 10 + rankOf(finding.severity),
      meta: { findings: { [finding.severity]: 1 }, notes: 0 },
      render: () => findingVariants(finding, actions, report, options),
    });
  }
  if (gathered.length > 0) {
    const heading = `${EMOJI.ok} *Passed checks (${formatNumber(gathered.length)})*`;
    groups.push({
      priority: 30,
      meta: { findings: { ok: gathered.length }, notes: 0 },
      render: () => [
        [
          {
            type: 'section',
            text: mrkdwnText([heading, ...gathered.map((f) => `• ${esc(toOneLine(f.title), 200)}`)].join('\n')),
          },
        ],
        [{ type: 'section', text: mrkdwnText(heading) }],
      ],
    });
  }
  const notes = (report.notes ?? []).filter((note) => note.trim() !== '');
  if (notes.length > 0) {
    const noteList = (max: number): string => notes.map((note) => `• ${esc(note, max)}`).join('\n');
    groups.push({
      // Manual steps matter more than the list of passed checks, though they are shown after it.
      priority: 20,
      meta: { findings: {}, notes: notes.length },
      render: () => [
        [{ type: 'section', text: mrkdwnText(`*Notes*\n${noteList(1000)}`) }],
        [{ type: 'section', text: mrkdwnText(`*Notes*\n${noteList(200)}`, 1000) }],
      ],
    });
  }

  const footer: ContextBlock = {
    type: 'context',
    elements: [
      mrkdwnText(
        `${esc(toOneLine(report.system), 60)}/${esc(toOneLine(report.workflow), 80)}` +
          ` · invocation ${esc(toOneLine(report.invocationId), 120)} · generated ${generatedText(report.generatedAt)}`,
      ),
    ],
  };
  groups.push({ priority: 0, required: true, meta: none, render: () => [[footer]] });

  const { blocks } = fitBlockGroups(groups, {
    notice: (omitted) => ({
      type: 'context',
      elements: [mrkdwnText(noticeText(omitted, options.omittedHint), 500)],
    }),
  });

  const fallback = escapeMrkdwn(
    `${toOneLine(report.title)}${report.target ? ` on ${toOneLine(report.target)}` : ''}: ${verdict} — ${verdictCountsText(findings, false)}`,
  );
  return { text: truncateText(fallback, BLOCK_KIT_LIMITS.fallbackText, { mrkdwn: true }), blocks };
}
