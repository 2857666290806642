import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HealthSchema, ReadySchema, SloSchema, UsageSchema } from './schemas.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

describe('KyroDB schemas against the §2.3 samples', () => {
  it('reads the unhealthy and degraded /health samples with their reasons', () => {
    expect(HealthSchema.parse(fixture('health-unhealthy.json'))).toEqual({
      status: 'unhealthy',
      reason: 'P99 latency 15234000ns exceeds SLO; Cache hit rate 35.20% below SLO',
      uptime_seconds: 86012,
    });
    expect(HealthSchema.parse(fixture('health-degraded-wal.json'))).toMatchObject({ status: 'degraded' });
  });

  it('rejects an unknown status and a degraded answer without a reason', () => {
    expect(HealthSchema.safeParse({ status: 'ok', uptime_seconds: 1 }).success).toBe(false);
    expect(HealthSchema.safeParse({ status: 'degraded', uptime_seconds: 1 }).success).toBe(false);
    expect(HealthSchema.safeParse({ status: 'starting', uptime_seconds: -1 }).success).toBe(false);
  });

  it('reads /ready and /slo, and refuses a hit rate given as a percentage', () => {
    expect(ReadySchema.parse(fixture('ready.json'))).toEqual({ ready: true, status: 'ready' });
    const slo = SloSchema.parse(fixture('slo-p99-breach.json'));
    expect(slo.current_metrics.p99_latency_ns).toBe(15_234_000);
    const percent = structuredClone(fixture('slo-p99-breach.json')) as { current_metrics: { cache_hit_rate: number } };
    percent.current_metrics.cache_hit_rate = 74.12;
    expect(SloSchema.safeParse(percent).success).toBe(false);
  });

  it('real KyroDB: accepts /slo past 1 (error_rate 1.142857, availability 5.27e16) instead of going inconclusive', () => {
    const overflow = structuredClone(fixture('slo-p99-breach.json')) as {
      current_metrics: { error_rate: number; availability: number };
    };
    overflow.current_metrics.error_rate = 1.142857;
    overflow.current_metrics.availability = 52_704_983_067_741_580;
    expect(SloSchema.parse(overflow).current_metrics).toMatchObject({ error_rate: 1.142857 });
    overflow.current_metrics.error_rate = -1;
    expect(SloSchema.safeParse(overflow).success).toBe(false);
  });

  it('reads a /usage answer', () => {
    const usage = UsageSchema.parse({
      generated_at: 1771660800,
      totals: { query_count: 10, vector_count: 5, storage_bytes: 1024, billable_events: 15 },
      tenants: [
        {
          tenant_id: 't1',
          query_count: 10,
          insert_count: 5,
          delete_count: 0,
          vector_count: 5,
          storage_bytes: 1024,
          storage_mb: 0,
          storage_gb: 0,
          billable_events: 15,
        },
      ],
    });
    expect(usage.tenants).toHaveLength(1);
  });
});
