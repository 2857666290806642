/**
 * The problems a config parse refuses with: `problemsOf(() => parseConfig(...))` is the ConfigError's list, so a
 * config test compares every problem at once. Anything else thrown is rethrown; no error at all fails the test.
 */
import { ConfigError } from '../../src/config/env.js';

export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}
