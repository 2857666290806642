import type { TargetIntegration } from '../../src/core/system.js';
import type { CorvoClients } from './clients.js';
import { checkCorvoSetup } from './check-setup.js';
import { createCorvoClient } from './client.js';
import { CorvoInstanceSchema, type CorvoInstanceConfig } from './config.js';

export type { CorvoClients } from './clients.js';
export { createCorvoClient } from './client.js';
export type { CallOptions, CorvoClient, CorvoClientDeps } from './client.js';
export { CorvoInstanceSchema } from './config.js';
export type { CorvoInstanceConfig } from './config.js';
export type {
  ClusterStatus,
  Healthz,
  Job,
  JobState,
  JobSummary,
  QueueInfo,
  RaftGroupStatus,
  RebuildSqliteResult,
  Runtime,
  SearchFilter,
  SearchResult,
  StatusHistogram,
  StatusResult,
  WorkerInfo,
} from './schemas.js';

/** Corvo (`corvohq/corvo`): config block `targets.corvo.<name>`, one HTTP client per instance. */
export const corvoIntegration: TargetIntegration<CorvoInstanceConfig, CorvoClients> = {
  id: 'corvo',
  displayName: 'Corvo',
  instanceSchema: CorvoInstanceSchema,
  createClients: (config, deps) => ({ corvo: createCorvoClient(config, deps) }),
  checkSetup: (clients) => checkCorvoSetup(clients),
};
