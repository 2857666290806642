import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { fixedClock } from '../../src/core/clock.js';
import { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import { createTestDatabase, uniqueName } from '../../test/support/namespace.js';
import { grantMetadataRole, seedStreamhouseMetadata, type MetadataRoleAccess } from './simulator/metadata-seed.js';
import { RLS_TABLES, STREAMHOUSE_RUNBOOK_ERA_SCHEMA_SQL } from './simulator/metadata-schema.js';
import {
  RESET_PAST_MARGIN_MS,
  createStreamhouseMetadataStore,
  type StreamhouseMetadataStore,
} from './metadata-store.js';
import {
  CHURN_PARTITION,
  DEAD_AGENT_ID,
  LEASE_DURATION_MS,
  SAMPLE_ORG_ID,
  type SampleClusterState,
} from './simulator/sample-cluster.js';

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

interface SeedOptions {
  readonly timeoutMs?: number;
  /** The bot's role: a non-owner `reader` (row-level security applies) by default, as in production. */
  readonly role?: MetadataRoleAccess | 'owner';
  /** organizationId of the config; default the sample's, null for none. */
  readonly organizationId?: string | null;
  readonly recordLeaderChanges?: boolean;
}

async function seeded(
  state: SampleClusterState = 'healthy',
  o: SeedOptions = {},
): Promise<{ url: string; botUrl: string; admin: pg.Client; store: StreamhouseMetadataStore }> {
  const url = await createTestDatabase();
  const admin = await connect(url);
  await seedStreamhouseMetadata(admin, state, { nowMs: NOW, recordLeaderChanges: o.recordLeaderChanges });
  const role = o.role ?? 'reader';
  const botUrl = role === 'owner' ? url : await grantMetadataRole(admin, url, uniqueName('bot'), role);
  const store = storeFor(botUrl, o);
  return { url, botUrl, admin, store };
}

function storeFor(url: string, o: SeedOptions = {}): StreamhouseMetadataStore {
  const store = createStreamhouseMetadataStore({
    databaseUrl: new Secret(url),
    timeoutMs: o.timeoutMs ?? 3000,
    clock: fixedClock(NOW),
    ...(o.organizationId === null ? {} : { organizationId: o.organizationId ?? SAMPLE_ORG_ID }),
  });
  cleanups.push(() => store.close());
  return store;
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
    expect(cut.leases).toHaveLength(4);
    expect(cut.leases.every((l) => l.holder === DEAD_AGENT_ID)).toBe(true);
    const orders2 = all.leases.find((l) => l.topic === 'orders' && l.partition === 2)!;
    expect(orders2).toEqual({
      topic: 'orders',
      partition: 2,
      holder: DEAD_AGENT_ID,
      // Renewed every 10 s for a day until it died: epoch in the thousands, acquired_at = its last renewal.
      epoch: 8616,
      expiresAtMs: NOW - 240_000 - 5_000 + LEASE_DURATION_MS,
      acquiredAtMs: NOW - 240_000 - 5_000,
      holderHeartbeatMs: NOW - 240_000,
    });
    const orders = await store.leases({ topic: 'orders', limit: 2 });
    expect(orders.total).toBe(6);
    expect(orders.leases.map((l) => l.partition)).toEqual([2, 5]);
  });

  it('lists agents with their lease counts, and recent leader changes newest first', async () => {
    const { store } = await seeded('lease-churn', { recordLeaderChanges: true });
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
      reason: 'lease_expired',
      to: 'agent-us-east-1a-01',
    });
    expect(changes.map((c) => c.changedAtMs)).toEqual([...changes.map((c) => c.changedAtMs)].sort((a, b) => b - a));
    expect(await store.leaderChanges({ sinceMs: NOW - 3 * 3_600_000, topic: 'payments' })).toHaveLength(1);
  });

  it('reads inside a READ ONLY transaction: a write hidden behind a view is refused', async () => {
    const { admin, store } = await seeded('healthy', { role: 'owner' });
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
    const { admin, store } = await seeded('healthy', { timeoutMs: 300, role: 'owner' });
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
  const DEAD = { holder: DEAD_AGENT_ID, deadAfterMs: 60_000 } as const;

  it('moves the expiry into the past only while the lease is what the card showed, once', async () => {
    const { admin, store } = await seeded('agent-dead');
    const before = await lease(admin, 'orders', 2);
    expect(before.holder).toBe(DEAD_AGENT_ID);

    expect(await store.resetLease('orders', 2, { ...DEAD, epoch: before.epoch - 1 })).toMatchObject({
      changed: false,
      refusal: 'renewed',
      lease: { holder: DEAD_AGENT_ID, epoch: before.epoch },
    });
    expect(
      await store.resetLease('orders', 2, { holder: 'agent-us-east-1b-02', epoch: before.epoch, deadAfterMs: 60_000 }),
    ).toMatchObject({ changed: false, refusal: 'holder-changed' });
    expect(await lease(admin, 'orders', 2)).toEqual(before);

    const done = await store.resetLease('orders', 2, { ...DEAD, epoch: before.epoch });
    expect(done).toMatchObject({
      changed: true,
      lease: { holder: DEAD_AGENT_ID, epoch: before.epoch, expiresAtMs: before.expiresAt },
      expiresAtMs: NOW - RESET_PAST_MARGIN_MS,
      visibility: { scope: 'organization', organizationId: SAMPLE_ORG_ID },
    });
    expect(await lease(admin, 'orders', 2)).toEqual({ ...before, expiresAt: NOW - RESET_PAST_MARGIN_MS });
    // Already in the past: nothing left to change.
    expect(await store.resetLease('orders', 2, { ...DEAD, epoch: before.epoch })).toMatchObject({
      changed: false,
      refusal: 'already-expired',
    });
    // Other leases untouched.
    expect((await lease(admin, 'orders', 5)).expiresAt).toBeGreaterThan(NOW);
  });

  it('refuses a live holder, whose epoch rises on every 10 s renewal (typed by hand, without an epoch)', async () => {
    const { admin, store } = await seeded('healthy');
    const before = await lease(admin, 'orders', 0);
    const r = await store.resetLease('orders', 0, { holder: before.holder, deadAfterMs: 60_000 });
    expect(r).toMatchObject({ changed: false, refusal: 'holder-alive', lease: { holder: before.holder } });
    expect(await lease(admin, 'orders', 0)).toEqual(before);
  });

  it('waits for a concurrent renewal and then refuses: the holder renewed (epoch + 1), so it is alive', async () => {
    const { url, admin, store } = await seeded('agent-dead');
    const before = await lease(admin, 'orders', 5);
    const agent = await connect(url);
    // The holder comes back and renews (the acquire upsert bumps the epoch) in an open transaction: it holds the
    // row lock.
    await agent.query('BEGIN');
    await agent.query(
      `UPDATE partition_leases SET epoch = epoch + 1, lease_expires_at = $1, acquired_at = $2
        WHERE topic = 'orders' AND partition_id = 5`,
      [NOW + LEASE_DURATION_MS, NOW],
    );
    let settled = false;
    const reset = store.resetLease('orders', 5, { ...DEAD, epoch: before.epoch }).finally(() => {
      settled = true;
    });
    // The reset's re-read (FOR UPDATE) waits for the row lock…
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
    // …then sees the committed renewal and changes nothing.
    expect(await reset).toMatchObject({
      changed: false,
      refusal: 'renewed',
      lease: { holder: before.holder, epoch: before.epoch + 1, expiresAtMs: NOW + LEASE_DURATION_MS },
    });
    expect(await lease(admin, 'orders', 5)).toEqual({
      holder: before.holder,
      epoch: before.epoch + 1,
      expiresAt: NOW + LEASE_DURATION_MS,
    });
  });

  it('real Streamhouse: refuses with "hidden", never "no lease row", when row-level security hides the lease', async () => {
    const { admin, store } = await seeded('agent-dead', { organizationId: null });
    const before = await lease(admin, 'orders', 2);
    const r = await store.resetLease('orders', 2, { ...DEAD, epoch: before.epoch });
    expect(r).toEqual({
      changed: false,
      refusal: 'hidden',
      visibility: { scope: 'hidden', reason: 'no-organization' },
    });
    expect(await lease(admin, 'orders', 2)).toEqual(before);
    expect(await store.resetLease('nope', 0, DEAD)).toMatchObject({ refusal: 'hidden' });
    const { store: scoped } = await seeded('agent-dead');
    expect(await scoped.resetLease('nope', 0, DEAD)).toMatchObject({ changed: false, refusal: 'no-row' });
  });

  it('validates its arguments before touching the database', async () => {
    const { store } = await seeded();
    await expect(store.resetLease('orders', -1, { holder: 'a', epoch: 1, deadAfterMs: 1 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    await expect(store.resetLease('orders', 0, { holder: '', epoch: 1, deadAfterMs: 1 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    await expect(store.resetLease('orders', 0, { holder: 'a', epoch: 1.5, deadAfterMs: 1 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    await expect(store.resetLease('bad topic', 0, { holder: 'a', deadAfterMs: 1 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
  });
});

describe('real Streamhouse: row-level security (HEAD schema)', () => {
  it('the schema has RLS enabled, not forced, on the 11 tables, with the tenant policy; real NOT NULLs and FKs', async () => {
    const { admin } = await seeded();
    const rls = await admin.query<{ relname: string; forced: boolean }>(
      `SELECT relname, relforcerowsecurity AS forced FROM pg_class
        WHERE relrowsecurity AND relnamespace = 'public'::regnamespace ORDER BY relname`,
    );
    expect(rls.rows.map((r) => r.relname)).toEqual([...RLS_TABLES].sort());
    expect(rls.rows.every((r) => !r.forced)).toBe(true);
    const policy = await admin.query<{ qual: string }>(
      `SELECT qual FROM pg_policies WHERE tablename = 'partition_leases'`,
    );
    expect(policy.rows).toHaveLength(1);
    expect(policy.rows[0]!.qual).toContain("current_setting('app.current_organization_id'::text, true)");
    expect(policy.rows[0]!.qual).toContain('00000000-0000-0000-0000-000000000000');
    // Migration 002 deleted the all-zero default organization; agents.organization_id is never written.
    expect((await admin.query(`SELECT id FROM organizations`)).rows).toEqual([{ id: SAMPLE_ORG_ID }]);
    expect(
      (await admin.query(`SELECT count(*)::int AS n FROM agents WHERE organization_id IS NOT NULL`)).rows[0].n,
    ).toBe(0);
    // A lease must name an existing partition of its organization and an existing agent.
    await expect(
      admin.query(
        `INSERT INTO partition_leases (organization_id, topic, partition_id, leader_agent_id, lease_expires_at, acquired_at)
         VALUES ($1, 'orders', 99, 'agent-us-east-1a-01', 1, 1)`,
        [SAMPLE_ORG_ID],
      ),
    ).rejects.toMatchObject({ code: '23503' });
    await expect(
      admin.query(`INSERT INTO partition_leases (topic, partition_id, leader_agent_id, lease_expires_at, acquired_at)
                   VALUES ('orders', 0, 'x', 1, 1)`),
    ).rejects.toMatchObject({ code: '23502' });
  });

  it('real Streamhouse: row-level security hides leases from a non-owner role — the bot says so, it is not "0 leases"', async () => {
    const { store } = await seeded('agent-dead', { organizationId: null });
    const leases = await store.leases();
    expect(leases).toMatchObject({ total: 0, leases: [], visibility: { scope: 'hidden', reason: 'no-organization' } });
    const agents = await store.agents();
    expect(agents.find((a) => a.agentId === DEAD_AGENT_ID)).toMatchObject({
      leases: 0,
      leaseVisibility: { scope: 'hidden', reason: 'no-organization' },
    });
    expect(await store.leaseVisibility()).toEqual({ scope: 'hidden', reason: 'no-organization' });
  });

  it('with organizationId configured the bot sets app.current_organization_id for its own reads, that organization only', async () => {
    const { admin, botUrl, store } = await seeded('agent-dead');
    // A second organization with one leased partition, which the scoped view must not show.
    const other = '11111111-2222-4333-8444-555555555555';
    await admin.query(`INSERT INTO organizations (id, name, slug) VALUES ($1, 'Other', 'other')`, [other]);
    await admin.query(
      `INSERT INTO topics (organization_id, name, partition_count, created_at, updated_at) VALUES ($1, 'audit', 1, 0, 0)`,
      [other],
    );
    await admin.query(
      `INSERT INTO partitions (organization_id, topic, partition_id, created_at, updated_at) VALUES ($1, 'audit', 0, 0, 0)`,
      [other],
    );
    await admin.query(
      `INSERT INTO partition_leases (organization_id, topic, partition_id, leader_agent_id, lease_expires_at, acquired_at, epoch)
       VALUES ($1, 'audit', 0, $2, $3, $4, 7)`,
      [other, DEAD_AGENT_ID, NOW + 60_000, NOW - 250_000],
    );
    const scoped = await store.leases();
    expect(scoped.visibility).toEqual({ scope: 'organization', organizationId: SAMPLE_ORG_ID });
    expect(scoped.total).toBe(12);
    expect(scoped.leases.some((l) => l.topic === 'audit')).toBe(false);
    expect((await store.agents()).find((a) => a.agentId === DEAD_AGENT_ID)?.leases).toBe(4);
    // The setting is transaction-local: the bot's role, outside the bot's transactions, still sees nothing.
    const plain = await connect(botUrl);
    expect((await plain.query(`SELECT count(*)::int AS n FROM partition_leases`)).rows[0].n).toBe(0);
    // BYPASSRLS and the owner see both organizations.
    const bypass = storeFor(await grantMetadataRole(admin, botUrl, uniqueName('bypass'), 'bypassrls'));
    expect(await bypass.leases()).toMatchObject({ total: 13, visibility: { scope: 'all', because: 'bypassrls' } });
  });

  it('an organizationId that does not exist (the all-zero one migration 002 deletes) still hides every lease', async () => {
    const { store } = await seeded('healthy', { organizationId: '00000000-0000-0000-0000-000000000000' });
    expect(await store.leases()).toMatchObject({
      total: 0,
      visibility: {
        scope: 'hidden',
        reason: 'unknown-organization',
        organizationId: '00000000-0000-0000-0000-000000000000',
      },
    });
  });

  it('the owner and a superuser see every lease, without setting anything', async () => {
    const { url, admin, botUrl } = await seeded('healthy');
    const ownerRole = uniqueName('owner');
    await admin.query(`CREATE ROLE ${ownerRole} LOGIN`);
    await admin.query(`ALTER TABLE partition_leases OWNER TO ${ownerRole}`);
    await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${ownerRole}`);
    const ownerUrl = new URL(botUrl);
    ownerUrl.username = ownerRole;
    expect(await storeFor(ownerUrl.toString(), { organizationId: null }).leases()).toMatchObject({
      total: 12,
      visibility: { scope: 'all', because: 'owner' },
    });
    expect(await storeFor(url, { organizationId: null }).leaseVisibility()).toEqual({
      scope: 'all',
      because: 'superuser',
    });
  });
});

describe('real Streamhouse (runbook era, 8b45026): the older schema is named', () => {
  it('leases read without RLS; a missing leader_changes names the runbook-era schema, not "is databaseUrl…?"', async () => {
    const url = await createTestDatabase();
    const admin = await connect(url);
    await admin.query(STREAMHOUSE_RUNBOOK_ERA_SCHEMA_SQL);
    await admin.query(`INSERT INTO topics (name, partition_count, created_at, updated_at) VALUES ('orders', 1, 0, 0)`);
    await admin.query(
      `INSERT INTO partitions (topic, partition_id, created_at, updated_at) VALUES ('orders', 0, 0, 0)`,
    );
    await admin.query(
      `INSERT INTO agents (agent_id, address, availability_zone, agent_group, last_heartbeat, started_at)
       VALUES ('agent-1', '10.0.0.1:9090', 'a', 'default', $1, 0)`,
      [NOW - 5_000],
    );
    await admin.query(
      `INSERT INTO partition_leases (topic, partition_id, leader_agent_id, lease_expires_at, acquired_at, epoch)
       VALUES ('orders', 0, 'agent-1', $1, $2, 3)`,
      [NOW + 20_000, NOW - 10_000],
    );
    const store = storeFor(await grantMetadataRole(admin, url, uniqueName('bot'), 'reader'));
    expect(await store.leases()).toMatchObject({ total: 1, visibility: { scope: 'all', because: 'no-rls' } });
    const err = await failure(store.leaderChanges({ sinceMs: 0 }));
    expect(err).toMatchObject({ kind: 'bad-response', code: '42P01' });
    expect(err.message).toMatch(
      /^reading leader_changes: this metadata store has the runbook-era schema \(Streamhouse 8b45026: 7 tables, no row-level security, no organizations, leader_changes, lease_transfers or schema_registry_\* tables\)/,
    );
    expect(err.message).not.toContain('is databaseUrl');
  });

  it('a database without any Streamhouse table still asks whether databaseUrl is the metadata store', async () => {
    const store = storeFor(await createTestDatabase(), { organizationId: null });
    const err = await failure(store.leases());
    expect(err.message).toMatch(/no Streamhouse table is there — is databaseUrl Streamhouse's metadata store\?/);
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
    const { admin, store } = await seeded('healthy', { role: 'owner' });
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
