import type { TargetIntegration } from '../../src/core/system.js';
import type { KyroClients } from './clients.js';
import { checkKyroSetup } from './check-setup.js';
import { createKyroClient } from './client.js';
import { KyroInstanceSchema, type KyroInstanceConfig } from './config.js';

export type { KyroClients } from './clients.js';
export { createKyroClient } from './client.js';
export type { CallOptions, KyroClient, KyroClientDeps } from './client.js';
export { KyroInstanceSchema } from './config.js';
export type { KyroInstanceConfig } from './config.js';
export { HEALTH_HTTP_STATUS } from './schemas.js';
export type { Health, HealthStatus, Ready, Slo, TenantUsage, Usage } from './schemas.js';

/** KyroDB (`KyroDB/KyroDB`): config block `targets.kyrodb.<name>`, one HTTP client per instance. */
export const kyrodbIntegration: TargetIntegration<KyroInstanceConfig, KyroClients> = {
  id: 'kyrodb',
  displayName: 'KyroDB',
  instanceSchema: KyroInstanceSchema,
  createClients: (config, deps) => ({ kyrodb: createKyroClient(config, deps) }),
  checkSetup: (clients, config) => checkKyroSetup(clients, config),
};
