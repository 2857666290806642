import { describe, expect, it } from 'vitest';
import { checkThresholdNames, createThresholdLookup, type ThresholdSpec } from './threshold.js';

const specs: ThresholdSpec[] = [
  { name: 'circuit-breaker-open', defaultMs: 3_600_000, kind: 'held', source: 'table' },
  { name: 'server-down', defaultMs: 300_000, kind: 'held', source: 'table' },
];

describe('thresholds', () => {
  it("resolves a name to the configured override, else the runbook's value", () => {
    const lookup = createThresholdLookup('kyrodb', specs, { kyrodb: { 'circuit-breaker-open': 15_000 } });
    expect(lookup('circuit-breaker-open')).toBe(15_000);
    expect(lookup('server-down')).toBe(300_000);
    expect(() => lookup('nope')).toThrow('kyrodb has no threshold "nope"');
  });

  it('refuses unknown names and systems, listing the known ones', () => {
    const systems = [{ id: 'kyrodb', thresholds: specs }, { id: 'tryitnow' }];
    expect(checkThresholdNames({ kyrodb: { 'server-down': 1000 } }, systems)).toEqual([]);
    expect(checkThresholdNames({ kyrodb: { 'breaker-open': 1000 }, tryitnow: { x: 1 } }, systems)).toEqual([
      {
        path: ['thresholds', 'kyrodb', 'breaker-open'],
        message: 'unknown threshold "breaker-open" for kyrodb (one of: circuit-breaker-open, server-down)',
      },
      { path: ['thresholds', 'tryitnow'], message: 'no thresholds for "tryitnow" (systems with thresholds: kyrodb)' },
    ]);
  });
});
