import type { TargetIntegration } from '../../src/core/system.js';
import type { TryItNowClients } from './clients.js';
import { checkTryItNowSetup } from './check-setup.js';
import { createTryItNowApiClient } from './api-client.js';
import { createCaddyAdminClient } from './caddy-client.js';
import { TryItNowInstanceSchema, type TryItNowInstanceConfig } from './config.js';
import { createTryItNowNatsClient } from './nats-client.js';
import { createTryItNowValkeyClient } from './valkey-client.js';

export { createTryItNowApiClient } from './api-client.js';
export type { TryItNowApiClient, TryItNowApiClientDeps, TryItNowApiConfig } from './api-client.js';
export { createCaddyAdminClient, DEMO_ROUTE_ID } from './caddy-client.js';
export type { CaddyAdminClient, CaddyClientDeps, DemoRoutes, TryItNowCaddyConfig } from './caddy-client.js';
export { TryItNowInstanceSchema } from './config.js';
export type { ServiceAddress, TryItNowInstanceConfig, TryItNowInstanceInput } from './config.js';
export type { CallOptions } from './http.js';
export { createTryItNowNatsClient } from './nats-client.js';
export type {
  ConsumerSummary,
  PurgeResult,
  StoredMessage,
  StreamSummary,
  TryItNowNatsClient,
  TryItNowNatsClientDeps,
  TryItNowNatsConfig,
} from './nats-client.js';
export { createTryItNowValkeyClient } from './valkey-client.js';
export type { TryItNowClients } from './clients.js';
export type {
  Bounded,
  InstanceRecordRead,
  KeyInfo,
  TryItNowValkeyClient,
  TryItNowValkeyConfig,
} from './valkey-client.js';
export { DEMO_ROUTE_PREFIX, routeIdOf } from './schemas.js';
export type { ApiHealth, CaddyRoute, InstanceRecord, NatsConnections, NatsHealthz, PoolStats } from './schemas.js';

/** Builds every client of one instance. Nothing connects until the first call. */
export function createTryItNowClients(
  config: TryItNowInstanceConfig,
  deps: Parameters<TargetIntegration<TryItNowInstanceConfig, TryItNowClients>['createClients']>[1],
): TryItNowClients {
  return {
    api: createTryItNowApiClient(config, deps),
    nats: createTryItNowNatsClient(config, deps),
    valkey: createTryItNowValkeyClient(config, deps),
    caddy: createCaddyAdminClient(config, deps),
  };
}

/** Closes every client of an instance (tests, shutdown). */
export async function closeTryItNowClients(clients: TryItNowClients): Promise<void> {
  await Promise.allSettled([clients.api.close(), clients.nats.close(), clients.valkey.close(), clients.caddy.close()]);
}

/**
 * Try It Now (`instant-demo/try-it-now`): config block `targets.tryitnow.<name>` with the API, NATS (client and
 * monitoring), Valkey and Caddy admin addresses; one client per component.
 */
export const tryitnowIntegration: TargetIntegration<TryItNowInstanceConfig, TryItNowClients> = {
  id: 'tryitnow',
  displayName: 'Try It Now',
  instanceSchema: TryItNowInstanceSchema,
  createClients: createTryItNowClients,
  checkSetup: (clients) => checkTryItNowSetup(clients),
};
