import type { SetupProbeResult } from '../../src/core/system.js';
import type { KyroInstanceConfig } from './config.js';
import type { KyroClients } from './clients.js';

/**
 * `npm run check` for one KyroDB instance: `/health` proves the URL; `/slo` needs the key only when KyroDB's
 * `server.observability_auth` protects it, so a wrong key is caught only then (the line says which case it is).
 * KyroDB's HTTP listener reports no server version.
 */
export async function checkKyroSetup(clients: KyroClients, config: KyroInstanceConfig): Promise<SetupProbeResult> {
  const health = await clients.kyrodb.health();
  await clients.kyrodb.slo();
  return {
    detail: config.apiKey
      ? `reachable (/health: ${health.status}); /slo answered with the configured key (KyroDB checks it only under observability_auth)`
      : `reachable (/health: ${health.status}); /slo answered without a key (observability_auth off)`,
    versionNote: "KyroDB's HTTP listener reports no version",
  };
}
