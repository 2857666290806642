import { describe, expect, it } from 'vitest';
import {
  checklistNamesOf,
  createChecklistWorkflow,
  historyWorkflowOf,
  runChecklist,
  TREND_TOLERANCE_MS,
  type Checklist,
} from './checklist.js';
import { fixedClock } from './clock.js';
import { silentLogger } from './logger.js';
import type { Finding, Severity } from './report.js';
import type { FindingHistory, Workflow, WorkflowContext } from './workflow.js';

const NOW = Date.parse('2026-12-06T08:00:00Z');
const DAY = 24 * 3600_000;

const f = (code: string, severity: Severity, extra: Partial<Finding> = {}): Finding => ({
  code,
  severity,
  title: `Title of ${code}`,
  evidence: `evidence of ${code}`,
  section: 'Original section',
  ...extra,
});

/** A workflow returning fixed findings, counting its runs. */
function fake(id: string, findings: Finding[] | (() => never), notes: string[] = []) {
  const w = {
    id,
    title: `Sys ${id}`,
    description: id,
    runs: 0,
    async run() {
      w.runs++;
      if (typeof findings === 'function') findings();
      return { findings: findings as Finding[], notes, summary: 'ignored' };
    },
  } satisfies Workflow<null> & { runs: number };
  return w;
}

function ctx(history?: FindingHistory, args: Record<string, string> = {}): WorkflowContext<null> {
  return {
    target: 'prod',
    clients: null,
    args,
    clock: fixedClock(NOW),
    signal: new AbortController().signal,
    logger: silentLogger,
    ...(history ? { history } : {}),
  };
}

const o = { system: 'sys', displayName: 'Sys' };

describe('runChecklist', () => {
  it('runs each workflow once, keeps each item’s codes (section: the item), lists manual steps as notes', async () => {
    const pool = fake('pool', [
      f('sys.pool.ready', 'warning'),
      f('sys.pool.failures', 'ok'),
      f('sys.pool.other', 'critical'),
    ]);
    const checklist: Checklist<null> = {
      name: 'daily',
      section: 'Checklist › Daily',
      items: [
        { kind: 'check', text: 'Pool at target', workflow: pool, codes: ['sys.pool.ready'] },
        {
          kind: 'check',
          text: 'Review errors',
          workflow: pool,
          codes: ['sys.pool.failures'],
          byHand: '`journalctl -u sys`',
        },
        { kind: 'manual', text: 'Check disk', command: 'df -h /var', runbookCorrection: 'the runbook says /opt' },
      ],
    };
    const r = await runChecklist(o, checklist, ctx());
    expect(pool.runs).toBe(1);
    expect(r.title).toBe('Sys daily checklist');
    expect(r.findings.map((x) => [x.code, x.severity, x.section])).toEqual([
      ['sys.pool.ready', 'warning', 'Checklist › Daily › Pool at target'],
      ['sys.pool.failures', 'ok', 'Checklist › Daily › Review errors'],
    ]);
    expect(r.notes).toEqual([
      'By hand too — Review errors: `journalctl -u sys`',
      'By hand — Check disk: `df -h /var` (runbook correction: the runbook says /opt)',
    ]);
    expect(r.summary).toBe('2 of 3 items checked by the bot (1 ok, 1 warning), 1 by hand');
  });

  it('reports a workflow’s failed probes once, as the verdict of the items they left undecided', async () => {
    const down = f('sys.probe.api', 'inconclusive', { probeFailure: true });
    const health = fake('health', [down]);
    const r = await runChecklist(
      o,
      {
        name: 'daily',
        section: 'D',
        items: [
          { kind: 'check', text: 'A', workflow: health, codes: ['sys.health.a'] },
          { kind: 'check', text: 'B', workflow: health, codes: ['sys.health.b'] },
        ],
      },
      ctx(),
    );
    expect(r.findings.map((x) => x.code)).toEqual(['sys.probe.api']);
    expect(r.summary).toBe('2 of 2 items checked by the bot (2 inconclusive), 0 by hand');
  });

  it('an "answered" item is ok when its probe answered, and that probe’s failure when it did not', async () => {
    const item = {
      kind: 'check' as const,
      text: 'Metrics collected',
      codes: [],
      answered: {
        probeCode: 'sys.probe.metrics',
        code: 'sys.checklist.metrics',
        title: 'Metrics ok',
        evidence: 'read',
      },
    };
    const up = await runChecklist(
      o,
      { name: 'd', section: 'D', items: [{ ...item, workflow: fake('pool', [f('sys.pool.ready', 'ok')]) }] },
      ctx(),
    );
    expect(up.findings.map((x) => [x.code, x.severity])).toEqual([['sys.checklist.metrics', 'ok']]);
    const failed = f('sys.probe.metrics', 'inconclusive', { probeFailure: true });
    const down = await runChecklist(
      o,
      { name: 'd', section: 'D', items: [{ ...item, workflow: fake('pool', [failed]) }] },
      ctx(),
    );
    expect(down.findings.map((x) => [x.code, x.severity])).toEqual([['sys.probe.metrics', 'inconclusive']]);

    // An answer that proves nothing: the endpoint answers while what feeds it hangs (frozen gauges).
    const frozenItem = {
      ...item,
      answered: { ...item.answered, frozenWhen: { probeCodes: ['sys.probe.stats'], why: 'the gauges are frozen' } },
    };
    const stats = f('sys.probe.stats', 'inconclusive', { probeFailure: true, title: 'Stats did not answer' });
    const frozen = await runChecklist(
      o,
      { name: 'd', section: 'D', items: [{ ...frozenItem, workflow: fake('pool', [stats]) }] },
      ctx(),
    );
    expect(frozen.findings.map((x) => [x.code, x.severity])).toEqual([
      ['sys.checklist.metrics', 'inconclusive'],
      ['sys.probe.stats', 'inconclusive'],
    ]);
    expect(frozen.findings[0]!.evidence).toBe('read; but the gauges are frozen (Stats did not answer)');
    const fresh = await runChecklist(
      o,
      { name: 'd', section: 'D', items: [{ ...frozenItem, workflow: fake('pool', [f('sys.pool.ready', 'ok')]) }] },
      ctx(),
    );
    expect(fresh.findings.map((x) => [x.code, x.severity])).toEqual([['sys.checklist.metrics', 'ok']]);
  });

  it('codes "all" takes the whole workflow with its notes (a health check as the daily)', async () => {
    const health = fake('health', [f('sys.a', 'ok'), f('sys.b', 'critical')], ['a health note']);
    const r = await runChecklist(
      o,
      {
        name: 'daily',
        section: 'Health check (daily)',
        items: [{ kind: 'check', text: 'Health', workflow: health, codes: 'all' }],
      },
      ctx(),
    );
    expect(r.findings.map((x) => x.code)).toEqual(['sys.b', 'sys.a']);
    expect(r.notes).toEqual(['a health note']);
  });

  it('a workflow that throws is one inconclusive finding, not a failed checklist', async () => {
    const broken = fake('pool', () => {
      throw new Error('boom');
    });
    const r = await runChecklist(
      o,
      { name: 'd', section: 'D', items: [{ kind: 'check', text: 'A', workflow: broken, codes: ['x'] }] },
      ctx(),
    );
    expect(r.findings).toMatchObject([{ code: 'sys.checklist.workflow-failed', severity: 'inconclusive' }]);
  });

  describe('trend items (same day last week)', () => {
    const trendList = (value: number | undefined): Checklist<null> => ({
      name: 'weekly',
      section: 'Weekly checks',
      items: [
        {
          kind: 'trend',
          text: 'Review SLO trends',
          workflow: fake('latency', [f('sys.p99', 'ok', value === undefined ? {} : { value })]),
          code: 'sys.p99',
          trendCode: 'sys.checklist.p99-trend',
          label: 'Query p99',
          format: (v) => `${v} ms`,
          warnRise: 0.2,
          thresholdNote: 'the bot’s own threshold.',
        },
      ],
    });
    const history = (value: number | undefined): FindingHistory & { asked: unknown[] } => {
      const asked: unknown[] = [];
      return {
        asked,
        async valueAt(code, at, toleranceMs) {
          asked.push({ code, at: at.toISOString(), toleranceMs });
          return value === undefined ? undefined : { at: new Date(NOW - 7 * DAY + 60_000), value };
        },
      };
    };

    it('asks the history for the value a week ago and warns when it rose more than the threshold', async () => {
      const h = history(10);
      const r = await runChecklist(o, trendList(12.5), ctx(h));
      expect(h.asked).toEqual([
        { code: 'sys.p99', at: new Date(NOW - 7 * DAY).toISOString(), toleranceMs: TREND_TOLERANCE_MS },
      ]);
      expect(r.findings).toMatchObject([
        {
          code: 'sys.checklist.p99-trend',
          severity: 'warning',
          title: 'Query p99 trending up: +25 % on last week',
          value: 12.5,
        },
      ]);
      expect(r.findings[0]!.evidence).toContain('Query p99 12.5 ms now vs 10 ms on 2026-11-29 08:01 UTC');
    });

    it('a steady or falling value is ok', async () => {
      const r = await runChecklist(o, trendList(9), ctx(history(10)));
      expect(r.findings[0]).toMatchObject({
        severity: 'ok',
        title: 'Query p99 not trending up (down -10 % on last week)',
      });
    });

    it('no value a week ago: says so', async () => {
      const r = await runChecklist(o, trendList(9), ctx(history(undefined)));
      expect(r.findings[0]).toMatchObject({
        severity: 'inconclusive',
        title: 'Query p99 trend: no value from last week to compare yet',
      });
      // Without a store at all, the same.
      const bare = await runChecklist(o, trendList(9), ctx());
      expect(bare.findings[0]!.title).toBe('Query p99 trend: no value from last week to compare yet');
    });

    it('no value now: the trend is unknown', async () => {
      const r = await runChecklist(o, trendList(undefined), ctx(history(10)));
      expect(r.findings[0]).toMatchObject({
        severity: 'inconclusive',
        title: 'Query p99 trend unknown: no value in this run',
      });
    });
  });
});

describe('createChecklistWorkflow', () => {
  const lists: Checklist<null>[] = [
    { name: 'daily', section: 'D', items: [{ kind: 'manual', text: 'm', command: 'c' }] },
    { name: 'weekly', section: 'W', items: [] },
  ];
  const w = createChecklistWorkflow({ system: 'sys', displayName: 'Sys', checklists: lists });

  it('is the `checklist` subcommand, its argument limited to the checklist names', async () => {
    expect(w.id).toBe('checklist');
    expect(w.args).toEqual([
      { name: 'checklist', description: 'checklist name', required: true, choices: ['daily', 'weekly'] },
    ]);
    expect(w.description).toContain('(daily, weekly)');
    expect(checklistNamesOf([{ id: 'health' }, w])).toEqual(['daily', 'weekly']);
    expect(checklistNamesOf([{ id: 'health' }])).toEqual([]);
    expect((await w.run(ctx(undefined, { checklist: 'daily' }))).title).toBe('Sys daily checklist');
    expect((await w.run(ctx(undefined, { checklist: 'nope' }))).findings[0]).toMatchObject({
      code: 'sys.checklist.unknown',
      evidence: 'Sys has no checklist "nope" (one of: daily, weekly).',
    });
  });

  it('keeps each checklist’s runs apart in the finding history', () => {
    expect(historyWorkflowOf('checklist', { checklist: 'daily' })).toBe('checklist:daily');
    expect(historyWorkflowOf('health', {})).toBe('health');
  });
});
