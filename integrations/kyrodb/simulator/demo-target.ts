import type { SimulatorDemoTarget } from '../../shared/simulator/demo-target.js';
import { KYRO_SCENARIOS, startKyroSimulator } from './index.js';

/** The demo's KyroDB: one simulated server, no auth. */
export const kyrodbDemoTarget: SimulatorDemoTarget = {
  system: 'kyrodb',
  async start({ initialScenario }) {
    const sim = await startKyroSimulator({ scenario: (initialScenario ?? 'healthy') as never });
    return {
      system: 'kyrodb',
      hint: () => '/kyrodb health (also /kyrodb decide; wal-refusing shows writes refused)',
      scenarios: KYRO_SCENARIOS,
      // Two /metrics scrapes 1.5 s apart tell refused writes (KyroDB never updates its breaker gauge).
      configYaml: `{ url: "${sim.url}", writeWindowMs: 1500 }`,
      env: {},
      scenario: () => sim.scenario,
      setScenario: (s) => sim.setScenario(s as never),
      close: () => sim.close(),
    };
  },
};
