/**
 * The reports every renderer's tests render (Slack Block Kit, Adaptive Cards, text): healthy, an incident with fixes
 * offered, and one far over every platform's size limits. `generatedAt` is fixed so golden files are stable; each
 * test file keeps its own hostile report, since what is hostile depends on the platform's markup.
 */
import { createReport, type Finding, type ProposedAction, type Report } from '../../src/core/report.js';

export const GENERATED_AT = '2025-03-14T09:26:53.000Z';

export function report(fields: Partial<Omit<Report, 'verdict'>> & Pick<Report, 'findings'>): Report {
  return createReport({
    title: 'Corvo health',
    system: 'corvo',
    target: 'prod',
    workflow: 'health',
    summary: 'Checked 5 signals on corvo-prod-1.',
    invocationId: 'inv-0001',
    generatedAt: GENERATED_AT,
    ...fields,
  });
}

export const rebuildSqlite: ProposedAction = {
  remediation: 'rebuild-sqlite',
  label: 'Rebuild SQLite mirror',
  params: { node: 'corvo-prod-1' },
  level: 'approval',
  destructive: true,
  offerId: 'ofr_rebuild',
};
export const resumeQueue: ProposedAction = {
  remediation: 'resume-queue',
  label: 'Resume queue',
  params: { queue: 'emails' },
  level: 'confirm',
  destructive: false,
  offerId: 'ofr_resume',
};
export const showLag: ProposedAction = {
  remediation: 'show-apply-lag',
  label: 'Show apply lag',
  params: {},
  level: 'none',
  destructive: false,
};
export const purgeStream: ProposedAction = {
  remediation: 'purge-stream',
  label: 'Purge stream',
  params: { stream: 'events' },
  level: 'confirm',
  destructive: true,
  offerId: 'ofr_purge',
};

export const healthy = report({
  summary: 'All 4 checks passed on corvo-prod-1.',
  findings: [
    { code: 'corvo.api.up', severity: 'ok', title: 'API reachable', evidence: 'GET /health 200 in 12 ms' },
    { code: 'corvo.sqlite.mirror', severity: 'ok', title: 'SQLite mirror in sync', evidence: 'lag 0 writes' },
    { code: 'corvo.queue.apply', severity: 'ok', title: 'Apply queue drained', evidence: '3 / 16,384 pending' },
    { code: 'corvo.disk.free', severity: 'ok', title: 'Disk has room', evidence: '71% free' },
  ],
});

export const incident = report({
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
      actions: [resumeQueue, purgeStream],
    },
    {
      code: 'corvo.sqlite.mirror-dropped',
      severity: 'critical',
      title: 'SQLite diverged from Pebble',
      evidence: 'mirror dropped 212 writes since 09:10 UTC',
      section: 'Critical Metrics to Monitor › SQLite Mirror',
      nextStep: 'Rebuild the SQLite mirror from Pebble.',
      actions: [rebuildSqlite, showLag],
    },
    {
      code: 'corvo.metrics.unreachable',
      severity: 'inconclusive',
      title: 'Metrics endpoint unreachable',
      evidence: 'GET /metrics timed out after 5 s',
      nextStep: 'Check the node is up, then re-run /corvo health.',
    },
    {
      code: 'corvo.disk.free',
      severity: 'ok',
      title: 'Disk has room',
      evidence: '71% free',
      runbookCorrection: 'The runbook warns at 50% free; compaction needs only 20%.',
    },
  ],
  notes: ['Manual: `corvo admin mirror status --node corvo-prod-1`', 'Escalate to #corvo-oncall if rebuild fails.'],
});

export const SEVERITY_CYCLE = ['critical', 'warning', 'ok', 'inconclusive', 'ok', 'warning', 'ok', 'critical'] as const;

export function bigReport(): Report {
  const findings: Finding[] = [];
  for (let i = 0; i < 80; i++) {
    const severity = SEVERITY_CYCLE[i % SEVERITY_CYCLE.length] ?? 'ok';
    findings.push({
      code: `corvo.check.c${String(i).padStart(2, '0')}`,
      severity,
      title: `Check number ${i} ${'with a rather long title '.repeat(i % 3)}`.trim(),
      evidence: `${String(i).padStart(2, '0')}:` + 'x'.repeat(4997),
      section: `Section ${i} › ${'Sub '.repeat(80)}`,
      nextStep: `Step ${i}: ${'do this then that. '.repeat(60)}`,
      runbookCorrection: i % 5 === 0 ? `Correction ${i}: ${'the runbook is wrong here. '.repeat(60)}` : undefined,
      actions:
        severity === 'ok'
          ? undefined
          : [
              { ...rebuildSqlite, params: { node: `n${i}` }, offerId: `ofr_r${i}` },
              { ...resumeQueue, label: `Resume queue ${i} ${'very long label '.repeat(10)}`, offerId: `ofr_q${i}` },
              showLag,
            ],
    });
  }
  return report({
    summary: `80 checks. ${'Long summary. '.repeat(400)}`,
    findings,
    notes: Array.from({ length: 30 }, (_, i) => `Note ${i}: ${'copy this command. '.repeat(50)}`),
  });
}
