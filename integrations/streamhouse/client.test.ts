import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/target-error.js';
import { parseExposition } from '../prometheus/parse-exposition.js';
import { createStreamhouseClient, type StreamhouseClient } from './client.js';
import { StreamhouseInstanceSchema } from './config.js';
import { PROMQL } from './metric-names.js';
import { DEAD_AGENT_ID, SAMPLE_ORG_ID } from './simulator/sample-cluster.js';
import { startStreamhouseSimulator, type StreamhouseScenario, type StreamhouseSimulator } from './simulator/index.js';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

async function setup(
  o: {
    scenario?: StreamhouseScenario;
    simKey?: string;
    key?: string;
    timeoutMs?: number;
    prometheus?: boolean;
  } = {},
): Promise<{ sim: StreamhouseSimulator; client: StreamhouseClient }> {
  const sim = await startStreamhouseSimulator({ scenario: o.scenario, apiKey: o.simKey });
  cleanups.push(() => sim.close());
  const client = clientFor(sim.url, {
    key: o.key,
    timeoutMs: o.timeoutMs,
    prometheusUrl: o.prometheus ? sim.prometheusUrl : undefined,
  });
  return { sim, client };
}

function clientFor(
  url: string,
  o: { key?: string; timeoutMs?: number; prometheusUrl?: string } = {},
): StreamhouseClient {
  const config = StreamhouseInstanceSchema.parse({
    url,
    databaseUrl: 'postgres://bot:pw@127.0.0.1:5432/streamhouse',
    organizationId: SAMPLE_ORG_ID,
    ...(o.key ? { apiKey: o.key } : {}),
    ...(o.prometheusUrl ? { prometheusUrl: o.prometheusUrl } : {}),
    timeoutMs: o.timeoutMs ?? 2000,
  });
  const client = createStreamhouseClient(config, { clock: systemClock });
  cleanups.push(() => client.close());
  return client;
}

async function failure(p: Promise<unknown>): Promise<TargetError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TargetError);
    return err as TargetError;
  }
  throw new Error('expected the call to fail');
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('StreamhouseClient against the simulator', () => {
  it('reads /health, /ready and /admin/agents', async () => {
    const { sim, client } = await setup({ scenario: 'agent-dead' });
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(await client.ready()).toEqual({ ready: true, status: 200 });
    const agents = await client.agents();
    expect(agents.map((a) => [a.agent_id, a.active_leases])).toEqual([
      ['agent-us-east-1a-01', 4],
      ['agent-us-east-1b-02', 4],
      [DEAD_AGENT_ID, 4],
    ]);
    const dead = agents.find((a) => a.agent_id === DEAD_AGENT_ID)!;
    expect(Date.now() - dead.last_heartbeat).toBeGreaterThan(200_000);
    sim.setReady(false);
    expect(await client.ready()).toEqual({ ready: false, status: 503 });
  });

  it('fetches the OpenMetrics exposition the parser reads without problems', async () => {
    const { client } = await setup({ scenario: 'circuit-open' });
    const expo = parseExposition(await client.metricsText());
    expect(expo.format).toBe('openmetrics');
    expect(expo.problems).toEqual([]);
    const errors = expo.families.get('streamhouse_producer_errors');
    expect(errors?.type).toBe('counter');
    expect(errors?.samples.length).toBeGreaterThan(0);
    expect(errors?.samples.every((s) => s.name === 'streamhouse_producer_errors_total' && s.labels.org_id)).toBe(true);
    expect(expo.families.get('streamhouse_circuit_breaker_state')?.samples).toEqual([]);
  });

  it('sends x-organization-id to the schema registry and reads subjects, versions and compatibility', async () => {
    const { sim, client } = await setup();
    expect(await client.subjects()).toEqual(['orders-value', 'payments-value', 'clicks-value']);
    expect(await client.subjectVersions('orders-value')).toEqual([1, 2, 3]);
    expect(await client.schemaVersion('orders-value', 'latest')).toMatchObject({
      version: 3,
      id: 12,
      schemaType: 'AVRO',
    });
    expect(await client.subjectCompatibility('payments-value')).toBe('FULL');
    expect(await client.subjectCompatibility('orders-value')).toBeUndefined();
    expect(await client.globalCompatibility()).toBe('BACKWARD');
    const registry = sim.requests.filter((r) => r.path.startsWith('/schemas/'));
    expect(registry.length).toBe(6);
    expect(registry.every((r) => r.organizationId === SAMPLE_ORG_ID)).toBe(true);
  });

  it('turns the registry error body into the error code, and encodes subject names', async () => {
    const { sim, client } = await setup();
    const err = await failure(client.subjectVersions('no such/subject'));
    expect(err.kind).toBe('api-error');
    expect(err.status).toBe(404);
    expect(err.code).toBe('40401');
    expect(err.message).toBe(
      'GET /schemas/subjects/no%20such%2Fsubject/versions: the schema registry answered HTTP 404 40401: Subject not found',
    );
    expect(sim.requests.at(-1)?.path).toBe('/schemas/subjects/no%20such%2Fsubject/versions');
  });

  it('sends the admin key only when configured, and reports a rejected one without revealing it', async () => {
    const { client: without } = await setup({ simKey: 'sk_live_admin' });
    const err = await failure(without.agents());
    expect(err.kind).toBe('unauthorized');
    expect(err.message).toBe("GET /admin/agents: Streamhouse rejected the bot's credentials (HTTP 401)");

    const { client: wrong } = await setup({ simKey: 'sk_live_admin', key: 'sk_live_wrong' });
    const wrongErr = await failure(wrong.agents());
    expect(wrongErr.message).not.toContain('sk_live_wrong');

    const { sim, client: right } = await setup({ simKey: 'sk_live_admin', key: 'sk_live_admin' });
    expect(await right.agents()).toHaveLength(3);
    expect(sim.requests.at(-1)?.authorized).toBe(true);
  });

  it('queries Prometheus, parsing string values including NaN', async () => {
    const { client } = await setup({ scenario: 'circuit-open', prometheus: true });
    expect(client.hasPrometheus).toBe(true);
    const errors = await client.prometheusQuery(PROMQL.producerErrorRates);
    expect(new Map(errors.series.map((s) => [s.labels.error_type, s.value]))).toEqual(
      new Map([
        ['s3_rate_limited', 0],
        ['s3_circuit_breaker', 210],
      ]),
    );
    const p99 = await client.prometheusQuery(PROMQL.s3LatencyP99);
    expect(p99.series[0]?.value).toBeNaN();
    const bad = await failure(client.prometheusQuery('up'));
    expect(bad).toMatchObject({ kind: 'api-error', status: 400, code: 'bad_data' });
  });

  it('refuses a Prometheus query when no prometheusUrl is configured', async () => {
    const { client } = await setup();
    expect(client.hasPrometheus).toBe(false);
    expect((await failure(client.prometheusQuery(PROMQL.s3RequestRate))).message).toBe(
      'Prometheus query not sent: no prometheusUrl is configured',
    );
  });
});

describe('StreamhouseClient failures', () => {
  it('times out with kind timeout', async () => {
    const { sim, client } = await setup({ timeoutMs: 150 });
    sim.setLatency(1000);
    const started = Date.now();
    const err = await failure(client.health());
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/^GET \/health timed out after 150 ms \(127\.0\.0\.1:\d+\)$/);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('reports a refused connection as unreachable', async () => {
    const client = clientFor(`http://127.0.0.1:${await closedPort()}`);
    const err = await failure(client.agents());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/^GET \/admin\/agents failed: connection refused \(127\.0\.0\.1:\d+\)$/);
    expect(err.transient).toBe(true);
  });

  it('reports a reset connection as unreachable', async () => {
    const { client } = await setup({ scenario: 'unreachable' });
    const err = await failure(client.metricsText());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/^GET \/metrics failed: connection reset by the server/);
  });

  it('never puts URL credentials in a message', async () => {
    const port = await closedPort();
    const client = clientFor(`http://admin:t0psecret@127.0.0.1:${port}`);
    const err = await failure(client.health());
    expect(err.message).not.toContain('t0psecret');
    expect(err.message).not.toContain('admin:');
  });

  it("rejects answers of the wrong shape as bad-response, and reads a standalone agent's text OK", async () => {
    // A server that is not Streamhouse: answers every route with its own body.
    const bodies: Record<string, [string, string]> = {
      '/health': ['text/plain', 'OK'],
      '/admin/agents': ['application/json', '[{"agent_id":"a"}]'],
      '/metrics': ['text/html', '<html>login</html>'],
      '/ready': ['application/json', 'not json'],
      '/schemas/config': ['application/json', 'nope'],
    };
    const server = createHttpServer((req, res) => {
      const [type, body] = bodies[req.url ?? ''] ?? ['text/plain', ''];
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const client = clientFor(`http://127.0.0.1:${(server.address() as { port: number }).port}`);

    expect(await client.health()).toEqual({ status: 'ok' });
    const agents = await failure(client.agents());
    expect(agents.kind).toBe('bad-response');
    expect(agents.message).toMatch(/^GET \/admin\/agents: Streamhouse returned an unexpected shape \(0\.address: /);
    expect((await failure(client.metricsText())).message).toBe(
      'GET /metrics: Streamhouse returned HTML instead of metrics',
    );
    expect((await failure(client.globalCompatibility())).message).toBe(
      'GET /schemas/config: the schema registry returned invalid JSON (HTTP 200)',
    );
  });
});
