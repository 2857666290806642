import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { NOW, createFakeCorvoClient, leaderMetricsText, setMetric } from '../../test/support/corvo/observations.js';
import { contextFor, createSimulatorHarness } from '../../test/support/corvo/simulator-harness.js';
import { streamOverloadedWorkflow } from './stream-overloaded.js';

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

describe('stream-overloaded', () => {
  it('healthy: within both caps, and the overload-counter correction is shown anyway', async () => {
    const r = await harness.run(streamOverloadedWorkflow, 'healthy');
    expect(r.verdict).toBe('ok');
    const frames = r.byCode.get('corvo.stream.saturation');
    expect(frames?.evidence).toBe(
      'frames in flight 3 / 2,048 — warning from 80 % of max; corvo_lifecycle_overload_total 0 (always 0 with the CLI’s stream config)',
    );
    expect(frames?.runbookCorrection).toContain('AcquireTimeout > 0');
    expect(r.byCode.get('corvo.stream.open-streams')?.evidence).toMatch(/^open streams 24 \/ 4,096/);
  });

  it('names every mitigation flag of the runbook', async () => {
    const r = await harness.run(streamOverloadedWorkflow, 'healthy');
    for (const flag of ['--stream-max-inflight', '--stream-max-open', '--stream-max-fps', '--idle-fetch-sleep']) {
      expect(r.notes?.[0]).toContain(flag);
    }
  });

  it('flags frames near the in-flight cap and streams at the open cap', async () => {
    let text = setMetric(leaderMetricsText(), 'corvo_lifecycle_frames_inflight', '2000');
    text = setMetric(text, 'corvo_lifecycle_streams_open', '4096');
    const { client } = createFakeCorvoClient({ metricsText: text });
    const r = await streamOverloadedWorkflow.run(contextFor(client, fixedClock(NOW)));
    const byCode = new Map(r.findings.map((f) => [f.code, f]));
    expect(byCode.get('corvo.stream.saturation')?.severity).toBe('warning');
    expect(byCode.get('corvo.stream.open-streams')?.severity).toBe('critical');
    expect(byCode.get('corvo.stream.open-streams')?.nextStep).toContain('--stream-max-open');
  });

  it('apply-overloaded: store overloads, the other source of RESOURCE_EXHAUSTED, show up here', async () => {
    const r = await harness.run(streamOverloadedWorkflow, 'apply-overloaded');
    expect(r.byCode.get('corvo.apply.overload')?.severity).toBe('warning');
  });

  it('unreachable: one inconclusive finding', async () => {
    const r = await harness.run(streamOverloadedWorkflow, 'unreachable');
    expect(r.findings.map((f) => f.code)).toEqual(['corvo.probe.unreachable']);
  });
});
