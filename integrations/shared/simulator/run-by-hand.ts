/**
 * A simulator's command line (`tsx integrations/<system>/simulator/main.ts --scenario … --port …`): the flags every
 * simulator takes, checked, and serving until Ctrl-C. A bad flag or a failed start prints its reason and exits 2.
 */
import { parseArgs } from 'node:util';

export function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** The common flags, checked: `--scenario` (one of `scenarios`), `--port`, `--host`, `--api-key`, `--latency-ms`. */
export interface SimulatorArgs<Scenario extends string> {
  readonly scenario: Scenario;
  readonly port: number;
  readonly host: string;
  readonly apiKey: string | undefined;
  readonly latencyMs: number;
  /** Every flag's value as typed, the simulator's own (`extra`) included. */
  readonly values: Readonly<Record<string, string | undefined>>;
}

export function parseSimulatorArgs<Scenario extends string>(o: {
  readonly scenarios: readonly Scenario[];
  readonly defaultPort: number;
  /** The simulator's own string flags, with their defaults. */
  readonly extra?: Readonly<Record<string, { readonly type: 'string'; readonly default?: string }>>;
}): SimulatorArgs<Scenario> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'healthy' },
      port: { type: 'string', default: String(o.defaultPort) },
      host: { type: 'string', default: '127.0.0.1' },
      'api-key': { type: 'string' },
      'latency-ms': { type: 'string', default: '0' },
      ...o.extra,
    },
    strict: true,
  });
  const typed = values as Record<string, string | undefined>;
  const scenario = typed.scenario as Scenario;
  if (!o.scenarios.includes(scenario)) {
    fail(`unknown scenario "${typed.scenario}"; one of: ${o.scenarios.join(', ')}`);
  }
  const port = Number(typed.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, got "${typed.port}"`);
  const latencyMs = Number(typed['latency-ms']);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) fail(`--latency-ms must be >= 0, got "${typed['latency-ms']}"`);
  return { scenario, port, host: typed.host!, apiKey: typed['api-key'], latencyMs, values: typed };
}

/** Starts the simulator, prints `<label> listening on <url>`, and closes it on SIGINT or SIGTERM. */
export async function serveUntilStopped(
  label: string,
  start: () => Promise<{ readonly url: string; close(): Promise<void> }>,
): Promise<void> {
  let sim: { readonly url: string; close(): Promise<void> };
  try {
    sim = await start();
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  process.stdout.write(`${label} listening on ${sim.url}\n`);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
