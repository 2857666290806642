/**
 * Streamhouse's real metric names (`reference/targets.md` §3.4, `crates/streamhouse-observability/src/metrics.rs` at
 * HEAD): every one carries the `streamhouse_` prefix, counters are printed with `_total` (the OpenMetrics encoder
 * adds it; `# TYPE` uses the bare name), and every family but the process-wide gauges has an `org_id` label.
 */
export const METRIC = {
  producerRecords: 'streamhouse_producer_records_total',
  /** Labels org_id, topic, error_type (`s3_rate_limited`, `s3_circuit_breaker`, `writer_error`, `append_error`). */
  producerErrors: 'streamhouse_producer_errors_total',
  s3Requests: 'streamhouse_s3_requests_total',
  /** Labels org_id, operation (`PUT`), error_type (`retry`, `failed`). */
  s3Errors: 'streamhouse_s3_errors_total',
  /** Histogram family (buckets 0.01–10 s), labels org_id, operation. */
  s3Latency: 'streamhouse_s3_latency_seconds',
  /** Gauge, labels org_id, topic, partition, consumer_group. */
  consumerLag: 'streamhouse_consumer_lag',
  uptime: 'streamhouse_uptime_seconds',
  agentsActive: 'streamhouse_agents_active',
} as const;

/** `error_type` values of `streamhouse_producer_errors_total` (agent `grpc_service.rs`). */
export const PRODUCER_ERROR_TYPE = {
  /** Producers get gRPC UNAVAILABLE (14): "S3 service is temporarily unavailable - circuit breaker open". */
  circuitBreaker: 's3_circuit_breaker',
  /** Producers get gRPC RESOURCE_EXHAUSTED (8). */
  rateLimited: 's3_rate_limited',
} as const;

/** A metric the runbook names, and what really exists. */
export interface RunbookMetric {
  /** As written in the runbook's alert rules and `curl` examples. */
  readonly runbookName: string;
  /** The family that exists at HEAD (its `# TYPE` name). */
  readonly family: string;
  /** The sample name a query must use. */
  readonly sampleName: string;
}

/**
 * The runbook's alert metrics. At HEAD they are registered (with prefix and `org_id`) but no code ever updates them,
 * so they print only `# HELP`/`# TYPE` and the runbook's alerts can never fire; at the runbook commit they did not
 * exist at all.
 */
export const NEVER_UPDATED_RUNBOOK_METRICS: readonly RunbookMetric[] = [
  {
    runbookName: 'circuit_breaker_state',
    family: 'streamhouse_circuit_breaker_state',
    sampleName: 'streamhouse_circuit_breaker_state',
  },
  {
    runbookName: 'throttle_decisions_total',
    family: 'streamhouse_throttle_decisions',
    sampleName: 'streamhouse_throttle_decisions_total',
  },
  {
    runbookName: 'lease_conflicts_total',
    family: 'streamhouse_lease_conflicts',
    sampleName: 'streamhouse_lease_conflicts_total',
  },
  {
    runbookName: 'schema_registry_errors_total',
    family: 'streamhouse_schema_registry_errors',
    sampleName: 'streamhouse_schema_registry_errors_total',
  },
];

/** Window of the Prometheus rates, as PromQL and as text. */
export const PROM_WINDOW = '5m';

/**
 * The instant queries the bot sends to Prometheus (summed over every scraped server and organization). The
 * simulator's fake Prometheus answers exactly these.
 */
export const PROMQL = {
  producerErrorRates: `sum by (error_type) (rate(${METRIC.producerErrors}[${PROM_WINDOW}]))`,
  producerRecordRate: `sum(rate(${METRIC.producerRecords}[${PROM_WINDOW}]))`,
  s3ErrorRates: `sum by (error_type) (rate(${METRIC.s3Errors}[${PROM_WINDOW}]))`,
  s3RequestRate: `sum(rate(${METRIC.s3Requests}[${PROM_WINDOW}]))`,
  s3LatencyP99: `histogram_quantile(0.99, sum by (le) (rate(${METRIC.s3Latency}_bucket[${PROM_WINDOW}])))`,
  consumerLag: `max by (consumer_group, topic, partition) (${METRIC.consumerLag})`,
} as const;

/** The working substitute for the runbook's CircuitBreakerOpen and HighThrottlingRate alerts. */
export const SUBSTITUTE_ALERT_EXPR = {
  circuitBreaker: `sum(rate(${METRIC.producerErrors}{error_type="${PRODUCER_ERROR_TYPE.circuitBreaker}"}[5m])) > 0`,
  rateLimited:
    `sum(rate(${METRIC.producerErrors}{error_type="${PRODUCER_ERROR_TYPE.rateLimited}"}[5m])) / ` +
    `(sum(rate(${METRIC.producerRecords}[5m])) + sum(rate(${METRIC.producerErrors}[5m]))) > 0.10`,
} as const;
