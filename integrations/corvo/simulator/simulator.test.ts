import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock, type Clock } from '../../../src/core/clock.js';
import { startCorvoSimulator, type CorvoSimulator, type CorvoSimulatorOptions } from './index.js';

/** The Unix time of the §1.7 sample's `corvo_scheduler_last_promote_seconds`, in ms. */
const SAMPLE_NOW = 1771668902_000;
const KEY = 'sk_sim_3b9e';
const ACTIVE_JOB = 'job_1896c3a2f1e0b7d400000000a2';

const sims: CorvoSimulator[] = [];
afterEach(async () => {
  while (sims.length > 0) await sims.pop()?.close();
});

async function start(options: CorvoSimulatorOptions = {}): Promise<CorvoSimulator> {
  const sim = await startCorvoSimulator({ clock: fixedClock(SAMPLE_NOW), apiKey: KEY, ...options });
  sims.push(sim);
  return sim;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

async function call(
  sim: CorvoSimulator,
  method: 'GET' | 'POST' | 'DELETE' | 'PUT',
  path: string,
  options: { body?: string; headers?: Record<string, string>; key?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? KEY : options.key;
  if (key !== null) headers['x-api-key'] = key;
  const res = await request(`${sim.url}${path}`, { method, headers, body: options.body });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

async function status(sim: CorvoSimulator): Promise<Record<string, unknown>> {
  return (await call(sim, 'GET', '/api/v1/cluster/status')).json as Record<string, unknown>;
}

async function metrics(sim: CorvoSimulator): Promise<string> {
  return (await call(sim, 'GET', '/api/v1/metrics')).text;
}

/** The value of the one sample line `name{labels} value`, as text. */
function sample(text: string, series: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line?.slice(series.length + 1);
}

/** p99 upper bound from a cumulative `_bucket` series. */
function p99FromExposition(text: string, name: string): number {
  const buckets = text
    .split('\n')
    .filter((l) => l.startsWith(`${name}_bucket{`))
    .map((l) => {
      const m = /le="([^"]+)"\} (\d+)$/.exec(l);
      return { le: m?.[1] === '+Inf' ? Infinity : Number(m?.[1]), count: Number(m?.[2]) };
    });
  const total = buckets.at(-1)?.count ?? 0;
  return buckets.find((b) => b.count >= 0.99 * total)?.le ?? NaN;
}

describe('simulator exposition', () => {
  it('prints the §1.7 exposition on a fresh healthy node (golden file)', async () => {
    const sim = await start();
    const golden = await readFile(new URL('./__golden__/healthy-metrics.txt', import.meta.url), 'utf8');
    const res = await call(sim, 'GET', '/api/v1/metrics');
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toBe(golden);
  });

  it('prints the five corvo_http_* HELP/TYPE pairs together, then interleaved samples with :id routes', async () => {
    const sim = await start();
    await call(sim, 'GET', `/api/v1/jobs/${ACTIVE_JOB}`);
    await call(sim, 'GET', '/api/v1/queues', { key: 'wrong' });
    const text = await metrics(sim);
    const lines = text.split('\n');
    const first = lines.indexOf('# HELP corvo_http_requests_total HTTP requests received.');
    expect(lines.slice(first, first + 10).every((l) => l.startsWith('# '))).toBe(true);
    expect(lines[first + 10]).toMatch(/^corvo_http_requests_total\{/);
    expect(sample(text, 'corvo_http_requests_total{method="GET",route="/api/v1/jobs/:id"}')).toBe('1');
    // The wrong key was counted, as an error, on top of the sample's 120.
    expect(sample(text, 'corvo_http_requests_total{method="GET",route="/api/v1/queues"}')).toBe('121');
    expect(sample(text, 'corvo_http_request_errors_total{method="GET",route="/api/v1/queues"}')).toBe('1');
    expect(lines.filter((l) => l.startsWith('corvo_http_requests_in_flight '))).toEqual([
      'corvo_http_requests_in_flight 1',
    ]);
  });

  it('leaves out corvo_raft_snapshot_latest_index while no snapshot exists (not 0)', async () => {
    const healthy = await metrics(await start());
    expect(sample(healthy, 'corvo_raft_snapshot_latest_index')).toBe('480001');
    const text = await metrics(await start({ scenario: 'no-leader' }));
    expect(text).not.toContain('corvo_raft_snapshot_latest_index');
    expect(text).toContain('corvo_raft_applied_index 482133');
  });

  it('prints the invalid <nil> lines of multi-raft mode and drops the per-group families', async () => {
    const text = await metrics(await start({ scenario: 'multi-raft' }));
    expect(text).toContain('\ncorvo_raft_apply_pending <nil>\n');
    expect(text).toContain('\ncorvo_raft_apply_max_pending <nil>\n');
    expect(sample(text, 'corvo_raft_state')).toBe('0');
    expect(sample(text, 'corvo_cluster_is_leader')).toBe('1');
    for (const gone of [
      'corvo_raft_queue_time_seconds',
      'corvo_raft_apply_time_seconds',
      'corvo_sqlite_mirror_dropped_total',
      'corvo_raft_applied_index',
      'corvo_raft_snapshot_latest_index',
      'corvo_raft_apply_overload_total',
    ]) {
      expect(text).not.toContain(gone);
    }
  });
});

describe('simulator scenarios', () => {
  it('healthy: scheduler timestamps are whole seconds of a run 1.5 s ago, workers 6 registered / 4 active', async () => {
    // Like a real idle leader (real-systems.md Corvo item 2): the 1 s ops ran ~1.5 s ago, printed as whole seconds.
    const text = await metrics(await start());
    expect(sample(text, 'corvo_scheduler_last_promote_seconds')).toBe(String(SAMPLE_NOW / 1000 - 2));
    expect(sample(text, 'corvo_scheduler_last_reclaim_seconds')).toBe(String(SAMPLE_NOW / 1000 - 2));
    expect(sample(text, 'corvo_workers_registered')).toBe('6');
    expect(sample(text, 'corvo_workers_active')).toBe('4');
  });

  it('follows the injected clock as it moves', async () => {
    let now = SAMPLE_NOW;
    const clock: Clock = { now: () => now };
    const sim = await start({ clock });
    now += 90_000;
    const text = await metrics(sim);
    expect(sample(text, 'corvo_scheduler_last_promote_seconds')).toBe(String(now / 1000 - 2));
    const job = (await call(sim, 'GET', `/api/v1/jobs/${ACTIVE_JOB}`)).json as { lease_expires_at: string };
    expect(Date.parse(job.lease_expires_at)).toBe(now + 45_000);
  });

  it('sqlite-diverged: drops and lag in status and metrics; SQLite reads show stale rows', async () => {
    const sim = await start({ scenario: 'sqlite-diverged' });
    expect((await status(sim)).sqlite_mirror).toMatchObject({ dropped: 1842, lag: 48211 });
    const text = await metrics(sim);
    expect(sample(text, 'corvo_sqlite_mirror_dropped_total')).toBe('1842');
    expect(sample(text, 'corvo_sqlite_mirror_lag_updates')).toBe('48211');
    const search = await call(sim, 'POST', '/api/v1/jobs/search', { body: '{"state":["active"]}' });
    expect((search.json as { total: number }).total).toBe(6); // 5 real + 1 stale row of a completed job
  });

  it('apply-overloaded: 14,210/16,384 pending, growing overloads, p99 > 50 ms, writes get 429 OVERLOADED', async () => {
    const sim = await start({ scenario: 'apply-overloaded' });
    const first = await status(sim);
    expect(first).toMatchObject({ apply_pending_now: 14210, apply_max_pending: 16384 });
    expect((await status(sim)).overload_total as number).toBeGreaterThan(first.overload_total as number);
    expect((first.queue_time_hist as { p99: string }).p99).toBe('200ms');
    const text = await metrics(sim);
    expect(sample(text, 'corvo_raft_apply_pending')).toBe('14210');
    expect(p99FromExposition(text, 'corvo_raft_queue_time_seconds')).toBeGreaterThan(0.05);
    expect(sample(text, 'corvo_raft_queue_time_seconds_sum')).toBe('43431.84');

    const res = await call(sim, 'POST', '/api/v1/queues/emails/pause');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('0.011');
    expect(res.json).toEqual({
      error: 'raft apply overloaded: pending queue is full',
      code: 'OVERLOADED',
      retry_after_ms: 11,
    });
    // Not a Raft apply: the rebuild still runs.
    expect((await call(sim, 'POST', '/api/v1/admin/rebuild-sqlite')).status).toBe(200);
  });

  it('no-leader: a candidate without leader; writes answer 503 LEADER_UNAVAILABLE, reads work', async () => {
    const sim = await start({ scenario: 'no-leader' });
    expect((await call(sim, 'GET', '/healthz')).json).toEqual({ status: 'ok', raft_state: 'Candidate', leader: false });
    expect(await status(sim)).toMatchObject({ state: 'Candidate', leader_id: '', leader_addr: '' });
    const text = await metrics(sim);
    expect(sample(text, 'corvo_cluster_is_leader')).toBe('0');
    expect(sample(text, 'corvo_raft_state')).toBe('1');
    expect(sample(text, 'corvo_scheduler_last_promote_seconds')).toBe('0');
    const res = await call(sim, 'POST', '/api/v1/queues/emails/resume');
    expect(res.status).toBe(503);
    expect(res.json).toEqual({ error: 'leader unavailable', code: 'LEADER_UNAVAILABLE' });
    expect((await call(sim, 'GET', '/api/v1/queues')).status).toBe(200);
  });

  it('scheduler-stalled: promote and reclaim five minutes old, reclaim errors', async () => {
    const text = await metrics(await start({ scenario: 'scheduler-stalled' }));
    expect(sample(text, 'corvo_scheduler_last_promote_seconds')).toBe(String(SAMPLE_NOW / 1000 - 300));
    expect(sample(text, 'corvo_scheduler_last_reclaim_seconds')).toBe(String(SAMPLE_NOW / 1000 - 300));
    expect(Number(sample(text, 'corvo_scheduler_reclaim_errors_total'))).toBeGreaterThan(0);
    expect(sample(text, 'corvo_raft_state')).toBe('2');
  });

  it('jobs-stuck-active: active jobs whose leases expired minutes ago; search rows do not show the lease', async () => {
    const sim = await start({ scenario: 'jobs-stuck-active' });
    const search = await call(sim, 'POST', '/api/v1/jobs/search', { body: '{"state":["active"],"limit":10}' });
    const rows = (search.json as { jobs: Record<string, unknown>[] }).jobs;
    expect(rows).toHaveLength(5);
    expect(rows.some((r) => 'lease_expires_at' in r)).toBe(false);
    const leases = await Promise.all(
      rows.map(async (r) => {
        const job = (await call(sim, 'GET', `/api/v1/jobs/${String(r.id)}`)).json as { lease_expires_at: string };
        return Date.parse(job.lease_expires_at);
      }),
    );
    expect(leases.filter((t) => t <= SAMPLE_NOW - 5 * 60_000)).toHaveLength(3);
    const text = await metrics(sim);
    expect(Number(sample(text, 'corvo_scheduler_last_reclaim_seconds'))).toBeLessThanOrEqual(SAMPLE_NOW / 1000 - 300);
    expect(Number(sample(text, 'corvo_scheduler_reclaim_errors_total'))).toBeGreaterThan(0);
  });

  it('queue-paused: emails paused with pending work, max_concurrency 1 and a throttle', async () => {
    const sim = await start({ scenario: 'queue-paused' });
    const queues = (await call(sim, 'GET', '/api/v1/queues')).json as Record<string, unknown>[];
    expect(queues.find((q) => q.name === 'emails')).toMatchObject({
      paused: true,
      max_concurrency: 1,
      rate_limit: 10,
      rate_window_ms: 60000,
      pending: 4312,
      active: 0,
    });
  });

  it('unreachable: every connection is reset; switching back recovers', async () => {
    const sim = await start({ scenario: 'unreachable' });
    await expect(call(sim, 'GET', '/healthz')).rejects.toMatchObject({
      code: expect.stringMatching(/UND_ERR_SOCKET|ECONNRESET/),
    });
    sim.setScenario('healthy');
    expect((await call(sim, 'GET', '/healthz')).status).toBe(200);
  });
});

describe('simulator state transitions', () => {
  it('rebuild-sqlite resets dropped in the status and the metric, and records the run', async () => {
    const sim = await start({ scenario: 'sqlite-diverged' });
    const res = await call(sim, 'POST', '/api/v1/admin/rebuild-sqlite');
    expect(res.json).toEqual({ status: 'ok', rebuilt: true, duration_ms: 1234 });
    const after = await status(sim);
    expect(after.sqlite_mirror).toMatchObject({ dropped: 0, lag: 0 });
    expect(after.sqlite_rebuild).toEqual({
      ran: true,
      last_started_at: new Date(SAMPLE_NOW).toISOString().replace('.000Z', 'Z'),
      last_duration_ms: 1234,
      last_success: true,
    });
    expect(sample(await metrics(sim), 'corvo_sqlite_mirror_dropped_total')).toBe('0');
    const search = await call(sim, 'POST', '/api/v1/jobs/search', { body: '{"state":["active"]}' });
    expect((search.json as { total: number }).total).toBe(5);
  });

  it('refuses to retry an active job with the real message, and records the call', async () => {
    const sim = await start();
    const res = await call(sim, 'POST', `/api/v1/jobs/${ACTIVE_JOB}/retry`);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: `job "${ACTIVE_JOB}" cannot be retried from state "active"`,
      code: 'RETRY_ERROR',
    });
    expect(sim.calls).toEqual([
      { method: 'POST', path: `/api/v1/jobs/${ACTIVE_JOB}/retry`, body: undefined, at: SAMPLE_NOW, status: 400 },
    ]);
  });

  it('retries dead/completed/scheduled jobs back to pending and adjusts the queue counts', async () => {
    const sim = await start();
    const search = await call(sim, 'POST', '/api/v1/jobs/search', { body: '{"state":["dead"]}' });
    const dead = (search.json as { jobs: { id: string }[] }).jobs[0]?.id ?? '';
    expect((await call(sim, 'POST', `/api/v1/jobs/${dead}/retry`)).json).toEqual({ status: 'retried' });
    const job = (await call(sim, 'GET', `/api/v1/jobs/${dead}`)).json as Record<string, unknown>;
    expect(job).toMatchObject({ state: 'pending', attempt: 0 });
    expect(job.failed_at).toBeUndefined();
    const emails = ((await call(sim, 'GET', '/api/v1/queues')).json as Record<string, unknown>[])[0];
    expect(emails).toMatchObject({ name: 'emails', dead: 13, pending: 1281 });
  });

  it('cancels pending as cancelled and active as cancelling, then refuses a second cancel', async () => {
    const sim = await start();
    const search = await call(sim, 'POST', '/api/v1/jobs/search', { body: '{"state":["pending"]}' });
    const pending = (search.json as { jobs: { id: string }[] }).jobs[0]?.id ?? '';
    expect((await call(sim, 'POST', `/api/v1/jobs/${pending}/cancel`)).json).toEqual({ status: 'cancelled' });
    expect((await call(sim, 'POST', `/api/v1/jobs/${ACTIVE_JOB}/cancel`)).json).toEqual({ status: 'cancelling' });
    const again = await call(sim, 'POST', `/api/v1/jobs/${ACTIVE_JOB}/cancel`);
    expect(again.status).toBe(400);
    expect(again.json).toEqual({
      error: `job "${ACTIVE_JOB}" cannot be cancelled from state "cancelled"`,
      code: 'CANCEL_ERROR',
    });
  });

  it('removes the concurrency limit with {"max":null} and {"max":0}; rejects bad JSON', async () => {
    const sim = await start();
    const emails = async () => ((await call(sim, 'GET', '/api/v1/queues')).json as Record<string, unknown>[])[0];
    expect((await call(sim, 'POST', '/api/v1/queues/emails/concurrency', { body: '{"max":null}' })).status).toBe(200);
    expect(await emails()).not.toHaveProperty('max_concurrency');
    await call(sim, 'POST', '/api/v1/queues/emails/concurrency', { body: '{"max":3}' });
    expect(await emails()).toHaveProperty('max_concurrency', 3);
    await call(sim, 'POST', '/api/v1/queues/emails/concurrency', { body: '{"max":0}' });
    expect(await emails()).not.toHaveProperty('max_concurrency');
    for (const body of ['', '{"max":"3"}', '{"max":1.5}', 'nope']) {
      const res = await call(sim, 'POST', '/api/v1/queues/emails/concurrency', { body });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: 'invalid JSON', code: 'PARSE_ERROR' });
    }
  });

  it('validates and removes throttles', async () => {
    const sim = await start();
    const bad = await call(sim, 'POST', '/api/v1/queues/emails/throttle', { body: '{"rate":0,"window_ms":1000}' });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: 'rate and window_ms must be positive', code: 'VALIDATION_ERROR' });
    await call(sim, 'POST', '/api/v1/queues/emails/throttle', { body: '{"rate":5,"window_ms":1000}' });
    let emails = ((await call(sim, 'GET', '/api/v1/queues')).json as Record<string, unknown>[])[0];
    expect(emails).toMatchObject({ rate_limit: 5, rate_window_ms: 1000 });
    expect((await call(sim, 'DELETE', '/api/v1/queues/emails/throttle')).json).toEqual({ status: 'ok' });
    emails = ((await call(sim, 'GET', '/api/v1/queues')).json as Record<string, unknown>[])[0];
    expect(emails).not.toHaveProperty('rate_limit');
    expect(emails).not.toHaveProperty('rate_window_ms');
  });

  it('clears pending and scheduled jobs of a queue', async () => {
    const sim = await start();
    expect((await call(sim, 'POST', '/api/v1/queues/emails/clear')).json).toEqual({ status: 'cleared' });
    const emails = ((await call(sim, 'GET', '/api/v1/queues')).json as Record<string, unknown>[])[0];
    expect(emails).toMatchObject({ pending: 0, scheduled: 0, active: 5 });
    expect(emails).not.toHaveProperty('oldest_pending_at');
    const search = await call(sim, 'POST', '/api/v1/jobs/search', { body: '{"queue":"emails","state":["pending"]}' });
    expect(search.json).toMatchObject({ jobs: null, total: 0 });
  });

  it('search ignores unknown fields, rejects wrong types and empty bodies, and is never recorded', async () => {
    const sim = await start();
    const ok = await call(sim, 'POST', '/api/v1/jobs/search', {
      body: '{"state":["active"],"payload_jq":".to","whatever":{"x":1}}',
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ total: 5, has_more: false });
    for (const body of ['', '{"state":"active"}', '[]']) {
      const res = await call(sim, 'POST', '/api/v1/jobs/search', { body });
      expect(res.json).toEqual({ error: 'invalid JSON', code: 'PARSE_ERROR' });
    }
    expect(sim.calls).toHaveLength(0);
  });

  it('records every mutating call in order with its body and status', async () => {
    const sim = await start();
    await call(sim, 'POST', '/api/v1/queues/emails/pause');
    await call(sim, 'GET', '/api/v1/queues');
    await call(sim, 'POST', '/api/v1/queues/emails/concurrency', { body: '{"max":null}' });
    await call(sim, 'DELETE', '/api/v1/queues/emails/throttle', { key: 'wrong' });
    expect(sim.calls.map(({ method, path, body, status: s }) => ({ method, path, body, status: s }))).toEqual([
      { method: 'POST', path: '/api/v1/queues/emails/pause', body: undefined, status: 200 },
      { method: 'POST', path: '/api/v1/queues/emails/concurrency', body: { max: null }, status: 200 },
      { method: 'DELETE', path: '/api/v1/queues/emails/throttle', body: undefined, status: 401 },
    ]);
  });

  it('setScenario resets the state but keeps the recorded calls', async () => {
    const sim = await start();
    await call(sim, 'POST', '/api/v1/queues/emails/pause');
    sim.setScenario('healthy');
    const emails = ((await call(sim, 'GET', '/api/v1/queues')).json as Record<string, unknown>[])[0];
    expect(emails).toMatchObject({ paused: false });
    expect(sim.scenario).toBe('healthy');
    expect(sim.calls).toHaveLength(1);
  });
});

describe('simulator HTTP surface', () => {
  it('accepts the key as X-API-Key, Bearer or cookie; 401s otherwise; healthz and info need none', async () => {
    const sim = await start();
    expect((await call(sim, 'GET', '/api/v1/queues')).status).toBe(200);
    expect(
      (await call(sim, 'GET', '/api/v1/queues', { key: null, headers: { authorization: `Bearer ${KEY}` } })).status,
    ).toBe(200);
    expect(
      (await call(sim, 'GET', '/api/v1/queues', { key: null, headers: { cookie: `a=b; corvo_api_key=${KEY}` } }))
        .status,
    ).toBe(200);
    expect((await call(sim, 'GET', '/api/v1/queues', { key: null })).json).toEqual({
      error: 'missing API key',
      code: 'UNAUTHORIZED',
    });
    expect((await call(sim, 'GET', '/api/v1/queues', { key: 'nope' })).json).toEqual({
      error: 'invalid API key',
      code: 'UNAUTHORIZED',
    });
    expect((await call(sim, 'GET', '/healthz', { key: null })).status).toBe(200);
    expect((await call(sim, 'GET', '/api/v1/info', { key: null })).status).toBe(200);
  });

  it('runs every request as admin when no key is configured', async () => {
    const sim = await startCorvoSimulator({ clock: fixedClock(SAMPLE_NOW) });
    sims.push(sim);
    expect((await call(sim, 'POST', '/api/v1/queues/emails/pause', { key: null })).status).toBe(200);
  });

  it('applies the built-in roles', async () => {
    const sim = await start({ apiKeys: { ro: 'readonly', op: 'operator', wk: 'worker' } });
    expect((await call(sim, 'GET', '/api/v1/metrics', { key: 'ro' })).status).toBe(200);
    expect((await call(sim, 'POST', '/api/v1/jobs/search', { key: 'ro', body: '{}' })).json).toEqual({
      error: 'insufficient role permissions',
      code: 'FORBIDDEN',
    });
    expect((await call(sim, 'POST', '/api/v1/admin/rebuild-sqlite', { key: 'op' })).status).toBe(200);
    expect((await call(sim, 'GET', `/api/v1/jobs/${ACTIVE_JOB}`, { key: 'wk' })).status).toBe(200);
    expect((await call(sim, 'GET', '/api/v1/queues', { key: 'wk' })).status).toBe(403);
  });

  it('answers chi-style 404 and 405, after authentication', async () => {
    const sim = await start();
    expect((await call(sim, 'GET', '/api/v1/nope', { key: null })).status).toBe(401);
    const missing = await call(sim, 'GET', '/api/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('404 page not found\n');
    expect((await call(sim, 'GET', '/api/v1/admin/rebuild-sqlite')).status).toBe(405);
    const unknownJob = await call(sim, 'GET', '/api/v1/jobs/job_0000');
    expect(unknownJob.status).toBe(404);
    expect(unknownJob.json).toEqual({ error: 'job "job_0000" not found', code: 'NOT_FOUND' });
  });

  it('failNext injects one failure, then the route works again', async () => {
    const sim = await start({ scenario: 'sqlite-diverged' });
    sim.failNext('/api/v1/admin/rebuild-sqlite', 500, { error: 'rebuild failed', code: 'INTERNAL_ERROR' });
    const failed = await call(sim, 'POST', '/api/v1/admin/rebuild-sqlite');
    expect(failed.status).toBe(500);
    expect(failed.json).toEqual({ error: 'rebuild failed', code: 'INTERNAL_ERROR' });
    expect((await status(sim)).sqlite_mirror).toMatchObject({ dropped: 1842 });
    expect((await call(sim, 'POST', '/api/v1/admin/rebuild-sqlite')).status).toBe(200);
    expect(sim.calls.map((c) => c.status)).toEqual([500, 200]);
  });

  it('ends JSON documents with a newline, like Go’s encoder', async () => {
    const sim = await start();
    const res = await call(sim, 'GET', '/healthz');
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.text).toBe('{"status":"ok","raft_state":"Leader","leader":true}\n');
  });
});
