import { createHash } from 'node:crypto';
import pg from 'pg';
import { STREAMHOUSE_METADATA_SCHEMA_SQL } from './metadata-schema.js';
import {
  SAMPLE_GLOBAL_COMPATIBILITY,
  createSampleCluster,
  createSampleSubjects,
  type SampleCluster,
  type SampleClusterState,
} from './sample-cluster.js';

export interface SeedOptions {
  /** The "now" the rows are relative to (heartbeat ages, lease expiries). Use the test's injected clock. */
  readonly nowMs: number;
  /**
   * Also insert the sample's `leader_changes` rows. Default false: Streamhouse's Postgres store never writes that
   * table at HEAD (only its SQLite store records transfers), so a real database has none.
   */
  readonly recordLeaderChanges?: boolean;
}

/**
 * Test and demo helper: creates the §3.3 tables (idempotent) in the given database and inserts the sample cluster
 * in the given state — `healthy`, `expired-lease` (a dead agent's leases expired 2 min ago), `agent-dead` (a lease
 * held by an agent with no heartbeat for 4 min, still valid), `lease-churn` (one partition changed leader six times
 * in 12 min; recorded in `leader_changes` only with `recordLeaderChanges`) — plus the sample schema registry, as
 * the tables' owner. Returns what it inserted. Never pointed at a real Streamhouse.
 */
export async function seedStreamhouseMetadata(
  target: pg.Pool | pg.ClientBase,
  state: SampleClusterState,
  o: SeedOptions,
): Promise<SampleCluster> {
  // A transaction needs one connection: a pool lends one for the whole seed. The seeding role owns the tables (as
  // Streamhouse's own role does), so row-level security does not apply to it.
  const db = target instanceof pg.Pool ? await target.connect() : target;
  try {
    return await seed(db, state, o);
  } finally {
    if (target instanceof pg.Pool) (db as pg.PoolClient).release();
  }
}

async function seed(db: pg.ClientBase, state: SampleClusterState, o: SeedOptions): Promise<SampleCluster> {
  const cluster = createSampleCluster(state, o.nowMs);
  const org = cluster.organizationId;
  await db.query(STREAMHOUSE_METADATA_SCHEMA_SQL);
  await db.query('BEGIN');
  try {
    await db.query(
      `INSERT INTO organizations (id, name, slug, plan) VALUES ($1, 'Sample', 'sample', 'pro') ON CONFLICT (id) DO NOTHING`,
      [org],
    );
    for (const t of cluster.topics) {
      await db.query(
        `INSERT INTO topics (organization_id, name, partition_count, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
        [org, t.name, t.partitions, o.nowMs - 30 * 86_400_000],
      );
      for (let p = 0; p < t.partitions; p++) {
        await db.query(
          `INSERT INTO partitions (organization_id, topic, partition_id, high_watermark, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $5)`,
          [org, t.name, p, 1_000_000 + p, o.nowMs - 30 * 86_400_000],
        );
      }
    }
    for (const a of cluster.agents) {
      // agents.organization_id stays NULL: agent registration never writes it (real-systems.md, Streamhouse 3).
      await db.query(
        `INSERT INTO agents (agent_id, address, availability_zone, agent_group, last_heartbeat, started_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [a.agentId, a.address, a.availabilityZone, a.agentGroup, a.lastHeartbeat, a.startedAt],
      );
    }
    for (const l of cluster.leases) {
      await db.query(
        `INSERT INTO partition_leases
           (organization_id, topic, partition_id, leader_agent_id, lease_expires_at, acquired_at, epoch)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [org, l.topic, l.partition, l.holder, l.expiresAt, l.acquiredAt, l.epoch],
      );
    }
    for (const c of o.recordLeaderChanges ? cluster.leaderChanges : []) {
      await db.query(
        `INSERT INTO leader_changes (topic, partition_id, from_agent_id, to_agent_id, reason, epoch, gap_ms, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [c.topic, c.partition, c.from, c.to, c.reason, c.epoch, c.gapMs, c.changedAt],
      );
    }
    await db.query(`UPDATE schema_registry_global_config SET compatibility = $1`, [
      SAMPLE_GLOBAL_COMPATIBILITY.toLowerCase(),
    ]);
    for (const s of createSampleSubjects()) {
      for (const v of s.versions) {
        await db.query(
          `INSERT INTO schema_registry_schemas (id, organization_id, schema_format, schema_definition, schema_hash)
           VALUES ($1, $2, $3, $4, $5)`,
          [v.id, org, v.schemaType.toLowerCase(), v.schema, createHash('sha256').update(v.schema).digest('hex')],
        );
        await db.query(
          `INSERT INTO schema_registry_versions (organization_id, subject, version, schema_id) VALUES ($1, $2, $3, $4)`,
          [org, s.subject, v.version, v.id],
        );
      }
      if (s.compatibility) {
        await db.query(
          `INSERT INTO schema_registry_subject_config (subject, organization_id, compatibility) VALUES ($1, $2, $3)`,
          [s.subject, org, s.compatibility.toLowerCase()],
        );
      }
    }
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return cluster;
}

/** How a test or demo role reaches the metadata store: the ways real deployments grant it (README, credentials). */
export type MetadataRoleAccess =
  /** SELECT on every table (and UPDATE of `partition_leases` for the reset): row-level security applies. */
  | 'reader'
  /** The same grants plus BYPASSRLS: sees every organization's rows. */
  | 'bypassrls';

/**
 * Test and demo helper: creates (or updates) the login role `role` — not the tables' owner — with the grants of
 * `access` on the database at `databaseUrl`, and returns that URL with the role as its user. Run it after the seed
 * (grants cover the tables that exist). Roles are cluster-wide: use a name unique to the database.
 */
export async function grantMetadataRole(
  admin: pg.ClientBase | pg.Pool,
  databaseUrl: string,
  role: string,
  access: MetadataRoleAccess,
): Promise<string> {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(role)) throw new Error(`unsafe role name ${JSON.stringify(role)}`);
  const database = new URL(databaseUrl).pathname.slice(1);
  const bypass = access === 'bypassrls' ? 'BYPASSRLS' : 'NOBYPASSRLS';
  await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN; END IF;
    END $$`);
  await admin.query(`ALTER ROLE ${role} LOGIN NOSUPERUSER ${bypass}`);
  await admin.query(`GRANT CONNECT ON DATABASE "${database}" TO ${role}`);
  await admin.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
  if ((await admin.query(`SELECT to_regclass('partition_leases') IS NOT NULL AS ok`)).rows[0]?.ok) {
    await admin.query(`GRANT UPDATE (lease_expires_at) ON partition_leases TO ${role}`);
  }
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = '';
  return url.toString();
}
