import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { fixedClock } from '../../src/core/clock.js';
import { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { seedStreamhouseMetadata } from './metadata-seed.js';
import {
  RESET_PAST_MARGIN_MS,
  createStreamhouseMetadataStore,
  type StreamhouseMetadataStore,
} from './metadata-store.js';
import { CHURN_PARTITION, DEAD_AGENT_ID, LEASE_DURATION_MS, type SampleClusterState } from './sample-cluster.js';

const NOW = 1_774_373_400_000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  cleanups.push(() => client.end());
  return client;
}

async function seeded(
  state: SampleClusterState = 'healthy',
  timeoutMs = 3000,
): Promise<{ url: string; admin: pg.Client; store: StreamhouseMetadataStore }> {
  const url = await createTestDatabase();
  const admin = await connect(url);
  await seedStreamhouseMetadata(admin, state, { nowMs: NOW });
  const store = createStreamhouseMetadataStore({ databaseUrl: new Secret(url), timeoutMs, clock: fixedClock(NOW) });
  cleanups.push(() => store.close());
  return { url, admin, store };
}

async function failure(p: Promise<unknown>): Promise<TargetError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TargetError);
    return err as TargetError;
  }
  throw new Error('expected a failure');
}

async function lease(admin: pg.Client, topic: string, partition: number) {
  const { rows } = await admin.query<{ leader_agent_id: string; epoch: string; lease_expires_at: string }>(
    'SELECT leader_agent_id, epoch, lease_expires_at FROM partition_leases WHERE topic = $1 AND partition_id = $2',
    [topic, partition],
  );
  const row = rows[0]!;
  return { holder: row.leader_agent_id, epoch: Number(row.epoch), expiresAt: Number(row.lease_expires_at) };
}

describe('metadata store reads (real Postgres, §3.3 tables)', () => {
  it('lists leases with holder, epoch, ms expiry and the holder heartbeat; filters by topic', async () => {
    const { store } = await seeded('agent-dead');
    const all = await store.leases();
    expect(all.total).toBe(12);
    // The dead agent's leases come first (oldest heartbeat), so a cut list keeps them.
    expect(all.leases.map((l) => `${l.topic}/${l.partition}`).slice(0, 4)).toEqual([
      'clicks/2',
      'orders/2',
      'orders/5',
      'payments/2',
    ]);
    const cut = await store.leases({ limit: 4 });
    expect(cut.total).toBe(12);
    expect(cut.leases.every((l) => l.holder === DEAD_AGENT_ID)).toBe(true);
    const orders2 = all.leases.find((l) => l.topic === 'orders' && l.partition === 2)!;
    expect(orders2).toEqual({
      topic: 'orders',
      partition: 2,
      holder: DEAD_AGENT_ID,
      epoch: 3,
      expiresAtMs: NOW - 240_000 - 5_000 + LEASE_DURATION_MS,
      acquiredAtMs: expect.any(Number),
      holderHeartbeatMs: NOW - 240_000,
    });
    const orders = await store.leases({ topic: 'orders', limit: 2 });
    expect(orders.total).toBe(6);
    expect(orders.leases.map((l) => l.partition)).toEqual([2, 5]);
  });

  it('lists agents with their lease counts, and recent leader changes newest first', async () => {
    const { store } = await seeded('lease-churn');
    const agents = await store.agents();
    expect(agents.map((a) => [a.agentId, a.leases])).toEqual([
      ['agent-us-east-1a-01', 5],
      ['agent-us-east-1b-02', 3],
      [DEAD_AGENT_ID, 4],
    ]);
    const changes = await store.leaderChanges({ sinceMs: NOW - 15 * 60_000 });
    expect(changes).toHaveLength(6);
    expect(changes[0]).toMatchObject({
      ...CHURN_PARTITION,
      epoch: 13,
      reason: 'lease_expired',
      to: 'agent-us-east-1a-01',
    });
    expect(changes.map((c) => c.changedAtMs)).toEqual([...changes.map((c) => c.changedAtMs)].sort((a, b) => b - a));
    expect(await store.leaderChanges({ sinceMs: NOW - 3 * 3_600_000, topic: 'payments' })).toHaveLength(1);
  });

  it('reads inside a READ ONLY transaction: a write hidden behind a view is refused', async () => {
    const { admin, store } = await seeded();
    // `agents` becomes a view over a function that writes: only a read-only transaction stops it.
    await admin.query(`
      ALTER TABLE agents RENAME TO agents_real;
      CREATE TABLE reads_log (at timestamptz DEFAULT now());
      CREATE FUNCTION agents_logged() RETURNS SETOF agents_real LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO reads_log DEFAULT VALUES; RETURN QUERY SELECT * FROM agents_real; END $$;
      CREATE VIEW agents AS SELECT * FROM agents_logged();
    `);
    const err = await failure(store.agents());
    expect(err.kind).toBe('forbidden');
    expect(err.code).toBe('25006');
    expect((await admin.query('SELECT count(*)::int AS n FROM reads_log')).rows[0].n).toBe(0);
  });

  it('bounds every statement with statement_timeout', async () => {
    const { admin, store } = await seeded('healthy', 300);
    await admin.query(`
      ALTER TABLE leader_changes RENAME TO leader_changes_real;
      CREATE VIEW leader_changes AS SELECT l.* FROM leader_changes_real l, pg_sleep(2) s;
    `);
    const started = Date.now();
    const err = await failure(store.leaderChanges({ sinceMs: 0 }));
    expect(err.kind).toBe('timeout');
    expect(err.code).toBe('57014');
    expect(err.message).toMatch(
      /^reading leader_changes timed out after 300 ms \(statement_timeout, metadata database \(/,
    );
    expect(Date.now() - started).toBeLessThan(1500);
    // The pool is still usable afterwards.
    expect((await store.leases()).total).toBe(12);
  });

  it('reports a missing table as bad-response, and validates input before querying', async () => {
    const { admin, store } = await seeded();
    await admin.query('DROP TABLE partition_leases');
    const err = await failure(store.leases());
    expect(err).toMatchObject({ kind: 'bad-response', code: '42P01' });
    const invalid = await failure(store.leases({ topic: "orders'; DROP TABLE agents; --" }));
    expect(invalid).toMatchObject({ kind: 'api-error', code: 'VALIDATION_ERROR' });
  });
});

describe('resetLease', () => {
  it('moves the expiry into the past only for the expected holder and epoch, once', async () => {
    const { admin, store } = await seeded();
    const before = await lease(admin, 'orders', 0);
    expect(before).toMatchObject({ holder: 'agent-us-east-1a-01', epoch: 1 });

    expect(await store.resetLease('orders', 0, 'agent-us-east-1a-01', 2)).toMatchObject({ changed: false });
    expect(await store.resetLease('orders', 0, 'agent-us-east-1b-02', 1)).toMatchObject({ changed: false });
    expect(await lease(admin, 'orders', 0)).toEqual(before);

    const done = await store.resetLease('orders', 0, 'agent-us-east-1a-01', 1);
    expect(done).toEqual({
      changed: true,
      lease: { holder: 'agent-us-east-1a-01', epoch: 1, expiresAtMs: NOW - RESET_PAST_MARGIN_MS },
    });
    expect(await lease(admin, 'orders', 0)).toEqual({ ...before, expiresAt: NOW - RESET_PAST_MARGIN_MS });
    // Already in the past: nothing left to change.
    expect((await store.resetLease('orders', 0, 'agent-us-east-1a-01', 1)).changed).toBe(false);
    // Other leases untouched.
    expect((await lease(admin, 'orders', 1)).expiresAt).toBeGreaterThan(NOW);
  });

  it('is a no-op when an agent bumps the epoch concurrently (the UPDATE re-checks after the lock)', async () => {
    const { url, admin, store } = await seeded();
    const before = await lease(admin, 'orders', 3);
    const agent = await connect(url);
    // The same agent re-acquires its lease (acquisition bumps the epoch) in an open transaction: it holds the row
    // lock. Only the epoch differs from what the reset expects.
    await agent.query('BEGIN');
    await agent.query(
      `UPDATE partition_leases SET epoch = epoch + 1, lease_expires_at = $1 WHERE topic = 'orders' AND partition_id = 3`,
      [NOW + LEASE_DURATION_MS],
    );
    let settled = false;
    const reset = store.resetLease('orders', 3, before.holder, before.epoch).finally(() => {
      settled = true;
    });
    // The reset waits for the row lock…
    let sawWait = false;
    for (let i = 0; i < 100 && !sawWait; i++) {
      const waiting = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
      );
      sawWait = waiting.rows[0].n > 0;
      if (!sawWait) await new Promise((r) => setTimeout(r, 20));
    }
    expect(sawWait).toBe(true);
    expect(settled).toBe(false);
    await agent.query('COMMIT');
    // …then re-evaluates its WHERE against the committed row and changes nothing.
    const result = await reset;
    expect(result).toEqual({
      changed: false,
      lease: { holder: before.holder, epoch: before.epoch + 1, expiresAtMs: NOW + LEASE_DURATION_MS },
    });
    expect(await lease(admin, 'orders', 3)).toEqual({
      holder: before.holder,
      epoch: before.epoch + 1,
      expiresAt: NOW + LEASE_DURATION_MS,
    });
  });

  it('validates its arguments before touching the database', async () => {
    const { store } = await seeded();
    await expect(store.resetLease('orders', -1, 'a', 1)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(store.resetLease('orders', 0, '', 1)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(store.resetLease('orders', 0, 'a', 1.5)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(store.resetLease('bad topic', 0, 'a', 1)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });
});

describe('connection failures', () => {
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    return port;
  }

  it('reports a refused connection as unreachable without the DSN', async () => {
    const dsn = `postgres://streamhouse:p4ssw0rd@127.0.0.1:${await closedPort()}/streamhouse`;
    const store = createStreamhouseMetadataStore({
      databaseUrl: new Secret(dsn),
      timeoutMs: 1000,
      clock: fixedClock(NOW),
    });
    cleanups.push(() => store.close());
    const err = await failure(store.leases());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/^reading partition_leases failed: connection refused \(127\.0\.0\.1:\d+\)$/);
    expect(err.message).not.toContain('p4ssw0rd');
    expect(err.message).not.toContain('streamhouse:');
  });

  it('reports a silent server as a timeout', async () => {
    // Accepts TCP and never answers the startup message.
    const sockets = new Set<import('node:net').Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => r());
        }),
    );
    const port = (server.address() as { port: number }).port;
    const store = createStreamhouseMetadataStore({
      databaseUrl: new Secret(`postgres://u:secretpw@127.0.0.1:${port}/db`),
      timeoutMs: 200,
      clock: fixedClock(NOW),
    });
    cleanups.push(() => store.close());
    const err = await failure(store.agents());
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(
      /^reading agents: the metadata database \(127\.0\.0\.1:\d+\) did not answer within 200 ms$/,
    );
    expect(err.message).not.toContain('secretpw');
  });

  it('reports a database that does not exist without naming the DSN', async () => {
    const { url } = await seeded();
    const missing = new URL(url);
    missing.pathname = '/no_such_database_here';
    const store = createStreamhouseMetadataStore({
      databaseUrl: new Secret(missing.toString()),
      timeoutMs: 2000,
      clock: fixedClock(NOW),
    });
    cleanups.push(() => store.close());
    const err = await failure(store.agents());
    expect(err).toMatchObject({ kind: 'api-error', code: '3D000' });
    expect(err.message).not.toContain('no_such_database_here');
  });

  it('survives a connection killed mid-query: unreachable, then the next query works', async () => {
    const { admin, store } = await seeded();
    await admin.query(`
      ALTER TABLE leader_changes RENAME TO leader_changes_real;
      CREATE VIEW leader_changes AS SELECT l.* FROM leader_changes_real l, pg_sleep(1) s;
    `);
    // Handle the rejection from the start: it may land while the loop below is still looking for the backend.
    const pending = failure(store.leaderChanges({ sinceMs: 0 }));
    for (let i = 0; i < 100; i++) {
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'runbook-bot' AND datname = current_database() AND state = 'active'`,
      );
      if (killed.rowCount) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const err = await pending;
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(
      /^reading leader_changes: the metadata database \(127\.0\.0\.1:\d+\) closed the connection/,
    );
    expect((await store.agents()).length).toBe(3);
  });

  it('fails calls after close', async () => {
    const { store } = await seeded();
    await store.close();
    await expect(store.agents()).rejects.toMatchObject({ kind: 'unreachable' });
  });
});
