/**
 * Runs the Corvo simulator by hand:
 *   tsx integrations/corvo/simulator/main.ts --scenario healthy --port 8089 [--host 127.0.0.1] [--api-key KEY]
 *     [--latency-ms 0]
 * Prints the URL on stdout; Ctrl-C stops it.
 */
import { parseSimulatorArgs, serveUntilStopped } from '../../shared/simulator/run-by-hand.js';
import { CORVO_SCENARIOS, startCorvoSimulator } from './index.js';

const { scenario, port, host, apiKey, latencyMs } = parseSimulatorArgs({
  scenarios: CORVO_SCENARIOS,
  defaultPort: 8089,
});
await serveUntilStopped(`Corvo simulator (${scenario})`, () =>
  startCorvoSimulator({ scenario, port, host, apiKey, latencyMs }),
);
