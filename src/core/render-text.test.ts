import { describe, expect, it } from 'vitest';
import { goldenChecker } from '../../test/support/golden.js';
import {
  healthy,
  rebuildSqlite,
  report,
  resumeQueue,
  showLag,
  SEVERITY_CYCLE,
} from '../../test/support/report-fixtures.js';
import { renderText } from './render-text.js';
import type { Finding, Report } from './report.js';

// Fixtures: the shared reports (test/support/report-fixtures.ts), plus this renderer's own incident, big and hostile ones.

const incident = report({
  summary: 'SQLite diverged from Pebble; the apply queue is backing up.',
  findings: [
    { code: 'corvo.api.up', severity: 'ok', title: 'API reachable', evidence: 'GET /health 200 in 12 ms' },
    {
      code: 'corvo.queue.apply-backlog',
      severity: 'warning',
      title: 'Apply queue backing up',
      evidence: 'apply queue 14,210 / 16,384 pending — normal is < 1,000',
      section: 'Critical Metrics to Monitor › Apply Queue',
      nextStep: 'Resume the emails queue, then watch the backlog for 5 minutes.',
      runbookCorrection: 'The runbook says 10,000 is the alert threshold; the code pauses intake at 16,384.',
      actions: [resumeQueue],
    },
    {
      code: 'corvo.sqlite.mirror-dropped',
      severity: 'critical',
      title: 'SQLite diverged from Pebble',
      evidence: 'mirror dropped 212 writes since 09:10 UTC\nlast good checkpoint: 09:09:58',
      section: 'Critical Metrics to Monitor › SQLite Mirror',
      nextStep: 'Rebuild the SQLite mirror from Pebble.',
      actions: [rebuildSqlite, showLag],
    },
    {
      code: 'corvo.metrics.unreachable',
      severity: 'inconclusive',
      title: 'Metrics endpoint unreachable',
      evidence: 'GET /metrics timed out after 5 s',
    },
  ],
  notes: ['Manual: corvo admin mirror status --node corvo-prod-1', 'Escalate to #corvo-oncall if rebuild fails.'],
});

function bigReport(): Report {
  const findings: Finding[] = [];
  for (let i = 0; i < 80; i++) {
    const severity = SEVERITY_CYCLE[i % SEVERITY_CYCLE.length] ?? 'ok';
    findings.push({
      code: `corvo.check.c${String(i).padStart(2, '0')}`,
      severity,
      title: `Check number ${i}`,
      evidence: `${String(i).padStart(2, '0')}:` + 'x'.repeat(4997),
      actions: severity === 'critical' ? [{ ...rebuildSqlite, params: { node: `n${i}` } }] : undefined,
    });
  }
  return report({ summary: '80 checks.', findings });
}

const hostile = report({
  title: 'Corvo <script>&health',
  target: 'prod<script>&',
  summary: 'Summary <script>alert(1)</script> & <!channel>\u001b[2J\rgotcha',
  findings: [
    {
      code: 'corvo.<x>',
      severity: 'critical',
      title: 'Title <script>&\u001b[31m red \u202e reversed',
      evidence: 'line one\r\nline two\twith tab\u0007bell',
      runbookCorrection: 'Correction <script>&',
      actions: [{ ...rebuildSqlite, label: 'Rebuild <script>&\n', params: { node: '<x>&' } }],
    },
  ],
  notes: ['Note <script>&\nsecond line'],
});

const expectGolden = goldenChecker(import.meta.url);

describe('renderText goldens', () => {
  it.each([
    ['healthy', healthy],
    ['incident', incident],
    ['big', bigReport()],
    ['escaping', hostile],
  ] as const)('%s matches its golden file', async (name, r) => {
    await expectGolden(`${name}.golden.txt`, `${renderText(r)}\n`);
  });
});

describe('renderText', () => {
  it('renders the incident worst first with tags, indented bodies and fix lines', () => {
    expect(renderText(incident)).toBe(
      [
        'Corvo health — prod',
        '===================',
        'Verdict: CRITICAL · 1 critical, 1 warning, 1 inconclusive, 1 passed',
        'SQLite diverged from Pebble; the apply queue is backing up.',
        '',
        '[CRIT] SQLite diverged from Pebble  (corvo.sqlite.mirror-dropped)',
        '       mirror dropped 212 writes since 09:10 UTC',
        '       last good checkpoint: 09:09:58',
        '       Runbook: Critical Metrics to Monitor › SQLite Mirror',
        '       Next: Rebuild the SQLite mirror from Pebble.',
        '       → Rebuild SQLite mirror [rebuild-sqlite node=corvo-prod-1] (destructive, needs approval)',
        '       → Show apply lag [show-apply-lag] (read-only)',
        '',
        '[WARN] Apply queue backing up  (corvo.queue.apply-backlog)',
        '       apply queue 14,210 / 16,384 pending — normal is < 1,000',
        '       Runbook: Critical Metrics to Monitor › Apply Queue',
        '       Next: Resume the emails queue, then watch the backlog for 5 minutes.',
        '       Runbook correction: The runbook says 10,000 is the alert threshold; the code pauses intake at 16,384.',
        '       → Resume queue [resume-queue queue=emails] (needs confirmation)',
        '',
        '[????] Metrics endpoint unreachable  (corvo.metrics.unreachable)',
        '       GET /metrics timed out after 5 s',
        '',
        '[OK]   API reachable  (corvo.api.up)',
        '       GET /health 200 in 12 ms',
        '',
        'Notes:',
        '  - Manual: corvo admin mirror status --node corvo-prod-1',
        '  - Escalate to #corvo-oncall if rebuild fails.',
        '',
        'corvo/health · invocation inv-0001 · generated 2025-03-14T09:26:53.000Z',
      ].join('\n'),
    );
  });

  it('says when no checks ran', () => {
    expect(renderText(report({ findings: [] }))).toContain('Verdict: OK · no checks ran');
  });

  it('keeps full evidence (logs are not truncated)', () => {
    const text = renderText(bigReport());
    expect(text).toContain(`00:${'x'.repeat(4997)}\n`);
    expect(text.match(/^\[CRIT\]/gm)).toHaveLength(20);
    expect(text.match(/^\[OK\] {3}/gm)).toHaveLength(30);
    // Worst first: every [CRIT] comes before the first [WARN], and so on.
    const tags = [...text.matchAll(/^\[(CRIT|WARN|\?\?\?\?|OK)\]/gm)].map((m) => m[1]);
    const rank = { CRIT: 0, WARN: 1, '????': 2, OK: 3 } as Record<string, number>;
    expect(tags.map((t) => rank[t ?? ''])).toEqual([...tags.map((t) => rank[t ?? ''])].sort());
  });

  it('neutralises control characters and bidi overrides from report text', () => {
    const text = renderText(hostile);
    // eslint-disable-next-line no-control-regex -- asserting their absence
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(text).toContain('Summary <script>alert(1)</script> & <!channel>\\x1b[2J\\x0dgotcha');
    expect(text).toContain('[CRIT] Title <script>&\\x1b[31m red \\u202e reversed  (corvo.<x>)');
    expect(text).toContain('       line one\n       line two  with tab\\x07bell');
    expect(text).toContain('→ Rebuild <script>& [rebuild-sqlite node=<x>&] (destructive, needs approval)');
    expect(text).toContain('  - Note <script>&\n    second line');
  });

  it('adds ANSI colours only when asked', () => {
    expect(renderText(incident)).not.toContain('\u001b[');
    const coloured = renderText(incident, { color: true });
    expect(coloured).toContain('\u001b[31m[CRIT]\u001b[0m');
    expect(coloured).toContain('\u001b[33m[WARN]\u001b[0m');
    expect(coloured).toContain('\u001b[32m[OK]  \u001b[0m');
    expect(
      coloured
        .split('\u001b')
        .map((part, i) => (i === 0 ? part : part.replace(/^\[\d+m/, '')))
        .join(''),
    ).toBe(renderText(incident));
  });
});
