import type { SetupProbeResult } from '../../src/core/system.js';
import type { M4Clients } from './clients.js';

/**
 * `npm run check` for one M4 deployment: `GET /api/health` (the URL) and a catalog read of the run tables through
 * `databaseUrl` (the database credentials). M4 reports no version.
 */
export async function checkM4Setup(clients: M4Clients): Promise<SetupProbeResult> {
  const health = await clients.api.health();
  const { tables } = await clients.db.indexes();
  const missing = Object.entries(tables)
    .filter(([, present]) => !present)
    .map(([t]) => t);
  return {
    detail: `reachable (/api/health: ${health.trim().slice(0, 20)}); database readable`,
    ...(missing.length > 0
      ? { warning: `tables ${missing.join(', ')} not found under the connection's search_path (see /m4 help)` }
      : {}),
    versionNote: 'M4 reports no version',
  };
}
