import { z } from 'zod';

/**
 * Zod schemas of the Streamhouse HTTP answers the bot reads (`reference/targets.md` §3.2, read from gbram1/streamhouse
 * at cbca01eb) and of Prometheus' query API. Lenient on extra fields, strict on the ones the bot reads.
 */

/** `GET /health` / `GET /live` of the unified server: `{"status":"ok"}`. (The standalone agent answers text `OK`.) */
export const HealthSchema = z.object({ status: z.string() });
export type Health = z.infer<typeof HealthSchema>;

/** `GET /ready`: `{"status":"ready"}` when the metadata store answers, else 503 with an empty body. */
export interface Readiness {
  readonly ready: boolean;
  /** HTTP status of the answer (200 or 503). */
  readonly status: number;
}

/** One element of `GET /admin/agents` (`models.rs: Agent`). Timestamps are epoch **ms**. */
export const AgentSchema = z.object({
  agent_id: z.string(),
  address: z.string(),
  availability_zone: z.string(),
  agent_group: z.string(),
  last_heartbeat: z.number(),
  started_at: z.number(),
  active_leases: z.number().int().nonnegative(),
});
export type Agent = z.infer<typeof AgentSchema>;

/** The schema registry's error body (`api.rs: IntoResponse for SchemaError`). */
export const RegistryErrorSchema = z.object({ error_code: z.number(), message: z.string() });
export type RegistryError = z.infer<typeof RegistryErrorSchema>;

/** `GET /subjects`: `["orders-value"]`. */
export const SubjectListSchema = z.array(z.string());

/** `GET /subjects/{s}/versions`: `[1,2,3]`. */
export const VersionListSchema = z.array(z.number().int());

/** `GET /subjects/{s}/versions/{n|latest}`. */
export const SchemaVersionSchema = z.object({
  subject: z.string(),
  version: z.number().int(),
  id: z.number().int(),
  schema: z.string(),
  schemaType: z.string().optional(),
  references: z.array(z.unknown()).optional(),
});
export type SchemaVersion = z.infer<typeof SchemaVersionSchema>;

/** `GET /config` and `GET /config/{s}`: `{"compatibilityLevel":"BACKWARD"}`. */
export const CompatibilitySchema = z.object({ compatibilityLevel: z.string() });
export type Compatibility = z.infer<typeof CompatibilitySchema>;

/** One series of an instant vector: labels and `[unix seconds, "value"]` (the value is a string: "NaN", "+Inf"…). */
export const PromSeriesSchema = z.object({
  metric: z.record(z.string(), z.string()),
  value: z.tuple([z.number(), z.string()]),
});
export type PromSeries = z.infer<typeof PromSeriesSchema>;

/**
 * `GET /api/v1/query` (https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries). The bot only
 * sends queries that return instant vectors or scalars.
 */
export const PromQueryResponseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('vector'), result: z.array(PromSeriesSchema) }),
      z.object({ resultType: z.literal('scalar'), result: z.tuple([z.number(), z.string()]) }),
    ]),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
export type PromQueryResponse = z.infer<typeof PromQueryResponseSchema>;

/** An instant-query answer reduced to what rules read: one numeric value per series (`NaN` kept as NaN). */
export interface PromVector {
  readonly series: readonly { readonly labels: Readonly<Record<string, string>>; readonly value: number }[];
}
