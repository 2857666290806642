import type { SetupProbeResult } from '../../src/core/system.js';
import type { StreamhouseInstanceConfig } from './config.js';
import type { StreamhouseClients } from './clients.js';

/**
 * `npm run check` for one Streamhouse instance: `/health` (the URL), `/admin/agents` when an admin key is configured
 * (the key), and the agents table through `databaseUrl` (the metadata store's credentials). Streamhouse's HTTP API
 * reports no server version.
 */
export async function checkStreamhouseSetup(
  clients: StreamhouseClients,
  config: StreamhouseInstanceConfig,
): Promise<SetupProbeResult> {
  await clients.streamhouse.health();
  const admin = config.apiKey ? await clients.streamhouse.agents() : undefined;
  const agents = await clients.metadata.agents();
  return {
    detail: [
      'reachable (/health)',
      admin ? `admin key accepted (/admin/agents: ${admin.length} agents)` : 'no admin key configured (not needed)',
      `metadata store readable (${agents.length} agents)`,
    ].join('; '),
    versionNote: "Streamhouse's HTTP API reports no version",
  };
}
