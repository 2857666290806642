import { describe, expect, it } from 'vitest';
import { diagnoseProbes } from './diagnose.js';
import { probeFailureFinding, type FailedProbe, type ProbeResult, type RanProbe } from './probe.js';
import type { Rule } from './rule.js';
import { TargetError } from './target-error.js';

interface Obs {
  readonly depth: ProbeResult<number>;
}

const depthRule: Rule<Obs> = {
  code: 'x.queue.depth',
  title: 'Queue too deep',
  okTitle: 'Queue depth normal',
  section: 'Queue',
  nextStep: 'Drain the queue.',
  evaluate: (obs) =>
    obs.depth.ok ? { severity: obs.depth.value > 10 ? 'critical' : 'ok', evidence: `depth ${obs.depth.value}` } : null,
};

const down = new TargetError('unreachable', 'GET /x failed: connection refused');

function ran(name: string, result: ProbeResult<unknown>): RanProbe {
  return { name, endpoint: `GET /${name}`, what: name, result };
}

const failureFindings = (failed: readonly FailedProbe[], allFailed: boolean) =>
  failed.length === 0
    ? []
    : allFailed
      ? [probeFailureFinding('x.probe.unreachable', 'X is unreachable', failed[0]!.error)]
      : failed.map((f) => probeFailureFinding(`x.probe.${f.name}`, `Could not read ${f.what}`, f.error));

describe('diagnoseProbes', () => {
  it('reports only the failures, and evaluates no rule, when nothing answered', () => {
    const obs: Obs = { depth: { ok: false, error: down } };
    const result = diagnoseProbes({
      obs,
      ran: [ran('depth', obs.depth), ran('extra', { ok: false, error: down })],
      rules: [depthRule],
      nowMs: 0,
      failureFindings,
    });
    expect(result.nothingAnswered).toBe(true);
    expect(result.findings.map((f) => [f.code, f.probeFailure])).toEqual([['x.probe.unreachable', true]]);
  });

  it('evaluates the rules next to the failed probes, worst first', () => {
    const obs: Obs = { depth: { ok: true, value: 42 } };
    const result = diagnoseProbes({
      obs,
      ran: [ran('depth', obs.depth), ran('extra', { ok: false, error: down })],
      rules: [depthRule],
      nowMs: 0,
      failureFindings,
    });
    expect(result.nothingAnswered).toBe(false);
    expect(result.findings.map((f) => [f.code, f.severity, f.nextStep])).toEqual([
      ['x.queue.depth', 'critical', 'Drain the queue.'],
      ['x.probe.extra', 'inconclusive', expect.any(String)],
    ]);
  });

  it('counts an error the system calls an answer as an answer', () => {
    const verdict = new TargetError('api-error', 'GET /depth: 503 UNHEALTHY', { status: 503, code: 'UNHEALTHY' });
    const obs: Obs = { depth: { ok: false, error: verdict } };
    const result = diagnoseProbes({
      obs,
      ran: [ran('depth', obs.depth)],
      rules: [depthRule],
      nowMs: 0,
      isAnswer: (_probe, error) => error instanceof TargetError && error.code === 'UNHEALTHY',
      failureFindings,
    });
    expect(result).toEqual({ findings: [], nothingAnswered: false });
  });
});
