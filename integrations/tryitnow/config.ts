import { z } from 'zod';
import { Secret } from '../../src/core/secret.js';

/**
 * A service address whose credentials (if the URL carried any) are split off as {@link Secret}s, so the address can
 * appear in logs and chat while the user name and password never do.
 */
export interface ServiceAddress {
  /** The URL without credentials, e.g. `nats://10.0.0.51:4222`. Safe to print. */
  readonly url: string;
  /** `host:port`, for messages. */
  readonly host: string;
  /** User name from the URL (`nats://user:pass@…`; NATS: a token when there is no password). */
  readonly username?: Secret;
  /** Password from the URL (`redis://:pass@…`). */
  readonly password?: Secret;
}

/** Splits `scheme://user:pass@host:port/path` into a printable URL and secret credentials. */
function toServiceAddress(raw: string): ServiceAddress {
  const u = new URL(raw);
  const username = u.username ? new Secret(decodeURIComponent(u.username)) : undefined;
  const password = u.password ? new Secret(decodeURIComponent(u.password)) : undefined;
  u.username = '';
  u.password = '';
  return {
    url: u.toString().replace(/\/$/, ''),
    host: u.host,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

const httpUrl = () => z.url({ protocol: /^https?$/ });

/** One Try It Now instance under `targets.tryitnow.<name>` (CONTRACT.md). */
export const TryItNowInstanceSchema = z.object({
  /** Base URL of the Try It Now API, e.g. `http://10.0.0.50:8080` (`SERVER_HOST:SERVER_PORT`, default `:8080`). */
  url: httpUrl(),
  /**
   * The server's `API_KEY`, sent as `X-API-Key`. Needed for `/api/v1/*` **and `/metrics`** whenever the server has a
   * key set; optional because an empty `API_KEY` lets every request through (targets.md §5.1).
   */
  apiKey: z
    .string()
    .min(1)
    .transform((v) => new Secret(v))
    .optional(),
  /**
   * NATS client URL, e.g. `nats://10.0.0.51:4222` (the server's `NATS_URL`). `nats://user:pass@host` or
   * `nats://token@host` credentials are accepted and kept secret. `tls://` turns TLS on.
   */
  natsUrl: z.url({ protocol: /^(nats|tls)$/ }).transform(toServiceAddress),
  /** NATS monitoring endpoint (`-m 8222`), e.g. `http://10.0.0.51:8222`; the bot reads `/healthz`. */
  natsMonitorUrl: httpUrl(),
  /**
   * Valkey (Redis protocol) URL, e.g. `redis://10.0.0.52:6379` (the server's `VALKEY_ADDR`). A password in the URL
   * (`redis://:pass@host:6379`) is kept secret. `rediss://` turns TLS on.
   */
  valkeyUrl: z.url({ protocol: /^rediss?$/ }).transform(toServiceAddress),
  /** Caddy admin API, e.g. `http://10.0.0.53:2019` (the server's `CADDY_ADMIN_URL`). */
  caddyAdminUrl: httpUrl(),
  /** The server's `NATS_STREAM_NAME`. Default `PROVISIONING`. */
  streamName: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('PROVISIONING'),
  /** Per-request timeout for every call (HTTP, NATS, Valkey), ms. Default 5000. */
  timeoutMs: z.number().int().positive().max(60_000).default(5000),
});
export type TryItNowInstanceConfig = z.infer<typeof TryItNowInstanceSchema>;
/** What the schema accepts (before transforms): the YAML shape. */
export type TryItNowInstanceInput = z.input<typeof TryItNowInstanceSchema>;
