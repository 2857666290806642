import { describe, expect, it } from 'vitest';
import { evaluateRule } from '../../src/core/rule.js';
import { createThresholdLookup } from '../../src/core/threshold.js';
import { NOW, healthyObservations } from '../../test/support/corvo/observations.js';
import { CORVO_THRESHOLDS } from './durations.js';
import { findRule } from './rules/index.js';

describe('thresholds.corvo.scheduler-stalled (a value threshold, read in one scrape)', () => {
  const rule = findRule('corvo.scheduler.stalled')!;
  const at = (now: number, overrides = {}) =>
    evaluateRule(rule, healthyObservations(), now, {
      thresholds: createThresholdLookup('corvo', CORVO_THRESHOLDS, overrides),
    })!;

  it("defaults to the runbook's 10 s", () => {
    expect(at(NOW + 42_000)).toMatchObject({ severity: 'critical' });
    expect(at(NOW + 42_000).evidence).toContain('stalled above 10 s');
    expect(at(NOW + 7_000).severity).toBe('ok');
  });

  it('is overridden by the config', () => {
    const lax = { corvo: { 'scheduler-stalled': 60_000 } };
    expect(at(NOW + 42_000, lax)).toMatchObject({ severity: 'ok' });
    expect(at(NOW + 42_000, lax).evidence).toContain('stalled above 60 s');
    expect(at(NOW + 7_000, { corvo: { 'scheduler-stalled': 2_000 } }).severity).toBe('critical');
  });
});
