import { describe, expect, it } from 'vitest';
import type { Finding } from '../core/report.js';
import { judgeDurations, NOT_MEASURED_TEXT } from './judge-durations.js';

const breaker: Finding = {
  code: 'kyrodb.wal.circuit-breaker',
  severity: 'critical',
  title: 'Writes are refused',
  evidence: 'inserts failed 42 times',
  duration: { threshold: 'circuit-breaker-open' },
  escalation: { level: 'P0', page: true },
};
const slo: Finding = {
  code: 'kyrodb.slo.p99-latency',
  severity: 'warning',
  title: 'P99 above SLO',
  evidence: 'p99 15 ms',
  duration: { threshold: 'slo-breach' },
  escalation: { level: 'P1', page: false },
};
const plain: Finding = { code: 'kyrodb.x', severity: 'critical', title: 'X', evidence: 'x' };
const now = new Date('2026-12-06T10:00:00Z');
const thresholdMs = (name: string) => ({ 'circuit-breaker-open': 3_600_000, 'slo-breach': 300_000 })[name] ?? 0;

describe('judgeDurations', () => {
  it('a duration not yet held is pending: a warning that says how long it held and what the runbook does after', () => {
    const since = new Map([['kyrodb.wal.circuit-breaker', new Date(now.getTime() - 180_000)]]);
    const r = judgeDurations([breaker, slo, plain], { since, now, thresholdMs, measured: true });
    expect(r.findings[0]).toMatchObject({
      severity: 'warning',
      title: 'Writes are refused (pending)',
      evidence:
        'inserts failed 42 times\nPending: held for 3 min; the runbook makes it P0, pages the on-call after 1 h ' +
        '(circuit-breaker-open). Shown as a warning until then: it is critical once held that long.',
    });
    // First seen in this run: held 0 s; a warning stays a warning.
    expect(r.findings[1]).toMatchObject({ severity: 'warning', title: 'P99 above SLO (pending)' });
    expect(r.findings[1]!.evidence).toContain('Pending: held for 0 s; the runbook makes it P1, warning after 5 min');
    expect(r.findings[2]).toBe(plain);
    expect(r.states.get('kyrodb.wal.circuit-breaker')).toBe('pending');
    expect(r.heldMs.get('kyrodb.wal.circuit-breaker')).toBe(180_000);
  });

  it('held past the threshold across consecutive runs: the finding takes its severity and says so', () => {
    const since = new Map([['kyrodb.wal.circuit-breaker', new Date(now.getTime() - 3_660_000)]]);
    const r = judgeDurations([breaker], { since, now, thresholdMs, measured: true });
    expect(r.findings[0]).toMatchObject({ severity: 'critical', title: 'Writes are refused' });
    expect(r.findings[0]!.evidence).toContain(
      "Held for 1 h 1 min across scheduled runs: past the runbook's 1 h (circuit-breaker-open).",
    );
    expect(r.states.get('kyrodb.wal.circuit-breaker')).toBe('held');
  });

  it('with no every-schedule on the target, durations are not measured and the severity is kept', () => {
    const r = judgeDurations([breaker], { since: new Map(), now, thresholdMs, measured: false });
    expect(r.findings[0]!.severity).toBe('critical');
    expect(r.findings[0]!.evidence).toContain(`is not measured: ${NOT_MEASURED_TEXT}.`);
    expect(r.states.get('kyrodb.wal.circuit-breaker')).toBe('unmeasured');
  });

  it('an ok finding is left alone', () => {
    const ok = { ...breaker, severity: 'ok' as const };
    expect(judgeDurations([ok], { since: new Map(), now, thresholdMs, measured: true }).findings[0]).toBe(ok);
  });
});
