import { z } from 'zod';

/**
 * Zod schemas of KyroDB's HTTP observability API, from `reference/targets.md` §2.2-2.3 (read from KyroDB/KyroDB at
 * 23143d42, `engine/src/bin/kyrodb_server.rs` and `engine/src/metrics.rs`). Lenient on extra fields, strict on the
 * ones the bot reads.
 */

const uptime = z.number().int().nonnegative();

/**
 * `GET /health`: four shapes. `healthy` and `degraded` come with HTTP 200, `starting` and `unhealthy` with 503 —
 * a 503 here is an answer, not a failure. `reason` is set exactly when degraded or unhealthy, e.g.
 * `"WAL inconsistent; writes disabled"` or `"P99 latency 15234000ns exceeds SLO"`.
 */
export const HealthSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('healthy'), uptime_seconds: uptime }),
  z.object({ status: z.literal('degraded'), reason: z.string(), uptime_seconds: uptime }),
  z.object({ status: z.literal('starting'), uptime_seconds: uptime }),
  z.object({ status: z.literal('unhealthy'), reason: z.string(), uptime_seconds: uptime }),
]);
export type Health = z.infer<typeof HealthSchema>;
export type HealthStatus = Health['status'];

/** The HTTP status KyroDB sends with each `/health` status (`health_handler`). */
export const HEALTH_HTTP_STATUS: Readonly<Record<HealthStatus, number>> = {
  healthy: 200,
  degraded: 200,
  starting: 503,
  unhealthy: 503,
};

/** `GET /ready`: 200 `{"ready":true,"status":"ready"}` when healthy or degraded, else 503 `{"ready":false,"status":"not_ready"}`. */
export const ReadySchema = z.object({
  ready: z.boolean(),
  status: z.string(),
});
export type Ready = z.infer<typeof ReadySchema>;

/**
 * `GET /slo` (always 200). Latencies in **nanoseconds**; rates are fractions. `error_rate` and `availability` are NOT
 * capped at 1: KyroDB leaves failed queries out of `kyrodb_queries_total`, so its `error_rate` is failed ÷ successful
 * and passes 1 once failures outnumber successes (1.142857 on the real server), and its `availability` underflows an
 * unsigned subtraction (5.27e16). A schema that capped them would turn the worst moment into "inconclusive"; the
 * rules compute the true figures from `/metrics` and say KyroDB's are wrong.
 */
export const SloSchema = z.object({
  slo_breaches: z.object({
    p99_latency: z.boolean(),
    cache_hit_rate: z.boolean(),
    error_rate: z.boolean(),
    availability: z.boolean(),
  }),
  current_metrics: z.object({
    p99_latency_ns: z.number().nonnegative(),
    cache_hit_rate: z.number().min(0).max(1),
    error_rate: z.number().nonnegative(),
    availability: z.number().nonnegative(),
  }),
  slo_thresholds: z.object({
    p99_latency_ns: z.number().nonnegative(),
    min_cache_hit_rate: z.number().min(0).max(1),
    max_error_rate: z.number().min(0).max(1),
    min_availability: z.number().min(0).max(1),
    min_samples: z.number().int().nonnegative(),
  }),
});
export type Slo = z.infer<typeof SloSchema>;

/** One tenant of `GET /usage`. */
export const TenantUsageSchema = z.object({
  tenant_id: z.string(),
  query_count: z.number(),
  insert_count: z.number(),
  delete_count: z.number(),
  vector_count: z.number(),
  storage_bytes: z.number(),
  storage_mb: z.number(),
  storage_gb: z.number(),
  billable_events: z.number(),
});
export type TenantUsage = z.infer<typeof TenantUsageSchema>;

/**
 * `GET /usage[?scope=self|all]` (HEAD only; absent at the runbook commit). 404 `{"error":"usage tracking disabled
 * (auth.enabled=false)"}` when auth is off; 400 for a bad scope; 401/403 as plain text.
 */
export const UsageSchema = z.object({
  generated_at: z.number().int(),
  totals: z.object({
    query_count: z.number(),
    vector_count: z.number(),
    storage_bytes: z.number(),
    billable_events: z.number(),
  }),
  tenants: z.array(TenantUsageSchema),
});
export type Usage = z.infer<typeof UsageSchema>;

/** The `{"error": "..."}` body of `/usage` errors (the other endpoints answer errors in plain text). */
export const ErrorBodySchema = z.object({ error: z.string() });
