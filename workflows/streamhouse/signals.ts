import {
  METRIC,
  NEVER_UPDATED_RUNBOOK_METRICS,
  PROM_WINDOW,
  type PromVector,
} from '../../integrations/streamhouse/index.js';
import type { Exposition, Sample } from '../../integrations/prometheus/parse-exposition.js';
import { findSamples, getHistogram, getValue } from '../../integrations/prometheus/query.js';
import { histogramQuantile } from '../../integrations/prometheus/histogram-quantile.js';
import { formatSeconds } from '../../src/core/format.js';

/**
 * The rates the health rules read, from either source: Prometheus' 5-minute rates over every scraped server, or two
 * scrapes of the configured server's `/metrics` a few seconds apart. Counters are cumulative since the process
 * started, so a single scrape cannot tell "failing now" from "failed once yesterday"; both sources give rates.
 */
export interface RateSignals {
  readonly source: 'prometheus' | 'scrape';
  /** `over 5m (Prometheus, all servers)` / `over a 5 s sample of this server's /metrics`. */
  readonly window: string;
  /** Per second, by `error_type`, summed over topics and organizations. */
  readonly producerErrorRates: ReadonlyMap<string, number>;
  /** Records produced per second; undefined when the server prints no such counter. */
  readonly producerRecordRate?: number;
  /** Cumulative since the process started, by `error_type` (scrape only). */
  readonly producerErrorTotals?: ReadonlyMap<string, number>;
  /** Topics with errors in the window, by `error_type`, most first (scrape only). */
  readonly producerErrorTopics?: ReadonlyMap<string, readonly string[]>;
  /** Per second, by `error_type` (`retry`, `failed`). */
  readonly s3ErrorRates: ReadonlyMap<string, number>;
  readonly s3RequestRate?: number;
  /** p99 of S3 request latency in the window, s; undefined when nothing was observed. */
  readonly s3LatencyP99?: number;
  /** One row per (consumer group, topic, partition); a gauge, so the current value. */
  readonly consumerLag: readonly ConsumerLag[];
  /** The runbook's alert families that are present with no sample (scrape only). */
  readonly silentRunbookFamilies?: readonly string[];
  /** `streamhouse_uptime_seconds` of the scraped server (scrape only). */
  readonly uptimeSeconds?: number;
}

export interface ConsumerLag {
  readonly group: string;
  readonly topic: string;
  readonly partition: string;
  readonly lag: number;
}

function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Per-series counter increase between two scrapes; a decrease means the process restarted (count from 0). */
function increases(
  first: Exposition,
  second: Exposition,
  sampleName: string,
): { labels: Sample['labels']; delta: number }[] {
  const before = new Map(findSamples(first, sampleName).map((s) => [seriesKey(s.labels), s.value]));
  return findSamples(second, sampleName).map((s) => {
    const prev = before.get(seriesKey(s.labels)) ?? 0;
    return { labels: s.labels, delta: s.value >= prev ? s.value - prev : s.value };
  });
}

function sumBy(rows: readonly { labels: Sample['labels']; delta: number }[], label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) {
    const key = r.labels[label] ?? '';
    out.set(key, (out.get(key) ?? 0) + r.delta);
  }
  return out;
}

function divide(map: ReadonlyMap<string, number>, seconds: number): Map<string, number> {
  return new Map([...map].map(([k, v]) => [k, v / seconds]));
}

function lagRows(expo: Exposition): ConsumerLag[] {
  return findSamples(expo, METRIC.consumerLag).map((s) => ({
    group: s.labels.consumer_group ?? '',
    topic: s.labels.topic ?? '',
    partition: s.labels.partition ?? '',
    lag: s.value,
  }));
}

/** p99 of the observations made between two scrapes (bucket increases, summed over series). */
function windowP99(first: Exposition, second: Exposition): number | undefined {
  const a = getHistogram(first, METRIC.s3Latency);
  const b = getHistogram(second, METRIC.s3Latency);
  if (!b) return undefined;
  const before = new Map((a?.buckets ?? []).map((x) => [x.le, x.count]));
  const restarted = (b.count ?? 0) < (a?.count ?? 0);
  const buckets = b.buckets.map((x) => ({ le: x.le, count: restarted ? x.count : x.count - (before.get(x.le) ?? 0) }));
  const observed = buckets[buckets.length - 1]?.count ?? 0;
  if (observed <= 0) return undefined;
  const p99 = histogramQuantile(0.99, buckets);
  return Number.isFinite(p99) ? p99 : undefined;
}

/** Rates from two parsed scrapes of the same server taken `elapsedSeconds` apart. */
export function ratesFromScrapes(first: Exposition, second: Exposition, elapsedSeconds: number): RateSignals {
  const seconds = elapsedSeconds > 0 ? elapsedSeconds : 1;
  const producerRows = increases(first, second, METRIC.producerErrors);
  const topics = new Map<string, string[]>();
  for (const [type, rows] of groupBy(
    producerRows.filter((r) => r.delta > 0),
    (r) => r.labels.error_type ?? '',
  )) {
    const byTopic = sumBy(rows, 'topic');
    topics.set(
      type,
      [...byTopic].sort((x, y) => y[1] - x[1]).map(([t]) => t),
    );
  }
  const recordRows = increases(first, second, METRIC.producerRecords);
  const requestRows = increases(first, second, METRIC.s3Requests);
  const silent = NEVER_UPDATED_RUNBOOK_METRICS.filter((m) => {
    const family = second.families.get(m.family);
    return family !== undefined && family.samples.length === 0;
  }).map((m) => m.family);
  return {
    source: 'scrape',
    window: `over a ${formatSeconds(seconds)} sample of this server's /metrics`,
    producerErrorRates: divide(sumBy(producerRows, 'error_type'), seconds),
    producerRecordRate: recordRows.length > 0 ? recordRows.reduce((s, r) => s + r.delta, 0) / seconds : undefined,
    producerErrorTotals: sumBy(
      findSamples(second, METRIC.producerErrors).map((s) => ({ labels: s.labels, delta: s.value })),
      'error_type',
    ),
    producerErrorTopics: topics,
    s3ErrorRates: divide(sumBy(increases(first, second, METRIC.s3Errors), 'error_type'), seconds),
    s3RequestRate: requestRows.length > 0 ? requestRows.reduce((s, r) => s + r.delta, 0) / seconds : undefined,
    s3LatencyP99: windowP99(first, second),
    consumerLag: lagRows(second),
    silentRunbookFamilies: silent,
    uptimeSeconds: getValue(second, METRIC.uptime),
  };
}

/** The Prometheus answers the health workflow asks for (see `PROMQL`). */
export interface PrometheusAnswers {
  readonly producerErrorRates: PromVector;
  readonly producerRecordRate: PromVector;
  readonly s3ErrorRates: PromVector;
  readonly s3RequestRate: PromVector;
  readonly s3LatencyP99: PromVector;
  readonly consumerLag: PromVector;
}

function byLabel(v: PromVector, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of v.series) if (Number.isFinite(s.value)) out.set(s.labels[label] ?? '', s.value);
  return out;
}

function single(v: PromVector): number | undefined {
  const value = v.series[0]?.value;
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

/** Rates from Prometheus' instant queries (`sum(rate(…[5m]))`, over every scraped server). */
export function ratesFromPrometheus(a: PrometheusAnswers): RateSignals {
  return {
    source: 'prometheus',
    window: `over the last ${PROM_WINDOW} (Prometheus, every scraped server)`,
    producerErrorRates: byLabel(a.producerErrorRates, 'error_type'),
    producerRecordRate: single(a.producerRecordRate),
    s3ErrorRates: byLabel(a.s3ErrorRates, 'error_type'),
    s3RequestRate: single(a.s3RequestRate),
    s3LatencyP99: single(a.s3LatencyP99),
    consumerLag: a.consumerLag.series
      .filter((s) => Number.isFinite(s.value))
      .map((s) => ({
        group: s.labels.consumer_group ?? '',
        topic: s.labels.topic ?? '',
        partition: s.labels.partition ?? '',
        lag: s.value,
      })),
  };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    out.set(k, [...(out.get(k) ?? []), item]);
  }
  return out;
}
