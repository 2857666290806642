/**
 * Runs the Corvo simulator by hand:
 *   tsx integrations/corvo/simulator/main.ts --scenario healthy --port 8089 [--host 127.0.0.1] [--api-key KEY]
 *     [--latency-ms 0]
 * Prints the URL on stdout; Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { CORVO_SCENARIOS, startCorvoSimulator, type CorvoScenario } from './index.js';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'healthy' },
    port: { type: 'string', default: '8089' },
    host: { type: 'string', default: '127.0.0.1' },
    'api-key': { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
  },
  strict: true,
});

const scenario = values.scenario as CorvoScenario;
if (!CORVO_SCENARIOS.includes(scenario)) {
  fail(`unknown scenario "${values.scenario}"; one of: ${CORVO_SCENARIOS.join(', ')}`);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, got "${values.port}"`);
const latencyMs = Number(values['latency-ms']);
if (!Number.isFinite(latencyMs) || latencyMs < 0) fail(`--latency-ms must be >= 0, got "${values['latency-ms']}"`);

const sim = await startCorvoSimulator({ scenario, port, host: values.host, apiKey: values['api-key'], latencyMs });
process.stdout.write(`Corvo simulator (${scenario}) listening on ${sim.url}\n`);

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
