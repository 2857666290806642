import { z } from 'zod';
import { Secret } from '../../src/core/secret.js';

/** One KyroDB instance under `targets.kyrodb.<name>`. */
export const KyroInstanceSchema = z.object({
  /**
   * Base URL of KyroDB's HTTP observability listener, e.g. `http://10.0.0.21:51051`. Its default port is **51051**
   * (`server.http_port` = gRPC `server.port` 50051 + 1000, `engine/src/config.rs: http_port()`), not the runbook's
   * 51052, which is only right when the gRPC port was moved to 50052 (the docs were corrected in commit `3b12035`).
   */
  url: z.url({ protocol: /^https?$/ }),
  /**
   * API key, sent as `x-api-key`. Optional: with `server.observability_auth: disabled` (the default) `/health`,
   * `/ready`, `/slo` and `/metrics` need no key; `metrics_and_slo` protects `/metrics` and `/slo`, `all` everything.
   * `/usage` always needs one when `auth.enabled=true`.
   */
  apiKey: z
    .string()
    .min(1)
    .transform((v) => new Secret(v))
    .optional(),
  /** Per-request timeout, ms. Default 5000. */
  timeoutMs: z.number().int().positive().max(60_000).default(5000),
  /**
   * Wait between the two `/metrics` scrapes the health and decide checks take, ms. Default 5000; 0 takes one scrape
   * only. KyroDB does not export its WAL circuit breaker's state (the gauge is never updated), so whether writes are
   * refused *now* is read from failed versus total inserts between two scrapes (see real-systems.md, KyroDB 1-2).
   */
  writeWindowMs: z.number().int().nonnegative().max(30_000).default(5000),
});
export type KyroInstanceConfig = z.infer<typeof KyroInstanceSchema>;
