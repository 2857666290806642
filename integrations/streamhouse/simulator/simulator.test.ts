import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition } from '../../prometheus/parse-exposition.js';
import { getHistogram, getValue } from '../../prometheus/query.js';
import { NEVER_UPDATED_RUNBOOK_METRICS, PROMQL } from '../metric-names.js';
import { SAMPLE_ORG_ID } from './sample-cluster.js';
import { STREAMHOUSE_SCENARIOS, startStreamhouseSimulator, type StreamhouseSimulator } from './index.js';

let sim: StreamhouseSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

let t = 1_774_373_400_000;
const clock = { now: () => t };

async function get(path: string, headers: Record<string, string> = {}, base?: string) {
  const res = await fetch(`${base ?? sim!.url}${path}`, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

describe('Streamhouse simulator', () => {
  it('prints prometheus-client OpenMetrics: bare TYPE names, _total samples, org_id, HELP with a dot, # EOF', async () => {
    sim = await startStreamhouseSimulator({ clock });
    const res = await get('/metrics');
    expect(res.type).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const lines = res.text.trimEnd().split('\n');
    expect(lines[0]).toBe('# HELP streamhouse_producer_records Total records produced.');
    expect(lines[1]).toBe('# TYPE streamhouse_producer_records counter');
    expect(lines.at(-1)).toBe('# EOF');
    expect(res.text).toContain(
      `streamhouse_producer_errors_total{org_id="${SAMPLE_ORG_ID}",topic="orders",error_type="s3_rate_limited"} 42`,
    );
    expect(res.text).toMatch(/streamhouse_s3_latency_seconds_bucket\{le="1\.0",org_id="[^"]+",operation="PUT"\} \d+/);
    const expo = parseExposition(res.text);
    expect(expo.problems).toEqual([]);
    // Every runbook alert family is registered and prints no sample.
    for (const m of NEVER_UPDATED_RUNBOOK_METRICS) {
      expect(expo.families.get(m.family)?.samples, m.family).toEqual([]);
    }
    // Every sample except the process-wide gauges carries org_id.
    const unlabelled = new Set([
      'streamhouse_cache_size_bytes',
      'streamhouse_agents_active',
      'streamhouse_uptime_seconds',
    ]);
    for (const family of expo.families.values()) {
      for (const s of family.samples)
        if (!unlabelled.has(family.name)) expect(s.labels.org_id, s.name).toBe(SAMPLE_ORG_ID);
    }
  });

  it('grows counters and histograms with the injected clock, at the scenario rates', async () => {
    sim = await startStreamhouseSimulator({ clock, scenario: 'rate-limited' });
    const first = parseExposition((await get('/metrics')).text);
    t += 10_000;
    const second = parseExposition((await get('/metrics')).text);
    const limited = { error_type: 's3_rate_limited' };
    expect(
      getValue(second, 'streamhouse_producer_errors_total', limited)! -
        getValue(first, 'streamhouse_producer_errors_total', limited)!,
    ).toBe(800);
    expect(getValue(second, 'streamhouse_uptime_seconds')! - getValue(first, 'streamhouse_uptime_seconds')!).toBe(10);
    const h1 = getHistogram(first, 'streamhouse_s3_latency_seconds')!;
    const h2 = getHistogram(second, 'streamhouse_s3_latency_seconds')!;
    expect(h2.count! - h1.count!).toBe(200);
    // Buckets stay cumulative.
    for (let i = 1; i < h2.buckets.length; i++)
      expect(h2.buckets[i]!.count).toBeGreaterThanOrEqual(h2.buckets[i - 1]!.count);
  });

  it('enforces x-organization-id on subject routes with the registry error body, not on the global config', async () => {
    sim = await startStreamhouseSimulator({ clock });
    const missing = await get('/schemas/subjects');
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text)).toEqual({ error_code: 400, message: 'Missing x-organization-id header' });
    expect((await get('/schemas/config')).status).toBe(200);
    const other = await get('/schemas/subjects', { 'x-organization-id': '11111111-1111-1111-1111-111111111111' });
    expect(JSON.parse(other.text)).toEqual([]);
  });

  it('applies PUT /schemas/config/{subject}', async () => {
    sim = await startStreamhouseSimulator({ clock });
    const res = await fetch(`${sim.url}/schemas/config/clicks-value`, {
      method: 'PUT',
      headers: { 'x-organization-id': SAMPLE_ORG_ID, 'content-type': 'application/json' },
      body: JSON.stringify({ compatibility: 'none' }),
    });
    expect(res.status).toBe(200);
    const after = await get('/schemas/config/clicks-value', { 'x-organization-id': SAMPLE_ORG_ID });
    expect(JSON.parse(after.text)).toEqual({ compatibilityLevel: 'NONE' });
  });

  it("answers the bot's PromQL from the same model, and 400 bad_data for anything else", async () => {
    sim = await startStreamhouseSimulator({ clock, scenario: 's3-errors' });
    const ok = await get(`/api/v1/query?query=${encodeURIComponent(PROMQL.s3ErrorRates)}`, {}, sim.prometheusUrl);
    const body = JSON.parse(ok.text);
    expect(body.status).toBe('success');
    expect(body.data.result).toEqual([
      { metric: { error_type: 'retry' }, value: [t / 1000, '0.8'] },
      { metric: { error_type: 'failed' }, value: [t / 1000, '0.4'] },
    ]);
    const bad = await get('/api/v1/query?query=up', {}, sim.prometheusUrl);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ status: 'error', errorType: 'bad_data' });
  });

  it('lists every scenario of the brief', () => {
    expect(STREAMHOUSE_SCENARIOS).toEqual([
      'healthy',
      'circuit-open',
      'rate-limited',
      's3-errors',
      'consumer-lag',
      'agent-dead',
      'unreachable',
    ]);
  });
});
