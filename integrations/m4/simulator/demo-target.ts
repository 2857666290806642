import pg from 'pg';
import type { SimulatorDemoTarget } from '../../shared/simulator/demo-target.js';
import { startM4Simulator } from './index.js';
import { M4_SCENARIOS } from './schema.js';

/** The demo's M4: the simulated HTTP API over its tables in a demo database. */
export const m4DemoTarget: SimulatorDemoTarget = {
  system: 'm4',
  async start({ initialScenario, createDatabase }) {
    const databaseUrl = await createDatabase('m4_demo');
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 3 });
    pool.on('error', () => {});
    // The simulator seeds the M4 tables per scenario and plays M4's outbox subscriber, so a nudge publishes.
    const sim = await startM4Simulator({
      scenario: (initialScenario ?? 'stuck-outbox') as never,
      pool,
      outboxSubscriber: true,
    });
    return {
      system: 'm4',
      scenarios: M4_SCENARIOS,
      configYaml: `{ url: "${sim.url}", databaseUrl: "\${M4_DATABASE_URL}" }`,
      env: { M4_DATABASE_URL: databaseUrl },
      scenario: () => sim.scenario,
      hint: () => `/m4 run ${sim.data.runId}`,
      setScenario: (s) => sim.setScenario(s as never),
      close: async () => {
        await sim.close();
        await pool.end();
      },
    };
  },
};
