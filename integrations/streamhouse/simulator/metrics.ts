/**
 * The metric model behind the simulator: each scenario is a set of series with a value at start and a rate, so that
 * two scrapes a few (injected-clock) seconds apart show what a real server would show, and the fake Prometheus can
 * answer `rate(…[5m])` with the same numbers. Rendered as prometheus-client 0.22 OpenMetrics (`reference/targets.md`
 * §3.4–3.5): families in registration order, `# TYPE` with the bare counter name, samples with `_total`, HELP ending
 * in `.`, families never updated printing only HELP and TYPE, and `# EOF`.
 */
import { histogramQuantile } from '../../prometheus/histogram-quantile.js';
import { PROMQL } from '../metric-names.js';
import { SAMPLE_ORG_ID } from './sample-cluster.js';

/** Scenarios of the HTTP simulator. */
export type StreamhouseScenario =
  'healthy' | 'circuit-open' | 'rate-limited' | 's3-errors' | 'consumer-lag' | 'agent-dead' | 'unreachable';

export const STREAMHOUSE_SCENARIOS: readonly StreamhouseScenario[] = [
  'healthy',
  'circuit-open',
  'rate-limited',
  's3-errors',
  'consumer-lag',
  'agent-dead',
  'unreachable',
];

type FamilyType = 'counter' | 'gauge' | 'histogram';

interface FamilyDef {
  readonly name: string;
  readonly type: FamilyType;
  readonly help: string;
}

const c = (name: string, help: string): FamilyDef => ({ name, type: 'counter', help });
const g = (name: string, help: string): FamilyDef => ({ name, type: 'gauge', help });
const h = (name: string, help: string): FamilyDef => ({ name, type: 'histogram', help });

/** Every family `streamhouse_observability::init()` registers, in registration order (§3.4). */
const FAMILIES: readonly FamilyDef[] = [
  c('streamhouse_producer_records', 'Total records produced'),
  c('streamhouse_producer_bytes', 'Total bytes produced'),
  h('streamhouse_producer_latency_seconds', 'Producer latency in seconds'),
  h('streamhouse_producer_batch_size', 'Producer batch size in records'),
  c('streamhouse_producer_errors', 'Total producer errors'),
  c('streamhouse_consumer_records', 'Total records consumed'),
  g('streamhouse_consumer_lag', 'Consumer lag in records'),
  c('streamhouse_consumer_errors', 'Total consumer errors'),
  c('streamhouse_consumer_rebalances', 'Total consumer group rebalances'),
  c('streamhouse_segment_writes', 'Total segment writes'),
  c('streamhouse_segment_flushes', 'Total segment flushes'),
  g('streamhouse_segment_buffer_records', 'Records buffered in the active segment'),
  c('streamhouse_s3_requests', 'Total S3 requests'),
  c('streamhouse_s3_errors', 'Total S3 errors'),
  h('streamhouse_s3_latency_seconds', 'S3 request latency in seconds'),
  c('streamhouse_cache_hits', 'Total cache hits'),
  c('streamhouse_cache_misses', 'Total cache misses'),
  g('streamhouse_cache_size_bytes', 'Current cache size in bytes'),
  g('streamhouse_topics', 'Total topics'),
  g('streamhouse_agents_active', 'Number of active agents'),
  g('streamhouse_uptime_seconds', 'Server uptime in seconds'),
  g('streamhouse_connections_active', 'Active client connections'),
  g('streamhouse_partitions', 'Partitions per topic'),
  c('streamhouse_database_errors', 'Total metadata database errors'),
  c('streamhouse_throttle_decisions', 'Total throttle decisions'),
  g('streamhouse_throttle_rate_current', 'Current throttle rate'),
  g('streamhouse_circuit_breaker_state', 'Circuit breaker state (0=Closed, 1=Open, 2=HalfOpen)'),
  c('streamhouse_circuit_breaker_transitions', 'Total circuit breaker state transitions'),
  g('streamhouse_circuit_breaker_failures', 'Circuit breaker consecutive failures'),
  g('streamhouse_circuit_breaker_successes', 'Circuit breaker consecutive successes'),
  c('streamhouse_lease_acquisitions', 'Total lease acquisitions'),
  c('streamhouse_lease_renewals', 'Total lease renewals'),
  c('streamhouse_lease_conflicts', 'Total lease conflicts'),
  g('streamhouse_lease_epoch_current', 'Current lease epoch'),
  g('streamhouse_lease_expires_at', 'Lease expiry time'),
  c('streamhouse_leader_changes', 'Total leader changes'),
  h('streamhouse_leader_handoff_latency_seconds', 'Leader handoff latency in seconds'),
  h('streamhouse_leader_gap_seconds', 'Leaderless gap in seconds'),
  g('streamhouse_leader_transfers_pending', 'Pending leader transfers'),
  c('streamhouse_leader_transfers', 'Total leader transfers'),
  c('streamhouse_wal_appends', 'Total WAL appends'),
  c('streamhouse_wal_recoveries', 'Total WAL recoveries'),
  c('streamhouse_wal_records_recovered', 'Total WAL records recovered'),
  c('streamhouse_wal_records_skipped', 'Total WAL records skipped'),
  g('streamhouse_wal_size_bytes', 'WAL size in bytes'),
  c('streamhouse_wal_truncates', 'Total WAL truncations'),
  c('streamhouse_schema_registrations', 'Total schema registrations'),
  c('streamhouse_schema_compatibility_checks', 'Total schema compatibility checks'),
  c('streamhouse_schema_registry_errors', 'Total schema registry errors'),
  c('streamhouse_schema_lookups', 'Total schema lookups'),
  g('streamhouse_schema_cache_entries', 'Schema cache entries'),
  g('streamhouse_schemas', 'Registered schemas'),
  g('streamhouse_subjects', 'Registered subjects'),
  c('streamhouse_rate_limit', 'Total rate limit decisions'),
  h('streamhouse_throttle_time_ms', 'Throttle time in milliseconds'),
];

type Labels = Readonly<Record<string, string>>;

/** A counter: `base` at scenario start, growing by `perSecond`. */
interface CounterSeries {
  readonly labels: Labels;
  readonly base: number;
  readonly perSecond: number;
}

/** A gauge with a fixed value (`uptime` is special-cased: it grows with the clock). */
interface GaugeSeries {
  readonly labels: Labels;
  readonly value: number;
}

/** A histogram: `baseCount` observations at start, `perSecond` more, distributed by `cdf` over `bounds`. */
interface HistogramSeries {
  readonly labels: Labels;
  readonly bounds: readonly number[];
  /** Share of observations ≤ each bound (non-decreasing; the +Inf bucket is 1). */
  readonly cdf: readonly number[];
  readonly baseCount: number;
  readonly perSecond: number;
  /** Mean observation, for `_sum`. */
  readonly mean: number;
}

export interface MetricModel {
  readonly counters: ReadonlyMap<string, readonly CounterSeries[]>;
  readonly gauges: ReadonlyMap<string, readonly GaugeSeries[]>;
  readonly histograms: ReadonlyMap<string, readonly HistogramSeries[]>;
  /** Uptime at scenario start, s. */
  readonly uptimeBase: number;
}

const ORG = { org_id: SAMPLE_ORG_ID };
const S3_BOUNDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const PRODUCER_BOUNDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** S3 PUT latency: p99 ≈ 0.43 s when healthy, ≈ 8 s when S3 is degraded. */
const S3_FAST_CDF = [0, 0.05, 0.3, 0.7, 0.95, 0.995, 0.999, 1, 1, 1];
const S3_SLOW_CDF = [0, 0, 0.01, 0.05, 0.2, 0.4, 0.6, 0.85, 0.97, 0.995];
const PRODUCER_CDF = [0.008, 0.418, 0.814, 0.972, 0.995, 0.999, 1, 1, 1, 1, 1];

/** The metric model of a scenario (`unreachable` never serves one; it gets the healthy model). */
export function createMetricModel(scenario: StreamhouseScenario): MetricModel {
  const topicRates: Record<string, number> =
    scenario === 'circuit-open' ? { orders: 0, payments: 0, clicks: 0 } : { orders: 250, payments: 100, clicks: 50 };
  const topics = ['orders', 'payments', 'clicks'] as const;
  const records: CounterSeries[] = topics.map((topic, i) => ({
    labels: { ...ORG, topic },
    base: [1_204_311, 480_122, 240_980][i]!,
    perSecond: topicRates[topic]!,
  }));

  const producerErrors: CounterSeries[] = [
    // Errors from before the window: a healthy server still prints them, and rates must not count them.
    { labels: { ...ORG, topic: 'orders', error_type: 's3_rate_limited' }, base: 42, perSecond: 0 },
    { labels: { ...ORG, topic: 'orders', error_type: 's3_circuit_breaker' }, base: 3, perSecond: 0 },
  ];
  if (scenario === 'circuit-open') {
    producerErrors[1] = { ...producerErrors[1]!, perSecond: 150 };
    producerErrors.push({
      labels: { ...ORG, topic: 'payments', error_type: 's3_circuit_breaker' },
      base: 0,
      perSecond: 60,
    });
  }
  if (scenario === 'rate-limited') {
    producerErrors[0] = { ...producerErrors[0]!, perSecond: 80 };
  }

  const s3Requests: CounterSeries[] = [
    { labels: { ...ORG, operation: 'PUT' }, base: 81_220, perSecond: scenario === 'circuit-open' ? 0 : 20 },
  ];
  const s3Errors: CounterSeries[] = [
    {
      labels: { ...ORG, operation: 'PUT', error_type: 'retry' },
      base: 17,
      perSecond: scenario === 's3-errors' ? 0.8 : 0,
    },
  ];
  if (scenario === 'circuit-open' || scenario === 's3-errors') {
    s3Errors.push({
      labels: { ...ORG, operation: 'PUT', error_type: 'failed' },
      base: 5,
      perSecond: scenario === 'circuit-open' ? 0.2 : 0.4,
    });
  }

  const lagFor = (topic: string, partition: number, group: string): number => {
    if (scenario === 'consumer-lag' && group === 'billing' && topic === 'orders') {
      if (partition === 2) return 250_000;
      if (partition === 3) return 48_000;
    }
    return (partition * 37 + group.length * 11) % 150;
  };
  const consumerLag: GaugeSeries[] = [];
  for (let p = 0; p < 6; p++) {
    consumerLag.push({
      labels: { ...ORG, topic: 'orders', partition: String(p), consumer_group: 'billing' },
      value: lagFor('orders', p, 'billing'),
    });
  }
  for (let p = 0; p < 3; p++) {
    consumerLag.push({
      labels: { ...ORG, topic: 'clicks', partition: String(p), consumer_group: 'analytics' },
      value: lagFor('clicks', p, 'analytics'),
    });
  }

  const counters = new Map<string, CounterSeries[]>([
    ['streamhouse_producer_records', records],
    [
      'streamhouse_producer_bytes',
      records.map((r) => ({ labels: r.labels, base: r.base * 512, perSecond: r.perSecond * 512 })),
    ],
    ['streamhouse_producer_errors', producerErrors],
    [
      'streamhouse_consumer_records',
      [
        {
          labels: { ...ORG, topic: 'orders', consumer_group: 'billing' },
          base: 1_190_000,
          perSecond: scenario === 'consumer-lag' ? 40 : 250,
        },
        { labels: { ...ORG, topic: 'clicks', consumer_group: 'analytics' }, base: 240_500, perSecond: 50 },
      ],
    ],
    ['streamhouse_s3_requests', s3Requests],
    ['streamhouse_s3_errors', s3Errors],
    ['streamhouse_cache_hits', [{ labels: ORG, base: 912_000, perSecond: 300 }]],
    ['streamhouse_cache_misses', [{ labels: ORG, base: 20_400, perSecond: 5 }]],
    [
      'streamhouse_leader_changes',
      [{ labels: { ...ORG, topic: 'payments', partition: '0', reason: 'graceful_handoff' }, base: 1, perSecond: 0 }],
    ],
    ['streamhouse_leader_transfers', [{ labels: { ...ORG, result: 'completed' }, base: 1, perSecond: 0 }]],
    [
      'streamhouse_rate_limit',
      [
        { labels: { ...ORG, decision: 'allowed', protocol: 'kafka' }, base: 88_123, perSecond: 20 },
        { labels: { ...ORG, decision: 'allowed', protocol: 'rest' }, base: 1_204, perSecond: 1 },
      ],
    ],
  ]);

  const gauges = new Map<string, GaugeSeries[]>([
    ['streamhouse_consumer_lag', consumerLag],
    ['streamhouse_cache_size_bytes', [{ labels: {}, value: 536_870_912 }]],
    ['streamhouse_topics', [{ labels: ORG, value: 3 }]],
    ['streamhouse_agents_active', [{ labels: {}, value: scenario === 'agent-dead' ? 2 : 3 }]],
    ['streamhouse_leader_transfers_pending', [{ labels: ORG, value: 0 }]],
  ]);

  const histograms = new Map<string, HistogramSeries[]>([
    [
      'streamhouse_producer_latency_seconds',
      records.map((r) => ({
        labels: r.labels,
        bounds: PRODUCER_BOUNDS,
        cdf: PRODUCER_CDF,
        baseCount: Math.floor(r.base / 10),
        perSecond: r.perSecond / 10,
        mean: 0.0068,
      })),
    ],
    [
      'streamhouse_s3_latency_seconds',
      [
        {
          labels: { ...ORG, operation: 'PUT' },
          bounds: S3_BOUNDS,
          cdf: scenario === 's3-errors' ? S3_SLOW_CDF : S3_FAST_CDF,
          baseCount: 81_220,
          perSecond: s3Requests[0]!.perSecond,
          mean: scenario === 's3-errors' ? 1.9 : 0.09,
        },
      ],
    ],
  ]);

  return { counters, gauges, histograms, uptimeBase: 86_400 };
}

/** Rust's f64 formatting as prometheus-client prints it: `1.0`, `0.25`, `812.44`. */
function f64(n: number): string {
  if (Number.isInteger(n)) return `${n}.0`;
  return String(n);
}

function labelText(labels: Labels, first?: [string, string]): string {
  const entries = Object.entries(labels);
  if (first) entries.unshift(first);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function counterAt(s: CounterSeries, elapsed: number): number {
  return Math.floor(s.base + s.perSecond * elapsed);
}

/**
 * Cumulative buckets: the start-of-scenario part rounded once, the growth floored per bucket, so the increase
 * between two scrapes is exactly `floor(perSecond × elapsed × cdf)` — what a rate() would see.
 */
function bucketsAt(s: HistogramSeries, elapsed: number): { le: number; count: number }[] {
  const grown = s.perSecond * elapsed;
  const buckets = s.bounds.map((le, i) => ({
    le,
    count: Math.round(s.baseCount * s.cdf[i]!) + Math.floor(grown * s.cdf[i]!),
  }));
  buckets.push({ le: Infinity, count: s.baseCount + Math.floor(grown) });
  return buckets;
}

/** The `/metrics` body at `elapsedSeconds` after the scenario started. */
export function renderExposition(model: MetricModel, elapsedSeconds: number): string {
  const lines: string[] = [];
  for (const fam of FAMILIES) {
    lines.push(`# HELP ${fam.name} ${fam.help}.`, `# TYPE ${fam.name} ${fam.type}`);
    if (fam.type === 'counter') {
      for (const s of model.counters.get(fam.name) ?? []) {
        lines.push(`${fam.name}_total${labelText(s.labels)} ${counterAt(s, elapsedSeconds)}`);
      }
    } else if (fam.type === 'gauge') {
      if (fam.name === 'streamhouse_uptime_seconds') {
        lines.push(`${fam.name} ${Math.floor(model.uptimeBase + elapsedSeconds)}`);
      }
      for (const s of model.gauges.get(fam.name) ?? []) lines.push(`${fam.name}${labelText(s.labels)} ${s.value}`);
    } else {
      for (const s of model.histograms.get(fam.name) ?? []) {
        const buckets = bucketsAt(s, elapsedSeconds);
        const count = buckets[buckets.length - 1]!.count;
        const sum = Math.round(count * s.mean * 100) / 100;
        lines.push(`${fam.name}_sum${labelText(s.labels)} ${f64(sum)}`);
        lines.push(`${fam.name}_count${labelText(s.labels)} ${count}`);
        for (const b of buckets) {
          const le = b.le === Infinity ? '+Inf' : f64(b.le);
          lines.push(`${fam.name}_bucket${labelText(s.labels, ['le', le])} ${b.count}`);
        }
      }
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** One series of a Prometheus instant vector, value as Prometheus prints it. */
export interface PromSample {
  readonly metric: Labels;
  readonly value: number;
}

function sumBy(series: readonly CounterSeries[], label: string | undefined): PromSample[] {
  const sums = new Map<string, number>();
  for (const s of series) {
    const key = label ? (s.labels[label] ?? '') : '';
    sums.set(key, (sums.get(key) ?? 0) + s.perSecond);
  }
  return [...sums].map(([key, value]) => ({ metric: label ? { [label]: key } : {}, value }));
}

/**
 * What Prometheus would answer to one of the bot's queries (`PROMQL`) over a server in this scenario: rates are
 * the model's per-second rates. Undefined for any other query (the fake then answers 400 bad_data).
 */
export function answerPromQuery(model: MetricModel, query: string): PromSample[] | undefined {
  const counters = (name: string) => model.counters.get(name) ?? [];
  switch (query) {
    case PROMQL.producerErrorRates:
      return sumBy(counters('streamhouse_producer_errors'), 'error_type');
    case PROMQL.producerRecordRate:
      return sumBy(counters('streamhouse_producer_records'), undefined);
    case PROMQL.s3ErrorRates:
      return sumBy(counters('streamhouse_s3_errors'), 'error_type');
    case PROMQL.s3RequestRate:
      return sumBy(counters('streamhouse_s3_requests'), undefined);
    case PROMQL.s3LatencyP99: {
      const series = model.histograms.get('streamhouse_s3_latency_seconds') ?? [];
      const rate = series.reduce((sum, s) => sum + s.perSecond, 0);
      if (rate === 0 || series.length === 0) return [{ metric: {}, value: NaN }];
      const s = series[0]!;
      const buckets = s.bounds.map((le, i) => ({ le, count: rate * s.cdf[i]! }));
      buckets.push({ le: Infinity, count: rate });
      return [{ metric: {}, value: histogramQuantile(0.99, buckets) }];
    }
    case PROMQL.consumerLag:
      return (model.gauges.get('streamhouse_consumer_lag') ?? []).map((s) => ({
        metric: { consumer_group: s.labels.consumer_group!, topic: s.labels.topic!, partition: s.labels.partition! },
        value: s.value,
      }));
    default:
      return undefined;
  }
}
