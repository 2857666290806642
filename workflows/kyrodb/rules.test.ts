import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/report.js';
import { TargetError } from '../../src/core/target-error.js';
import {
  NOW,
  calmMetricsText,
  calmObservations,
  degradedWalHealth,
  failed,
  ok,
  sampleMetricsText,
  sampleObservations,
  sampleWith,
  setMetric,
  unhealthySloHealth,
  withMoreInserts,
} from '../../test/support/kyrodb/observations.js';
import type { KyroObservations } from './observe.js';
import { HEALTH_THRESHOLDS, NO_ESCALATION_TEXT, evaluateRule, evaluateRules, kyroHealthRules } from './rules/index.js';

/** Rule unit tests on the §2.5 sample exposition and the §2.3 payloads, edited one signal at a time. */

function finding(code: string, obs: KyroObservations, now = NOW): Finding {
  const rule = kyroHealthRules.find((r) => r.code === code);
  if (!rule) throw new Error(`no rule ${code}`);
  const f = evaluateRule(rule, obs, now);
  if (!f) throw new Error(`rule ${code} had nothing to read`);
  return f;
}

describe('kyrodb.health.status', () => {
  it('degraded by failed WAL writes: warning with the reason and the runbook P0 data-loss row', () => {
    const f = finding('kyrodb.health.status', sampleObservations());
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('KyroDB is degraded: 2 failed WAL writes observed');
    expect(f.evidence).toBe(
      'GET /health: "degraded" — "2 failed WAL writes observed" (HTTP 200: still serving and ready), up 1 h (since 2026-03-26T09:00:00Z)',
    );
    expect(f.nextStep).toMatch(
      /^Runbook severity P0 if writes stay refused \(the WAL circuit breaker open\) more than 1 h/,
    );
    expect(f.nextStep).toContain('sticky until the next restart');
    expect(f.runbookCorrection).toContain('default HTTP port is 51051');
  });

  it('unhealthy by two SLO violations: critical with the runbook P1 SLO row', () => {
    const f = finding('kyrodb.health.status', sampleObservations({ health: ok(unhealthySloHealth()) }));
    expect(f.severity).toBe('critical');
    expect(f.evidence).toContain('"P99 latency 15234000ns exceeds SLO; Cache hit rate 35.20% below SLO"');
    expect(f.nextStep).toMatch(
      /^Runbook severity P1 if the SLO breach lasts more than 5 min — respond within 15 minutes/,
    );
  });

  it('starting: warning, critical past the runbook 5 min "server down"', () => {
    const early = finding(
      'kyrodb.health.status',
      sampleObservations({ health: ok({ status: 'starting', uptime_seconds: 40 }) }),
    );
    expect(early.severity).toBe('warning');
    const limit = HEALTH_THRESHOLDS.startingTooLongSeconds;
    const atLimit = finding(
      'kyrodb.health.status',
      sampleObservations({ health: ok({ status: 'starting', uptime_seconds: limit }) }),
    );
    expect(atLimit.severity).toBe('warning');
    const late = finding(
      'kyrodb.health.status',
      sampleObservations({ health: ok({ status: 'starting', uptime_seconds: limit + 1 }) }),
    );
    expect(late.severity).toBe('critical');
    expect(late.nextStep).toMatch(/^Runbook severity P0 if the server is down more than 5 min — respond immediately/);
  });

  it('healthy: ok, and says when SLOs are not judged yet (fewer than min_samples queries)', () => {
    const calm = finding('kyrodb.health.status', calmObservations());
    expect(calm).toMatchObject({ severity: 'ok', title: 'KyroDB /health is healthy' });
    expect(calm.nextStep).toBeUndefined();
    const fresh = calmObservations({ metricsText: setMetric(calmMetricsText(), 'kyrodb_queries_total', 42) });
    expect(finding('kyrodb.health.status', fresh).evidence).toContain('only 42 queries so far (< min_samples 100)');
  });

  it('reads the start time from the injected clock', () => {
    const f = finding('kyrodb.health.status', calmObservations(), Date.parse('2026-03-27T00:00:00Z'));
    expect(f.evidence).toContain('up 23 h 54 min (since 2026-03-26T00:06:28Z)');
  });
});

describe('kyrodb.health.ready', () => {
  it('not ready while starting is a warning; not ready while unhealthy is critical and explained', () => {
    const notReady = ok({ ready: false, status: 'not_ready' });
    const starting = finding(
      'kyrodb.health.ready',
      sampleObservations({ ready: notReady, health: ok({ status: 'starting', uptime_seconds: 3 }) }),
    );
    expect(starting.severity).toBe('warning');
    const unhealthy = finding(
      'kyrodb.health.ready',
      sampleObservations({ ready: notReady, health: ok(unhealthySloHealth()) }),
    );
    expect(unhealthy.severity).toBe('critical');
    expect(unhealthy.evidence).toContain('the engine itself is up (kyrodb_ready 1)');
  });
});

describe('SLO rules', () => {
  it('p99: the /slo breach, in ms and ns, with the ns and metric-name corrections', () => {
    const f = finding('kyrodb.slo.p99-latency', sampleObservations());
    expect(f.severity).toBe('warning');
    expect(f.evidence).toBe('P99 latency 15.23 ms (15,234,000 ns) — SLO ≤ 10 ms (10,000,000 ns) (/slo)');
    expect(f.runbookCorrection).toContain('NANOSECONDS');
    expect(f.runbookCorrection).toContain('`kyrodb_query_latency_p99` → `kyrodb_query_latency_ns{percentile="99"}`');
    expect(f.nextStep).toMatch(/^Runbook severity P1 /);
  });

  it('p99 falls back to the exposition and the default SLO when /slo is unreadable', () => {
    const obs = sampleObservations({ slo: failed(new TargetError('unauthorized', 'GET /slo: 401')) });
    const f = finding('kyrodb.slo.p99-latency', obs);
    expect(f.severity).toBe('warning');
    expect(f.evidence).toContain('(KyroDB default SLO (/slo could not be read))');
    const calm = sampleObservations({
      slo: failed(new TargetError('unauthorized', 'GET /slo: 401')),
      metricsText: calmMetricsText(),
    });
    expect(finding('kyrodb.slo.p99-latency', calm).severity).toBe('ok');
  });

  it('cache hit rate and availability within SLO on the sample; error rate as a small percentage', () => {
    const obs = sampleObservations();
    expect(finding('kyrodb.slo.cache-hit-rate', obs)).toMatchObject({
      severity: 'ok',
      evidence: 'cache hit rate 74.11 % — SLO ≥ 70 % (/slo)',
    });
    // The error rate is computed from the counters (failed ÷ (successful + failed)); the §2.3 /slo sample's 0.0002
    // does not match the §2.5 counters, so the bot says which figure it trusts.
    expect(finding('kyrodb.slo.error-rate', obs).evidence).toBe(
      "error rate 0.0115 % (212 failed of 1,843,533 queries since restart); KyroDB's own /slo error_rate 0.0002 is " +
        'wrong (it divides failed by successful queries only) — SLO ≤ 0.1 % (/slo)',
    );
    expect(finding('kyrodb.slo.availability', obs).evidence).toMatch(/^availability 99.99 %/);
  });

  it('judges the error rate from the counters, not from the /slo flag', () => {
    const slo = structuredClone(sampleObservations().slo);
    if (!slo.ok) throw new Error('fixture');
    const breached = { ...slo.value, slo_breaches: { ...slo.value.slo_breaches, error_rate: true } };
    expect(finding('kyrodb.slo.error-rate', sampleObservations({ slo: ok(breached) })).severity).toBe('ok');
    const failing = sampleObservations({ metricsText: sampleWith({ kyrodb_queries_failed: 5000 }) });
    const f = finding('kyrodb.slo.error-rate', failing);
    expect(f.severity).toBe('warning');
    expect(f.runbookCorrection).toContain('`kyrodb_error_rate_5m`');
    expect(f.runbookCorrection).toContain('failed ÷ SUCCESSFUL');
  });
});

describe('kyrodb.wal.circuit-breaker (the write check)', () => {
  const refusedWindow = () =>
    sampleObservations({
      metricsText: sampleMetricsText(),
      laterMetricsText: withMoreInserts(sampleMetricsText(), { attempts: 42, failed: 42 }),
    });

  it('one scrape after failures: cannot tell whether writes are refused now, and says why', () => {
    const f = finding('kyrodb.wal.circuit-breaker', sampleObservations());
    expect(f).toMatchObject({ severity: 'inconclusive', title: 'Whether writes are refused now cannot be told' });
    expect(f.evidence).toContain('KyroDB does not export its breaker state; one scrape only');
    expect(f.evidence).toContain('2 of 1,200,000 insert attempts failed since restart (up 1 h)');
  });

  it('refused: critical, with the P0 row and the manual (never a button) reset warning', () => {
    const f = finding('kyrodb.wal.circuit-breaker', refusedWindow());
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('Writes are refused: 42 inserts failed in the last 5 s and none succeeded');
    expect(f.nextStep).toMatch(/^Runbook severity P0 if writes stay refused/);
    expect(f.nextStep).toContain('⚠ Manual step, no button: KyroDB has NO reset endpoint');
    expect(f.runbookCorrection).toContain('No `POST /admin/circuit-breaker/reset` exists');
    expect(f.runbookCorrection).toContain('KyroDB never updates it');
    expect(f.actions).toBeUndefined();
  });

  it('the gauge is not read: a 1 on it changes nothing; some inserts failing is a warning', () => {
    const gauge = sampleWith({ kyrodb_wal_circuit_breaker_state: 1 });
    const calm = sampleObservations({
      metricsText: gauge,
      laterMetricsText: withMoreInserts(gauge, { attempts: 10, failed: 0 }),
    });
    expect(finding('kyrodb.wal.circuit-breaker', calm).severity).toBe('ok');
    const partly = sampleObservations({
      metricsText: sampleMetricsText(),
      laterMetricsText: withMoreInserts(sampleMetricsText(), { attempts: 10, failed: 4 }),
    });
    expect(finding('kyrodb.wal.circuit-breaker', partly)).toMatchObject({
      severity: 'warning',
      title: 'Some writes fail: 4 of 10 inserts in the last 5 s',
    });
  });
});

describe('kyrodb.wal.writes', () => {
  it('warns on failed WAL writes since restart, and says the /health reason is sticky', () => {
    const f = finding('kyrodb.wal.writes', sampleObservations());
    expect(f.severity).toBe('warning');
    expect(f.evidence).toBe(
      'kyrodb_wal_writes_failed 2; /health "2 failed WAL writes observed" since restart (up 1 h) — failures happened ' +
        "since the restart; whether writes fail now is the write check's job",
    );
    expect(f.nextStep).toContain('sticky until the next restart');
    expect(f.nextStep).toContain(
      '`kyrodb_backup --data-dir /var/lib/kyrodb/data --backup-dir /backups prune --keep-daily 7 --keep-weekly 4 --min-age-days 7`',
    );
    expect(f.nextStep).not.toContain('--older-than-days');
    expect(f.nextStep).toContain('loses every write not yet in a snapshot');
    expect(finding('kyrodb.wal.writes', calmObservations()).severity).toBe('ok');
  });

  it('WAL inconsistent (from /health): critical, with the --verify-wal and backup corrections', () => {
    const inconsistent = ok({
      status: 'unhealthy' as const,
      reason: 'WAL inconsistent; writes disabled',
      uptime_seconds: 10,
    });
    const f = finding('kyrodb.wal.writes', sampleObservations({ health: inconsistent }));
    expect(f).toMatchObject({ severity: 'critical', title: 'WAL inconsistent: writes disabled' });
    expect(f.nextStep).toContain(
      'BACKUP_ALLOW_CLEAR=true kyrodb_backup --data-dir /var/lib/kyrodb/data --backup-dir /backups restore --backup-id <ID>',
    );
    expect(f.runbookCorrection).toContain('`kyrodb_server --verify-wal` does not exist');
    expect(f.runbookCorrection).toContain('`list --json` (use `list --format json`)');
  });
});

describe('kyrodb.training.crash-loop', () => {
  const training = (crashes: number, restarts: number) =>
    finding(
      'kyrodb.training.crash-loop',
      sampleObservations({
        metricsText: sampleWith({ kyrodb_training_crashes_total: crashes, kyrodb_training_restarts_total: restarts }),
      }),
    );

  it('ok without crashes', () => {
    expect(training(0, 0)).toMatchObject({
      severity: 'ok',
      evidence: '0 crashes, 0 restarts, 143 training cycles completed since restart',
    });
  });

  it('warns on a crash and on more than 5 restarts (runbook: report a bug), critical at max_restarts', () => {
    expect(training(2, 2)).toMatchObject({ severity: 'warning', title: 'Cache training task crashed' });
    expect(training(5, 5).title).toBe('Cache training task crashed');
    expect(training(6, 6)).toMatchObject({ severity: 'warning', title: 'Cache training task is crash-looping' });
    expect(training(10, 10)).toMatchObject({
      severity: 'critical',
      title: 'Training supervisor gave up: the cache no longer learns',
    });
  });

  it('carries the P2 row, the SIGHUP warning and the config-key corrections', () => {
    const f = training(7, 7);
    expect(f.nextStep).toMatch(/^Runbook severity P2 if the training task is crash-looping — respond within 1 hour/);
    expect(f.nextStep).toContain("⚠ Do NOT run the runbook's `kill -HUP $(pgrep kyrodb_server)`");
    expect(f.nextStep).toContain('SIGHUP TERMINATES THE SERVER');
    expect(f.runbookCorrection).toContain('deny_unknown_fields');
    expect(f.runbookCorrection).toContain('`cache.training_window_secs` (default 3600)');
    expect(f.runbookCorrection).toContain("the runbook's `strategy: LRU` does not parse");
  });
});

describe('errors, HNSW integrity, uptime, resources, exposition', () => {
  it('internal errors are a warning; without an error-rate breach no escalation row fits', () => {
    const f = finding('kyrodb.errors.by-category', sampleObservations());
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('KyroDB reports internal errors (2: server-side failures (refused inserts count here too))');
    expect(f.evidence).toBe(
      'errors since restart (up 1 h): validation 180, timeout 30, internal 2, resource_exhausted 0; failed queries 212 of 1,843,533 (0.0115 %) — internal and resource_exhausted should be 0',
    );
    expect(f.nextStep?.startsWith(NO_ESCALATION_TEXT)).toBe(true);
    expect(finding('kyrodb.errors.by-category', calmObservations()).severity).toBe('ok');
  });

  it('a recent restart is flagged with the OOM row and the real memory keys', () => {
    const recent = finding(
      'kyrodb.process.recent-restart',
      sampleObservations({ health: ok({ status: 'healthy', uptime_seconds: 120 }) }),
    );
    expect(recent.severity).toBe('warning');
    expect(recent.evidence).toContain('up 2 min (since 2026-03-26T09:58:00Z)');
    expect(recent.nextStep).toMatch(/^Runbook severity P1 if this was an OOM crash — respond within 15 minutes/);
    expect(finding('kyrodb.process.recent-restart', sampleObservations()).severity).toBe('ok');
  });

  it('memory and disk used, in binary units', () => {
    expect(finding('kyrodb.resources.usage', sampleObservations()).evidence).toMatch(
      /^memory 6 GiB used; 45 GiB used on the filesystem holding the data dir \(kyrodb_disk_used_bytes is the whole filesystem/,
    );
  });

  it('flags an invalid line or a missing core family in the exposition', () => {
    expect(finding('kyrodb.metrics.exposition', sampleObservations()).severity).toBe('ok');
    const broken = `${sampleMetricsText()}kyrodb_extra{oops 1\n`;
    expect(finding('kyrodb.metrics.exposition', sampleObservations({ metricsText: broken })).severity).toBe('warning');
    const missing = sampleMetricsText()
      .split('\n')
      .filter((l) => !l.includes('kyrodb_wal_circuit_breaker_state'))
      .join('\n');
    const f = finding('kyrodb.metrics.exposition', sampleObservations({ metricsText: missing }));
    expect(f.evidence).toBe('missing kyrodb_wal_circuit_breaker_state');
  });
});

describe('evaluateRules', () => {
  it('a calm server: every health rule ok, with no next step or correction', () => {
    const findings = evaluateRules(kyroHealthRules, calmObservations(), NOW);
    expect(findings).toHaveLength(kyroHealthRules.length);
    expect(findings.filter((f) => f.severity !== 'ok')).toEqual([]);
    expect(findings.filter((f) => f.nextStep !== undefined || f.runbookCorrection !== undefined)).toEqual([]);
  });

  it('every non-ok finding states its runbook severity (a P row or "no row")', () => {
    const text = sampleWith({
      kyrodb_training_crashes_total: 9,
      kyrodb_training_restarts_total: 9,
      kyrodb_queries_failed: 5000,
      kyrodb_uptime_seconds: 10,
    });
    const degradedEverything = sampleObservations({
      health: ok(unhealthySloHealth()),
      ready: ok({ ready: false, status: 'not_ready' }),
      metricsText: text,
      laterMetricsText: withMoreInserts(text, { attempts: 42, failed: 42 }),
    });
    const bad = evaluateRules(kyroHealthRules, degradedEverything, NOW).filter((f) => f.severity !== 'ok');
    expect(bad.length).toBeGreaterThanOrEqual(8);
    for (const f of bad) expect(f.nextStep, f.code).toMatch(/^Runbook severity( P[0-3] if |: no row)/);
  });

  it('skips rules whose probe failed', () => {
    const obs = sampleObservations({
      metrics: failed(new TargetError('timeout', 'GET /metrics timed out after 5000 ms')),
    });
    const codes = evaluateRules(kyroHealthRules, obs, NOW).map((f) => f.code);
    expect(codes).toContain('kyrodb.health.status');
    expect(codes).not.toContain('kyrodb.wal.circuit-breaker');
    expect(codes).not.toContain('kyrodb.errors.by-category');
    expect(codes).not.toContain('kyrodb.training.crash-loop');
  });

  it('the degraded sample health is the §2.3 payload', () => {
    expect(degradedWalHealth()).toEqual({
      status: 'degraded',
      reason: '2 failed WAL writes observed',
      uptime_seconds: 3600,
    });
  });
});
