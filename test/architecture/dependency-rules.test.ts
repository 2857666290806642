/**
 * The dependency arrows of reference/style.md, enforced: every import of the repository (type-only imports included)
 * is checked against the rules in .dependency-cruiser.mjs. A failure lists each forbidden arrow with the rule it
 * breaks and why the rule exists. `npm run deps` prints the same from the command line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cruise, type IConfiguration, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = (
  (await import(pathToFileURL(join(ROOT, '.dependency-cruiser.mjs')).href)) as { default: IConfiguration }
).default;
const CRUISED = ['src', 'commands', 'workflows', 'integrations', 'test', 'teams'];
const TIMEOUT_MS = 180_000;

/** Runs the cruiser with the repository's rules over `dirs` of `baseDir`; returns every violation, known ones too. */
async function cruiseWithRules(
  baseDir: string,
  dirs: string[],
  knownViolations = CONFIG.options?.knownViolations ?? [],
): Promise<IViolation[]> {
  const tsConfigFile = join(baseDir, 'tsconfig.json');
  const result = await cruise(
    dirs,
    {
      ...CONFIG.options,
      baseDir,
      knownViolations,
      tsConfig: { fileName: tsConfigFile },
      ruleSet: { forbidden: CONFIG.forbidden ?? [] },
      validate: true,
    },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  return (result.output as ICruiseResult).summary.violations;
}

/** One line per violation: `rule: from → to` (or the cycle), then why the rule exists. */
function describeViolation(v: IViolation): string {
  const rule = CONFIG.forbidden?.find((r) => r.name === v.rule.name);
  const arrow = v.cycle ? [v.from, ...v.cycle.map((c) => c.name)].join(' → ') : `${v.from} → ${v.to}`;
  return `${v.rule.name}: ${arrow}${rule?.comment ? `\n    (${rule.comment})` : ''}`;
}

const isKnown = (v: IViolation): boolean => v.rule.severity === 'ignore';

describe('dependency directions (reference/style.md)', () => {
  it(
    'no import breaks a rule of .dependency-cruiser.mjs, and every known violation still exists',
    async () => {
      const violations = await cruiseWithRules(ROOT, CRUISED);
      const fresh = violations.filter((v) => !isKnown(v)).map(describeViolation);
      expect(fresh, `forbidden imports:\n${fresh.join('\n')}\n`).toEqual([]);
      const gone = (CONFIG.options?.knownViolations ?? []).filter(
        (k) => !violations.some((v) => isKnown(v) && v.rule.name === k.rule.name && v.from === k.from && v.to === k.to),
      );
      expect(
        gone.map((k) => `${k.rule.name}: ${k.from} → ${k.to}`),
        'fixed: delete these from KNOWN_VIOLATIONS',
      ).toEqual([]);
    },
    TIMEOUT_MS,
  );
});

describe('the rules bite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-depcruise-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const files: Record<string, string> = {
    'package.json': '{ "type": "module", "dependencies": { "@slack/web-api": "1.0.0" } }',
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, rootDir: '.' },
      include: ['src', 'commands', 'workflows', 'integrations', 'test'],
    }),
    'node_modules/@slack/web-api/package.json': '{ "name": "@slack/web-api", "version": "1.0.0", "main": "index.js" }',
    'node_modules/@slack/web-api/index.js': 'export const WebClient = 1;\n',
    // src/core imports the engine; a type-only cycle inside core.
    'src/core/model.ts': "import { queue } from '../jobs/queue.js';\nexport const model = queue;\n",
    'src/core/command.ts': "import type { Workflow } from './workflow.js';\nexport type Command = { w?: Workflow };\n",
    'src/core/workflow.ts': "import type { Command } from './command.js';\nexport type Workflow = { c?: Command };\n",
    'src/jobs/queue.ts': 'export const queue = 1;\n',
    // The engine imports the Slack SDK, a simulator and test support; config imports alerts.
    'src/jobs/worker.ts': "import { WebClient } from '@slack/web-api';\nexport const worker = WebClient;\n",
    'src/main/web.ts':
      "import { fake } from '../../integrations/corvo/simulator/index.js';\nexport const web = fake;\n",
    'src/runner/run.ts': "import { support } from '../../test/support/support.js';\nexport const run = support;\n",
    'src/config/config-file.ts': "import { route } from '../alerts/route.js';\nexport const config = route;\n",
    'src/alerts/route.ts': 'export const route = 1;\n',
    'src/dev/local.ts': 'export const local = 1;\n',
    // The demo may start simulators; a simulator's test support is allowed to it too.
    'src/main/demo.ts':
      "import { fake } from '../../integrations/corvo/simulator/index.js';\nexport const demo = fake;\n",
    'integrations/corvo/simulator/index.ts': 'export const fake = 1;\n',
    'integrations/corvo/client.ts': 'export const client = 1;\n',
    'integrations/corvo/index.ts': "export { client } from './client.js';\n",
    // An integration imports src/dev; a workflow imports an integration's file, not its index.
    'integrations/tryitnow/start.ts': "import { local } from '../../src/dev/local.js';\nexport const start = local;\n",
    'workflows/corvo/health.ts':
      "import { client } from '../../integrations/corvo/client.js';\nexport const health = client;\n",
    'workflows/corvo/ok.ts': "import { client } from '../../integrations/corvo/index.js';\nexport const ok = client;\n",
    'workflows/corvo/index.ts': "export { ok } from './ok.js';\n",
    'commands/corvo.ts': "import { health } from '../workflows/corvo/health.js';\nexport const corvo = health;\n",
    'test/support/support.ts': 'export const support = 1;\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const arrows = (violations: IViolation[]): string[] =>
    violations
      .filter((v) => !isKnown(v))
      .map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)
      .sort();

  it(
    'flags every forbidden arrow of a small tree, type-only cycles included, and nothing allowed',
    async () => {
      const violations = await cruiseWithRules(dir, ['src', 'commands', 'workflows', 'integrations', 'test'], []);
      expect(arrows(violations)).toEqual(
        [
          'chat-sdks-only-in-chat-integrations: src/jobs/worker.ts → node_modules/@slack/web-api/index.js',
          'commands-import-workflows-and-integrations-through-index: commands/corvo.ts → workflows/corvo/health.ts',
          'config-imports-no-engine: src/config/config-file.ts → src/alerts/route.ts',
          'core-imports-nothing-of-ours: src/core/model.ts → src/jobs/queue.ts',
          'integrations-import-no-engine: integrations/tryitnow/start.ts → src/dev/local.ts',
          'production-imports-no-simulator: src/main/web.ts → integrations/corvo/simulator/index.ts',
          'production-imports-no-test-support: src/runner/run.ts → test/support/support.ts',
          'workflows-import-integrations-through-index: workflows/corvo/health.ts → integrations/corvo/client.ts',
        ]
          .concat(
            violations.filter((v) => v.rule.name === 'no-circular').map((v) => `no-circular: ${v.from} → ${v.to}`),
          )
          .sort(),
      );
      const cycles = violations.filter((v) => v.rule.name === 'no-circular');
      expect(cycles.length).toBeGreaterThan(0);
      for (const c of cycles) {
        expect([c.from, ...(c.cycle ?? []).map((m) => m.name)]).toEqual(
          expect.arrayContaining(['src/core/command.ts', 'src/core/workflow.ts']),
        );
      }
    },
    TIMEOUT_MS,
  );

  it(
    'lets a listed known violation through, and only that one',
    async () => {
      const known: IViolation = {
        type: 'dependency',
        rule: { name: 'config-imports-no-engine', severity: 'error' },
        from: 'src/config/config-file.ts',
        to: 'src/alerts/route.ts',
        comment: 'the test of the known-violations list',
      };
      const violations = await cruiseWithRules(dir, ['src', 'commands', 'workflows', 'integrations', 'test'], [known]);
      const listed = violations.filter((v) => v.from === known.from && v.to === known.to);
      expect(listed.map((v) => v.rule.severity)).toEqual(['ignore']);
      expect(arrows(violations)).not.toContain(`config-imports-no-engine: ${known.from} → ${known.to}`);
      expect(arrows(violations).length).toBeGreaterThan(5);
    },
    TIMEOUT_MS,
  );
});
