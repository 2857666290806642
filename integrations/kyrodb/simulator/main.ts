/**
 * Runs the KyroDB simulator by hand:
 *   tsx integrations/kyrodb/simulator/main.ts --scenario healthy --port 51051 [--host 127.0.0.1] [--api-key KEY]
 *     [--observability-auth disabled|metrics_and_slo|all] [--latency-ms 0]
 * Prints the URL on stdout; Ctrl-C stops it.
 */
import { fail, parseSimulatorArgs, serveUntilStopped } from '../../shared/simulator/run-by-hand.js';
import { KYRO_SCENARIOS, startKyroSimulator, type ObservabilityAuth } from './index.js';

const { scenario, port, host, apiKey, latencyMs, values } = parseSimulatorArgs({
  scenarios: KYRO_SCENARIOS,
  defaultPort: 51051,
  extra: { 'observability-auth': { type: 'string', default: 'disabled' } },
});
const auth = values['observability-auth'] as ObservabilityAuth;
if (!['disabled', 'metrics_and_slo', 'all'].includes(auth)) {
  fail(`--observability-auth must be disabled, metrics_and_slo or all, got "${auth}"`);
}
await serveUntilStopped(`KyroDB simulator (${scenario})`, () =>
  startKyroSimulator({ scenario, port, host, apiKey, observabilityAuth: auth, latencyMs }),
);
