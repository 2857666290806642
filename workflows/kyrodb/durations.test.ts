import { describe, expect, it } from 'vitest';
import { NOW, sampleMetricsText, sampleObservations, withMoreInserts } from '../../test/support/kyrodb/observations.js';
import { KYRO_THRESHOLDS } from './durations.js';
import { ESCALATIONS } from './escalation.js';
import { evaluateRule, kyroHealthRules } from './rules/index.js';

const finding = (code: string, obs = sampleObservations()) =>
  evaluateRule(
    kyroHealthRules.find((r) => r.code === code)!,
    obs,
    NOW,
  )!;

describe("KyroDB's escalation durations", () => {
  it("lists the table's durations with the runbook's values", () => {
    expect(KYRO_THRESHOLDS.map((t) => [t.name, t.defaultMs, t.kind])).toEqual([
      ['circuit-breaker-open', 3_600_000, 'held'],
      ['server-down', 300_000, 'held'],
      ['slo-breach', 300_000, 'held'],
    ]);
    for (const row of Object.values(ESCALATIONS)) {
      if ('threshold' in row) expect(KYRO_THRESHOLDS.map((t) => t.name)).toContain(row.threshold);
    }
  });

  it('refused writes carry the P0 row: its duration and the page', () => {
    const refused = sampleObservations({
      metricsText: sampleMetricsText(),
      laterMetricsText: withMoreInserts(sampleMetricsText(), { attempts: 42, failed: 42 }),
    });
    expect(finding('kyrodb.wal.circuit-breaker', refused)).toMatchObject({
      severity: 'critical',
      duration: { threshold: 'circuit-breaker-open' },
      escalation: { level: 'P0', page: true },
    });
  });

  it("/health's sticky WAL reason quotes the P0 row but neither waits for its duration nor pages", () => {
    const status = finding('kyrodb.health.status');
    expect(status.severity).toBe('warning');
    expect(status.escalation).toEqual({ level: 'P0', page: false });
    expect(status.duration).toBeUndefined();
  });

  it('an ok finding carries neither', () => {
    const ok = finding('kyrodb.health.ready');
    expect(ok.severity).toBe('ok');
    expect(ok.duration).toBeUndefined();
    expect(ok.escalation).toBeUndefined();
  });
});
