import { describe, expect, it } from 'vitest';
import { formatGoDuration, formatGoFloat, formatRfc3339Nano } from './go-format.js';

describe('formatGoFloat (%g)', () => {
  it.each([
    [5e-5, '5e-05'],
    [0.0001, '0.0001'],
    [0.0002, '0.0002'],
    [1, '1'],
    [2.5, '2.5'],
    [403.697, '403.697'],
    [95.2, '95.2'],
    [43431.84, '43431.84'],
    [999999, '999999'],
    [1e6, '1e+06'],
    [1234567.5, '1.2345675e+06'],
    [1.5e-7, '1.5e-07'],
    [0, '0'],
    [Infinity, '+Inf'],
    [-2.5, '-2.5'],
  ])('%s → %s', (x, expected) => {
    expect(formatGoFloat(x)).toBe(expected);
  });
});

describe('formatGoDuration (time.Duration.String)', () => {
  it.each([
    [0, '0s'],
    [850, '850ns'],
    [212_000, '212µs'],
    [49_994, '49.994µs'],
    [100_000, '100µs'],
    [1_500_000, '1.5ms'],
    [8_000_000, '8ms'],
    [2_000_000_000, '2s'],
    [60_000_000_000, '1m0s'],
    [3_723_500_000_000, '1h2m3.5s'],
  ])('%s ns → %s', (ns, expected) => {
    expect(formatGoDuration(ns)).toBe(expected);
  });
});

describe('formatRfc3339Nano', () => {
  it('trims trailing zeros of the fraction, and the dot when nothing is left', () => {
    expect(formatRfc3339Nano(Date.UTC(2026, 1, 21, 10, 2, 11, 500))).toBe('2026-02-21T10:02:11.5Z');
    expect(formatRfc3339Nano(Date.UTC(2026, 1, 21, 10, 15, 2, 118))).toBe('2026-02-21T10:15:02.118Z');
    expect(formatRfc3339Nano(Date.UTC(2026, 1, 21, 10, 1, 0, 0))).toBe('2026-02-21T10:01:00Z');
  });
});
