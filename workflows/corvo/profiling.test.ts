import { describe, expect, it } from 'vitest';
import type { CorvoClient } from '../../integrations/corvo/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { NOW } from '../../test/support/corvo/observations.js';
import { contextFor } from '../../test/support/corvo/simulator-harness.js';
import { profilingWorkflow } from './profiling.js';

describe('profiling', () => {
  it('probes nothing and gives the runbook pprof commands, the unauthenticated warning first', async () => {
    const touched: string[] = [];
    const client = new Proxy({} as CorvoClient, {
      get: (_, name) => () => {
        touched.push(String(name));
        throw new Error('profiling must not call Corvo');
      },
    });
    const r = await profilingWorkflow.run(contextFor(client, fixedClock(NOW)));
    expect(touched).toEqual([]);
    expect(r.findings).toEqual([]);
    const notes = r.notes ?? [];
    expect(notes[0]).toMatch(/^⚠ `\/debug\/pprof\/\*` is served WITHOUT authentication/);
    expect(notes[0]).toContain('`targets.corvo.prod.url`');
    const commands = notes.slice(1).join('\n');
    for (const path of [
      '<corvo-url>/debug/pprof/profile?seconds=30',
      '<corvo-url>/debug/pprof/heap',
      '<corvo-url>/debug/pprof/goroutine?debug=2',
      '<corvo-url>/debug/pprof/block',
      '<corvo-url>/debug/pprof/mutex',
      'go tool pprof -http=:8081 cpu.prof',
    ]) {
      expect(commands).toContain(path);
    }
    expect(commands).not.toContain('localhost:8080');
  });
});
