/**
 * The dependency arrows of reference/style.md ("Dependency direction"), checked by
 * test/architecture/dependency-rules.test.ts as part of `npm test`.
 *
 * Paths are relative to the repository root. "Tests" are `*.test.ts` files and everything under `test/`; the demo
 * entry (src/main/demo.ts and the src/dev files it starts) may reach simulators like tests do.
 */

/** Files that may import simulators and test support: tests, test support, and the demo's entry points. */
const TEST_OR_DEMO = [
  '\\.test\\.ts$',
  '^test/',
  '^src/main/demo\\.ts$',
  '^src/dev/demo-targets\\.ts$',
  '^src/dev/agents-playground\\.ts$',
];

/**
 * A loopback simulator of a target system: `integrations/<system>/simulator/**` (the target layout), and the
 * `simulator*.ts` files it is being moved from.
 */
const SIMULATOR = '(^|/)simulator(/|[-.][^/]*$)';

/**
 * Violations the lead has still to remove: each one an arrow the rules forbid, tolerated until its fix lands. This
 * list only shrinks; the architecture test fails on any violation not listed here, and on an entry that no longer
 * occurs (delete it then). Entry shape (dependency-cruiser's known-violation format), `comment` saying why it is
 * still here and who removes it:
 *   { type: 'dependency', rule: { name: 'workflows-import-no-commands-or-engine', severity: 'error' },
 *     from: 'workflows/x/y.ts', to: 'src/jobs/z.ts', comment: 'why' }
 *   { type: 'cycle', rule: { name: 'no-circular', severity: 'error' }, from: 'a.ts', to: 'b.ts',
 *     cycle: [{ name: 'b.ts', dependencyTypes: [] }, { name: 'a.ts', dependencyTypes: [] }], comment: 'why' }
 *
 * @type {import('dependency-cruiser').IViolation[]}
 */
const KNOWN_VIOLATIONS = [];

/** @type {import('dependency-cruiser').IConfiguration} */
const config = {
  forbidden: [
    {
      name: 'core-imports-nothing-of-ours',
      comment: 'src/core is the model everyone imports; it imports nothing of ours (its tests may use test/support).',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        path: '^(src/|commands/|workflows/|integrations/|test/|teams/|scripts/)',
        pathNot: ['^src/core/', '^test/support/'],
      },
    },
    {
      name: 'core-production-imports-no-test-support',
      severity: 'error',
      from: { path: '^src/core/', pathNot: '\\.test\\.ts$' },
      to: { path: '^test/' },
    },
    {
      name: 'integrations-import-no-engine',
      comment:
        'An integration talks to the outside world; it imports src/core and other integrations, never workflows, ' +
        "commands or src/'s engine parts (jobs, runner, store, config, alerts, approvals, main, dev, http).",
      severity: 'error',
      from: { path: '^integrations/', pathNot: TEST_OR_DEMO },
      to: { path: '^(workflows/|commands/|src/)', pathNot: '^src/core/' },
    },
    {
      name: 'workflows-import-integrations-through-index',
      comment:
        'A workflow reaches a target system through integrations/<system>/index.ts, never an integration file ' +
        'directly (shared protocols without an index, such as integrations/prometheus and integrations/shared, excepted).',
      severity: 'error',
      from: { path: '^workflows/', pathNot: TEST_OR_DEMO },
      to: {
        path: '^integrations/',
        pathNot: ['^integrations/[^/]+/index\\.ts$', '^integrations/(shared|prometheus)/'],
      },
    },
    {
      name: 'workflows-import-no-commands-or-engine',
      comment:
        'Workflows receive clients through a context argument; they import src/core, never commands or the engine.',
      severity: 'error',
      from: { path: '^workflows/', pathNot: TEST_OR_DEMO },
      to: { path: '^(commands/|src/)', pathNot: '^src/core/' },
    },
    {
      name: 'commands-import-workflows-and-integrations-through-index',
      comment: 'commands/ reach a workflow or integration through its index.ts only.',
      severity: 'error',
      from: { path: '^commands/', pathNot: TEST_OR_DEMO },
      to: {
        path: '^(workflows|integrations)/',
        pathNot: ['^(workflows|integrations)/index\\.ts$', '^(workflows|integrations)/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'commands-import-no-engine',
      comment: 'commands/ describe what users type; they import src/core, never the engine (jobs, runner, store...).',
      severity: 'error',
      from: { path: '^commands/', pathNot: TEST_OR_DEMO },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'config-imports-no-engine',
      comment:
        'src/config parses the config once at boot: it imports src/core and the integrations that own their config ' +
        'blocks, never the engine parts that read the config (alerts, jobs, runner, store...).',
      severity: 'error',
      from: { path: '^src/config/', pathNot: TEST_OR_DEMO },
      to: { path: '^(src/|commands/|workflows/)', pathNot: '^src/(core|config)/' },
    },
    {
      name: 'chat-sdks-only-in-chat-integrations',
      comment: 'Only integrations/slack and integrations/teams know Slack or Teams (their SDKs included).',
      severity: 'error',
      from: { pathNot: ['^integrations/(slack|teams)/', ...TEST_OR_DEMO] },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
        path: '^node_modules/(@slack/|botbuilder|botframework-)',
      },
    },
    {
      name: 'production-imports-no-simulator',
      comment: 'Simulators are loopback fakes for tests and the demo; production code never imports one.',
      severity: 'error',
      from: { pathNot: [SIMULATOR, ...TEST_OR_DEMO] },
      to: { path: SIMULATOR },
    },
    {
      name: 'production-imports-no-test-support',
      comment: 'Production code never imports test/ or a fixtures folder.',
      severity: 'error',
      from: { pathNot: [SIMULATOR, ...TEST_OR_DEMO] },
      to: { path: ['^test/', '(^|/)fixtures/'] },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import the cruiser cannot resolve would hide an arrow.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    knownViolations: KNOWN_VIOLATIONS,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^coverage/', '^\\.data/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};

export default config;
