import type { SimulatorDemoTarget } from '../../shared/simulator/demo-target.js';
import { CORVO_SCENARIOS, startCorvoSimulator } from './index.js';

/** The demo's Corvo: one simulated node with an API key. */
export const corvoDemoTarget: SimulatorDemoTarget = {
  system: 'corvo',
  async start({ initialScenario }) {
    const sim = await startCorvoSimulator({
      scenario: (initialScenario ?? 'healthy') as never,
      apiKey: 'demo-corvo-key',
    });
    return {
      system: 'corvo',
      scenarios: CORVO_SCENARIOS,
      configYaml: `{ url: "${sim.url}", apiKey: "\${CORVO_API_KEY}" }`,
      env: { CORVO_API_KEY: 'demo-corvo-key' },
      scenario: () => sim.scenario,
      setScenario: (s) => sim.setScenario(s as never),
      close: () => sim.close(),
    };
  },
};
