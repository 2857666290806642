/**
 * Golden files of the renderers: `expectGolden(name, content)` compares with `__golden__/<name>` next to the test
 * file. `UPDATE_GOLDEN=1` rewrites them; a missing golden is written locally and fails on CI (`CI` set), so a
 * golden is never created silently where nobody looks at it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The golden check of the test file at `testFileUrl` (its `import.meta.url`). */
export function goldenChecker(testFileUrl: string) {
  return async function expectGolden(name: string, content: string): Promise<void> {
    const path = fileURLToPath(new URL(`./__golden__/${name}`, testFileUrl));
    const update = process.env.UPDATE_GOLDEN === '1';
    if (update || !existsSync(path)) {
      if (!update && process.env.CI) throw new Error(`golden ${name} is missing; run with UPDATE_GOLDEN=1`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      return;
    }
    expect(content, `differs from __golden__/${name} (re-run with UPDATE_GOLDEN=1 if intended)`).toBe(
      readFileSync(path, 'utf8'),
    );
  };
}
