/** One classic-histogram bucket: upper bound `le` (`Infinity` for `+Inf`) and an observation count. */
export interface Bucket {
  le: number;
  count: number;
}

/**
 * PromQL's `histogram_quantile(q, …)` over classic cumulative buckets, so the numbers the bot posts match the
 * team's Grafana panels. A port of `bucketQuantile` in prometheus/prometheus `promql/quantile.go` (with
 * `coalesceBuckets`, `correctPrecisionErrors`, `ensureMonotonic`):
 *
 * - q NaN → NaN; q < 0 → -Infinity; q > 1 → +Infinity.
 * - Buckets are sorted by `le`; if the highest is not `+Inf` → NaN. Equal bounds are merged (counts added), counts
 *   within 1e-12 (relative) of the previous one are set to it, and decreases are flattened (running max).
 * - Fewer than 2 buckets, or a `+Inf` count of 0 → NaN.
 * - rank = q × total; the first bucket whose count ≥ rank holds the quantile. In the `+Inf` bucket → the
 *   second-highest bound. In the first bucket with a bound ≤ 0 → that bound. Otherwise linear interpolation inside
 *   the bucket, from the previous bound (0 for the first bucket).
 *
 * Like PromQL, q = 0 with an empty first bucket gives 0/0 = NaN. An empty list gives NaN (PromQL never calls it so).
 * The input is not modified.
 */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (buckets.length === 0) return NaN;

  const sorted = buckets.map((b) => ({ le: b.le, count: b.count })).sort(compareBounds);
  if (sorted[sorted.length - 1]?.le !== Infinity) return NaN;

  const merged = coalesceBuckets(sorted);
  correctPrecisionErrors(merged, 1e-12);
  ensureMonotonic(merged);

  const n = merged.length;
  if (n < 2) return NaN;
  const observations = at(merged, n - 1).count;
  if (observations === 0) return NaN;

  let rank = q * observations;
  // Binary search as Go's sort.Search over all but the +Inf bucket; n - 1 means "not found", i.e. +Inf.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(merged, mid).count >= rank) hi = mid;
    else lo = mid + 1;
  }
  const b = lo;

  if (b === n - 1) return at(merged, n - 2).le;
  if (b === 0 && at(merged, 0).le <= 0) return at(merged, 0).le;

  let bucketStart = 0;
  const bucketEnd = at(merged, b).le;
  let count = at(merged, b).count;
  if (b > 0) {
    const below = at(merged, b - 1);
    bucketStart = below.le;
    count -= below.count;
    rank -= below.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * Turns per-bucket counts (each bucket counts only observations above the previous bound) into the cumulative
 * counts `histogramQuantile` and the exposition use. Corvo's `/api/v1/cluster/status` prints `queue_time_hist` and
 * `apply_time_hist` buckets this way (targets.md §1.3). Sorts by `le` and adds up counts of equal bounds; the caller
 * converts Corvo's duration strings (`"50µs"`) to seconds first.
 */
export function nonCumulativeToCumulative(buckets: readonly { le: number; count: number }[]): Bucket[] {
  const sorted = buckets.map((b) => ({ le: b.le, count: b.count })).sort(compareBounds);
  const result: Bucket[] = [];
  let running = 0;
  for (const bucket of sorted) {
    running += bucket.count;
    const last = result[result.length - 1];
    if (last && last.le === bucket.le) last.count = running;
    else result.push({ le: bucket.le, count: running });
  }
  return result;
}

// Go's comparator rather than `a.le - b.le`, which is NaN for two infinite bounds of the same sign.
function compareBounds(a: Bucket, b: Bucket): number {
  return a.le < b.le ? -1 : a.le > b.le ? 1 : 0;
}

function at(buckets: readonly Bucket[], i: number): Bucket {
  const bucket = buckets[i];
  if (!bucket) throw new RangeError(`bucket ${i} of ${buckets.length}`);
  return bucket;
}

/** Merges equal upper bounds by adding their counts (input sorted). */
function coalesceBuckets(buckets: Bucket[]): Bucket[] {
  const merged: Bucket[] = [];
  for (const bucket of buckets) {
    const last = merged[merged.length - 1];
    if (last && last.le === bucket.le) last.count += bucket.count;
    else merged.push({ ...bucket });
  }
  return merged;
}

/** Snaps counts that differ from the previous one by ≤ tolerance (relative to the current count) back to it. */
function correctPrecisionErrors(buckets: Bucket[], tolerance: number): void {
  let prev = at(buckets, 0).count;
  for (let i = 1; i < buckets.length; i++) {
    const bucket = at(buckets, i);
    const delta = Math.abs(bucket.count - prev);
    if (delta === 0) continue;
    if (delta / bucket.count <= tolerance) bucket.count = prev;
    else prev = bucket.count;
  }
}

/** Removes decreases between successive buckets (the "envelope"), which the binary search relies on. */
function ensureMonotonic(buckets: Bucket[]): void {
  let max = at(buckets, 0).count;
  for (let i = 1; i < buckets.length; i++) {
    const bucket = at(buckets, i);
    if (bucket.count > max) max = bucket.count;
    else if (bucket.count < max) bucket.count = max;
  }
}
