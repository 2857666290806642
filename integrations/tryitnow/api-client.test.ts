import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition } from '../prometheus/parse-exposition.js';
import { findSamples, getValue } from '../prometheus/query.js';
import { fixedClock } from '../../src/core/clock.js';
import { Secret } from '../../src/core/secret.js';
import { isTargetError } from '../../src/core/target-error.js';
import { createTryItNowApiClient, type TryItNowApiClient } from './api-client.js';
import { startTryItNowSimulator, type TryItNowSimulator, type TryItNowSimulatorOptions } from './simulator/index.js';

/** The API client over real HTTP against the loopback Try It Now fake (§5.2, §5.4–5.5). */

const clock = fixedClock(Date.parse('2026-01-17T10:00:00Z'));
const open: { sim: TryItNowSimulator; client: TryItNowApiClient }[] = [];

afterEach(async () => {
  for (const { sim, client } of open.splice(0)) {
    await client.close();
    await sim.close();
  }
});

async function setup(sim: TryItNowSimulatorOptions = {}, botKey?: string) {
  const s = await startTryItNowSimulator(sim);
  const client = createTryItNowApiClient(
    { url: s.url, apiKey: botKey ? new Secret(botKey) : undefined, timeoutMs: 2000 },
    { clock },
  );
  open.push({ sim: s, client });
  return { sim: s, client };
}

describe('TryItNowApiClient', () => {
  it('reads /health with the container mode', async () => {
    const { client } = await setup({ mode: 'docker' });
    expect(await client.health()).toEqual({ status: 'ok', mode: 'docker', httpStatus: 200 });
  });

  it('returns the 503 health answer instead of throwing', async () => {
    const { sim, client } = await setup();
    sim.setStoreAvailable(false);
    expect(await client.health()).toEqual({ status: 'unhealthy', error: 'store unavailable', httpStatus: 503 });
  });

  it('sends the API key on /api/v1 and /metrics, never on /health', async () => {
    const { sim, client } = await setup({ apiKey: 'k1' }, 'k1');
    expect(await client.poolStats()).toEqual({ ready: 9, assigned: 5, warming: 0, target: 10, capacity: 20 });
    await client.metricsText();
    await client.health();
    expect(sim.requests.map((r) => [r.path, r.status, r.sentKey])).toEqual([
      ['/api/v1/pool/stats', 200, true],
      ['/metrics', 200, true],
      ['/health', 200, false],
    ]);
  });

  it('names a missing key and a wrong key differently, both unauthorized', async () => {
    const none = await setup({ apiKey: 'k1' });
    const e1: unknown = await none.client.metricsText().catch((e: unknown) => e);
    expect(isTargetError(e1) && e1.kind).toBe('unauthorized');
    expect((e1 as Error).message).toMatch(/requires an API key .* none is configured/);
    const wrong = await setup({ apiKey: 'k1' }, 'nope');
    const e2: unknown = await wrong.client.poolStats().catch((e: unknown) => e);
    expect(isTargetError(e2) && e2.kind).toBe('unauthorized');
    expect((e2 as Error).message).toContain('rejected the API key');
    expect((e2 as Error).message).not.toContain('nope');
  });

  it('Valkey down: the stats never answer (as on the real server), and the client gives up after its timeout', async () => {
    const { sim, client } = await setup();
    sim.setStoreAvailable(false);
    const started = Date.now();
    await expect(client.poolStats()).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('serves a /metrics exposition faithful to §5.4: demo_* names, result label, sorted, no go_*', async () => {
    const { client } = await setup({ scenario: 'healthy' });
    const text = await client.metricsText();
    const expo = parseExposition(text);
    expect(expo.problems).toEqual([]);
    const names = [...expo.families.keys()];
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.startsWith('demo_'))).toBe(true);
    expect(names).toEqual([...names].sort());
    expect(text).not.toMatch(/try_it_now_|go_goroutines|process_/);
    expect(getValue(expo, 'demo_pool_ready_instances')).toBe(9);
    expect(getValue(expo, 'demo_criu_available')).toBe(0);
    expect(findSamples(expo, 'demo_provisions_total').map((s) => s.labels)).toEqual([
      { method: 'cold_start', result: 'failure' },
      { method: 'cold_start', result: 'success' },
      { method: 'criu_restore', result: 'success' },
    ]);
    const criu = findSamples(expo, 'demo_criu_restore_duration_seconds_bucket').map((s) => s.labels.le);
    expect(criu).toEqual(['0.001', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2', '+Inf']);
    expect(expo.families.get('demo_provision_duration_seconds')?.type).toBe('histogram');
  });

  it('omits labelled families without series but keeps unlabelled ones', async () => {
    const { client } = await setup({ scenario: 'pool-low' });
    const expo = parseExposition(await client.metricsText());
    // pool-low has no failed provision, yet the family stays (it has success series); unlabelled counters at 0 stay.
    expect(findSamples(expo, 'demo_provisions_total', { result: 'failure' })).toEqual([]);
    expect(expo.families.has('demo_rate_limit_hits_total')).toBe(true);
  });

  it('reports an unreachable API as unreachable, with the host', async () => {
    const { client } = await setup({ scenario: 'unreachable' });
    const err: unknown = await client.health().catch((e: unknown) => e);
    expect(isTargetError(err) && err.kind).toBe('unreachable');
    expect((err as Error).message).toMatch(
      /^GET \/health failed: connection reset by the server \(127\.0\.0\.1:\d+\)$/,
    );
  });

  it('reports a gin 404 as an api-error', async () => {
    const { sim } = await setup();
    const client = createTryItNowApiClient({ url: `${sim.url}/prefix`, timeoutMs: 2000 }, { clock });
    try {
      await expect(client.health()).rejects.toMatchObject({ kind: 'api-error', status: 404 });
    } finally {
      await client.close();
    }
  });
});
