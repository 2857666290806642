import type { SetupProbeResult } from '../../src/core/system.js';
import type { CorvoClients } from './clients.js';

/**
 * `npm run check` for one Corvo instance: `GET /api/v1/queues` needs the API key (only `/healthz` is open), so an
 * answer proves the URL and the key. Corvo's HTTP API reports no server version.
 */
export async function checkCorvoSetup(clients: CorvoClients): Promise<SetupProbeResult> {
  const queues = await clients.corvo.queues();
  return {
    detail: `API key accepted (GET /api/v1/queues: ${queues.length} queue${queues.length === 1 ? '' : 's'})`,
    versionNote: "Corvo's HTTP API reports no version",
  };
}
