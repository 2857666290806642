import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/core/target-error.js';
import { portCorrection } from './corrections.js';
import { escalationText, ESCALATIONS } from './escalation.js';
import { createFakeKyroClient, sampleObservations, failed } from '../../test/support/kyrodb/observations.js';
import { isUnreachable, observeKyro, probeFailureFindings } from './observe.js';

describe('observeKyro', () => {
  it('probes the four endpoints with the caller signal and parses the exposition', async () => {
    const { client, calls } = createFakeKyroClient();
    const signal = new AbortController().signal;
    const obs = await observeKyro(client, signal);
    expect(calls.map((c) => c.method).sort()).toEqual(['health', 'metricsText', 'ready', 'slo']);
    expect(calls.every((c) => c.signal === signal)).toBe(true);
    expect(obs.origin).toBe('http://10.0.0.21:51051');
    expect(obs.metrics.ok && obs.metrics.value.families.has('kyrodb_query_latency_ns')).toBe(true);
  });

  it('never throws: a failing probe becomes { ok: false }', async () => {
    const error = new TargetError('timeout', 'GET /slo timed out after 5000 ms');
    const { client } = createFakeKyroClient({ slo: error });
    const obs = await observeKyro(client, new AbortController().signal);
    expect(obs.slo).toEqual({ ok: false, error });
    expect(obs.health.ok).toBe(true);
  });
});

describe('probeFailureFindings', () => {
  it('merges failures of one kind: /slo and /metrics behind observability auth', () => {
    const denied = (path: string) =>
      new TargetError('unauthorized', `GET ${path}: KyroDB rejected the API key (401 unauthorized)`, { status: 401 });
    const obs = sampleObservations({ slo: failed(denied('/slo')), metrics: failed(denied('/metrics')) });
    const findings = probeFailureFindings(obs, 'prod');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      code: 'kyrodb.probe.unauthorized',
      severity: 'inconclusive',
      title: "KyroDB prod rejected the bot's API key (SLO status, metrics)",
      evidence: 'GET /slo: KyroDB rejected the API key (401 unauthorized) (also GET /metrics)',
    });
    expect(findings[0]?.nextStep).toContain('server.observability_auth');
    expect(isUnreachable(obs)).toBe(false);
  });

  it('everything down: one finding with the P0 "server down" row, the Check-process step and the port correction', () => {
    const down = new TargetError('unreachable', 'GET /health failed: connection refused (10.0.0.21:51052)');
    const obs = sampleObservations({
      origin: 'http://10.0.0.21:51052',
      health: failed(down),
      ready: failed(down),
      slo: failed(down),
      metrics: failed(down),
    });
    expect(isUnreachable(obs)).toBe(true);
    const [f, ...rest] = probeFailureFindings(obs, 'prod');
    expect(rest).toEqual([]);
    // Connection refused is also a KyroDB recovering its WAL (its port opens only afterwards).
    expect(f).toMatchObject({
      code: 'kyrodb.probe.unreachable',
      title: 'KyroDB prod is unreachable: not running, or still recovering',
      evidence: 'GET /health failed: connection refused (10.0.0.21:51052) (all 4 probes failed)',
    });
    expect(f?.nextStep?.startsWith(escalationText(ESCALATIONS.serverDown))).toBe(true);
    expect(f?.nextStep).toContain('Decision Tree › Check process');
    expect(f?.nextStep).toContain('It may be recovering, not down');
    expect(f?.runbookCorrection).toContain('"connection refused"');
    expect(f?.runbookCorrection).toContain("This target is configured with port 51052, the runbook's");
  });

  it('no failure, no finding', () => {
    expect(probeFailureFindings(sampleObservations(), 'prod')).toEqual([]);
  });
});

describe('portCorrection', () => {
  it('names the real default and, for a 51052 target, the likely misconfiguration', () => {
    expect(portCorrection('http://kyro:51051')).toContain("KyroDB's default HTTP port is 51051");
    expect(portCorrection('http://kyro:51051')).toContain('The bot reads http://kyro:51051.');
    expect(portCorrection('http://kyro:51052')).toMatch(/^This target is configured with port 51052/);
  });
});

describe('escalationText', () => {
  it("quotes the runbook's table row with its response time", () => {
    expect(escalationText(ESCALATIONS.sloBreach)).toBe(
      'Runbook severity P1 if the SLO breach lasts more than 5 min — respond within 15 minutes: Investigate cause, may need restart.',
    );
    expect(escalationText(ESCALATIONS.walDataLossRisk)).toContain('P0');
    expect(escalationText(ESCALATIONS.walDataLossRisk)).toContain('respond immediately');
    expect(escalationText(ESCALATIONS.cacheHitRateLow)).toContain(
      'P3 if the cache hit rate stays below 40 % — respond next day',
    );
  });
});
