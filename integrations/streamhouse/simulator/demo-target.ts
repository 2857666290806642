import pg from 'pg';
import type { SimulatorDemoTarget } from '../../shared/simulator/demo-target.js';
import { STREAMHOUSE_SCENARIOS, startStreamhouseSimulator } from './index.js';
import { grantMetadataRole, seedStreamhouseMetadata } from './metadata-seed.js';
import { SAMPLE_ORG_ID } from './sample-cluster.js';

/** The demo's Streamhouse: the simulated HTTP API and Prometheus, and its metadata tables in a demo database. */
export const streamhouseDemoTarget: SimulatorDemoTarget = {
  system: 'streamhouse',
  async start({ initialScenario, createDatabase }) {
    const sim = await startStreamhouseSimulator({ scenario: (initialScenario ?? 'healthy') as never });
    const databaseUrl = await createDatabase('streamhouse_demo');
    const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    db.on('error', () => {}); // an idle connection dropped at shutdown is not an error worth a crash
    // The metadata rows follow the HTTP scenario where one exists (a dead agent); otherwise a healthy cluster.
    // They are written by the tables' owner; the bot connects as a non-owner role, as in production, so the real
    // row-level security applies and the bot reads the configured organization's leases (see the report).
    let botUrl = databaseUrl;
    const reseed = async (scenario: string) => {
      await db.query('drop schema public cascade; create schema public');
      await seedStreamhouseMetadata(db, scenario === 'agent-dead' ? 'agent-dead' : 'healthy', { nowMs: Date.now() });
      botUrl = await grantMetadataRole(db, databaseUrl, 'streamhouse_demo_bot', 'reader');
    };
    let current = initialScenario ?? 'healthy';
    await reseed(current);
    return {
      system: 'streamhouse',
      scenarios: STREAMHOUSE_SCENARIOS,
      configYaml:
        `{ url: "${sim.url}", databaseUrl: "\${STREAMHOUSE_DATABASE_URL}", organizationId: "${SAMPLE_ORG_ID}", ` +
        `prometheusUrl: "${sim.prometheusUrl}" }`,
      env: { STREAMHOUSE_DATABASE_URL: botUrl },
      scenario: () => current,
      setScenario: async (s) => {
        current = s;
        sim.setScenario(s as never);
        await reseed(s);
      },
      close: async () => {
        await db.end();
        await sim.close();
      },
    };
  },
};
