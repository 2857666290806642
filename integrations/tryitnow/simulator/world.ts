/**
 * Test and demo support: one whole simulated Try It Now deployment per scenario — the API and Caddy fakes, a real
 * NATS server with the PROVISIONING stream and stand-ins for the server's workers, and a real Redis standing in for
 * Valkey — laid out as the real server leaves them (`reference/real-systems.md`, Try It Now). `npm run demo` and the
 * scenario tests use it. Never used in production.
 */
import { createProvisioningStream } from './create-provisioning-stream.js';
import { seedValkey } from './seed-valkey.js';
import {
  scenarioWorld,
  startCaddyAdminSimulator,
  startTryItNowSimulator,
  type CaddyAdminSimulator,
  type TryItNowScenario,
  type TryItNowSimulator,
} from './index.js';
import { startTryItNowWorkers, type TryItNowWorkers } from './workers.js';

export interface TryItNowWorldOptions {
  readonly scenario?: TryItNowScenario;
  /** A running NATS server with JetStream (`nats://…`). */
  readonly natsUrl: string;
  /** Redis/Valkey URL with the database to use (flushed on every scenario switch). */
  readonly valkeyUrl: string;
  readonly apiKey?: string;
  readonly stream?: string;
}

export interface TryItNowWorld {
  readonly api: TryItNowSimulator;
  readonly caddy: CaddyAdminSimulator;
  readonly scenario: TryItNowScenario;
  setScenario(s: TryItNowScenario): Promise<void>;
  close(): Promise<void>;
}

/** Creates the stream (if missing), then lays out `scenario`. */
export async function startTryItNowWorld(o: TryItNowWorldOptions): Promise<TryItNowWorld> {
  const stream = o.stream ?? 'PROVISIONING';
  await createProvisioningStream(o.natsUrl, stream).catch((err: unknown) => {
    // Already there (a second world on the same NATS): the server's CreateOrUpdate would keep it too.
    if (!/already in use|exists/i.test(String((err as Error)?.message))) throw err;
  });
  const api = await startTryItNowSimulator({ scenario: o.scenario ?? 'healthy', apiKey: o.apiKey });
  const caddy = await startCaddyAdminSimulator();
  let workers: TryItNowWorkers | undefined;
  let current: TryItNowScenario = o.scenario ?? 'healthy';

  async function layOut(s: TryItNowScenario): Promise<void> {
    const w = scenarioWorld(s);
    await seedValkey(o.valkeyUrl, w.valkey);
    caddy.setRoutes(w.routes);
    caddy.setUnreachable(s === 'unreachable');
    api.setScenario(s);
    if (w.workers === 'gone' && workers) {
      await workers.giveUp();
      workers = undefined;
    } else if (w.workers === 'live' && !workers) {
      workers = await startTryItNowWorkers({ natsUrl: o.natsUrl, stream });
    }
    current = s;
  }

  await layOut(current);
  return {
    api,
    caddy,
    get scenario() {
      return current;
    },
    setScenario: layOut,
    close: async () => {
      await workers?.giveUp();
      await api.close();
      await caddy.close();
    },
  };
}
