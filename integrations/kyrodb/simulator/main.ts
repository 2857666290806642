/**
 * Runs the KyroDB simulator by hand:
 *   tsx integrations/kyrodb/simulator/main.ts --scenario healthy --port 51051 [--host 127.0.0.1] [--api-key KEY]
 *     [--observability-auth disabled|metrics_and_slo|all] [--latency-ms 0]
 * Prints the URL on stdout; Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { KYRO_SCENARIOS, startKyroSimulator, type KyroScenario, type ObservabilityAuth } from './index.js';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'healthy' },
    port: { type: 'string', default: '51051' },
    host: { type: 'string', default: '127.0.0.1' },
    'api-key': { type: 'string' },
    'observability-auth': { type: 'string', default: 'disabled' },
    'latency-ms': { type: 'string', default: '0' },
  },
  strict: true,
});

const scenario = values.scenario as KyroScenario;
if (!KYRO_SCENARIOS.includes(scenario)) {
  fail(`unknown scenario "${values.scenario}"; one of: ${KYRO_SCENARIOS.join(', ')}`);
}
const auth = values['observability-auth'] as ObservabilityAuth;
if (!['disabled', 'metrics_and_slo', 'all'].includes(auth)) {
  fail(`--observability-auth must be disabled, metrics_and_slo or all, got "${auth}"`);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, got "${values.port}"`);
const latencyMs = Number(values['latency-ms']);
if (!Number.isFinite(latencyMs) || latencyMs < 0) fail(`--latency-ms must be >= 0, got "${values['latency-ms']}"`);

let sim;
try {
  sim = await startKyroSimulator({
    scenario,
    port,
    host: values.host,
    apiKey: values['api-key'],
    observabilityAuth: auth,
    latencyMs,
  });
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
process.stdout.write(`KyroDB simulator (${scenario}) listening on ${sim.url}\n`);

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
