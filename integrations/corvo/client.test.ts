import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock, systemClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/target-error.js';
import { createCorvoClient, type CorvoClient } from './client.js';
import { CorvoInstanceSchema } from './config.js';
import { corvoIntegration } from './index.js';
import { startCorvoSimulator, type CorvoSimulator, type CorvoSimulatorOptions } from './simulator/index.js';

const KEY = 'sk_test_7c1f0e9b2d';
const ACTIVE_JOB = 'job_1896c3a2f1e0b7d400000000a2';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function simulator(options: CorvoSimulatorOptions = {}): Promise<CorvoSimulator> {
  const sim = await startCorvoSimulator({ apiKey: KEY, ...options });
  cleanups.push(() => sim.close());
  return sim;
}

function client(url: string, fields: { apiKey?: string; timeoutMs?: number } = { apiKey: KEY }): CorvoClient {
  const config = CorvoInstanceSchema.parse({ url, ...fields });
  const c = createCorvoClient(config, { clock: systemClock });
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

describe('createCorvoClient: reads', () => {
  it('reads /healthz without needing the key', async () => {
    const sim = await simulator();
    await expect(client(sim.url, {}).healthz()).resolves.toEqual({ status: 'ok', raft_state: 'Leader', leader: true });
  });

  it('reads the single-raft cluster status with string indexes and per-bucket histograms', async () => {
    const sim = await simulator();
    const status = await client(sim.url).clusterStatus();
    if ('groups' in status) throw new Error('expected single raft');
    expect(status).toMatchObject({
      mode: 'cluster',
      state: 'Leader',
      leader_id: 'node-1',
      applied_index: '482133',
      commit_index: '482135',
      apply_pending_now: 37,
      apply_max_pending: 16384,
      sqlite_mirror: { dropped: 0, lag: 37, queue_capacity: 131072 },
      sqlite_rebuild: { ran: false },
      snapshot: { count: 2, latest_index: 480001 },
    });
    expect(status.queue_time_hist).toMatchObject({ count: 1904231, avg: '212µs', p99: '2ms' });
    expect(status.queue_time_hist?.buckets?.[0]).toEqual({ le: '50µs', count: 310022 });
    expect(status.nodes?.find((n) => n.self)).toMatchObject({ id: 'node-1', role: 'Leader' });
  });

  it('reads the multi-raft cluster status as groups', async () => {
    const sim = await simulator({ scenario: 'multi-raft' });
    const status = await client(sim.url).clusterStatus();
    if (!('groups' in status)) throw new Error('expected multi-raft');
    expect(status.mode).toBe('multi-raft');
    expect(status.shards).toBe(2);
    expect(status.groups.map((g) => g.shard)).toEqual([0, 1]);
  });

  it('reads the runtime, queues and workers', async () => {
    const sim = await simulator();
    const c = client(sim.url);
    await expect(c.runtime()).resolves.toMatchObject({ goroutines: 412, gomaxprocs: 8, gc_pause_p99_ns: 812000 });
    const queues = await c.queues();
    expect(queues.map((q) => [q.name, q.paused, q.max_concurrency, q.pending])).toEqual([
      ['emails', false, 5, 1280],
      ['webhooks', true, undefined, 0],
    ]);
    const workers = await c.workers();
    expect(workers).toHaveLength(6);
    expect(workers[0]).toMatchObject({ id: 'wkr-emails-7f9c', hostname: 'worker-3', queues: '["emails"]' });
    expect(workers.find((w) => w.hostname === '')?.queues).toBeNull();
  });

  it('returns the metrics exposition as raw text', async () => {
    const sim = await simulator();
    const text = await client(sim.url).metricsText();
    expect(text).toContain('\ncorvo_raft_apply_pending 37\n');
    expect(text).toContain('corvo_raft_queue_time_seconds_sum 403.697\n');
    expect(text.endsWith('corvo_http_requests_in_flight 1\n')).toBe(true);
  });

  it('searches jobs (rows without lease_expires_at) and reads one job (with it)', async () => {
    const sim = await simulator();
    const c = client(sim.url);
    const result = await c.searchJobs({ state: ['active'], limit: 10 });
    expect(result.total).toBe(5);
    expect(result.has_more).toBe(false);
    expect(result.jobs.map((j) => j.id)).toContain(ACTIVE_JOB);
    expect(result.jobs.every((j) => j.state === 'active' && !('lease_expires_at' in j))).toBe(true);
    const job = await c.getJob(ACTIVE_JOB);
    expect(job).toMatchObject({ id: ACTIVE_JOB, state: 'active', worker_id: 'wkr-emails-7f9c' });
    expect(Date.parse(job.lease_expires_at ?? '')).toBeGreaterThan(Date.now());
  });

  it('reads an empty search (`"jobs":null` in Corvo) as an empty list', async () => {
    const sim = await simulator();
    const result = await client(sim.url).searchJobs({ queue: 'no-such-queue' });
    expect(result).toMatchObject({ jobs: [], total: 0, has_more: false });
  });

  it('pages search results with the cursor', async () => {
    const sim = await simulator();
    const c = client(sim.url);
    const first = await c.searchJobs({ state: ['active'], limit: 2 });
    expect(first).toMatchObject({ total: 5, has_more: true });
    const second = await c.searchJobs({ state: ['active'], limit: 2, cursor: first.cursor });
    expect(second.jobs.map((j) => j.id)).not.toContain(first.jobs[0]?.id);
    expect(second.jobs).toHaveLength(2);
  });
});

describe('createCorvoClient: remediations change what the next read sees', () => {
  it('rebuilds SQLite and the mirror stops reporting drops', async () => {
    const sim = await simulator({ scenario: 'sqlite-diverged' });
    const c = client(sim.url);
    const before = await c.clusterStatus();
    expect('sqlite_mirror' in before && before.sqlite_mirror?.dropped).toBe(1842);
    await expect(c.rebuildSqlite()).resolves.toEqual({ status: 'ok', rebuilt: true, duration_ms: 1234 });
    const after = await c.clusterStatus();
    expect('sqlite_mirror' in after && after.sqlite_mirror?.dropped).toBe(0);
    expect('sqlite_rebuild' in after && after.sqlite_rebuild).toMatchObject({ ran: true, last_success: true });
  });

  it('pauses, resumes, limits, throttles and clears a queue', async () => {
    const sim = await simulator();
    const c = client(sim.url);
    const emails = async () => (await c.queues()).find((q) => q.name === 'emails');

    await expect(c.pauseQueue('emails')).resolves.toEqual({ status: 'paused' });
    expect((await emails())?.paused).toBe(true);
    await expect(c.resumeQueue('emails')).resolves.toEqual({ status: 'resumed' });
    expect((await emails())?.paused).toBe(false);

    await expect(c.setConcurrency('emails', 2)).resolves.toEqual({ status: 'ok' });
    expect((await emails())?.max_concurrency).toBe(2);
    await c.setConcurrency('emails', 0);
    expect((await emails())?.max_concurrency).toBeUndefined();

    await expect(c.setThrottle('emails', 10, 60000)).resolves.toEqual({ status: 'ok' });
    expect(await emails()).toMatchObject({ rate_limit: 10, rate_window_ms: 60000 });
    await expect(c.removeThrottle('emails')).resolves.toEqual({ status: 'ok' });
    expect((await emails())?.rate_limit).toBeUndefined();

    await expect(c.clearQueue('emails')).resolves.toEqual({ status: 'cleared' });
    expect(await emails()).toMatchObject({ pending: 0, scheduled: 0 });

    expect(sim.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /api/v1/queues/emails/pause',
      'POST /api/v1/queues/emails/resume',
      'POST /api/v1/queues/emails/concurrency',
      'POST /api/v1/queues/emails/concurrency',
      'POST /api/v1/queues/emails/throttle',
      'DELETE /api/v1/queues/emails/throttle',
      'POST /api/v1/queues/emails/clear',
    ]);
    expect(sim.calls[4]?.body).toEqual({ rate: 10, window_ms: 60000 });
  });

  it('retries a dead job and cancels an active one', async () => {
    const sim = await simulator();
    const c = client(sim.url);
    const dead = (await c.searchJobs({ state: ['dead'] })).jobs[0];
    if (!dead) throw new Error('no dead job in the healthy scenario');
    await expect(c.retryJob(dead.id)).resolves.toEqual({ status: 'retried' });
    expect((await c.getJob(dead.id)).state).toBe('pending');
    await expect(c.cancelJob(ACTIVE_JOB)).resolves.toEqual({ status: 'cancelling' });
    expect((await c.getJob(ACTIVE_JOB)).state).toBe('cancelled');
  });

  it('URL-encodes path segments', async () => {
    const sim = await simulator();
    const c = client(sim.url);
    await c.pauseQueue('bulk mail?x=1');
    expect(sim.calls[0]?.path).toBe('/api/v1/queues/bulk%20mail%3Fx%3D1/pause');
    expect((await c.queues()).find((q) => q.name === 'bulk mail?x=1')?.paused).toBe(true);
  });

  it('refuses to send an empty id or a non-integer limit, without calling Corvo', async () => {
    const sim = await simulator();
    const c = client(sim.url);
    const empty = await failure(c.retryJob(''));
    expect(empty).toMatchObject({ kind: 'api-error', code: 'VALIDATION_ERROR' });
    const nan = await failure(c.setConcurrency('emails', Number.NaN));
    expect(nan.message).toContain('max must be an integer');
    expect(sim.calls).toHaveLength(0);
  });
});

describe('createCorvoClient: every failure is a chat-safe TargetError', () => {
  it('times out with the configured timeout', async () => {
    const sim = await simulator({ latencyMs: 1000 });
    const err = await failure(client(sim.url, { apiKey: KEY, timeoutMs: 100 }).clusterStatus());
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe('GET /api/v1/cluster/status timed out after 100 ms');
    expect(err.transient).toBe(true);
  });

  it("honours the caller's abort signal", async () => {
    const sim = await simulator({ latencyMs: 1000 });
    const controller = new AbortController();
    const pending = client(sim.url).queues({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const err = await failure(pending);
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe('GET /api/v1/queues was cancelled before Corvo answered');
    const already = await failure(client(sim.url).queues({ signal: AbortSignal.abort() }));
    expect(already.message).toContain('cancelled');
  });

  it('reports a refused connection as unreachable', async () => {
    const sim = await startCorvoSimulator();
    const url = sim.url;
    await sim.close();
    const err = await failure(client(url).healthz());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe(`GET /healthz failed: connection refused (${new URL(url).host})`);
  });

  it('reports a reset connection as unreachable', async () => {
    const sim = await simulator({ scenario: 'unreachable' });
    const err = await failure(client(sim.url).clusterStatus());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain('GET /api/v1/cluster/status failed: connection reset by the server');
  });

  it('reports a DNS failure as unreachable', async () => {
    const err = await failure(client('http://corvo.invalid:8080').healthz());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe('GET /healthz failed: DNS lookup failed (corvo.invalid:8080)');
  });

  it('reports a wrong key as unauthorized, without ever printing the key', async () => {
    const sim = await simulator();
    const wrongKey = 'sk_wrong_4f8a91c3e2';
    const err = await failure(client(`${sim.url}`, { apiKey: wrongKey }).queues());
    expect(err.kind).toBe('unauthorized');
    expect(err.status).toBe(401);
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toBe('GET /api/v1/queues: Corvo rejected the API key (401 invalid API key)');
    expect(inspect(err, { depth: 5 })).not.toContain(wrongKey);
    expect(JSON.stringify(err)).not.toContain(wrongKey);
  });

  it('says when a key is required and none is configured', async () => {
    const sim = await simulator();
    const err = await failure(client(sim.url, {}).queues());
    expect(err.kind).toBe('unauthorized');
    expect(err.message).toBe(
      'GET /api/v1/queues: Corvo requires an API key and none is configured (401 missing API key)',
    );
  });

  it('never puts URL credentials in a message', async () => {
    const sim = await simulator({ latencyMs: 1000 });
    const withCreds = sim.url.replace('http://', 'http://ops:hunter2@');
    const err = await failure(client(withCreds, { apiKey: KEY, timeoutMs: 50 }).queues());
    expect(err.message).not.toContain('hunter2');
    const refused = await failure(client('http://ops:hunter2@127.0.0.1:1').healthz());
    expect(refused.message).not.toContain('hunter2');
    expect(refused.message).toContain('(127.0.0.1:1)');
  });

  it('reports a role that may not write as forbidden', async () => {
    const sim = await simulator({ apiKeys: { sk_readonly_01: 'readonly' } });
    const c = client(sim.url, { apiKey: 'sk_readonly_01' });
    await expect(c.queues()).resolves.toHaveLength(2);
    const err = await failure(c.pauseQueue('emails'));
    expect(err).toMatchObject({ kind: 'forbidden', status: 403, code: 'FORBIDDEN' });
    expect(err.message).toContain('POST /api/v1/queues/emails/pause');
    expect(err.message).toContain('insufficient role permissions');
  });

  it('reports OVERLOADED as rate-limited with the retry hint of the envelope', async () => {
    const sim = await simulator({ scenario: 'apply-overloaded' });
    const err = await failure(client(sim.url).pauseQueue('emails'));
    expect(err).toMatchObject({ kind: 'rate-limited', status: 429, code: 'OVERLOADED', retryAfterMs: 11 });
    expect(err.message).toBe(
      'POST /api/v1/queues/emails/pause: Corvo is overloaded (429 OVERLOADED: raft apply overloaded: pending queue is full); retry after 11 ms',
    );
  });

  it('falls back to the Retry-After header when the envelope has no retry_after_ms', async () => {
    const sim = await simulator();
    sim.failNext('/api/v1/queues', 429, { error: 'rate limit exceeded', code: 'RATE_LIMITED' });
    const err = await failure(client(sim.url).queues());
    expect(err).toMatchObject({ kind: 'rate-limited', code: 'RATE_LIMITED', retryAfterMs: 1000 });
    expect(err.message).toContain('Corvo is rate-limiting the bot');
  });

  it('carries the Corvo code of other errors (400 RETRY_ERROR)', async () => {
    const sim = await simulator();
    const err = await failure(client(sim.url).retryJob(ACTIVE_JOB));
    expect(err).toMatchObject({ kind: 'api-error', status: 400, code: 'RETRY_ERROR' });
    expect(err.message).toBe(
      `POST /api/v1/jobs/${ACTIVE_JOB}/retry: Corvo answered 400 RETRY_ERROR: job "${ACTIVE_JOB}" cannot be retried from state "active"`,
    );
    expect(err.transient).toBe(false);
  });

  it('reports 503 LEADER_UNAVAILABLE and 503 UNHEALTHY as api errors', async () => {
    const sim = await simulator({ scenario: 'no-leader' });
    const c = client(sim.url);
    const write = await failure(c.rebuildSqlite());
    expect(write).toMatchObject({ kind: 'api-error', status: 503, code: 'LEADER_UNAVAILABLE' });
    sim.failNext('/healthz', 503, { error: 'database unavailable', code: 'UNHEALTHY' });
    const health = await failure(c.healthz());
    expect(health).toMatchObject({ kind: 'api-error', status: 503, code: 'UNHEALTHY' });
    expect(health.message).toBe('GET /healthz: Corvo answered 503 UNHEALTHY: database unavailable');
  });

  it('reports a 500 from rebuild-sqlite with its code', async () => {
    const sim = await simulator();
    sim.failNext('/api/v1/admin/rebuild-sqlite', 500, { error: 'rebuild failed: disk full', code: 'INTERNAL_ERROR' });
    const err = await failure(client(sim.url).rebuildSqlite());
    expect(err).toMatchObject({ kind: 'api-error', status: 500, code: 'INTERNAL_ERROR' });
  });

  it('reports invalid JSON as bad-response', async () => {
    const url = await fixedServer(200, 'application/json', '{"status":"ok","raft_state":');
    const err = await failure(client(url).healthz());
    expect(err.kind).toBe('bad-response');
    expect(err.message).toBe('GET /healthz returned invalid JSON (HTTP 200)');
  });

  it('reports a JSON answer of the wrong shape as bad-response, naming the field', async () => {
    const url = await fixedServer(200, 'application/json', '{"status":"ok","raft_state":"Leader","leader":"yes"}');
    const err = await failure(client(url).healthz());
    expect(err.kind).toBe('bad-response');
    expect(err.message).toMatch(/^GET \/healthz returned an unexpected shape \(leader: /);
  });

  it('reports a proxy error page as an api error without echoing it', async () => {
    const url = await fixedServer(502, 'text/html', '<html><body>Bad Gateway secret-upstream:9000</body></html>');
    const err = await failure(client(url).queues());
    expect(err).toMatchObject({ kind: 'api-error', status: 502 });
    expect(err.code).toBeUndefined();
    expect(err.message).toBe('GET /api/v1/queues: Corvo answered HTTP 502, no Corvo error envelope');
  });

  it('reports an HTML page instead of the exposition as bad-response', async () => {
    const url = await fixedServer(200, 'text/html; charset=utf-8', '<html>login</html>');
    const err = await failure(client(url).metricsText());
    expect(err.kind).toBe('bad-response');
  });

  it('fails cleanly after close()', async () => {
    const sim = await simulator();
    const c = client(sim.url);
    await c.healthz();
    await c.close();
    const err = await failure(c.healthz());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe('GET /healthz not sent: the Corvo client was closed');
  });
});

describe('corvoIntegration', () => {
  it('parses an instance and builds a working client', async () => {
    const sim = await simulator();
    expect(corvoIntegration).toMatchObject({ id: 'corvo', displayName: 'Corvo' });
    const config = corvoIntegration.instanceSchema.parse({ url: sim.url, apiKey: KEY });
    expect(config.timeoutMs).toBe(5000);
    expect(String(config.apiKey)).toBe('[redacted]');
    const { corvo } = corvoIntegration.createClients(config, { clock: fixedClock(0) });
    cleanups.push(() => corvo.close());
    await expect(corvo.queues()).resolves.toHaveLength(2);
  });
});
