import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import {
  NOW,
  createFakeCorvoClient,
  healthyQueues,
  leaderMetricsText,
  setMetric,
} from '../../test/support/corvo/observations.js';
import { contextFor, createSimulatorHarness } from '../../test/support/corvo/simulator-harness.js';
import { slowFetchesWorkflow } from './slow-fetches.js';

const harness = createSimulatorHarness();
afterEach(harness.closeAll);

describe('slow-fetches', () => {
  it('healthy: queue time, fetch overloads and empty fetches within bounds', async () => {
    const r = await harness.run(slowFetchesWorkflow, 'healthy');
    expect(r.verdict).toBe('ok');
    expect(r.byCode.get('corvo.fetch.idle')?.title).toBe('Empty fetches: 2.2 % of stream frames');
    expect(r.byCode.get('corvo.apply.fetch-overload')?.section).toBe('Common Issues › Slow Fetches / High Latency');
  });

  it('apply-overloaded: queue-time p99 and fetch overloads are the leads', async () => {
    const r = await harness.run(slowFetchesWorkflow, 'apply-overloaded');
    expect(r.byCode.get('corvo.apply.queue-time-p99')?.severity).toBe('warning');
    expect(r.byCode.get('corvo.apply.fetch-overload')?.severity).toBe('warning');
    expect(r.byCode.get('corvo.fetch.idle')?.severity).toBe('ok');
  });

  it('warns when most fetches come back empty while jobs wait, not when nothing is pending', async () => {
    const text = setMetric(leaderMetricsText(), 'corvo_lifecycle_idle_fetch_total', '5000000');
    const busy = createFakeCorvoClient({ metricsText: text }).client;
    const withPending = await slowFetchesWorkflow.run(contextFor(busy, fixedClock(NOW)));
    const f = withPending.findings.find((x) => x.code === 'corvo.fetch.idle');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence).toBe(
      '5,000,000 fetches returned no job since process start (50.4 % of 9,912,345 stream frames); 1,280 jobs ' +
        'pending now — warning above 20 % while jobs are pending (high with nothing pending just means idle workers)',
    );
    const idle = createFakeCorvoClient({
      metricsText: text,
      queues: healthyQueues().map((q) => ({ ...q, pending: 0 })),
    }).client;
    const nothingPending = await slowFetchesWorkflow.run(contextFor(idle, fixedClock(NOW)));
    expect(nothingPending.findings.find((x) => x.code === 'corvo.fetch.idle')?.severity).toBe('ok');
  });

  it('lists the runbook tuning flags', async () => {
    const r = await harness.run(slowFetchesWorkflow, 'healthy');
    for (const flag of [
      '--idle-fetch-sleep 10ms',
      '--fetch-poll-interval 10ms',
      '--stream-max-fps 0',
      '--apply-multi-mode indexed',
    ]) {
      expect(r.notes?.[0]).toContain(flag);
    }
  });

  it('unreachable: one inconclusive finding', async () => {
    const r = await harness.run(slowFetchesWorkflow, 'unreachable');
    expect(r.findings.map((f) => f.code)).toEqual(['corvo.probe.unreachable']);
  });
});
