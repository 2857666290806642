/**
 * What `npm run demo` (and the setup-check e2e test) starts for one system. Each system's simulator folder provides
 * its own (`integrations/<system>/simulator/demo-target.ts`); `src/dev/demo-targets.ts` lists them, one line each.
 */

/** A started simulated target. */
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

/** What the demo hands a simulator when it starts it. */
export interface DemoStartOptions {
  readonly initialScenario?: string;
  /** The demo's Redis (`redis://host:port`). */
  readonly redisUrl: string;
  /** Creates an empty database on the demo's Postgres and returns its URL. */
  createDatabase(name: string): Promise<string>;
}

/** How to start one system's simulated target. */
export interface SimulatorDemoTarget {
  readonly system: string;
  start(o: DemoStartOptions): Promise<DemoTarget>;
}
