import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { histogramQuantile } from './histogram-quantile.js';
import { parseExposition } from './parse-exposition.js';
import { findSamples, getHistogram, getValue } from './query.js';

function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

const corvo = parseExposition(fixture('corvo-leader.prom'));
const HTTP_LE = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, Infinity];

describe('findSamples', () => {
  it('finds by sample name with a subset of labels, in input order', () => {
    expect(findSamples(corvo, 'corvo_queue_jobs', { state: 'pending' })).toEqual([
      { name: 'corvo_queue_jobs', labels: { queue: 'emails', state: 'pending' }, value: 1280 },
      { name: 'corvo_queue_jobs', labels: { queue: 'webhooks', state: 'pending' }, value: 0 },
    ]);
    expect(findSamples(corvo, 'corvo_queue_jobs')).toHaveLength(14);
    expect(findSamples(corvo, 'corvo_queue_jobs', {})).toHaveLength(14);
  });

  it('finds suffixed samples inside a histogram family', () => {
    const buckets = findSamples(corvo, 'corvo_http_request_duration_seconds_bucket', { route: '/api/v1/queues' });
    expect(buckets.map((s) => s.labels.le)).toEqual([
      '0.001',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '+Inf',
    ]);
  });

  it('matches sample names, not family names', () => {
    expect(findSamples(corvo, 'corvo_http_request_duration_seconds')).toEqual([]);
    expect(findSamples(corvo, 'corvo_no_such_metric')).toEqual([]);
  });

  it('returns a fresh array each call', () => {
    const first = findSamples(corvo, 'corvo_jobs');
    first.length = 0;
    expect(findSamples(corvo, 'corvo_jobs')).toHaveLength(7);
  });
});

describe('getValue', () => {
  it.each<[string, string, Record<string, string> | undefined, number | undefined]>([
    ['a gauge', 'corvo_raft_state', undefined, 2],
    ['a counter under its 0.0.4 name', 'corvo_raft_fetch_overload_total', undefined, 4],
    ['by two labels', 'corvo_queue_jobs', { queue: 'webhooks', state: 'completed' }, 5521],
    ['the first of several matches', 'corvo_http_requests_total', undefined, 120],
    ['by one of two labels', 'corvo_http_requests_total', { method: 'POST' }, 3],
    ['a label value that matches nothing', 'corvo_http_requests_total', { method: 'PUT' }, undefined],
    ['an empty wanted value matching an absent label', 'corvo_raft_state', { shard: '' }, 2],
    ['a wanted label the sample lacks', 'corvo_raft_state', { shard: '1' }, undefined],
    ['an absent metric', 'corvo_metrics_errors_total', undefined, undefined],
    ['a zero value', 'corvo_lifecycle_overload_total', undefined, 0],
  ])('reads %s', (_title, name, labels, expected) => {
    expect(getValue(corvo, name, labels)).toBe(expected);
  });
});

describe('getHistogram', () => {
  it('returns one series as cumulative buckets sorted by le, with sum and count', () => {
    const counts = [80, 118, 120, 120, 120, 120, 120, 120, 120, 120, 120, 120, 120];
    expect(getHistogram(corvo, 'corvo_http_request_duration_seconds', { route: '/api/v1/queues' })).toEqual({
      buckets: HTTP_LE.map((le, i) => ({ le, count: counts[i] })),
      sum: 0.142331007,
      count: 120,
    });
  });

  it('ignores an le key in the wanted labels', () => {
    expect(
      getHistogram(corvo, 'corvo_http_request_duration_seconds', { route: '/api/v1/queues', le: '0.5' })?.count,
    ).toBe(120);
  });

  it('adds up counts per le when the labels match several series, like sum by (le)', () => {
    const all = getHistogram(corvo, 'corvo_http_request_duration_seconds');
    expect(all?.buckets.map((b) => b.count)).toEqual([80, 121, 123, 123, 123, 123, 123, 123, 123, 123, 123, 123, 123]);
    expect(all?.count).toBe(123);
    expect(all?.sum).toBeCloseTo(0.142331007 + 0.006120444, 12);
  });

  it('is undefined when no bucket matches', () => {
    expect(getHistogram(corvo, 'corvo_http_request_duration_seconds', { route: '/nope' })).toBeUndefined();
    expect(getHistogram(corvo, 'corvo_jobs')).toBeUndefined();
    expect(getHistogram(corvo, 'corvo_no_such_histogram')).toBeUndefined();
  });

  it('sorts buckets printed out of order and leaves out sum/count when absent', () => {
    const expo = parseExposition(
      '# TYPE h histogram\nh_bucket{le="+Inf"} 9\nh_bucket{le="1"} 4\nh_bucket{le="0.5"} 1\n',
    );
    expect(getHistogram(expo, 'h')).toStrictEqual({
      buckets: [
        { le: 0.5, count: 1 },
        { le: 1, count: 4 },
        { le: Infinity, count: 9 },
      ],
    });
  });

  it('reads _gsum/_gcount of a gaugehistogram', () => {
    const om = parseExposition(fixture('openmetrics.txt'));
    expect(getHistogram(om, 'queue_wait_seconds')).toEqual({
      buckets: [
        { le: 0.01, count: 20 },
        { le: 0.1, count: 25 },
        { le: 1, count: 34 },
        { le: 10, count: 34 },
        { le: Infinity, count: 42 },
      ],
      sum: 3289.3,
      count: 42,
    });
  });

  it('feeds histogramQuantile: p50/p90/p99 of Corvo raft queue time', () => {
    const queue = getHistogram(corvo, 'corvo_raft_queue_time_seconds');
    expect(queue?.buckets).toHaveLength(15);
    const buckets = queue?.buckets ?? [];
    // p50: rank 952115.5 falls in (0.0001, 0.0002]: 0.0001 + 0.0001 * (952115.5 - 712135) / (1068005 - 712135).
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.000167434877905, 15);
    expect(histogramQuantile(0.9, buckets)).toBeCloseTo(0.00062608721014, 14);
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.00191672334272, 14);
  });
});
