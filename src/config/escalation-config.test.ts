import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { integrations } from '../../integrations/index.js';
import { systems } from '../../workflows/index.js';
import { redactSecrets } from '../core/redact.js';
import { parseConfig } from './config-file.js';
import { problemsOf } from '../../test/support/config-problems.js';

const BASE = 'targets:\n  kyrodb:\n    prod: { url: "http://10.0.0.20:51051", apiKey: "k" }\n';
const parse = (yaml: string, env: Record<string, string> = {}) =>
  parseConfig(`${BASE}${yaml}\n`, 'bot.yaml', systems, env);

describe('thresholds:', () => {
  it('reads durations per system in ms (tests use seconds); absent means the runbooks own values', () => {
    expect(parse('thresholds:\n  kyrodb: { circuit-breaker-open: 15s, server-down: 2m }').thresholds).toEqual({
      kyrodb: { 'circuit-breaker-open': 15_000, 'server-down': 120_000 },
    });
    expect(parse('').thresholds).toEqual({});
  });

  it('refuses an unknown name with the list of known ones, and an unknown system', () => {
    expect(problemsOf(() => parse('thresholds:\n  kyrodb: { breaker: 15s }\n  nope: { x: 1s }'))).toEqual([
      'thresholds.kyrodb.breaker (line 5): unknown threshold "breaker" for kyrodb (one of: circuit-breaker-open, ' +
        'server-down, slo-breach)',
      'thresholds.nope (line 6): unknown system "nope" (one of: corvo, kyrodb, m4, streamhouse, tryitnow)',
    ]);
  });

  it('refuses m4 lag-p95: the P95 is over a 5-minute window the lag check reads in one run, not a held duration', () => {
    expect(problemsOf(() => parse('thresholds:\n  m4: { lag-p95: 5m }'))).toEqual([
      'thresholds.m4.lag-p95 (line 5): unknown threshold "lag-p95" for m4 (one of: run-stall, outbox-backlog)',
    ]);
  });

  it('refuses a value that is not a duration', () => {
    expect(problemsOf(() => parse('thresholds:\n  corvo: { scheduler-stalled: soon }'))).toEqual([
      'thresholds.corvo.scheduler-stalled (line 5): not a duration: "soon" (use e.g. 30s, 15m, 1h)',
    ]);
  });

  it('without the runbooks at hand (the setup check of a bare integration list) only systems are checked', () => {
    const cfg = parseConfig(`${BASE}thresholds:\n  kyrodb: { anything: 1s }\n`, 'bot.yaml', integrations, {});
    expect(cfg.thresholds).toEqual({ kyrodb: { anything: 1000 } });
  });
});

describe('escalation:', () => {
  it('reads the routing key as a secret, redacted everywhere, and the paging codes with their P-level', () => {
    const key = 'R0UT1NGKEY0123456789abcdefabcdef';
    const cfg = parse(
      'escalation:\n  pagerduty:\n    routingKey: "${PD_KEY}"\n    codes: { corvo.scheduler.stalled: P1 }',
      { PD_KEY: key },
    );
    const pd = cfg.escalation?.pagerduty;
    expect(pd?.routingKey.reveal()).toBe(key);
    expect(pd?.codes).toEqual({ 'corvo.scheduler.stalled': 'P1' });
    expect(JSON.stringify(cfg)).not.toContain(key);
    expect(inspect(cfg, { depth: 10 })).not.toContain(key);
    expect(redactSecrets(`PagerDuty said ${key}`)).toBe('PagerDuty said [redacted]');
  });

  it('is off when absent, and refuses an unknown level or key', () => {
    expect(parse('').escalation?.pagerduty).toBeUndefined();
    const problems = problemsOf(() => parse('escalation:\n  pagerduty: { routingKey: k, codes: { a.b: P9 }, url: x }'));
    expect(problems.some((p) => p.startsWith('escalation.pagerduty.codes.a.b'))).toBe(true);
    expect(problems.some((p) => /escalation\.pagerduty.*url/.test(p))).toBe(true);
  });
});
