import { describe, expect, it } from 'vitest';
import type { Slo } from '../../integrations/kyrodb/index.js';
import { TargetError } from '../../src/core/target-error.js';
import { describePath, walkDecisionTree } from './decide.js';
import { KYRO_DECISION_TREE, branchFinding } from './decision-tree.js';
import {
  NOW,
  calmMetricsText,
  calmObservations,
  calmSlo,
  failed,
  ok,
  sampleObservations,
  setMetric,
  withMoreInserts,
} from '../../test/support/kyrodb/observations.js';
import type { KyroObservations } from './observe.js';

function walk(obs: KyroObservations) {
  const walked = walkDecisionTree(obs, NOW);
  const byCode = new Map(walked.map((w) => [w.branch.code, branchFinding(w.branch, w.outcome)]));
  return { walked, byCode, path: describePath(walked) };
}

function metrics(values: Record<string, number>): string {
  let text = calmMetricsText();
  for (const [k, v] of Object.entries(values)) text = setMetric(text, k, v);
  return text;
}

describe('the KyroDB decision tree', () => {
  it("has the runbook's branches in order", () => {
    expect(KYRO_DECISION_TREE.map((b) => b.step)).toEqual([
      'Server Unhealthy?',
      'Check process',
      'Logs show "SLO breach"',
      'Logs show "circuit breaker open"',
      'Logs show "training crash"',
      'Logs show "panic"',
    ]);
  });

  it('a healthy server takes no branch', () => {
    const { byCode, path } = walk(calmObservations());
    expect(path).toBe('Server Unhealthy? → no: healthy; no branch of the tree applies');
    expect([...byCode.values()].every((f) => f.severity === 'ok')).toBe(true);
    // One scrape and no failure since restart: the breaker had nothing to open on (its gauge is not read).
    expect(byCode.get('kyrodb.decide.circuit-breaker')?.title).toBe(
      'Logs show "circuit breaker open" → not taken: writes are not refused (no write has failed since restart)',
    );
  });

  it('WAL inconsistent + refused inserts: the circuit-breaker branch, each sub-step with its live value', () => {
    const text = metrics({ kyrodb_wal_writes_failed: 17 });
    const obs = calmObservations({
      health: ok({ status: 'unhealthy', reason: 'WAL inconsistent; writes disabled', uptime_seconds: 7200 }),
      metricsText: text,
      laterMetricsText: withMoreInserts(text, { attempts: 42, failed: 42 }),
    });
    const { byCode, path } = walk(obs);
    const f = byCode.get('kyrodb.decide.circuit-breaker')!;
    expect(f.severity).toBe('critical');
    expect(f.title).toBe(
      'Logs show "circuit breaker open" → yes: WAL inconsistent, writes disabled (KyroDB does not export its breaker state; inserts failed 42 times in the last 5 s and none succeeded (errors_total{internal} +42))',
    );
    for (const step of [
      'Check disk space → Delete old files: `df -h /var/lib/kyrodb`',
      'Check permissions → Fix ownership: not visible over HTTP',
      'Check filesystem → Run fsck:',
      'Wait 60s → Auto-resets: corrected:',
    ]) {
      expect(f.evidence).toContain(step);
    }
    expect(f.nextStep).toContain('NO reset endpoint');
    expect(f.section).toBe('Decision Tree › Logs show "circuit breaker open"');
    expect(path).toContain(
      'Server Unhealthy? → yes: unhealthy (WAL inconsistent; writes disabled) → Logs show "circuit breaker open" → yes',
    );
  });

  it('refused inserts with no WAL failure and /health healthy name the < 5 % free-disk refusal', () => {
    const text = calmMetricsText();
    const obs = calmObservations({
      metricsText: text,
      laterMetricsText: withMoreInserts(text, { attempts: 7, failed: 7 }),
    });
    expect(walk(obs).byCode.get('kyrodb.decide.circuit-breaker')?.evidence).toContain(
      'no WAL write failed and /health says nothing: the < 5 % free-disk refusal is the likely cause',
    );
  });

  it('SLO breaches pick the sub-branches: p99 → "P99 Latency High", cache → capacity', () => {
    const slo: Slo = {
      ...calmSlo(),
      slo_breaches: { p99_latency: true, cache_hit_rate: true, error_rate: false, availability: false },
      current_metrics: { p99_latency_ns: 15_234_000, cache_hit_rate: 0.352, error_rate: 0.0002, availability: 0.9998 },
    };
    const f = walk(calmObservations({ slo: ok(slo) })).byCode.get('kyrodb.decide.slo-breach')!;
    expect(f.title).toBe('Logs show "SLO breach" → P99 latency high + Cache hit rate low');
    expect(f.evidence).toContain('P99 latency high → See "P99 Latency High": p99 15.23 ms > 10 ms');
    expect(f.evidence).toContain('Cache hit rate low → Increase cache capacity: hit rate 35.2 % < 70 %');
    expect(f.nextStep).toMatch(/^Runbook severity P1 .*Run `\/kyrodb latency`/);
    expect(f.runbookCorrection).toContain('NANOSECONDS');
    expect(f.runbookCorrection).toContain('lowercase');
  });

  it('training crashes: report a bug past 5 restarts, never SIGHUP; critical once the supervisor stopped', () => {
    const loop = walk(
      calmObservations({
        metricsText: metrics({ kyrodb_training_crashes_total: 7, kyrodb_training_restarts_total: 7 }),
      }),
    );
    const f = loop.byCode.get('kyrodb.decide.training-crash')!;
    expect(f).toMatchObject({
      severity: 'warning',
      title: 'Logs show "training crash" → yes: 7 crashes, 7 restarts → report bug',
    });
    expect(f.nextStep).toMatch(/^Runbook severity P2 .*Do NOT run the runbook's `kill -HUP/);
    expect(loop.path).toBe(
      'Server Unhealthy? → no: healthy → Logs show "training crash" → yes: 7 crashes, 7 restarts → report bug',
    );
    const stopped = walk(
      calmObservations({
        metricsText: metrics({ kyrodb_training_crashes_total: 11, kyrodb_training_restarts_total: 10 }),
      }),
    );
    expect(stopped.byCode.get('kyrodb.decide.training-crash')?.severity).toBe('critical');
  });

  it('panic is only suspected from internal errors that failed inserts do not explain', () => {
    // The sample: 2 internal errors beside 2 failed inserts (refused inserts count as internal errors).
    expect(walk(sampleObservations()).byCode.get('kyrodb.decide.panic')?.severity).toBe('ok');
    const extra = walk(calmObservations({ metricsText: metrics({ 'kyrodb_errors_total{category="internal"}': 5 }) }));
    const f = extra.byCode.get('kyrodb.decide.panic')!;
    expect(f).toMatchObject({
      severity: 'warning',
      title: 'Logs show "panic" → possible: 5 internal errors not explained by failed inserts',
    });
    expect(f.evidence).toContain('BACKUP_ALLOW_CLEAR=true');
  });

  it('a starting server: Check process → still starting', () => {
    const f = walk(calmObservations({ health: ok({ status: 'starting', uptime_seconds: 12 }) })).byCode.get(
      'kyrodb.decide.process',
    )!;
    expect(f).toMatchObject({ severity: 'warning', title: 'Check process → Running, still starting (up 12 s)' });
  });

  it('branches whose signal is unreadable are inconclusive, not guessed', () => {
    const obs = calmObservations({ metrics: failed(new TargetError('unauthorized', 'GET /metrics: 401')) });
    const { byCode } = walk(obs);
    expect(byCode.get('kyrodb.decide.circuit-breaker')?.severity).toBe('inconclusive');
    expect(byCode.get('kyrodb.decide.training-crash')?.severity).toBe('inconclusive');
    expect(byCode.get('kyrodb.decide.slo-breach')?.severity).toBe('ok');
  });
});
