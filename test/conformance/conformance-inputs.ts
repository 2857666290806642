/**
 * Where the upstream inputs live: `../shared/conformance` beside the clone (CI lays `shared/` there). Every reader
 * goes through here so a missing folder fails with one sentence that says what to do, not an ENOENT deep in a test.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CONFORMANCE_ROOT = path.resolve(REPO_ROOT, '../shared/conformance');

/** Throws a readable error when the folder is missing; returns the absolute path of `relative` inside it. */
export function conformancePath(...relative: string[]): string {
  if (!existsSync(path.join(CONFORMANCE_ROOT, 'SOURCES.md'))) {
    throw new Error(
      `the conformance inputs are missing: expected ${CONFORMANCE_ROOT} (the shared/conformance folder laid beside ` +
        `this clone, as CI does). Put the project's shared/ folder next to the repository and run the tests again.`,
    );
  }
  return path.join(CONFORMANCE_ROOT, ...relative);
}

export function readConformanceText(...relative: string[]): string {
  return readFileSync(conformancePath(...relative), 'utf8');
}

export function readConformanceJson(...relative: string[]): unknown {
  return JSON.parse(readConformanceText(...relative)) as unknown;
}

export function listConformance(...relative: string[]): string[] {
  return readdirSync(conformancePath(...relative)).sort();
}
