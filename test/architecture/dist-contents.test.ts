/**
 * What `npm run build` puts in `dist/`: the program of `tsconfig.build.json` — the files it includes plus everything
 * they import. Simulators, test support, fixtures and the demo's own entry points must not be in it, whether by the
 * build's include globs or because production code imports them.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Paths (relative to the repository, `/`-separated) that are never production code, with why. */
const NOT_PRODUCTION: ReadonlyArray<readonly [RegExp, string]> = [
  [/(^|\/)simulator\//, 'a target simulator (integrations/<system>/simulator/)'],
  [/^test\//, 'test support'],
  [/\.test\.ts$/, 'a test'],
  [/(^|\/)fixtures\//, 'a test fixture'],
  [/(^|\/)__golden__\//, 'a golden file'],
  [/^src\/dev\//, 'demo-only code (src/dev/)'],
  [/^src\/main\/demo\.ts$/, "the demo's entry point"],
];

function buildProgramFiles(): string[] {
  const configPath = path.join(ROOT, 'tsconfig.build.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
  return program
    .getSourceFiles()
    .map((f) => path.relative(ROOT, f.fileName).split(path.sep).join('/'))
    .filter((f) => !f.startsWith('node_modules/') && !f.startsWith('../'));
}

describe('dist/ contents', () => {
  it('holds no simulator, test support, fixture or demo-only file', { timeout: 180_000 }, () => {
    const files = buildProgramFiles();
    expect(files).toContain('src/main/web.ts');
    expect(files).toContain('src/main/worker.ts');
    const offenders = files.flatMap((f) =>
      NOT_PRODUCTION.filter(([pattern]) => pattern.test(f)).map(([, why]) => `${f}: ${why}`),
    );
    expect(offenders).toEqual([]);
  });
});
