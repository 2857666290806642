import type { SetupProbeResult } from '../../src/core/system.js';
import type { TryItNowClients } from './clients.js';

/**
 * `npm run check` for one Try It Now instance: the API key (`GET /api/v1/pool/stats`), Valkey (`PING` with its
 * credentials) and JetStream (the configured stream's info). Try It Now reports no version.
 */
export async function checkTryItNowSetup(clients: TryItNowClients): Promise<SetupProbeResult> {
  await clients.api.poolStats();
  await clients.valkey.ping();
  await clients.nats.streamInfo(clients.nats.streamName);
  return {
    detail: `API key accepted (/api/v1/pool/stats); Valkey answers PING; JetStream stream ${clients.nats.streamName} readable`,
    versionNote: 'Try It Now reports no version',
  };
}
