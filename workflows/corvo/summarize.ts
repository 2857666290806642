import { SEVERITY_ORDER, type Finding, type Severity } from '../../src/core/report.js';

/** Worst first; within a severity, the rules' order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_ORDER.indexOf(b.f.severity) - SEVERITY_ORDER.indexOf(a.f.severity) || a.i - b.i)
    .map(({ f }) => f);
}

/** "1 critical, 2 warning", or "all 7 checks ok". */
export function countsText(findings: readonly Finding[]): string {
  const order: Severity[] = ['critical', 'warning', 'inconclusive'];
  const parts = order
    .map((s) => ({ s, count: findings.filter((f) => f.severity === s).length }))
    .filter((p) => p.count > 0)
    .map((p) => `${p.count} ${p.s}`);
  return parts.length > 0 ? parts.join(', ') : `all ${findings.length} checks ok`;
}
