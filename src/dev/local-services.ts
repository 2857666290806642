/**
 * Throw-away Redis and Postgres servers for tests, `npm run demo` and `npm run bench`.
 *
 * Each service is spawned from the binaries on this machine (no Docker) on a free loopback port with a temporary
 * data directory, and nothing outlives the process that started it (`supervise-process.ts` says how). This module
 * gathers them for its callers:
 * - `start-redis.ts`, `start-postgres.ts` (and `createDatabase`): the services;
 * - `supervise-process.ts`: spawning, readiness, port retry, cleanup on exit, the watchdog;
 * - `integrations/shared`: binary lookup (with install hints) and free ports.
 */
export { findBinary, INSTALL_HINTS, MissingBinaryError, requireBinary } from '../../integrations/shared/find-binary.js';
export { getFreePort } from '../../integrations/shared/get-free-port.js';
export { createDatabase, startPostgres } from './start-postgres.js';
export { startRedis } from './start-redis.js';
export type { StartedService } from './supervise-process.js';
