import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { histogramQuantile, nonCumulativeToCumulative, type Bucket } from './histogram-quantile.js';
import { parseExposition } from './parse-exposition.js';
import { getHistogram } from './query.js';

function buckets(...pairs: [le: number, count: number][]): Bucket[] {
  return pairs.map(([le, count]) => ({ le, count }));
}

/** The histogram of exposition_formats.md, used for the worked check in platforms.md §6.4. */
const DOC = buckets([0.05, 24054], [0.1, 33444], [0.2, 100392], [0.5, 129389], [1, 133988], [Infinity, 144320]);

describe('histogramQuantile: the worked check of platforms.md §6.4', () => {
  it('q=0.5 interpolates inside (0.1, 0.2]', () => {
    expect(histogramQuantile(0.5, DOC)).toBeCloseTo(0.15783, 5);
    expect(histogramQuantile(0.5, DOC)).toBeCloseTo(0.1 + (0.1 * (72160 - 33444)) / (100392 - 33444), 12);
  });

  it('q=0.9 interpolates inside (0.5, 1]', () => {
    expect(histogramQuantile(0.9, DOC)).toBeCloseTo(0.55425, 5);
  });

  it('q=0.95 lands in +Inf and returns the second-highest bound', () => {
    expect(histogramQuantile(0.95, DOC)).toBe(1);
  });
});

describe('histogramQuantile: the rules of promql/quantile.go', () => {
  it.each<[string, number, Bucket[], number]>([
    ['q < 0', -0.1, DOC, -Infinity],
    ['q > 1', 1.1, DOC, Infinity],
    ['q = 1 with everything in +Inf range', 1, DOC, 1],
    ['q = 0', 0, DOC, 0],
    ['q = 1 when the last finite bucket holds everything', 1, buckets([1, 10], [2, 10], [Infinity, 10]), 1],
    ['the highest bound is not +Inf', 0.5, buckets([1, 5], [2, 10]), NaN],
    ['only the +Inf bucket', 0.5, buckets([Infinity, 10]), NaN],
    ['two +Inf buckets coalesce to one', 0.5, buckets([Infinity, 4], [Infinity, 6]), NaN],
    ['zero observations', 0.5, buckets([1, 0], [Infinity, 0]), NaN],
    ['zero observations with a negative first bound', 0.5, buckets([-1, 0], [Infinity, 0]), NaN],
    ['no buckets', 0.5, [], NaN],
    ['q = 0 and an empty first bucket: 0/0 as in PromQL', 0, buckets([1, 0], [Infinity, 5]), NaN],
    ['a first bucket with a bound below 0', 0.2, buckets([-1, 5], [0, 10], [Infinity, 10]), -1],
    ['a first bucket with bound 0', 0.2, buckets([0, 5], [1, 10], [Infinity, 10]), 0],
    ['q = 0 in an empty first bucket with bound 0', 0, buckets([0, 0], [1, 10], [Infinity, 10]), 0],
    ['interpolation between negative bounds', 0.75, buckets([-1, 5], [0, 10], [Infinity, 10]), -0.5],
    ['interpolation from 0 in the first positive bucket', 0.25, buckets([2, 10], [4, 20], [Infinity, 20]), 1],
    ['unsorted input', 0.5, [...DOC].reverse(), 0.15782995757901658],
    // Merged: le=1 holds 10, so rank 10 is reached in the first bucket (unmerged it would give 1.333…).
    ['equal bounds are merged by adding counts', 0.5, buckets([1, 5], [1, 5], [2, 20], [Infinity, 20]), 1],
    // Flattened: le=2 becomes 10, so rank 10 is reached at le=1 (unflattened the search would land in (2, 3]).
    ['a decrease is flattened (running max)', 0.5, buckets([1, 10], [2, 5], [3, 15], [Infinity, 20]), 1],
    // le=2 is 1e-13 above le=1 in relative terms: snapped to 10, so rank 10.0000000000005 lands in +Inf → 2
    // (unsnapped it would interpolate to ≈1.5 inside (1, 2]).
    [
      'float jitter within 1e-12 is snapped to the previous count',
      0.5 * (1 + 0.5e-13),
      buckets([1, 10], [2, 10 * (1 + 1e-13)], [Infinity, 20]),
      2,
    ],
    [
      'a difference above 1e-12 is kept',
      0.5 * (1 + 0.5e-9),
      buckets([1, 10], [2, 10 * (1 + 1e-9)], [Infinity, 20]),
      1.5,
    ],
  ])('%s', (_title, q, input, expected) => {
    const result = histogramQuantile(q, input);
    if (Number.isNaN(expected)) expect(result).toBeNaN();
    else expect(result).toBeCloseTo(expected, 6);
  });

  it('returns NaN for q = NaN', () => {
    expect(histogramQuantile(NaN, DOC)).toBeNaN();
  });

  it('does not modify its input', () => {
    const input = buckets([2, 20], [1, 5], [1, 5], [Infinity, 20]);
    const copy = structuredClone(input);
    histogramQuantile(0.5, input);
    expect(input).toEqual(copy);
  });
});

describe('nonCumulativeToCumulative', () => {
  it('turns the per-bucket counts of Corvo cluster status into the exposition buckets', () => {
    // targets.md §1.4 queue_time_hist ("50µs" … "+Inf", per bucket) and §1.7 corvo_raft_queue_time_seconds (cumulative)
    // describe the same histogram.
    const status = buckets(
      [50e-6, 310022],
      [100e-6, 402113],
      [200e-6, 355870],
      [500e-6, 600411],
      [1e-3, 180002],
      [2e-3, 40111],
      [5e-3, 12500],
      [10e-3, 2600],
      [20e-3, 480],
      [50e-3, 101],
      [100e-3, 15],
      [200e-3, 6],
      [500e-3, 0],
      [1, 0],
      [Infinity, 0],
    );
    const corvo = parseExposition(readFileSync(new URL('./fixtures/corvo-leader.prom', import.meta.url), 'utf8'));
    expect(nonCumulativeToCumulative(status)).toEqual(getHistogram(corvo, 'corvo_raft_queue_time_seconds')?.buckets);
  });

  it('sorts by le first and merges equal bounds', () => {
    expect(nonCumulativeToCumulative(buckets([Infinity, 1], [0.5, 3], [0.1, 2], [0.5, 4]))).toEqual(
      buckets([0.1, 2], [0.5, 9], [Infinity, 10]),
    );
  });

  it('returns [] for []', () => {
    expect(nonCumulativeToCumulative([])).toEqual([]);
  });
});
