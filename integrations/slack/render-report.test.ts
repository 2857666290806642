import type { KnownBlock } from '@slack/types';
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
import { renderReport, type RenderReportOptions, type SlackMessage } from './render-report.js';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: the shared reports (test/support/report-fixtures.ts) and this platform's hostile one

const hostile = report({
  title: 'Corvo <script>&health',
  target: 'prod<script>&',
  summary: 'Summary <script>alert(1)</script> & <!channel> &amp; already escaped',
  invocationId: 'inv-<b>&',
  findings: [
    {
      code: 'corvo.<x>',
      severity: 'critical',
      title: 'Title <script>& <@U123>',
      evidence: 'evidence <https://evil.example|click me> & more > less',
      section: 'Section <script>&',
      nextStep: 'Next <!here> &',
      runbookCorrection: 'Correction <script>&',
      actions: [{ ...rebuildSqlite, label: 'Rebuild <script>&', params: { node: '<x>&' } }],
    },
    { code: 'ok.<x>', severity: 'ok', title: 'OK <script>&', evidence: '<script>&' },
  ],
  notes: ['Note <script>& <!everyone>'],
});

const actionValue: RenderReportOptions['actionValue'] = (action, finding) =>
  action.remediation === 'show-apply-lag' ? undefined : `approval:${finding.code}:${action.remediation}`;

// ---------------------------------------------------------------------------------------------------------------
// Golden files

const expectGolden = goldenChecker(import.meta.url);

const json = (message: SlackMessage): string => `${JSON.stringify(message, null, 2)}\n`;

// ---------------------------------------------------------------------------------------------------------------
// An independent check of every Block Kit limit (deliberately not reusing block-kit-limits.ts)

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function limitViolations(message: SlackMessage): string[] {
  const problems: string[] = [];
  const fail = (what: string): void => void problems.push(what);
  const { blocks, text } = message;
  if (blocks.length > 50) fail(`${blocks.length} blocks`);
  if (JSON.stringify(blocks).length > 11_000) fail(`blocks JSON is ${JSON.stringify(blocks).length} chars`);
  if (text.length < 1 || text.length > 500) fail(`fallback text length ${text.length}`);
  const actionIds = new Set<string>();
  const blockIds = new Set<string>();

  // Every text object anywhere: 1..3,000 characters, no lone surrogate.
  const walk = (node: Json, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    if (node.type === 'plain_text' || node.type === 'mrkdwn') {
      const t = node.text;
      if (typeof t !== 'string' || t.length < 1 || t.length > 3000)
        fail(`${path}: text length ${typeof t === 'string' ? t.length : 'missing'}`);
      if (typeof t === 'string' && /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(t)) {
        fail(`${path}: lone surrogate`);
      }
    }
    for (const [k, v] of Object.entries(node)) walk(v, `${path}.${k}`);
  };
  walk(blocks as unknown as Json, 'blocks');

  blocks.forEach((block: KnownBlock, i) => {
    const at = `blocks[${i}]`;
    if (block.block_id !== undefined) {
      if (block.block_id.length > 255) fail(`${at}: block_id too long`);
      if (blockIds.has(block.block_id)) fail(`${at}: duplicate block_id`);
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case 'header':
        if (block.text.type !== 'plain_text' || block.text.text.length > 150) fail(`${at}: header`);
        break;
      case 'section':
        if (!block.text || block.text.text.length > 3000) fail(`${at}: section text`);
        if (block.fields && block.fields.length > 10) fail(`${at}: fields`);
        break;
      case 'context':
        if (block.elements.length < 1 || block.elements.length > 10) fail(`${at}: context elements`);
        break;
      case 'divider':
        break;
      case 'actions':
        if (block.elements.length < 1 || block.elements.length > 25) fail(`${at}: ${block.elements.length} elements`);
        for (const el of block.elements) {
          if (el.type !== 'button') {
            fail(`${at}: ${el.type}`);
            continue;
          }
          if (!el.action_id || el.action_id.length > 255) fail(`${at}: action_id`);
          if (el.action_id && actionIds.has(el.action_id)) fail(`${at}: duplicate action_id ${el.action_id}`);
          if (el.action_id) actionIds.add(el.action_id);
          if (el.text.text.length > 75 || el.text.type !== 'plain_text') fail(`${at}: button text`);
          if (el.value === undefined || el.value.length < 1 || el.value.length > 2000) fail(`${at}: button value`);
          if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') fail(`${at}: style`);
          if (el.confirm) {
            const c = el.confirm;
            if (!c.title || c.title.text.length > 100) fail(`${at}: confirm title`);
            if (c.text.text.length > 300) fail(`${at}: confirm text`);
            if (!c.confirm || c.confirm.text.length > 30) fail(`${at}: confirm button`);
            if (!c.deny || c.deny.text.length > 30) fail(`${at}: deny button`);
          }
        }
        break;
      default:
        fail(`${at}: unexpected block type ${block.type}`);
    }
  });
  return problems;
}

/** Every mrkdwn text: no raw `<` except our own date token, and every `&` starts one of the three entities. */
function escapingViolations(message: SlackMessage): string[] {
  const problems: string[] = [];
  const texts: string[] = [message.text];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    if (obj.type === 'mrkdwn' && typeof obj.text === 'string') texts.push(obj.text);
    Object.values(obj).forEach(walk);
  };
  walk(message.blocks);
  for (const t of texts) {
    const withoutDate = t.replace(/<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|[0-9T:.Z-]+>/g, '');
    if (/[<>]/.test(withoutDate)) problems.push(`raw < or > in ${JSON.stringify(t.slice(0, 80))}`);
    if (/&(?!amp;|lt;|gt;)/.test(t)) problems.push(`bare & in ${JSON.stringify(t.slice(0, 80))}`);
  }
  return problems;
}

const sectionTexts = (m: SlackMessage): string[] =>
  m.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));

const buttons = (m: SlackMessage) =>
  m.blocks.flatMap((b) => (b.type === 'actions' ? b.elements.filter((e) => e.type === 'button') : []));

const EMOJIS = [':red_circle:', ':large_yellow_circle:', ':white_circle:', ':large_green_circle:'];

/** Findings the message accounts for: shown one by one, gathered as passed, or counted in the notice. */
function accountedFindings(m: SlackMessage): { shown: number; omitted: number } {
  let shown = 0;
  for (const t of sectionTexts(m)) {
    const passed = /^:large_green_circle: \*Passed checks \(([\d,]+)\)\*/.exec(t);
    if (passed) shown += Number(passed[1]?.replace(/,/g, ''));
    else if (EMOJIS.some((e) => t.startsWith(`${e} *`))) shown += 1;
  }
  const last = m.blocks.at(-1);
  let omitted = 0;
  if (last?.type === 'context') {
    const el = last.elements[0];
    const match = el && 'text' in el ? /([\d,]+) more findings? not shown/.exec(el.text) : null;
    if (match) omitted = Number(match[1]?.replace(/,/g, ''));
  }
  return { shown, omitted };
}

// ---------------------------------------------------------------------------------------------------------------

describe('renderReport goldens', () => {
  it.each([
    ['healthy', healthy],
    ['incident', incident],
    ['big', bigReport()],
    ['escaping', hostile],
  ] as const)('%s matches its golden file', async (name, r) => {
    await expectGolden(`${name}.golden.json`, json(renderReport(r, { actionValue })));
  });
});

describe('renderReport layout', () => {
  it('starts with a header carrying the verdict emoji, title and target, and has a notification fallback', () => {
    const m = renderReport(incident, { actionValue });
    expect(m.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':red_circle: Corvo health — prod', emoji: true },
    });
    expect(m.text).toBe('Corvo health on prod: CRITICAL — 1 critical, 1 warning, 1 inconclusive');
    expect(sectionTexts(m)[0]).toBe(
      '*CRITICAL* · 1 critical, 1 warning, 1 inconclusive, 2 passed\n' +
        'SQLite diverged from Pebble; the apply queue is backing up.',
    );
    expect(renderReport(healthy, { actionValue }).text).toBe('Corvo health on prod: OK — all 4 checks passed');
  });

  it('orders findings worst first and gathers plain ok findings into one passed-checks section', () => {
    const texts = sectionTexts(renderReport(incident, { actionValue }));
    const firstLines = texts.map((t) => t.split('\n')[0]);
    expect(firstLines.slice(1)).toEqual([
      ':red_circle: *SQLite diverged from Pebble*  `corvo.sqlite.mirror-dropped`',
      ':large_yellow_circle: *Apply queue backing up*  `corvo.queue.apply-backlog`',
      ':white_circle: *Metrics endpoint unreachable*  `corvo.metrics.unreachable`',
      // An ok finding with a runbook correction keeps its own section so the correction is seen.
      ':large_green_circle: *Disk has room*  `corvo.disk.free`',
      ':large_green_circle: *Passed checks (1)*',
      '*Notes*',
    ]);
    const healthyTexts = sectionTexts(renderReport(healthy, { actionValue }));
    expect(healthyTexts).toHaveLength(2);
    expect(healthyTexts[1]).toBe(
      ':large_green_circle: *Passed checks (4)*\n• API reachable\n• SQLite mirror in sync\n• Apply queue drained\n• Disk has room',
    );
  });

  it('shows evidence, runbook section, next step and a marked runbook correction', () => {
    const warning = sectionTexts(renderReport(incident, { actionValue }))[2];
    expect(warning).toBe(
      [
        ':large_yellow_circle: *Apply queue backing up*  `corvo.queue.apply-backlog`',
        'apply queue 14,210 / 16,384 pending — normal is &lt; 1,000',
        '*Runbook:* Critical Metrics to Monitor › Apply Queue',
        '*Next:* Resume the emails queue, then watch the backlog for 5 minutes.',
        ':warning: *Runbook correction:* The runbook says 10,000 is the alert threshold; the code pauses intake at 16,384.',
      ].join('\n'),
    );
  });

  it('renders fix buttons with unique action ids, caller values, danger + confirm for destructive ones', () => {
    const calls: string[] = [];
    const m = renderReport(incident, {
      actionValue: (a, f) => {
        calls.push(`${f.code}/${a.remediation}`);
        return actionValue(a, f);
      },
    });
    // Asked in display order (worst first).
    expect(calls).toEqual([
      'corvo.sqlite.mirror-dropped/rebuild-sqlite',
      'corvo.sqlite.mirror-dropped/show-apply-lag',
      'corvo.queue.apply-backlog/resume-queue',
      'corvo.queue.apply-backlog/purge-stream',
    ]);
    const b = buttons(m);
    expect(b.map((x) => [x.action_id, x.value, x.style])).toEqual([
      ['runbook-action:1', 'approval:corvo.sqlite.mirror-dropped:rebuild-sqlite', 'danger'],
      ['runbook-action:3', 'approval:corvo.queue.apply-backlog:resume-queue', 'primary'],
      ['runbook-action:4', 'approval:corvo.queue.apply-backlog:purge-stream', 'danger'],
    ]);
    expect(b[0]?.confirm).toEqual({
      title: { type: 'plain_text', text: 'Rebuild SQLite mirror?', emoji: true },
      text: {
        type: 'plain_text',
        text: 'Destructive: rebuild-sqlite (node=corvo-prod-1) on corvo/prod. A second person must approve before it runs.',
        emoji: true,
      },
      confirm: { type: 'plain_text', text: 'Request approval', emoji: true },
      deny: { type: 'plain_text', text: 'Cancel', emoji: true },
      style: 'danger',
    });
    expect(b[1]?.confirm).toBeUndefined();
    expect(b[2]?.confirm?.confirm?.text).toBe('Run it');
    // The action without a value is listed as text under its finding.
    expect(sectionTexts(m)[1]).toContain('→ Show apply lag (read-only; run it from the runbook)');
  });

  it("renders an incident's own action (Unsilence in /runbook silences) as that incident's button, not an offer", () => {
    const unsilence = {
      remediation: 'unsilence',
      label: 'Unsilence',
      params: {},
      level: 'none' as const,
      destructive: false,
      incident: { action: 'unsilence' as const, target: 'inc_0a1b--sil_2c3d' },
    };
    const r = report({ findings: [{ ...incident.findings[2]!, actions: [unsilence] }] });
    const m = renderReport(r, { actionValue: () => undefined });
    expect(buttons(m).map((b) => [b.action_id, b.value])).toEqual([['incident:unsilence', 'inc_0a1b--sil_2c3d']]);
    expect(limitViolations(m)).toEqual([]);
  });

  it('renders an action as text when its value is empty or longer than 2,000 characters', () => {
    const r = report({ findings: [{ ...incident.findings[2]!, actions: [rebuildSqlite, resumeQueue, showLag] }] });
    const values: Record<string, string> = {
      'rebuild-sqlite': 'v'.repeat(2000),
      'resume-queue': 'v'.repeat(2001),
      'show-apply-lag': '',
    };
    const m = renderReport(r, { actionValue: (a) => values[a.remediation] });
    expect(buttons(m).map((b) => b.value?.length)).toEqual([2000]);
    expect(sectionTexts(m)[1]).toContain('→ Resume queue (needs confirmation; run it from the runbook)');
    expect(sectionTexts(m)[1]).toContain('→ Show apply lag (read-only; run it from the runbook)');
    expect(limitViolations(m)).toEqual([]);
  });

  it('puts more than 25 buttons of one finding as text instead of a second actions block', () => {
    const actions = Array.from({ length: 30 }, (_, i) => ({ ...resumeQueue, remediation: `r${i}`, label: `Fix ${i}` }));
    const m = renderReport(report({ findings: [{ ...incident.findings[2]!, actions }] }), { actionValue });
    expect(buttons(m)).toHaveLength(25);
    expect(sectionTexts(m)[1]).toContain('→ Fix 29 (needs confirmation; no room for another button)');
    expect(limitViolations(m)).toEqual([]);
  });

  it('ends with a footer naming the invocation and the generation time', () => {
    const m = renderReport(incident, { actionValue });
    expect(m.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'corvo/health · invocation inv-0001 · generated <!date^1741944413^{date_short_pretty} {time_secs}|2025-03-14T09:26:53.000Z>',
          verbatim: true,
        },
      ],
    });
  });
});

describe('renderReport escaping', () => {
  it('escapes &, < and > in every mrkdwn text and the fallback, keeping plain_text literal', () => {
    const m = renderReport(hostile, { actionValue });
    expect(escapingViolations(m)).toEqual([]);
    const all = JSON.stringify(m);
    expect(sectionTexts(m).join('\n')).toContain('Title &lt;script&gt;&amp; &lt;@U123&gt;');
    expect(sectionTexts(m).join('\n')).toContain('&lt;!channel&gt; &amp;amp; already escaped');
    expect(m.text).toBe('Corvo &lt;script&gt;&amp;health on prod&lt;script&gt;&amp;: CRITICAL — 1 critical');
    // plain_text is never parsed by Slack, so it stays as written.
    expect(m.blocks[0]).toMatchObject({ text: { text: ':red_circle: Corvo <script>&health — prod<script>&' } });
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<!here>');
  });
});

describe('renderReport limits', () => {
  it('holds every Block Kit limit on every fixture', () => {
    for (const r of [healthy, incident, bigReport(), hostile]) {
      const m = renderReport(r, { actionValue });
      expect(limitViolations(m)).toEqual([]);
      expect(escapingViolations(m)).toEqual([]);
    }
  });

  it('cuts long texts with a "… (N more characters)" note that counts exactly what was hidden', () => {
    const m = renderReport(bigReport(), { actionValue });
    const evidence = sectionTexts(m)
      .map((t) => t.split('\n')[1] ?? '')
      .filter((line) => /^\d\d:x/.test(line));
    expect(evidence.length).toBeGreaterThan(0);
    for (const line of evidence) {
      const match = /^(\d\d:x+)… \(([\d,]+) more characters\)$/.exec(line);
      expect(match, line.slice(-60)).not.toBeNull();
      expect(match![1]!.length + Number(match![2]!.replace(/,/g, ''))).toBe(5000);
    }
  });

  it('leaves out the least important findings and says how many, accounting for all 80', () => {
    const m = renderReport(bigReport(), { actionValue, omittedHint: 'see the thread' });
    const { shown, omitted } = accountedFindings(m);
    expect(omitted).toBeGreaterThan(0);
    expect(shown + omitted).toBe(80);
    const notice = m.blocks.at(-1);
    expect(notice?.type).toBe('context');
    expect(JSON.stringify(notice)).toMatch(
      /:information_source: \d+ more findings not shown \([^)]*\); 30 notes not shown: Slack message size limit — see the thread/,
    );
    // Worst first: every shown finding is at least as severe as every omitted one, so the first is shown.
    expect(sectionTexts(m)[1]).toMatch(/^:red_circle: \*Check number 0\*/);
    // Header, verdict and footer survive.
    expect(m.blocks[0]?.type).toBe('header');
    expect(JSON.stringify(m.blocks.at(-2))).toContain('invocation inv-0001');
  });

  it('stops at 50 blocks when many small findings would fit the character budget', () => {
    const findings: Finding[] = Array.from({ length: 100 }, (_, i) => ({
      code: `c${i}`,
      severity: 'warning',
      title: `w${i}`,
      evidence: '',
    }));
    const m = renderReport(report({ findings }), { actionValue });
    expect(m.blocks).toHaveLength(50);
    expect(limitViolations(m)).toEqual([]);
    const { shown, omitted } = accountedFindings(m);
    expect(shown).toBe(50 - 5); // header, verdict, divider, footer, notice
    expect(shown + omitted).toBe(100);
  });

  it('holds every limit on generated hostile reports (seeded fuzz)', () => {
    let seed = 0x5eed;
    const rand = (): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const int = (n: number): number => Math.floor(rand() * n);
    const pool = ['a', 'Z', ' ', '\n', '&', '<', '>', '*', '`', '🔥', 'é', ':', '|', '&amp;', '\t'];
    const str = (max: number): string => {
      const lengths = [0, 1, 5, 74, 76, 150, 151, 300, 2999, 3001, max];
      const len = Math.min(max, lengths[int(lengths.length)] ?? 0);
      let s = '';
      while (s.length < len) s += pool[int(pool.length)];
      return s;
    };
    const severities = ['ok', 'warning', 'critical', 'inconclusive'] as const;
    const valueLengths = [undefined, 0, 1, 1999, 2000, 2001];
    for (let run = 0; run < 150; run++) {
      const findings: Finding[] = Array.from({ length: int(run % 10 === 0 ? 150 : 12) }, () => ({
        code: str(300),
        severity: severities[int(4)] ?? 'ok',
        title: str(1000),
        evidence: str(6000),
        section: rand() < 0.5 ? str(500) : undefined,
        nextStep: rand() < 0.5 ? str(2000) : undefined,
        runbookCorrection: rand() < 0.3 ? str(4000) : undefined,
        actions: Array.from({ length: int(rand() < 0.1 ? 40 : 4) }, () => ({
          remediation: str(300),
          label: str(200),
          params: { [str(20)]: str(400) },
          level: (['approval', 'confirm', 'none'] as const)[int(3)] ?? 'none',
          destructive: rand() < 0.5,
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
      const m = renderReport(r, {
        actionValue: () => {
          const len = valueLengths[int(valueLengths.length)];
          return len === undefined ? undefined : 'v'.repeat(len);
        },
        omittedHint: str(400),
      });
      expect(limitViolations(m), `run ${run}`).toEqual([]);
      expect(escapingViolations(m), `run ${run}`).toEqual([]);
      const { shown, omitted } = accountedFindings(m);
      expect(shown + omitted, `run ${run}`).toBe(findings.length);
    }
  });
});
