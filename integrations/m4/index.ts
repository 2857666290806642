import type { TargetIntegration } from '../../src/core/system.js';
import type { M4Clients } from './clients.js';
import { checkM4Setup } from './check-setup.js';
import { createM4Client } from './client.js';
import { M4InstanceSchema, type M4InstanceConfig } from './config.js';
import { createM4Database } from './db.js';

export { createM4Client } from './client.js';
export type {
  CallOptions,
  M4Client,
  M4ClientDeps,
  RunStreamEvent,
  StreamEnd,
  StreamErrorEvent,
  StreamRead,
  StreamReadOptions,
} from './client.js';
export { M4InstanceSchema } from './config.js';
export type { M4Clients } from './clients.js';
export type { M4InstanceConfig } from './config.js';
export { M4_QUERIES, M4_TABLES, OUTBOX_CHANNEL, RECENT_WINDOW_MS, RUN_ID_PATTERN, createM4Database } from './db.js';
export type {
  BacklogOverview,
  BacklogRow,
  CancelRunResult,
  EventRow,
  IndexOverview,
  IndexRow,
  LockRow,
  M4Database,
  M4DatabaseOptions,
  OutboxRow,
  PublishLag,
  QueryOptions,
  RunInspection,
  RunRow,
} from './db.js';

/** M4 run persistence (`nirukk52/supa-screengraph`): config block `targets.m4.<name>`, HTTP and Postgres clients. */
export const m4Integration: TargetIntegration<M4InstanceConfig, M4Clients> = {
  id: 'm4',
  displayName: 'M4',
  instanceSchema: M4InstanceSchema,
  createClients: (config, deps) => ({
    api: createM4Client(config, deps),
    db: createM4Database({
      databaseUrl: config.databaseUrl,
      statementTimeoutMs: config.statementTimeoutMs,
      connectTimeoutMs: config.timeoutMs,
    }),
  }),
  checkSetup: (clients) => checkM4Setup(clients),
};
