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

/**
 * NATS monitoring `GET /connz`: the client connections (the part the bot reads). Try It Now's connections carry no
 * name (`nats.Connect` without `nats.Name`); the bot's own is named `runbook-bot`.
 */
export const NatsConnectionsSchema = z.object({
  num_connections: z.number().int(),
  connections: z
    .array(z.looseObject({ cid: z.number().optional(), name: z.string().optional(), lang: z.string().optional() }))
    .nullable()
    .optional()
    .transform((v) => v ?? []),
});
export type NatsConnections = z.infer<typeof NatsConnectionsSchema>;

/** Caddy admin error body: `{"error":"…"}` (caddy `admin.go: APIError`). */
export const CaddyErrorSchema = z.object({ error: z.string() });

/**
 * One route of Caddy's `demo` server. Try It Now tags each with `"@id": "demo-route-<hostname>"` (dots of the
 * hostname turned into dashes; `internal/proxy/caddy.go: routeID`) and matches `<hostname>.<BASE_DOMAIN>`. The
 * hostname is not the instance id: the real server's `demo-abf4e6fc…` has the route `demo-route-demo-47fb5f50…`
 * (`reference/real-systems.md`, Try It Now item 1). The instance record holds the hostname.
 */
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

/** The `@id` Try It Now gives the route of the instance with this hostname (`routeID`: dots become dashes). */
export function routeIdOf(hostname: string): string {
  return `${DEMO_ROUTE_PREFIX}${hostname.replaceAll('.', '-')}`;
}

/**
 * `instance:{id}` in Valkey: a JSON **string** (`internal/store/valkey.go` marshals `domain.Instance`), not a hash
 * (`reference/real-systems.md`, Try It Now item 2). Ids are `demo-<uuid>`; `hostname` is another name (the route key).
 */
export const InstanceRecordSchema = z.looseObject({
  id: z.string().min(1),
  hostname: z.string().min(1),
  state: z.string().optional(),
  port: z.number().int().optional(),
  container_id: z.string().optional(),
});
export type InstanceRecord = z.infer<typeof InstanceRecordSchema>;
