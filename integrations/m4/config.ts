import { z } from 'zod';
import { Secret } from '../../src/core/secret.js';

/** `postgres://` or `postgresql://` with a host, checked without ever echoing the value (it holds a password). */
function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** One M4 deployment under `targets.m4.<name>` (`reference/targets.md` §4). */
export const M4InstanceSchema = z.object({
  /**
   * Base URL of the Next.js web app that mounts the Hono/oRPC API under `/api` (`WEB_PORT`, default 3000), e.g.
   * `http://10.0.0.40:3000`. The bot reads `GET /api/agents/runs/{runId}/stream` and `GET /api/health`.
   */
  url: z.url({ protocol: /^https?$/ }),
  /**
   * DSN of M4's Postgres (the `DATABASE_URL` Prisma uses), e.g. `postgres://readonly@db:5432/screengraph`.
   * Diagnostics run in read-only transactions: SELECT on `runs`, `run_events`, `run_outbox` is enough for them and
   * for `nudge` (`pg_notify` needs no table privilege). `cancel-run` also needs UPDATE ("state", "finishedAt",
   * "updatedAt") on `runs` and DELETE on `run_outbox`. Wrapped in a {@link Secret}: never in a message or a log line.
   */
  databaseUrl: z
    .string()
    .min(1)
    .refine(isPostgresUrl, 'must be a postgres:// or postgresql:// URL with a host')
    .transform((v) => new Secret(v)),
  /** `statement_timeout` set (transaction-local) on every bot transaction, ms. Default 5000. */
  statementTimeoutMs: z.number().int().positive().max(60_000).default(5000),
  /** Connect timeout (HTTP and Postgres) and HTTP headers timeout, ms. Default 5000. */
  timeoutMs: z.number().int().positive().max(60_000).default(5000),
  /**
   * How long the `stream` check listens to the SSE endpoint before it stops, ms. Default 5000. A finished run's
   * stream closes by itself after `RunFinished`; a running one stays open for live events.
   */
  streamWindowMs: z.number().int().positive().max(60_000).default(5000),
});
export type M4InstanceConfig = z.infer<typeof M4InstanceSchema>;
