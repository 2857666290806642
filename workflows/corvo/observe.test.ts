import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/core/target-error.js';
import { createFakeCorvoClient, failed, healthyObservations } from '../../test/support/corvo/observations.js';
import { ProbeSkipped, isUnreachable, observeCorvo, probeFailureFindings, type ExtraProbe } from './observe.js';

const refused = (endpoint: string) =>
  new TargetError('unreachable', `${endpoint} failed: connection refused (10.0.0.11:8080)`);
const badKey = (endpoint: string) =>
  new TargetError('unauthorized', `${endpoint}: Corvo rejected the API key (401 invalid API key)`, {
    status: 401,
    code: 'UNAUTHORIZED',
  });

describe('observeCorvo', () => {
  it('calls every read probe once with the context signal and parses the exposition', async () => {
    const { client, calls } = createFakeCorvoClient();
    const signal = new AbortController().signal;
    const obs = await observeCorvo(client, signal);
    expect(calls.map((c) => c.method).sort()).toEqual(['clusterStatus', 'healthz', 'metricsText', 'queues', 'workers']);
    expect(calls.every((c) => c.signal === signal)).toBe(true);
    expect(obs.metrics.ok && obs.metrics.value.families.has('corvo_raft_apply_pending')).toBe(true);
    expect(obs.queues.ok && obs.queues.value.map((q) => q.name)).toEqual(['emails', 'webhooks']);
  });

  it('never throws: a failing probe becomes { ok: false, error }', async () => {
    const err = refused('GET /api/v1/queues');
    const { client } = createFakeCorvoClient({ queues: err });
    const obs = await observeCorvo(client, new AbortController().signal);
    expect(obs.queues).toEqual({ ok: false, error: err });
    expect(obs.healthz.ok).toBe(true);
  });
});

describe('observeCorvo with a subset of probes', () => {
  it('calls only the probes asked for; the others are skipped, not failed', async () => {
    const { client, calls } = createFakeCorvoClient({ queues: refused('GET /api/v1/queues') });
    const obs = await observeCorvo(client, new AbortController().signal, ['healthz', 'metrics']);
    expect(calls.map((c) => c.method).sort()).toEqual(['healthz', 'metricsText']);
    expect(obs.queues.ok === false && obs.queues.error instanceof ProbeSkipped).toBe(true);
    expect(probeFailureFindings(obs, 'prod')).toEqual([]);
    expect(isUnreachable(obs)).toBe(false);
  });

  it('counts only the probes that ran, and a workflow\'s own probes, for "unreachable"', async () => {
    const { client } = createFakeCorvoClient({ healthz: refused('GET /healthz') });
    const obs = await observeCorvo(client, new AbortController().signal, ['healthz']);
    const runtime: ExtraProbe = {
      name: 'runtime',
      endpoint: 'GET /api/v1/debug/runtime',
      what: 'runtime',
      result: failed(refused('GET /api/v1/debug/runtime')),
    };
    expect(isUnreachable(obs)).toBe(true);
    expect(isUnreachable(obs, [runtime])).toBe(true);
    expect(probeFailureFindings(obs, 'prod', [runtime])).toMatchObject([
      {
        code: 'corvo.probe.unreachable',
        evidence: 'GET /healthz failed: connection refused (10.0.0.11:8080) (all 2 probes failed)',
      },
    ]);
    const answered: ExtraProbe = { ...runtime, result: { ok: true, value: {} } };
    expect(isUnreachable(obs, [answered])).toBe(false);
    expect(probeFailureFindings(obs, 'prod', [answered]).map((f) => f.code)).toEqual(['corvo.probe.healthz']);
  });

  it('names a lone failing extra probe by its own code', () => {
    const jobs: ExtraProbe = {
      name: 'activeJobs',
      endpoint: 'POST /api/v1/jobs/search',
      what: 'active jobs',
      result: failed(badKey('POST /api/v1/jobs/search')),
    };
    const findings = probeFailureFindings(healthyObservations(), 'prod', [jobs]);
    expect(findings.map((f) => [f.code, f.title])).toEqual([
      ['corvo.probe.active-jobs', "Corvo prod rejected the bot's API key (active jobs)"],
    ]);
  });
});

describe('probeFailureFindings', () => {
  it('is empty when every probe answered', () => {
    expect(probeFailureFindings(healthyObservations(), 'prod')).toEqual([]);
  });

  it('gives one clear line when every probe failed', () => {
    const obs = {
      healthz: failed(refused('GET /healthz')),
      clusterStatus: failed(refused('GET /api/v1/cluster/status')),
      metrics: failed(refused('GET /api/v1/metrics')),
      queues: failed(refused('GET /api/v1/queues')),
      workers: failed(refused('GET /api/v1/workers')),
    };
    expect(isUnreachable(obs)).toBe(true);
    expect(probeFailureFindings(obs, 'prod')).toEqual([
      {
        code: 'corvo.probe.unreachable',
        severity: 'inconclusive',
        title: 'Corvo prod is unreachable',
        evidence: 'GET /healthz failed: connection refused (10.0.0.11:8080) (all 5 probes failed)',
        section: 'Health Check',
        nextStep: 'Check that the target is up and reachable from the bot (network, firewall, the configured url).',
        probeFailure: true,
      },
    ]);
  });

  it('merges failures of the same kind: one "API key rejected" line for the four authenticated probes', () => {
    const obs = healthyObservations({
      clusterStatus: failed(badKey('GET /api/v1/cluster/status')),
      metrics: failed(badKey('GET /api/v1/metrics')),
      queues: failed(badKey('GET /api/v1/queues')),
      workers: failed(badKey('GET /api/v1/workers')),
    });
    expect(isUnreachable(obs)).toBe(false);
    const findings = probeFailureFindings(obs, 'prod');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      code: 'corvo.probe.unauthorized',
      severity: 'inconclusive',
      title: "Corvo prod rejected the bot's API key (cluster status, metrics, queues, workers)",
      evidence:
        'GET /api/v1/cluster/status: Corvo rejected the API key (401 invalid API key) (also GET /api/v1/metrics, GET /api/v1/queues, GET /api/v1/workers)',
      section: 'Key Diagnostic Endpoints',
    });
    expect(findings[0]?.nextStep).toContain('apiKey');
  });

  it('names the single probe that failed, and hides the message of an unexpected error', () => {
    const obs = healthyObservations({
      metrics: failed(new TargetError('timeout', 'GET /api/v1/metrics timed out after 5000 ms')),
      workers: failed(new Error('secret internals at /home/x')),
    });
    const findings = probeFailureFindings(obs, 'prod');
    expect(findings.map((f) => [f.code, f.title, f.evidence])).toEqual([
      [
        'corvo.probe.metrics',
        'Corvo prod did not answer in time (metrics)',
        'GET /api/v1/metrics timed out after 5000 ms',
      ],
      [
        'corvo.probe.workers',
        "Could not read Corvo prod's workers",
        'unexpected error while probing (see the bot logs)',
      ],
    ]);
  });

  it('does not count /healthz 503 UNHEALTHY as a failed probe (the node answered)', () => {
    const unhealthy = new TargetError('api-error', 'GET /healthz: Corvo answered 503 UNHEALTHY: database unavailable', {
      status: 503,
      code: 'UNHEALTHY',
    });
    expect(probeFailureFindings(healthyObservations({ healthz: failed(unhealthy) }), 'prod')).toEqual([]);
  });
});
