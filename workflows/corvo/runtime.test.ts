import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../integrations/corvo/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { NOW, createFakeCorvoClient } from '../../test/support/corvo/observations.js';
import { contextFor, createSimulatorHarness } from '../../test/support/corvo/simulator-harness.js';
import { runtimeWorkflow } from './runtime.js';

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

/** The §1.4 sample. */
const SAMPLE: Runtime = {
  goroutines: 412,
  gomaxprocs: 8,
  heap_inuse_bytes: 183500800,
  stack_inuse_bytes: 4915200,
  gc_pause_p99_ns: 812000,
  cpu_user_ns: 912340000000,
  cpu_sys_ns: 120450000000,
};

async function runWith(runtime: Partial<Runtime>) {
  const { client } = createFakeCorvoClient();
  const r = await runtimeWorkflow.run(
    contextFor({ ...client, runtime: async () => ({ ...SAMPLE, ...runtime }) }, fixedClock(NOW)),
  );
  return new Map(r.findings.map((f) => [f.code, f]));
}

describe('runtime', () => {
  it('healthy: the values in the titles, each against its threshold', async () => {
    const r = await harness.run(runtimeWorkflow, 'healthy');
    expect(r.verdict).toBe('ok');
    expect(r.findings.map((f) => f.title)).toEqual([
      '412 goroutines',
      'Heap in use 175 MiB',
      'GC pause p99 812 µs',
      'GOMAXPROCS 8, kernel 11.7 % of CPU time',
    ]);
    expect(r.byCode.get('corvo.runtime.goroutines')?.evidence).toBe(
      '412 goroutines, stack in use 4.7 MiB — warning above 10,000',
    );
    expect(r.byCode.get('corvo.runtime.gc-pause')?.evidence).toBe('GC pause p99 812 µs — warning above 5 ms');
  });

  it('over every threshold: warnings, never critical', async () => {
    const byCode = await runWith({
      goroutines: 25_000,
      heap_inuse_bytes: 6 * 1024 ** 3,
      gc_pause_p99_ns: 40_000_000,
      gomaxprocs: 1,
    });
    for (const code of [
      'corvo.runtime.goroutines',
      'corvo.runtime.heap',
      'corvo.runtime.gc-pause',
      'corvo.runtime.cpu',
    ]) {
      expect({ code, severity: byCode.get(code)?.severity }).toEqual({ code, severity: 'warning' });
    }
    expect(byCode.get('corvo.runtime.goroutines')?.title).toBe('25,000 goroutines — possible leak');
    expect(byCode.get('corvo.runtime.heap')?.evidence).toBe(
      "heap in use 6 GiB — warning above 4 GiB (the bot's default; size it to the host's memory)",
    );
  });

  it('judges the kernel CPU share only once the process has used a minute of CPU', async () => {
    const young = await runWith({ cpu_user_ns: 5e9, cpu_sys_ns: 20e9 });
    expect(young.get('corvo.runtime.cpu')?.severity).toBe('ok');
    expect(young.get('corvo.runtime.cpu')?.evidence).toContain('not judged below 1 min of CPU');
    const old = await runWith({ cpu_user_ns: 100e9, cpu_sys_ns: 400e9 });
    expect(old.get('corvo.runtime.cpu')?.severity).toBe('warning');
  });

  it('a key that may not read /debug/runtime: one inconclusive line for that probe, /healthz still read', async () => {
    const r = await harness.run(runtimeWorkflow, 'healthy', { serverKey: 'right', botKey: 'wrong' });
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['corvo.probe.runtime', 'inconclusive']]);
    expect(r.findings[0]?.evidence).toContain('401');
    expect(r.summary).toBe('This node is the leader; 1 inconclusive');
  });

  it('unreachable: one inconclusive finding for both probes', async () => {
    const r = await harness.run(runtimeWorkflow, 'unreachable');
    expect(r.findings.map((f) => f.code)).toEqual(['corvo.probe.unreachable']);
    expect(r.findings[0]?.evidence).toMatch(/\(all 2 probes failed\)$/);
  });
});
