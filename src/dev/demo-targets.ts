/**
 * The simulated targets `npm run demo` starts, one line per system: each system's simulator folder says how to start
 * it, its scenarios and the config block that points the bot at it (`integrations/<system>/simulator/demo-target.ts`).
 */
import { corvoDemoTarget } from '../../integrations/corvo/simulator/demo-target.js';
import { kyrodbDemoTarget } from '../../integrations/kyrodb/simulator/demo-target.js';
import { m4DemoTarget } from '../../integrations/m4/simulator/demo-target.js';
import type { DemoTarget, SimulatorDemoTarget } from '../../integrations/shared/simulator/demo-target.js';
import { streamhouseDemoTarget } from '../../integrations/streamhouse/simulator/demo-target.js';
import { tryitnowDemoTarget } from '../../integrations/tryitnow/simulator/demo-target.js';
import { createDatabase } from './local-services.js';

export type { DemoTarget } from '../../integrations/shared/simulator/demo-target.js';

const simulated: readonly SimulatorDemoTarget[] = [
  corvoDemoTarget,
  kyrodbDemoTarget,
  streamhouseDemoTarget,
  tryitnowDemoTarget,
  m4DemoTarget,
];

export interface DemoTargetFactory {
  readonly system: string;
  start(o: { initialScenario?: string; postgresAdminUrl: string; redisUrl: string }): Promise<DemoTarget>;
}

/** The simulated targets, started against the demo's Redis and Postgres. */
export const demoTargets: readonly DemoTargetFactory[] = simulated.map((target) => ({
  system: target.system,
  start: ({ postgresAdminUrl, ...o }) =>
    target.start({ ...o, createDatabase: (name) => createDatabase(postgresAdminUrl, name) }),
}));
