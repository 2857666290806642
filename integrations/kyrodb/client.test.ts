import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock, systemClock } from '../../src/core/clock.js';
import { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import { createKyroClient, type KyroClient } from './client.js';
import { KyroInstanceSchema } from './config.js';
import { kyrodbIntegration } from './index.js';
import { startKyroSimulator, type KyroSimulator, type KyroSimulatorOptions } from './simulator/index.js';

const KEY = 'kdb_live_5b1e7c2a9f';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function simulator(options: KyroSimulatorOptions = {}): Promise<KyroSimulator> {
  const sim = await startKyroSimulator(options);
  cleanups.push(() => sim.close());
  return sim;
}

function client(url: string, fields: { apiKey?: string; timeoutMs?: number } = {}): KyroClient {
  const config = KyroInstanceSchema.parse({ url, ...fields });
  const c = createKyroClient(config, { clock: systemClock });
  cleanups.push(() => c.close());
  return c;
}

async function failure(promise: Promise<unknown>): Promise<TargetError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(TargetError);
    return err as TargetError;
  }
  throw new Error('expected the call to fail');
}

/** A loopback server answering every request with a fixed status, content type and body. */
async function fixedServer(status: number, contentType: string, body: string): Promise<string> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('KyroInstanceSchema', () => {
  it('defaults the timeout to 5000 ms and wraps the key as a Secret', () => {
    const config = KyroInstanceSchema.parse({ url: 'http://10.0.0.21:51051', apiKey: KEY });
    expect(config.timeoutMs).toBe(5000);
    expect(config.apiKey).toBeInstanceOf(Secret);
    expect(config.apiKey?.reveal()).toBe(KEY);
    expect(JSON.stringify(config)).not.toContain(KEY);
  });

  it('rejects a non-HTTP url and a zero timeout', () => {
    expect(KyroInstanceSchema.safeParse({ url: 'grpc://10.0.0.21:50051' }).success).toBe(false);
    expect(KyroInstanceSchema.safeParse({ url: 'http://10.0.0.21:51051', timeoutMs: 0 }).success).toBe(false);
  });
});

describe('createKyroClient: reads', () => {
  it('reads /health healthy (200) and exposes the origin without credentials', async () => {
    const sim = await simulator();
    const c = client(sim.url);
    await expect(c.health()).resolves.toEqual({ status: 'healthy', uptime_seconds: 86012 });
    expect(c.origin).toBe(sim.url);
    const port = new URL(sim.url).port;
    expect(client(`http://ops:pw@127.0.0.1:${port}/`).origin).toBe(`http://127.0.0.1:${port}`);
  });

  it('reads /health degraded (200) with its reason', async () => {
    const sim = await simulator({ scenario: 'degraded-latency' });
    await expect(client(sim.url).health()).resolves.toEqual({
      status: 'degraded',
      reason: 'P99 latency 15234000ns exceeds SLO',
      uptime_seconds: 18000,
    });
  });

  it('returns the 503 answers of /health (starting, unhealthy) instead of throwing', async () => {
    const sim = await simulator({ scenario: 'starting' });
    await expect(client(sim.url).health()).resolves.toEqual({ status: 'starting', uptime_seconds: 4 });
    sim.setScenario('unhealthy-wal');
    await expect(client(sim.url).health()).resolves.toEqual({
      status: 'unhealthy',
      reason: 'WAL inconsistent; writes disabled',
      uptime_seconds: 7200,
    });
  });

  it('reads /ready both ways (200 ready, 503 not_ready)', async () => {
    const sim = await simulator();
    await expect(client(sim.url).ready()).resolves.toEqual({ ready: true, status: 'ready' });
    sim.setScenario('unhealthy-wal');
    await expect(client(sim.url).ready()).resolves.toEqual({ ready: false, status: 'not_ready' });
  });

  it('reads /slo with latencies in ns and rates as fractions', async () => {
    const sim = await simulator({ scenario: 'degraded-latency' });
    const slo = await client(sim.url).slo();
    expect(slo.slo_breaches).toEqual({
      p99_latency: true,
      cache_hit_rate: false,
      error_rate: false,
      availability: false,
    });
    expect(slo.current_metrics.p99_latency_ns).toBe(15_234_000);
    expect(slo.slo_thresholds).toEqual({
      p99_latency_ns: 10_000_000,
      min_cache_hit_rate: 0.7,
      max_error_rate: 0.001,
      min_availability: 0.999,
      min_samples: 100,
    });
  });

  it('returns the metrics exposition as raw text', async () => {
    const sim = await simulator({ scenario: 'unhealthy-wal' });
    const text = await client(sim.url).metricsText();
    // Like the real server, the breaker gauge reads 0 even with the WAL inconsistent (real-systems.md KyroDB 1).
    expect(text).toContain('\nkyrodb_wal_circuit_breaker_state 0\n');
    expect(text).toContain('kyrodb_query_latency_ns{percentile="99"} 4870000\n');
  });

  it('reads /usage with the key, and reports "usage tracking disabled" as an api error', async () => {
    const secured = await simulator({ apiKey: KEY });
    const usage = await client(secured.url, { apiKey: KEY }).usage('self');
    expect(usage.totals.query_count).toBe(1_843_321);
    expect(usage.tenants.map((t) => t.tenant_id)).toEqual(['tenant-ops']);
    expect(secured.requests.at(-1)?.path).toBe('/usage?scope=self');

    const open = await simulator();
    const err = await failure(client(open.url).usage());
    expect(err).toMatchObject({ kind: 'api-error', status: 404 });
    expect(err.message).toBe('GET /usage: KyroDB answered HTTP 404: usage tracking disabled (auth.enabled=false)');
  });

  it('only ever sends GET requests', async () => {
    const sim = await simulator();
    const c = client(sim.url);
    await Promise.all([c.health(), c.ready(), c.slo(), c.metricsText()]);
    expect(sim.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /health',
      'GET /metrics',
      'GET /ready',
      'GET /slo',
    ]);
  });
});

describe('createKyroClient: every failure is a chat-safe TargetError', () => {
  it('times out with the configured timeout', async () => {
    const sim = await simulator({ latencyMs: 1000 });
    const err = await failure(client(sim.url, { timeoutMs: 100 }).health());
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe('GET /health timed out after 100 ms');
    expect(err.transient).toBe(true);
  });

  it("honours the caller's abort signal", async () => {
    const sim = await simulator({ latencyMs: 1000 });
    const controller = new AbortController();
    const pending = client(sim.url).slo({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const err = await failure(pending);
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe('GET /slo was cancelled before KyroDB answered');
  });

  it('reports a refused connection as unreachable', async () => {
    const sim = await startKyroSimulator();
    const url = sim.url;
    await sim.close();
    const err = await failure(client(url).health());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe(`GET /health failed: connection refused (${new URL(url).host})`);
  });

  it('reports a reset connection (scenario unreachable) as unreachable', async () => {
    const sim = await simulator({ scenario: 'unreachable' });
    const err = await failure(client(sim.url).metricsText());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe(`GET /metrics failed: connection reset by the server (${new URL(sim.url).host})`);
  });

  it('reports the plain-text 401 as unauthorized, naming the body and never the key', async () => {
    const sim = await simulator({ apiKey: KEY, observabilityAuth: 'metrics_and_slo' });
    const wrong = 'kdb_wrong_0c4d2e';
    const c = client(sim.url, { apiKey: wrong });
    await expect(c.health()).resolves.toMatchObject({ status: 'healthy' });
    const err = await failure(c.metricsText());
    expect(err).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(err.message).toBe('GET /metrics: KyroDB rejected the API key (401 unauthorized)');
    expect(inspect(err, { depth: 5 })).not.toContain(wrong);
    expect(JSON.stringify(err)).not.toContain(wrong);
  });

  it('says when a key is required and none is configured', async () => {
    const sim = await simulator({ apiKey: KEY, observabilityAuth: 'all' });
    const err = await failure(client(sim.url).health());
    expect(err.kind).toBe('unauthorized');
    expect(err.message).toBe(
      'GET /health: KyroDB requires an API key (server.observability_auth) and none is configured (401 unauthorized)',
    );
  });

  it('sends the key as x-api-key, which the server accepts', async () => {
    const sim = await simulator({ apiKey: KEY, observabilityAuth: 'all' });
    await expect(client(sim.url, { apiKey: KEY }).slo()).resolves.toHaveProperty('slo_breaches');
  });

  it('reports a 503 without a KyroDB health body (a proxy) as an api error', async () => {
    const url = await fixedServer(503, 'text/html', '<html><body>Service Unavailable</body></html>');
    const err = await failure(client(url).health());
    expect(err).toMatchObject({ kind: 'api-error', status: 503 });
    expect(err.message).toBe('GET /health: KyroDB answered HTTP 503');
  });

  it('reports a health status sent with the wrong HTTP code as bad-response', async () => {
    const url = await fixedServer(200, 'application/json', '{"status":"unhealthy","reason":"x","uptime_seconds":1}');
    const err = await failure(client(url).health());
    expect(err.kind).toBe('bad-response');
    expect(err.message).toBe('GET /health answered status "unhealthy" with HTTP 200 (KyroDB sends 503)');
  });

  it('reports invalid JSON as bad-response', async () => {
    const url = await fixedServer(200, 'application/json', '{"slo_breaches":');
    const err = await failure(client(url).slo());
    expect(err).toMatchObject({ kind: 'bad-response', status: 200 });
    expect(err.message).toBe('GET /slo returned invalid JSON (HTTP 200)');
  });

  it('reports a JSON answer of the wrong shape as bad-response, naming the field', async () => {
    const url = await fixedServer(200, 'application/json', '{"status":"sleeping","uptime_seconds":1}');
    const err = await failure(client(url).health());
    expect(err.kind).toBe('bad-response');
    expect(err.message).toMatch(/^GET \/health returned an unexpected shape \(status: /);
  });

  it('reports an HTML page instead of the exposition as bad-response', async () => {
    const url = await fixedServer(200, 'text/html; charset=utf-8', '<html>login</html>');
    const err = await failure(client(url).metricsText());
    expect(err.kind).toBe('bad-response');
    expect(err.message).toBe('GET /metrics returned HTML instead of text (HTTP 200)');
  });

  it('does not echo a long error page', async () => {
    const url = await fixedServer(
      502,
      'text/plain',
      'upstream connect error or disconnect/reset before headers. x'.repeat(3),
    );
    const err = await failure(client(url).slo());
    expect(err.message).toBe('GET /slo: KyroDB answered HTTP 502');
  });

  it('never puts URL credentials in a message', async () => {
    const refused = await failure(client('http://ops:hunter2@127.0.0.1:1').health());
    expect(refused.message).not.toContain('hunter2');
    expect(refused.message).toContain('(127.0.0.1:1)');
  });

  it('fails cleanly after close()', async () => {
    const sim = await simulator();
    const c = createKyroClient(KyroInstanceSchema.parse({ url: sim.url }), { clock: systemClock });
    await c.health();
    await c.close();
    const err = await failure(c.health());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe('GET /health not sent: the KyroDB client was closed');
  });
});

describe('kyrodbIntegration', () => {
  it('parses an instance and builds a working client', async () => {
    const sim = await simulator({ scenario: 'cache-thrash' });
    expect(kyrodbIntegration).toMatchObject({ id: 'kyrodb', displayName: 'KyroDB' });
    const config = kyrodbIntegration.instanceSchema.parse({ url: sim.url });
    const { kyrodb } = kyrodbIntegration.createClients(config, { clock: fixedClock(0) });
    cleanups.push(() => kyrodb.close());
    await expect(kyrodb.health()).resolves.toMatchObject({
      status: 'degraded',
      reason: 'Cache hit rate 35.20% below SLO',
    });
  });
});
