import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import { getFreePort } from '../../src/dev/local-services.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { createM4Client, type M4Client } from './client.js';
import { M4InstanceSchema } from './config.js';
import { createM4Database } from './db.js';
import { m4Integration } from './index.js';
import { startM4Simulator, type M4Simulator, type M4SimulatorOptions } from './simulator/index.js';

const NOW = Date.parse('2025-10-21T14:27:11.120Z');
const clock = fixedClock(NOW);
const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function clientFor(url: string, extra: Record<string, unknown> = {}): M4Client {
  const config = M4InstanceSchema.parse({ url, databaseUrl: 'postgres://u:p@127.0.0.1:5/x', ...extra });
  const client = createM4Client(config, { clock });
  open.push(client);
  return client;
}

async function sim(o: M4SimulatorOptions = {}): Promise<{ sim: M4Simulator; client: M4Client }> {
  const s = await startM4Simulator({ clock, ...o });
  open.push(s);
  return { sim: s, client: clientFor(s.url) };
}

async function rawServer(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  open.push({
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('M4InstanceSchema', () => {
  it('applies defaults and wraps the DSN as a secret', () => {
    const c = M4InstanceSchema.parse({ url: 'http://10.0.0.40:3000', databaseUrl: 'postgres://u:pw@db:5432/m4' });
    expect(c).toMatchObject({ statementTimeoutMs: 5000, timeoutMs: 5000, streamWindowMs: 5000 });
    expect(c.databaseUrl).toBeInstanceOf(Secret);
    expect(JSON.stringify(c)).not.toContain('pw@');
    expect(c.databaseUrl.reveal()).toBe('postgres://u:pw@db:5432/m4');
  });

  it('rejects a DSN that is not postgres without echoing it', () => {
    const r = M4InstanceSchema.safeParse({ url: 'http://m4:3000', databaseUrl: 'mysql://root:hunter2@db/m4' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).not.toContain('hunter2');
    expect(r.error?.issues[0]?.path).toEqual(['databaseUrl']);
  });

  it('builds both clients without touching the network', async () => {
    const config = m4Integration.instanceSchema.parse({
      url: 'http://127.0.0.1:1',
      databaseUrl: 'postgres://u:p@127.0.0.1:1/x',
    });
    const clients = m4Integration.createClients(config, { clock });
    expect(m4Integration).toMatchObject({ id: 'm4', displayName: 'M4' });
    await clients.api.close();
    await clients.db.close();
  });
});

describe('readRunStream against the simulator', () => {
  it('a finished run: seq 1..8 in order, RunFinished, then done', async () => {
    const { client, sim: s } = await sim({ scenario: 'finished' });
    const r = await client.readRunStream('r-5e2d80');
    expect(r.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.events.at(-1)).toMatchObject({ type: 'RunFinished', runId: 'r-5e2d80', v: 1 });
    expect(r.events[0]).toMatchObject({ type: 'RunStarted', source: 'api' });
    expect(r).toMatchObject({ status: 200, end: 'done', errors: [], invalid: 0 });
    expect(r.pings).toBeGreaterThanOrEqual(1);
    expect(s.requests).toEqual(['GET /api/agents/runs/r-5e2d80/stream']);
  });

  it('a running run: the backfill, then the stream stays open until the time cap', async () => {
    const { client } = await sim({ scenario: 'healthy', pingMs: 100 });
    const r = await client.readRunStream('r-3a9b71', { maxMs: 450 });
    expect(r.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.end).toBe('time-cap');
    expect(r.elapsedMs).toBeGreaterThanOrEqual(400);
    expect(r.pings).toBeGreaterThanOrEqual(3);
  });

  it('stops at the event cap', async () => {
    const { client } = await sim({ scenario: 'outbox-backlog' });
    const r = await client.readRunStream('r-b10c01', { maxEvents: 25 });
    expect(r.end).toBe('event-cap');
    expect(r.events.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('fromSeq as a number (fixed server): replays from fromSeq + 1', async () => {
    const { client, sim: s } = await sim({ scenario: 'finished', fromSeqMode: 'number' });
    const r = await client.readRunStream('r-5e2d80', { fromSeq: 5 });
    expect(r.events.map((e) => e.seq)).toEqual([6, 7, 8]);
    expect(s.requests).toEqual(['GET /api/agents/runs/r-5e2d80/stream?fromSeq=5']);
  });

  it('fromSeq as a string (HEAD): an oRPC error event and no events', async () => {
    const { client } = await sim({ scenario: 'finished' });
    const r = await client.readRunStream('r-5e2d80', { fromSeq: 5 });
    expect(r.events).toEqual([]);
    expect(r.errors).toEqual([{ code: 'INTERNAL_SERVER_ERROR', status: 500, message: 'Internal server error' }]);
    expect(r.end).toBe('closed');
    // Without the parameter the same stream works.
    expect((await client.readRunStream('r-5e2d80')).events).toHaveLength(8);
  });

  it('fromSeq concatenated and used: fromSeq=1 replays from 11', async () => {
    const { client } = await sim({ scenario: 'outbox-backlog', fromSeqMode: 'string-concat' });
    const r = await client.readRunStream('r-b10c01', { fromSeq: 1, maxEvents: 3 });
    expect(r.events[0]?.seq).toBe(11);
  });

  it('faults: a duplicate and a swap are passed through as received', async () => {
    const { client, sim: s } = await sim({ scenario: 'finished', faults: { duplicate: true } });
    expect((await client.readRunStream('r-5e2d80')).events.map((e) => e.seq)).toEqual([1, 2, 3, 3, 4, 5, 6, 7, 8]);
    s.setFaults({ reorder: true });
    expect((await client.readRunStream('r-5e2d80')).events.map((e) => e.seq)).toEqual([2, 1, 3, 4, 5, 6, 7, 8]);
  });

  it('health answers OK', async () => {
    const { client, sim: s } = await sim();
    expect(await client.health()).toBe('OK');
    expect(s.requests).toEqual(['GET /api/health']);
  });
});

describe('readRunStream failures', () => {
  it('a non-2xx answer is an api-error with oRPC’s code', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"defined":false,"code":"INTERNAL_SERVER_ERROR","status":500,"message":"Internal server error"}');
    });
    const err = await clientFor(url)
      .readRunStream('r-1', { fromSeq: 5 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    expect(err).toMatchObject({ kind: 'api-error', status: 500, code: 'INTERNAL_SERVER_ERROR' });
    expect((err as Error).message).toBe(
      'GET /api/agents/runs/r-1/stream?fromSeq=5: M4 answered 500 INTERNAL_SERVER_ERROR: Internal server error',
    );
  });

  it('an answer that is not an event stream is a bad-response', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    await expect(clientFor(url).readRunStream('r-1')).rejects.toMatchObject({ kind: 'bad-response' });
  });

  it('a server that never answers is a timeout after timeoutMs', async () => {
    const url = await rawServer(() => undefined);
    const started = Date.now();
    await expect(clientFor(url, { timeoutMs: 200 }).readRunStream('r-1', { maxMs: 5000 })).rejects.toMatchObject({
      kind: 'timeout',
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a closed port is unreachable', async () => {
    const port = await getFreePort();
    await expect(clientFor(`http://127.0.0.1:${port}`).readRunStream('r-1')).rejects.toMatchObject({
      kind: 'unreachable',
    });
  });

  it('the caller’s signal cancels a stream being read', async () => {
    const { client } = await sim({ scenario: 'healthy' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    await expect(client.readRunStream('r-3a9b71', { maxMs: 5000, signal: ac.signal })).rejects.toMatchObject({
      kind: 'timeout',
    });
  });

  it('refuses a run id that would change the path', async () => {
    const { client, sim: s } = await sim();
    await expect(client.readRunStream('../health')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(s.requests).toEqual([]);
  });
});

describe('the simulator over a real database', () => {
  let pool: pg.Pool;
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase();
    pool = new pg.Pool({ connectionString: url, max: 5 });
  });
  afterAll(async () => {
    await pool.end();
  });

  it('serves what the database holds, and re-seeds on setScenario', async () => {
    const { client, sim: s } = await sim({ pool, scenario: 'stuck-outbox' });
    expect((await client.readRunStream('r-7c1f2a', { maxMs: 300 })).events.map((e) => e.seq)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    await s.setScenario('finished');
    const runs = await pool.query<{ id: string }>('SELECT id FROM runs');
    expect(runs.rows.map((r) => r.id)).toEqual(['r-5e2d80']);
  });

  it('as the outbox subscriber: a pg_notify nudge publishes the pending events, live on the open stream', async () => {
    const { client } = await sim({ pool, scenario: 'stuck-outbox', outboxSubscriber: true });
    const db = createM4Database({ databaseUrl: new Secret(url), statementTimeoutMs: 2000, connectTimeoutMs: 2000 });
    open.push(db);
    const reading = client.readRunStream('r-7c1f2a', { maxMs: 1500 });
    await new Promise((r) => setTimeout(r, 300));
    await db.notifyOutbox('r-7c1f2a');
    const r = await reading;
    expect(r.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.events.slice(6).every((e) => e.source === 'outbox')).toBe(true);
    const after = await db.inspectRun('r-7c1f2a');
    expect(after.outbox?.nextSeq).toBe(10);
    expect(after.unpublishedCount).toBe(0);
  });
});
