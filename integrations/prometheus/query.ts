import type { Exposition, Sample } from './parse-exposition.js';
import { parseGoFloat } from './parse-go-float.js';

/** Cumulative classic-histogram buckets as printed (`le` ascending, `+Inf` as `Infinity`), plus `_sum`/`_count`. */
export interface HistogramBuckets {
  readonly buckets: readonly { le: number; count: number }[];
  readonly sum?: number;
  readonly count?: number;
}

// Probes ask many questions of one scrape; index it by sample name once instead of walking every family each time.
const indexes = new WeakMap<Exposition, Map<string, Sample[]>>();

function samplesNamed(expo: Exposition, name: string): readonly Sample[] {
  let index = indexes.get(expo);
  if (!index) {
    index = new Map();
    for (const family of expo.families.values()) {
      for (const sample of family.samples) {
        const list = index.get(sample.name);
        if (list) list.push(sample);
        else index.set(sample.name, [sample]);
      }
    }
    indexes.set(expo, index);
  }
  return index.get(name) ?? [];
}

/**
 * True when every wanted label has that value. As in PromQL, a wanted empty value also matches a sample that lacks
 * the label.
 */
function hasLabels(sample: Sample, wanted: Readonly<Record<string, string>> | undefined): boolean {
  if (!wanted) return true;
  for (const key of Object.keys(wanted)) {
    const actual = Object.hasOwn(sample.labels, key) ? sample.labels[key] : '';
    if (actual !== wanted[key]) return false;
  }
  return true;
}

/**
 * Samples by SAMPLE name (`x_bucket`, `foo_total`, not the family name) whose labels include `labels`, in input
 * order. A fresh array each call.
 */
export function findSamples(expo: Exposition, name: string, labels?: Readonly<Record<string, string>>): Sample[] {
  return samplesNamed(expo, name).filter((sample) => hasLabels(sample, labels));
}

/** Value of the first sample {@link findSamples} would return; `undefined` when there is none. */
export function getValue(
  expo: Exposition,
  name: string,
  labels?: Readonly<Record<string, string>>,
): number | undefined {
  return samplesNamed(expo, name).find((sample) => hasLabels(sample, labels))?.value;
}

function total(samples: readonly Sample[]): number | undefined {
  if (samples.length === 0) return undefined;
  let sum = 0;
  for (const sample of samples) sum += sample.value;
  return sum;
}

/**
 * The buckets of histogram `family` (`<family>_bucket`, `_sum`, `_count`; `_gsum`/`_gcount` for a gaugehistogram),
 * ready for `histogramQuantile`. `labels` select the series and never include `le` (an `le` key is ignored).
 *
 * When `labels` match several series (e.g. only `method` of a per-route histogram), counts are added per `le`, like
 * PromQL's `sum by (le)`: that is the aggregate a runbook asks about. Buckets whose `le` is not a number are
 * skipped. `undefined` when no bucket sample matches.
 */
export function getHistogram(
  expo: Exposition,
  family: string,
  labels?: Readonly<Record<string, string>>,
): HistogramBuckets | undefined {
  let wanted = labels;
  if (labels && Object.hasOwn(labels, 'le')) {
    const { le: _le, ...rest } = labels;
    wanted = rest;
  }

  const counts = new Map<number, number>();
  for (const sample of findSamples(expo, `${family}_bucket`, wanted)) {
    const le = Object.hasOwn(sample.labels, 'le') ? parseGoFloat(sample.labels.le ?? '') : undefined;
    if (le === undefined || Number.isNaN(le)) continue;
    counts.set(le, (counts.get(le) ?? 0) + sample.value);
  }
  if (counts.size === 0) return undefined;

  const buckets = [...counts].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  const gauge = expo.families.get(family)?.type === 'gaugehistogram';
  const sum = total(findSamples(expo, `${family}${gauge ? '_gsum' : '_sum'}`, wanted));
  const count = total(findSamples(expo, `${family}${gauge ? '_gcount' : '_count'}`, wanted));
  const result: { -readonly [K in keyof HistogramBuckets]: HistogramBuckets[K] } = { buckets };
  if (sum !== undefined) result.sum = sum;
  if (count !== undefined) result.count = count;
  return result;
}
