/**
 * The simulated targets `npm run demo` starts, one entry per system: how to start it, its scenarios, and the
 * config block that points the bot at it. Adding a system to the demo adds one entry here.
 */
import { CORVO_SCENARIOS, startCorvoSimulator } from '../../integrations/corvo/simulator/index.js';
import { KYRO_SCENARIOS, startKyroSimulator } from '../../integrations/kyrodb/simulator/index.js';
import { STREAMHOUSE_SCENARIOS, startStreamhouseSimulator } from '../../integrations/streamhouse/simulator/index.js';
import { grantMetadataRole, seedStreamhouseMetadata } from '../../integrations/streamhouse/simulator/metadata-seed.js';
import { SAMPLE_ORG_ID } from '../../integrations/streamhouse/simulator/sample-cluster.js';
import pg from 'pg';
import { createDatabase } from './local-services.js';
import { TRYITNOW_SCENARIOS } from '../../integrations/tryitnow/simulator/index.js';
import { startTryItNowWorld } from '../../integrations/tryitnow/simulator/world.js';
import { startNatsServer } from '../../integrations/tryitnow/simulator/start-nats-server.js';
import { startM4Simulator } from '../../integrations/m4/simulator/index.js';
import { M4_SCENARIOS } from '../../integrations/m4/simulator/schema.js';

export interface DemoTarget {
  readonly system: string;
  readonly scenarios: readonly string[];
  /** The `targets.<system>.demo` block, as YAML flow mapping. */
  readonly configYaml: string;
  /** Secrets the config refers to as ${NAME}. */
  readonly env: Readonly<Record<string, string>>;
  readonly scenario: () => string;
  /** What to type to see the scenario (the run id of M4's stuck run, …), shown after a switch. */
  readonly hint?: () => string;
  setScenario(name: string): void | Promise<void>;
  close(): Promise<void>;
}

export interface DemoTargetFactory {
  readonly system: string;
  start(o: { initialScenario?: string; postgresAdminUrl: string; redisUrl: string }): Promise<DemoTarget>;
}

export const demoTargets: readonly DemoTargetFactory[] = [
  {
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
  },
  {
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
  },
  {
    system: 'streamhouse',
    async start({ initialScenario, postgresAdminUrl }) {
      const sim = await startStreamhouseSimulator({ scenario: (initialScenario ?? 'healthy') as never });
      const databaseUrl = await createDatabase(postgresAdminUrl, 'streamhouse_demo');
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
  },
  {
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
  },
  {
    system: 'm4',
    async start({ initialScenario, postgresAdminUrl }) {
      const databaseUrl = await createDatabase(postgresAdminUrl, 'm4_demo');
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
  },
];
