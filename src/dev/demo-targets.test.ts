import { describe, expect, it } from 'vitest';
import { systems } from '../main/systems.js';
import { demoTargets } from './demo-targets.js';

describe('demo targets', () => {
  it('simulate every system of the registry (workflows/index.ts), once each', () => {
    expect(demoTargets.map((t) => t.system).sort()).toEqual(systems.map((s) => s.id).sort());
  });

  // A new system's demo code lives in its own simulator folder; src/dev/demo-targets.ts only lists it. (`.ts`: Vite
  // resolves a variable dynamic import by its real file name.)
  it.each(systems.map((s) => s.id))('integrations/%s/simulator/demo-target.ts starts that system', async (id) => {
    const module = (await import(`../../integrations/${id}/simulator/demo-target.ts`)) as Record<string, unknown>;
    const exported = Object.values(module).filter(
      (v): v is { system: string; start: unknown } => typeof v === 'object' && v !== null && 'start' in v,
    );
    expect(exported.map((t) => t.system)).toEqual([id]);
    expect(typeof exported[0]!.start).toBe('function');
  });
});
