import { verdictCountsText, type ProposedAction, type Report, type Severity } from './report.js';

/** Options of {@link renderText}. */
export interface RenderTextOptions {
  /** Add ANSI colours (severity tags, titles). Default `false`: logs and pipes get plain text. */
  readonly color?: boolean;
}

/** Severity tags, all six columns wide so finding bodies line up. */
const TAG: Record<Severity, string> = {
  critical: '[CRIT]',
  warning: '[WARN]',
  inconclusive: '[????]',
  ok: '[OK]  ',
};

const VERDICT: Record<Severity, string> = {
  critical: 'CRITICAL',
  warning: 'WARNING',
  inconclusive: 'INCONCLUSIVE',
  ok: 'OK',
};

/** Display order: worst first. */
const RANK: Record<Severity, number> = { critical: 0, warning: 1, inconclusive: 2, ok: 3 };

const ANSI: Record<Severity, string> = { critical: '31', warning: '33', inconclusive: '90', ok: '32' };

const LEVEL_TEXT: Record<ProposedAction['level'], string> = {
  approval: 'needs approval',
  confirm: 'needs confirmation',
  none: 'read-only',
};

/** Indent of a finding's body lines: the tag plus one space. */
const INDENT = ' '.repeat(7);

/**
 * Makes target-provided text safe for a terminal: control characters (ANSI escapes, carriage returns, NUL…) are shown
 * as `\xNN` and bidi overrides as `\uNNNN` instead of acting on the terminal; tabs become spaces; CRLF becomes LF.
 */
function sanitize(text: string): string {
  return (
    text
      .replace(/\r\n/g, '\n')
      .replace(/\t/g, '  ')
      .replace(
        // eslint-disable-next-line no-control-regex -- matching control characters is the point
        /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
        (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
      )
      // Bidirectional overrides can make a terminal line read differently from its bytes.
      .replace(/[\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
  );
}

function oneLine(text: string): string {
  return sanitize(text).replace(/\s+/g, ' ').trim();
}

/** Sanitizes and indents every line after the first by `indent`. */
function block(text: string, indent: string): string {
  return sanitize(text).split('\n').join(`\n${indent}`);
}

function actionLine(action: ProposedAction): string {
  const label = oneLine(action.label) || oneLine(action.remediation);
  const params = Object.entries(action.params ?? {})
    .map(([k, v]) => `${oneLine(k)}=${oneLine(v)}`)
    .join(' ');
  const id = oneLine(`${action.remediation}${params ? ` ${params}` : ''}`);
  const kind = `${action.destructive ? 'destructive, ' : ''}${LEVEL_TEXT[action.level] ?? oneLine(String(action.level))}`;
  return `→ ${label} [${id}] (${kind})`;
}

/**
 * Renders a report as plain text for the terminal chat and logs: the same information as the chat renderers, worst
 * finding first, one `[CRIT]`/`[WARN]`/`[????]`/`[OK]` tag per finding with its body indented under the title, fixes
 * as `→ label [remediation params] (needs approval)`. Nothing is truncated. No ANSI colours unless `color` is set;
 * control characters in report text are neutralised either way.
 */
export function renderText(report: Report, options: RenderTextOptions = {}): string {
  const paint = (severity: Severity, text: string): string =>
    options.color ? `\u001b[${ANSI[severity] ?? ANSI.inconclusive}m${text}\u001b[0m` : text;
  const bold = (text: string): string => (options.color ? `\u001b[1m${text}\u001b[0m` : text);

  const findings = report.findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => (RANK[a.finding.severity] ?? 2) - (RANK[b.finding.severity] ?? 2) || a.index - b.index)
    .map((x) => x.finding);

  const title = report.target ? `${oneLine(report.title)} — ${oneLine(report.target)}` : oneLine(report.title);
  const lines: string[] = [bold(title), '='.repeat(Math.min(title.length, 72))];
  const verdict = VERDICT[report.verdict] ?? VERDICT.inconclusive;
  lines.push(`Verdict: ${paint(report.verdict, verdict)} · ${verdictCountsText(findings, true)}`);
  if (report.summary) lines.push(block(report.summary, ''));

  for (const finding of findings) {
    lines.push('');
    const tag = paint(finding.severity, TAG[finding.severity] ?? TAG.inconclusive);
    const code = finding.code ? `  (${oneLine(finding.code)})` : '';
    lines.push(`${tag} ${bold(oneLine(finding.title))}${code}`);
    if (finding.evidence) lines.push(`${INDENT}${block(finding.evidence, INDENT)}`);
    if (finding.section) lines.push(`${INDENT}Runbook: ${block(finding.section, INDENT)}`);
    if (finding.nextStep) lines.push(`${INDENT}Next: ${block(finding.nextStep, INDENT)}`);
    if (finding.runbookCorrection) {
      lines.push(`${INDENT}Runbook correction: ${block(finding.runbookCorrection, INDENT)}`);
    }
    for (const action of finding.actions ?? []) lines.push(`${INDENT}${actionLine(action)}`);
  }

  const notes = (report.notes ?? []).filter((note) => note.trim() !== '');
  if (notes.length > 0) {
    lines.push('', 'Notes:');
    for (const note of notes) lines.push(`  - ${block(note, '    ')}`);
  }

  lines.push(
    '',
    `${oneLine(report.system)}/${oneLine(report.workflow)} · invocation ${oneLine(report.invocationId)} · generated ${oneLine(report.generatedAt)}`,
  );
  return lines.join('\n');
}
