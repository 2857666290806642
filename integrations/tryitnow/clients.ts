import type { TryItNowApiClient } from './api-client.js';
import type { CaddyAdminClient } from './caddy-client.js';
import type { TryItNowNatsClient } from './nats-client.js';
import type { TryItNowValkeyClient } from './valkey-client.js';

/** The typed clients of one Try It Now instance, handed to its workflows and remediations through their context. */
export interface TryItNowClients {
  /** The Try It Now HTTP API (`url`, `apiKey`). */
  readonly api: TryItNowApiClient;
  /** JetStream (`natsUrl`) and NATS monitoring (`natsMonitorUrl`); knows the stream name. */
  readonly nats: TryItNowNatsClient;
  /** Valkey (`valkeyUrl`), read-only. */
  readonly valkey: TryItNowValkeyClient;
  /** Caddy's admin API (`caddyAdminUrl`). */
  readonly caddy: CaddyAdminClient;
}
