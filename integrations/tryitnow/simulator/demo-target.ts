import type { SimulatorDemoTarget } from '../../shared/simulator/demo-target.js';
import { TRYITNOW_SCENARIOS } from './index.js';
import { startNatsServer } from './start-nats-server.js';
import { startTryItNowWorld } from './world.js';

/** The demo's Try It Now: a real NATS server, the demo's Redis as Valkey, and the simulated API and Caddy. */
export const tryitnowDemoTarget: SimulatorDemoTarget = {
  system: 'tryitnow',
  async start({ initialScenario, redisUrl }) {
    const nats = await startNatsServer();
    // As the real server leaves things: routes keyed by hostname for the assigned demos only, JSON instance
    // records, live workers holding their pull requests (they consume anything published, so the stream is empty).
    const valkeyUrl = `${redisUrl}/2`;
    const world = await startTryItNowWorld({
      scenario: (initialScenario ?? 'healthy') as never,
      natsUrl: nats.url,
      valkeyUrl,
      apiKey: 'demo-tin-key',
    });
    return {
      system: 'tryitnow',
      scenarios: TRYITNOW_SCENARIOS,
      configYaml:
        `{ url: "${world.api.url}", apiKey: "\${TRYITNOW_API_KEY}", natsUrl: "${nats.url}", ` +
        `natsMonitorUrl: "${nats.monitorUrl}", valkeyUrl: "${valkeyUrl}", caddyAdminUrl: "${world.caddy.url}" }`,
      env: { TRYITNOW_API_KEY: 'demo-tin-key' },
      scenario: () => world.scenario,
      setScenario: (s) => world.setScenario(s as never),
      close: async () => {
        await world.close();
        await nats.stop();
      },
    };
  },
};
