import { describe, expect, it } from 'vitest';
import { goldenChecker } from '../../test/support/golden.js';
import {
  bigReport,
  GENERATED_AT,
  healthy,
  incident,
  rebuildSqlite,
  report,
  resumeQueue,
  showLag,
} from '../../test/support/report-fixtures.js';
import type { Finding } from '../../src/core/report.js';
import { validateTeamsActivity, validateTeamsCard } from '../../test/support/fake-bot-connector.js';
import { cardActivity, type CardElement, type TeamsCardMessage, truncateText } from './adaptive-card.js';
import { renderReportCard, type RenderReportCardOptions } from './render-report-card.js';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: the shared reports (test/support/report-fixtures.ts) and this platform's hostile one

const hostile = report({
  title: 'Corvo <script>&health *bold* [link](https://evil.example)',
  target: 'prod<script>&',
  summary: 'Summary <script>alert(1)</script> & <at>Everyone</at> **bold** [click](https://evil.example)',
  invocationId: 'inv-<b>&',
  findings: [
    {
      code: 'corvo.<x>',
      severity: 'critical',
      title: 'Title <script>& _x_ {{DATE(2025-01-01T00:00:00Z)}}',
      evidence: 'evidence [click me](https://evil.example) & more > less\nsecond line',
      section: 'Section <script>&',
      nextStep: 'Next <at>here</at> &',
      runbookCorrection: 'Correction <script>&',
      actions: [{ ...rebuildSqlite, label: 'Rebuild <script>&', params: { node: '<x>&' } }],
    },
    { code: 'ok.<x>', severity: 'ok', title: 'OK <script>&', evidence: '<script>&' },
  ],
  notes: ['Note <script>& <!everyone>'],
});

const actionId: RenderReportCardOptions['actionId'] = (action) => action.offerId;

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const expectGolden = goldenChecker(import.meta.url);

const json = (m: TeamsCardMessage): string => `${JSON.stringify(m, null, 2)}\n`;

/** Every element of a card, depth first. */
function elements(node: unknown, out: CardElement[] = []): CardElement[] {
  if (Array.isArray(node)) node.forEach((n) => elements(n, out));
  else if (node !== null && typeof node === 'object') {
    const o = node as CardElement;
    if (typeof o.type === 'string') out.push(o);
    Object.values(o).forEach((v) => elements(v, out));
  }
  return out;
}

const texts = (m: TeamsCardMessage) =>
  elements(m.card)
    .filter((e) => e.type === 'TextRun')
    .map((e) => String(e.text));

/** Text of each top-level element (runs joined). */
const blockTexts = (m: TeamsCardMessage) =>
  m.card.body.map((b) =>
    elements(b)
      .filter((e) => e.type === 'TextRun')
      .map((e) => String(e.text))
      .join(''),
  );

const buttons = (m: TeamsCardMessage) => elements(m.card).filter((e) => e.type === 'Action.Execute');

/** Findings the card accounts for: shown one by one, gathered as passed, or counted in the notice. */
function accountedFindings(m: TeamsCardMessage): { shown: number; omitted: number } {
  let shown = 0;
  // The first element is the title.
  for (const t of blockTexts(m).slice(1)) {
    const passed = /^🟢 Passed checks \(([\d,]+)\)/.exec(t);
    if (passed) shown += Number(passed[1]?.replace(/,/g, ''));
    else if (/^(🔴|🟡|⚪|🟢) /.test(t)) shown += 1;
  }
  const last = blockTexts(m).at(-1) ?? '';
  const match = /([\d,]+) more findings? not shown/.exec(last);
  return { shown, omitted: match ? Number(match[1]?.replace(/,/g, '')) : 0 };
}

function expectValid(m: TeamsCardMessage): void {
  expect(validateTeamsActivity(cardActivity(m))).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------------

describe('renderReportCard goldens', () => {
  it.each([
    ['healthy', healthy],
    ['incident', incident],
    ['big', bigReport()],
    ['escaping', hostile],
  ] as const)('%s matches its golden file and is a card Teams accepts', async (name, r) => {
    const m = renderReportCard(r, { actionId });
    expectValid(m);
    await expectGolden(`report-${name}.golden.json`, json(m));
  });
});

describe('renderReportCard layout', () => {
  it('is an Adaptive Card 1.5 with a title carrying the verdict, and a notification summary', () => {
    const m = renderReportCard(incident, { actionId });
    expect(m.card.version).toBe('1.5');
    expect(blockTexts(m).slice(0, 3)).toEqual([
      '🔴 Corvo health — prod',
      'CRITICAL · 1 critical, 1 warning, 1 inconclusive, 2 passed',
      'SQLite diverged from Pebble; the apply queue is backing up.',
    ]);
    expect(m.summary).toBe('Corvo health on prod: CRITICAL — 1 critical, 1 warning, 1 inconclusive');
    expect(renderReportCard(healthy, { actionId }).summary).toBe('Corvo health on prod: OK — all 4 checks passed');
  });

  it('orders findings worst first and gathers plain ok findings into one passed-checks list', () => {
    const firstLines = blockTexts(renderReportCard(incident, { actionId })).map((t) => t.split('\n')[0]);
    expect(firstLines.slice(3)).toEqual([
      expect.stringMatching(/^🔴 SQLite diverged from Pebble {2}corvo\.sqlite\.mirror-dropped/),
      expect.stringMatching(/^🟡 Apply queue backing up {2}corvo\.queue\.apply-backlog/),
      expect.stringMatching(/^⚪ Metrics endpoint unreachable/),
      expect.stringMatching(/^🟢 Disk has room/),
      '🟢 Passed checks (1)• API reachable',
      'Notes• Manual: `corvo admin mirror status --node corvo-prod-1`• Escalate to #corvo-oncall if rebuild fails.',
      'corvo/health · invocation inv-0001 · generated 2025-03-14 09:26:53 UTC',
    ]);
  });

  it('shows evidence, runbook section, next step and a marked runbook correction', () => {
    const t = texts(renderReportCard(incident, { actionId }));
    for (const s of [
      'apply queue 14,210 / 16,384 pending — normal is < 1,000',
      'Runbook: ',
      'Critical Metrics to Monitor › Apply Queue',
      'Next: ',
      '⚠️ Runbook correction: ',
      'The runbook says 10,000 is the alert threshold; the code pauses intake at 16,384.',
    ]) {
      expect(t).toContain(s);
    }
  });

  it('renders fixes as Action.Execute buttons carrying only the offer id; one without an id is text', () => {
    const m = renderReportCard(incident, { actionId });
    expect(buttons(m)).toEqual([
      {
        type: 'Action.Execute',
        title: 'Rebuild SQLite mirror',
        verb: 'runbook.offer',
        data: { id: 'ofr_rebuild' },
        style: 'destructive',
      },
      {
        type: 'Action.Execute',
        title: 'Resume queue',
        verb: 'runbook.offer',
        data: { id: 'ofr_resume' },
        style: 'positive',
      },
      {
        type: 'Action.Execute',
        title: 'Purge stream',
        verb: 'runbook.offer',
        data: { id: 'ofr_purge' },
        style: 'destructive',
      },
    ]);
    expect(texts(m)).toContain('→ Show apply lag (read-only; run it from the runbook)');
  });

  it("renders an incident's own action (Unsilence in /runbook silences) with the incident verb, not an offer", () => {
    const unsilence = {
      remediation: 'unsilence',
      label: 'Unsilence',
      params: {},
      level: 'none' as const,
      destructive: false,
      incident: { action: 'unsilence' as const, target: 'inc_0a1b--sil_2c3d' },
    };
    const r = report({ findings: [{ ...incident.findings[2]!, actions: [unsilence] }] });
    const m = renderReportCard(r, { actionId: () => undefined });
    expect(buttons(m)).toEqual([
      { type: 'Action.Execute', title: 'Unsilence', verb: 'incident.unsilence', data: { id: 'inc_0a1b--sil_2c3d' } },
    ]);
    expectValid(m);
  });

  it('renders an action as text when its id is empty or not a plain id', () => {
    const r = report({ findings: [{ ...incident.findings[2]!, actions: [rebuildSqlite, resumeQueue, showLag] }] });
    const ids: Record<string, string> = {
      'rebuild-sqlite': 'ofr_ok',
      'resume-queue': 'has space',
      'show-apply-lag': '',
    };
    const m = renderReportCard(r, { actionId: (a) => ids[a.remediation] });
    expect(buttons(m).map((b) => (b.data as { id: string }).id)).toEqual(['ofr_ok']);
    expect(texts(m)).toContain('→ Resume queue (needs confirmation; run it from the runbook)');
    expectValid(m);
  });

  it('puts more than 5 buttons of one finding as text', () => {
    const actions = Array.from({ length: 8 }, (_, i) => ({ ...resumeQueue, label: `Fix ${i}`, offerId: `ofr_${i}` }));
    const m = renderReportCard(report({ findings: [{ ...incident.findings[2]!, actions }] }), { actionId });
    expect(buttons(m)).toHaveLength(5);
    expect(texts(m)).toContain('→ Fix 7 (needs confirmation; no room for another button)');
    expectValid(m);
  });
});

describe('renderReportCard escaping', () => {
  it('puts every text that is not ours in plain TextRuns: no markdown, no mentions, no card functions', () => {
    const m = renderReportCard(hostile, { actionId });
    expectValid(m);
    // TextBlocks render markdown (links, emphasis) and {{DATE()}}; the card has none, only RichTextBlocks.
    expect(elements(m.card).filter((e) => e.type === 'TextBlock')).toEqual([]);
    expect(texts(m)).toContain('evidence [click me](https://evil.example) & more > less\nsecond line');
    expect(JSON.stringify(m.card)).not.toContain('"entities"');
    expect(m.summary).toBe(
      'Corvo <script>&health *bold* [link](https://evil.example) on prod<script>&: CRITICAL — 1 critical',
    );
  });
});

describe('renderReportCard limits', () => {
  it('keeps an 80-finding report under the Teams message limit and says how many findings are not shown', () => {
    const m = renderReportCard(bigReport(), { actionId, omittedHint: 'see the thread' });
    expectValid(m);
    expect(Buffer.byteLength(JSON.stringify(cardActivity(m)))).toBeLessThanOrEqual(28_000);
    const { shown, omitted } = accountedFindings(m);
    expect(omitted).toBeGreaterThan(0);
    expect(shown + omitted).toBe(80);
    expect(blockTexts(m).at(-1)).toMatch(
      /^ℹ️ \d+ more findings not shown \([^)]*\)(; \d+ notes not shown)?: Teams message size limit — see the thread$/,
    );
    // Worst first: the first finding shown is a critical one; the footer survives.
    expect(blockTexts(m)[3]).toMatch(/^🔴 Check number 0/);
    expect(blockTexts(m).at(-2)).toContain('invocation inv-0001');
  });

  it('cuts long texts with a note counting exactly what was hidden', () => {
    const evidence = texts(renderReportCard(bigReport(), { actionId })).filter((t) => /^\d\d:x/.test(t));
    expect(evidence.length).toBeGreaterThan(0);
    for (const line of evidence) {
      const match = /^(\d\d:x+)… \(([\d,]+) more characters\)$/.exec(line);
      expect(match, line.slice(-60)).not.toBeNull();
      expect(match![1]!.length + Number(match![2]!.replace(/,/g, ''))).toBe(5000);
    }
    expect(truncateText('abcdefghij'.repeat(5), 40)).toBe('abcdefghijabcdefgh… (32 more characters)');
    expect(truncateText('🔥'.repeat(30), 10)).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('holds the limits and stays valid on generated hostile reports (seeded fuzz)', () => {
    let seed = 0x7ea5;
    const rand = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const int = (n: number): number => Math.floor(rand() * n);
    const pool = ['a', 'Z', ' ', '\n', '&', '<', '>', '*', '`', '🔥', 'é', ':', '|', '[', ']', '(', ')', '\t', '{{'];
    const str = (max: number): string => {
      const lengths = [0, 1, 5, 74, 150, 300, 2999, 3001, max];
      const len = Math.min(max, lengths[int(lengths.length)] ?? 0);
      let s = '';
      while (s.length < len) s += pool[int(pool.length)];
      return s;
    };
    const severities = ['ok', 'warning', 'critical', 'inconclusive'] as const;
    for (let run = 0; run < 60; run++) {
      const findings: Finding[] = Array.from({ length: int(run % 10 === 0 ? 150 : 12) }, (_, i) => ({
        code: str(300),
        severity: severities[int(4)] ?? 'ok',
        title: str(1000),
        evidence: str(6000),
        section: rand() < 0.5 ? str(500) : undefined,
        nextStep: rand() < 0.5 ? str(2000) : undefined,
        runbookCorrection: rand() < 0.3 ? str(4000) : undefined,
        actions: Array.from({ length: int(rand() < 0.1 ? 12 : 4) }, (_a, j) => ({
          remediation: str(300),
          label: str(200),
          params: { [str(20)]: str(400) },
          level: (['approval', 'confirm', 'none'] as const)[int(3)] ?? 'none',
          destructive: rand() < 0.5,
          offerId: rand() < 0.8 ? `ofr_${run}_${i}_${j}` : str(20),
        })),
      }));
      const r = report({
        title: str(400),
        target: str(200),
        system: str(100),
        workflow: str(100),
        summary: str(5000),
        invocationId: str(300),
        generatedAt: rand() < 0.8 ? GENERATED_AT : str(50),
        findings,
        notes: Array.from({ length: int(5) }, () => str(3000)),
      });
      const m = renderReportCard(r, { actionId, omittedHint: str(400) });
      expect(validateTeamsCard(m.card), `run ${run}`).toEqual([]);
      expect(validateTeamsActivity(cardActivity(m)), `run ${run}`).toEqual([]);
      expect(m.summary.length).toBeLessThanOrEqual(200);
      const { shown, omitted } = accountedFindings(m);
      expect(shown + omitted, `run ${run}`).toBe(findings.length);
    }
  });
});

describe('validateTeamsCard (the check every test card goes through)', () => {
  const good = renderReportCard(healthy, { actionId }).card;
  const withBody = (body: unknown[]) => ({ ...good, body });

  it('accepts our cards and refuses what Teams would not render', () => {
    expect(validateTeamsCard(good)).toEqual([]);
    expect(validateTeamsCard({ ...good, version: '1.6' })).toContainEqual(expect.stringContaining('version'));
    expect(validateTeamsCard(withBody([{ type: 'Carousel', pages: [] }])).length).toBeGreaterThan(0);
    expect(validateTeamsCard(withBody([{ type: 'TextBlock', text: 'x', colour: 'Good' }]))).toContainEqual(
      expect.stringContaining('colour was dropped'),
    );
    expect(validateTeamsCard(withBody([{ type: 'TextBlock', text: 'x', color: 'Purple' }]))).toContainEqual(
      expect.stringContaining('Invalid value "Purple"'),
    );
    expect(
      validateTeamsCard(withBody([{ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: '' }] }])),
    ).toContainEqual(expect.stringContaining('empty TextRun'));
    expect(
      validateTeamsCard({
        ...good,
        actions: [{ type: 'Action.Execute', title: 'x', verb: 'runbook.offer', data: { id: 'a', secret: 'b' } }],
      }),
    ).toContainEqual(expect.stringContaining('data must be { id } only'));
  });

  it('refuses a message over the Teams size limit', () => {
    const huge = withBody([{ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'x'.repeat(30_000) }] }]);
    expect(
      validateTeamsActivity({
        type: 'message',
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: huge }],
      }),
    ).toContainEqual(expect.stringContaining('limit 28000'));
  });
});
