import { z } from 'zod';

/**
 * Zod schemas of what the bot reads from Try It Now (`reference/targets.md` §5, read from instant-demo/try-it-now at
 * c5df8a6e), from the NATS monitoring endpoint and from Caddy's admin API. Lenient on extra fields, strict on the
 * ones the bot reads.
 */

/**
 * `GET /health` (no auth): 200 `{"status":"ok","mode":"docker"|"podman"}`, or 503
 * `{"status":"unhealthy","error":"store unavailable"}` when the Valkey ping fails. The runbook expects only
 * `{"status":"ok"}`; the real answer also names the container runtime.
 */
export const ApiHealthSchema = z.object({
  status: z.string(),
  mode: z.string().optional(),
  error: z.string().optional(),
});
export type ApiHealth = z.infer<typeof ApiHealthSchema>;

/**
 * `GET /api/v1/pool/stats` (key). `ready` = `LLEN pool:ready`, `assigned` = `SCARD state:assigned`, `warming` =
 * `SCARD state:warming`; `target` and `capacity` are `POOL_TARGET_SIZE` and `POOL_MAX_SIZE`.
 */
export const PoolStatsSchema = z.object({
  ready: z.number().int(),
  assigned: z.number().int(),
  warming: z.number().int(),
  target: z.number().int(),
  capacity: z.number().int(),
});
export type PoolStats = z.infer<typeof PoolStatsSchema>;

/** Try It Now's error envelope `{"error","code","details"?}` on every non-2xx answer of `/api/v1/*`. */
export const ApiErrorEnvelopeSchema = z.object({
  error: z.string(),
  code: z.string(),
  details: z.string().optional(),
});
export type ApiErrorEnvelope = z.infer<typeof ApiErrorEnvelopeSchema>;

/**
 * NATS monitoring `GET /healthz`: 200 `{"status":"ok"}`; 503 `{"status":"unavailable","error":"…"}` (newer servers
 * add `status_code`). The body is read for both statuses.
 */
export const NatsHealthzSchema = z.object({
  status: z.string(),
  error: z.string().optional(),
  status_code: z.number().optional(),
});
export type NatsHealthz = z.infer<typeof NatsHealthzSchema>;

/** Caddy admin error body: `{"error":"…"}` (caddy `admin.go: APIError`). */
export const CaddyErrorSchema = z.object({ error: z.string() });

/** One route of Caddy's `demo` server. Try It Now tags each with `"@id": "demo-route-<instance id>"`. */
export const CaddyRouteSchema = z.looseObject({
  '@id': z.string().optional(),
  match: z.array(z.looseObject({ host: z.array(z.string()).optional() })).optional(),
});
export type CaddyRoute = z.infer<typeof CaddyRouteSchema>;

/** `GET /config/apps/http/servers/demo/routes`: an array, or `null` when the server has no routes key yet. */
export const CaddyRoutesSchema = z
  .array(CaddyRouteSchema)
  .nullable()
  .transform((v) => v ?? []);

/** The @id prefix Try It Now gives its routes (`internal/proxy/caddy.go`). */
export const DEMO_ROUTE_PREFIX = 'demo-route-';
