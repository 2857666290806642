import { z } from 'zod';
import { Secret } from '../../src/core/secret.js';

/** `postgres://` or `postgresql://`, checked without ever echoing the value (it holds a password). */
function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** One Streamhouse deployment under `targets.streamhouse.<name>` (`reference/targets.md` §3.1). */
export const StreamhouseInstanceSchema = z.object({
  /**
   * Base URL of the unified server's HTTP listener (`HTTP_ADDR`, default `0.0.0.0:8080`): `/health`, `/ready`,
   * `/admin/agents`, `/metrics` and the schema registry under `/schemas`.
   */
  url: z.url({ protocol: /^https?$/ }),
  /**
   * DSN of Streamhouse's Postgres metadata store (`DATABASE_URL` of the server), e.g.
   * `postgres://runbook_bot@db:5432/streamhouse`. Reads run in read-only transactions. At HEAD row-level security
   * hides every lease from a role that is not the tables' owner, superuser or BYPASSRLS, unless `organizationId` is
   * set (then the bot reads that organization's); the lease reset also needs UPDATE on `partition_leases`. Wrapped in
   * a {@link Secret}: it never appears in a message or a log line.
   */
  databaseUrl: z
    .string()
    .min(1)
    .refine(isPostgresUrl, 'must be a postgres:// or postgresql:// URL with a host')
    .transform((v) => new Secret(v)),
  /**
   * Organization (optional, but needed by the schema registry and by a role that row-level security limits). Sent
   * as `x-organization-id` to the schema registry (its subject routes answer 400 without it at HEAD). When the
   * database role cannot see every lease (it is not the tables' owner, superuser or BYPASSRLS), the bot sets
   * `app.current_organization_id` to it for its own reads and reports leases of this organization only. It must be
   * a real organization: migration 002 deletes the all-zero default one.
   */
  organizationId: z.guid('must be a UUID such as 3f0c2a7e-1b9d-4c55-9a61-2d7f0e4b8c10').optional(),
  /**
   * Prometheus that scrapes every Streamhouse server (optional). When set, rates come from
   * `GET /api/v1/query` over 5 minutes and cover the whole cluster; otherwise the bot samples this server's
   * `/metrics` twice.
   */
  prometheusUrl: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Admin API key, sent as `Authorization: Bearer` to `/admin/*` (optional). Needed only when the server runs with
   * `STREAMHOUSE_AUTH_ENABLED=true`; without it the agent list is read from the metadata store instead.
   */
  apiKey: z
    .string()
    .min(1)
    .transform((v) => new Secret(v))
    .optional(),
  /**
   * Schema registry base URL (optional). Default `<url>/schemas` (the unified server's mount); the standalone
   * registry binary serves the same API at `/` on port 8081.
   */
  schemaRegistryUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Per-request (and per-SQL-statement) timeout, ms. Default 5000. */
  timeoutMs: z.number().int().positive().max(60_000).default(5000),
});
export type StreamhouseInstanceConfig = z.infer<typeof StreamhouseInstanceSchema>;
