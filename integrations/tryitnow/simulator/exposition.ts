/**
 * The simulator's `/metrics` text, rebuilt from `internal/metrics/metrics.go` as `reference/targets.md` §5.4–5.5
 * describes it: a custom registry (no `go_*`/`process_*`), families sorted by name, samples sorted by label value,
 * labelled families (`*Vec`) omitted while they have no label combination, unlabelled ones always present (0).
 * Text format 0.0.4, as client_golang writes it.
 */

/** Bucket bounds, seconds (targets.md §5.4). */
export const BOUNDS = {
  http: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  fast: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
  provision: [1, 5, 10, 30, 60, 120, 180, 300, 600],
  waitForReady: [1, 5, 10, 30, 60, 120, 180, 300, 600],
} as const;

/** Observations of one histogram series: cumulative counts per bound (same length as the bounds), plus the rest. */
export interface HistogramSeries {
  readonly labels?: Readonly<Record<string, string>>;
  /** Cumulative count at each finite bound. */
  readonly cumulative: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export interface CounterSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Everything the simulated server would have recorded since it started. */
export interface MetricsState {
  readonly pool: { ready: number; assigned: number; warming: number; target: number; capacity: number };
  readonly acquisitions: readonly CounterSeries[];
  readonly releases: readonly CounterSeries[];
  readonly provisions: readonly CounterSeries[];
  readonly rateLimitHits: number;
  readonly healthChecks: readonly CounterSeries[];
  readonly routeOperations: readonly CounterSeries[];
  readonly acquisitionDuration: HistogramSeries;
  readonly provisionDuration: readonly HistogramSeries[];
  readonly criuRestoreDuration: HistogramSeries;
  readonly healthCheckDuration: HistogramSeries;
  readonly routeAddDuration: HistogramSeries;
  readonly routeRemoveDuration: HistogramSeries;
  readonly waitForReadyDuration: HistogramSeries;
  readonly httpRequestDuration: readonly HistogramSeries[];
}

/** Go's `strconv.FormatFloat(f, 'g', -1, 64)` as client_golang uses it for values and `le`. */
export function formatGoFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (n === 0) return '0';
  // Shortest 'g' switches to exponent form when the decimal exponent is < -4 or ≥ 6 (`1e+06`, `1.5e-05`).
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 6) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(n);
}

function labelText(labels: Readonly<Record<string, string>> | undefined, extra?: [string, string]): string {
  const pairs = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return '';
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${pairs.map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
}

/** client_golang sorts a family's series by their label values, in label-name order. */
function byLabels<T extends { labels?: Readonly<Record<string, string>> }>(series: readonly T[]): T[] {
  const key = (s: T) =>
    Object.keys(s.labels ?? {})
      .sort()
      .map((k) => s.labels?.[k] ?? '')
      .join('\u0000');
  return [...series].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter' | 'histogram';
  readonly lines: readonly string[];
}

function gauge(name: string, help: string, value: number): Family {
  return { name, help, type: 'gauge', lines: [`${name} ${formatGoFloat(value)}`] };
}

function counter(name: string, help: string, series: readonly CounterSeries[]): Family {
  return {
    name,
    help,
    type: 'counter',
    lines: byLabels(series).map((s) => `${name}${labelText(s.labels)} ${formatGoFloat(s.value)}`),
  };
}

function histogram(name: string, help: string, bounds: readonly number[], series: readonly HistogramSeries[]): Family {
  const lines: string[] = [];
  for (const s of byLabels(series)) {
    bounds.forEach((b, i) => {
      lines.push(
        `${name}_bucket${labelText(s.labels, ['le', formatGoFloat(b)])} ${formatGoFloat(s.cumulative[i] ?? 0)}`,
      );
    });
    lines.push(`${name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${formatGoFloat(s.count)}`);
    lines.push(`${name}_sum${labelText(s.labels)} ${formatGoFloat(s.sum)}`);
    lines.push(`${name}_count${labelText(s.labels)} ${formatGoFloat(s.count)}`);
  }
  return { name, help, type: 'histogram', lines };
}

/** The exposition text of `state`. */
export function renderExposition(state: MetricsState): string {
  const families: Family[] = [
    gauge('demo_pool_ready_instances', 'Number of ready instances in warm pool', state.pool.ready),
    gauge('demo_pool_assigned_instances', 'Number of instances currently assigned to users', state.pool.assigned),
    gauge('demo_pool_warming_instances', 'Number of instances being warmed up', state.pool.warming),
    gauge('demo_pool_target_size', 'Target pool size from configuration', state.pool.target),
    gauge('demo_pool_capacity', 'Maximum pool capacity', state.pool.capacity),
    // Declared but never set by the server (targets.md §5.4): always 0.
    gauge('demo_criu_available', 'Whether CRIU checkpoint/restore is available (1=yes, 0=no)', 0),
    counter('demo_acquisitions_total', 'Total number of instance acquisition attempts', state.acquisitions),
    counter('demo_releases_total', 'Total number of instance releases', state.releases),
    counter('demo_provisions_total', 'Total number of instance provisioning attempts', state.provisions),
    {
      name: 'demo_rate_limit_hits_total',
      help: 'Total number of rate limit rejections',
      type: 'counter',
      lines: [`demo_rate_limit_hits_total ${formatGoFloat(state.rateLimitHits)}`],
    },
    counter('demo_health_checks_total', 'Total number of instance health checks', state.healthChecks),
    counter('demo_route_operations_total', 'Total number of route operations', state.routeOperations),
    histogram('demo_acquisition_duration_seconds', 'Time to acquire an instance in seconds', BOUNDS.http, [
      state.acquisitionDuration,
    ]),
    histogram(
      'demo_provision_duration_seconds',
      'Time to provision a new instance in seconds',
      BOUNDS.provision,
      state.provisionDuration,
    ),
    histogram('demo_criu_restore_duration_seconds', 'CRIU checkpoint restore latency in seconds', BOUNDS.fast, [
      state.criuRestoreDuration,
    ]),
    histogram('demo_health_check_duration_seconds', 'Instance health check latency in seconds', BOUNDS.fast, [
      state.healthCheckDuration,
    ]),
    histogram('demo_route_add_duration_seconds', 'Caddy route add latency in seconds', BOUNDS.fast, [
      state.routeAddDuration,
    ]),
    histogram('demo_route_remove_duration_seconds', 'Caddy route remove latency in seconds', BOUNDS.fast, [
      state.routeRemoveDuration,
    ]),
    histogram(
      'demo_wait_for_ready_duration_seconds',
      'Time waiting for an instance to become ready in seconds',
      BOUNDS.waitForReady,
      [state.waitForReadyDuration],
    ),
    histogram(
      'demo_http_request_duration_seconds',
      'HTTP request latency in seconds',
      BOUNDS.http,
      state.httpRequestDuration,
    ),
  ];
  const out: string[] = [];
  for (const f of families.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (f.lines.length === 0) continue; // a *Vec without label combinations prints nothing at all
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.lines);
  }
  return `${out.join('\n')}\n`;
}
