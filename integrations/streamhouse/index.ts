import type { TargetIntegration } from '../../src/core/system.js';
import type { StreamhouseClients } from './clients.js';
import { checkStreamhouseSetup } from './check-setup.js';
import { createStreamhouseClient } from './client.js';
import { StreamhouseInstanceSchema, type StreamhouseInstanceConfig } from './config.js';
import { createStreamhouseMetadataStore } from './metadata-store.js';

export { createStreamhouseClient } from './client.js';
export type { CallOptions, StreamhouseClient, StreamhouseClientDeps } from './client.js';
export { StreamhouseInstanceSchema } from './config.js';
export type { StreamhouseInstanceConfig } from './config.js';
export { createStreamhouseMetadataStore } from './metadata-store.js';
export type {
  AgentRow,
  LeaderChangeRow,
  LeaseList,
  LeaseRow,
  LeaseState,
  LeaseVisibility,
  ResetExpectation,
  ResetLeaseResult,
  ResetRefusal,
  StreamhouseMetadataStore,
} from './metadata-store.js';
export type { Agent, Health, PromVector, Readiness, SchemaVersion } from './schemas.js';
export type { StreamhouseClients } from './clients.js';
export {
  METRIC,
  NEVER_UPDATED_RUNBOOK_METRICS,
  PRODUCER_ERROR_TYPE,
  PROMQL,
  PROM_WINDOW,
  SUBSTITUTE_ALERT_EXPR,
} from './metric-names.js';
export type { RunbookMetric } from './metric-names.js';

/**
 * Streamhouse (`gbram1/streamhouse`): config block `targets.streamhouse.<name>`, one HTTP client and one metadata
 * store per instance. Building them opens no connection.
 */
export const streamhouseIntegration: TargetIntegration<StreamhouseInstanceConfig, StreamhouseClients> = {
  id: 'streamhouse',
  displayName: 'Streamhouse',
  instanceSchema: StreamhouseInstanceSchema,
  createClients: (config, deps) => ({
    streamhouse: createStreamhouseClient(config, deps),
    metadata: createStreamhouseMetadataStore({
      databaseUrl: config.databaseUrl,
      timeoutMs: config.timeoutMs ?? deps.timeoutMs ?? 5000,
      clock: deps.clock,
      organizationId: config.organizationId,
    }),
  }),
  checkSetup: (clients, config) => checkStreamhouseSetup(clients, config),
};
