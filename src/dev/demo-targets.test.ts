import { describe, expect, it } from 'vitest';
import { systems } from '../main/systems.js';
import { demoTargets } from './demo-targets.js';

describe('demo targets', () => {
  it('simulate every system of the registry (workflows/index.ts), once each', () => {
    expect(demoTargets.map((t) => t.system).sort()).toEqual(systems.map((s) => s.id).sort());
  });
});
