import { describe, expect, it } from 'vitest';
import { parseExposition } from '../../integrations/prometheus/parse-exposition.js';
import { ratesFromPrometheus, ratesFromScrapes } from './signals.js';

const org = 'org_id="o"';
function expo(lines: string[]): ReturnType<typeof parseExposition> {
  return parseExposition(`${lines.join('\n')}\n# EOF\n`);
}
const errors = (orders: number, payments: number) => [
  '# TYPE streamhouse_producer_errors counter',
  `streamhouse_producer_errors_total{${org},topic="orders",error_type="s3_rate_limited"} ${orders}`,
  `streamhouse_producer_errors_total{${org},topic="payments",error_type="s3_rate_limited"} ${payments}`,
];
const latency = (counts: number[]) => [
  '# TYPE streamhouse_s3_latency_seconds histogram',
  `streamhouse_s3_latency_seconds_count{${org},operation="PUT"} ${counts[2]}`,
  ...['0.1', '1.0', '+Inf'].map(
    (le, i) => `streamhouse_s3_latency_seconds_bucket{le="${le}",${org},operation="PUT"} ${counts[i]}`,
  ),
];

describe('ratesFromScrapes', () => {
  it('sums per-series increases by error_type and orders topics by volume', () => {
    const r = ratesFromScrapes(expo(errors(100, 10)), expo(errors(110, 40)), 5);
    expect(r.producerErrorRates.get('s3_rate_limited')).toBe(8);
    expect(r.producerErrorTopics?.get('s3_rate_limited')).toEqual(['payments', 'orders']);
    expect(r.producerErrorTotals?.get('s3_rate_limited')).toBe(150);
    expect(r.producerRecordRate).toBeUndefined();
  });

  it('treats a decrease as a restart (the counter started again from 0)', () => {
    const r = ratesFromScrapes(expo(errors(100, 10)), expo(errors(4, 10)), 2);
    expect(r.producerErrorRates.get('s3_rate_limited')).toBe(2);
  });

  it('takes the p99 of the observations made in the window only', () => {
    // Before: 1000 fast observations; in the window: 10 more, all between 0.1 s and 1 s.
    const r = ratesFromScrapes(expo(latency([1000, 1000, 1000])), expo(latency([1000, 1010, 1010])), 5);
    expect(r.s3LatencyP99).toBeCloseTo(0.991, 3);
    const idle = ratesFromScrapes(expo(latency([1000, 1000, 1000])), expo(latency([1000, 1000, 1000])), 5);
    expect(idle.s3LatencyP99).toBeUndefined();
  });

  it('names the runbook families that print no sample', () => {
    const r = ratesFromScrapes(expo([]), expo(['# TYPE streamhouse_circuit_breaker_state gauge']), 5);
    expect(r.silentRunbookFamilies).toEqual(['streamhouse_circuit_breaker_state']);
  });
});

describe('ratesFromPrometheus', () => {
  it('reads vectors by label, and drops NaN (histogram_quantile with no observations)', () => {
    const v = (series: { labels?: Record<string, string>; value: number }[]) => ({
      series: series.map((s) => ({ labels: s.labels ?? {}, value: s.value })),
    });
    const r = ratesFromPrometheus({
      producerErrorRates: v([{ labels: { error_type: 's3_circuit_breaker' }, value: 3 }]),
      producerRecordRate: v([{ value: 100 }]),
      s3ErrorRates: v([]),
      s3RequestRate: v([{ value: 0 }]),
      s3LatencyP99: v([{ value: NaN }]),
      consumerLag: v([{ labels: { consumer_group: 'g', topic: 't', partition: '1' }, value: 7 }]),
    });
    expect(r.producerErrorRates.get('s3_circuit_breaker')).toBe(3);
    expect(r.producerRecordRate).toBe(100);
    expect(r.s3LatencyP99).toBeUndefined();
    expect(r.consumerLag).toEqual([{ group: 'g', topic: 't', partition: '1', lag: 7 }]);
  });
});
