/**
 * DDL of the part of Streamhouse's Postgres metadata store the bot reads, per `reference/targets.md` §3.3 and
 * `reference/real-systems.md` (HEAD of gbram1/streamhouse, `crates/streamhouse-metadata/migrations-postgres/
 * 001_schema.sql` then `002_remove_default_org.sql`). Used by tests and the demo to build a real database to
 * diagnose; the bot never runs DDL against a real Streamhouse.
 *
 * What matters for the bot is kept exactly: the columns, NOT NULLs and foreign keys of the tables it reads, and the
 * **row-level security** of HEAD — enabled (not forced) on eleven tables with the tenant policy on
 * `app.current_organization_id`. Streamhouse's server never sets that setting: it sees every row because it owns the
 * tables. Any other role without BYPASSRLS sees no lease at all (the all-zero default organization the policy falls
 * back to is deleted by migration 002), or with the setting only that organization's. The tables the bot does not
 * read (segments, consumer groups, API keys, quotas, usage, materialized views) are cut down to their keys, their
 * organization column and their policy; the 9 secondary indexes the bot does not need are left out.
 */

/** The tables with row-level security at HEAD (`001_schema.sql`, "ROW-LEVEL SECURITY POLICIES"). */
export const RLS_TABLES = [
  'organizations',
  'topics',
  'partitions',
  'segments',
  'consumer_groups',
  'consumer_offsets',
  'partition_leases',
  'api_keys',
  'organization_quotas',
  'organization_usage',
  'materialized_views',
] as const;

/** The tenant expression of every policy: the setting, or the all-zero organization that migration 002 deletes. */
export const TENANT_EXPRESSION =
  "COALESCE(NULLIF(current_setting('app.current_organization_id', true), '')::uuid, " +
  "'00000000-0000-0000-0000-000000000000'::uuid)";

const POLICIES = RLS_TABLES.map(
  (t) =>
    `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;\n` +
    `DROP POLICY IF EXISTS tenant_isolation_${t} ON ${t};\n` +
    `CREATE POLICY tenant_isolation_${t} ON ${t} FOR ALL USING (${t === 'organizations' ? 'id' : 'organization_id'} = ${TENANT_EXPRESSION});`,
).join('\n');

export const STREAMHOUSE_METADATA_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS organizations (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name VARCHAR(255) NOT NULL,
  slug VARCHAR(63) NOT NULL UNIQUE,
  external_id VARCHAR(255) UNIQUE,
  plan VARCHAR(50) NOT NULL DEFAULT 'free',
  status VARCHAR(20) NOT NULL DEFAULT 'active',
  deployment_mode VARCHAR(20) NOT NULL DEFAULT 'self_hosted',
  created_at BIGINT NOT NULL DEFAULT (EXTRACT(EPOCH FROM NOW()) * 1000)::BIGINT,
  updated_at BIGINT NOT NULL DEFAULT (EXTRACT(EPOCH FROM NOW()) * 1000)::BIGINT,
  settings JSONB NOT NULL DEFAULT '{}'
);

CREATE TABLE IF NOT EXISTS topics (
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  partition_count INTEGER NOT NULL CHECK (partition_count > 0),
  retention_ms BIGINT,
  cleanup_policy TEXT NOT NULL DEFAULT 'delete',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  config JSONB NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (organization_id, name)
);

CREATE TABLE IF NOT EXISTS partitions (
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  high_watermark BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (organization_id, topic, partition_id),
  FOREIGN KEY (organization_id, topic) REFERENCES topics(organization_id, name) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS segments (
  id TEXT PRIMARY KEY,
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  base_offset BIGINT NOT NULL,
  end_offset BIGINT NOT NULL,
  FOREIGN KEY (organization_id, topic, partition_id)
    REFERENCES partitions(organization_id, topic, partition_id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS consumer_groups (
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  group_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (organization_id, group_id)
);

CREATE TABLE IF NOT EXISTS consumer_offsets (
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  group_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  committed_offset BIGINT NOT NULL,
  committed_at BIGINT NOT NULL,
  PRIMARY KEY (organization_id, group_id, topic, partition_id),
  FOREIGN KEY (organization_id, group_id) REFERENCES consumer_groups(organization_id, group_id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, topic, partition_id)
    REFERENCES partitions(organization_id, topic, partition_id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS api_keys (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name VARCHAR(255) NOT NULL,
  key_hash VARCHAR(64) NOT NULL,
  key_prefix VARCHAR(12) NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS organization_quotas (
  organization_id UUID PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  max_topics INTEGER NOT NULL DEFAULT 10
);

CREATE TABLE IF NOT EXISTS organization_usage (
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  metric VARCHAR(50) NOT NULL,
  value BIGINT NOT NULL DEFAULT 0,
  period_start TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (organization_id, metric, period_start)
);

CREATE TABLE IF NOT EXISTS materialized_views (
  id TEXT PRIMARY KEY,
  organization_id UUID NOT NULL,
  name VARCHAR(255) NOT NULL,
  source_topic TEXT NOT NULL,
  UNIQUE (organization_id, name)
);

CREATE TABLE IF NOT EXISTS agents (
  agent_id TEXT PRIMARY KEY,
  organization_id UUID REFERENCES organizations(id) ON DELETE SET NULL,
  address TEXT NOT NULL UNIQUE,
  availability_zone TEXT NOT NULL,
  agent_group TEXT NOT NULL,
  last_heartbeat BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  metadata JSONB NOT NULL DEFAULT '{}'::jsonb
);

-- Primary key (topic, partition_id) WITHOUT the organization; epoch-ms timestamps.
CREATE TABLE IF NOT EXISTS partition_leases (
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  leader_agent_id TEXT NOT NULL REFERENCES agents(agent_id) ON DELETE CASCADE,
  lease_expires_at BIGINT NOT NULL,
  acquired_at BIGINT NOT NULL,
  epoch BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (topic, partition_id),
  FOREIGN KEY (organization_id, topic, partition_id)
    REFERENCES partitions(organization_id, topic, partition_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_partition_leases_agent ON partition_leases(leader_agent_id);
CREATE INDEX IF NOT EXISTS idx_partition_leases_expiration ON partition_leases(lease_expires_at);
CREATE INDEX IF NOT EXISTS idx_partition_leases_topic ON partition_leases(topic);
CREATE INDEX IF NOT EXISTS idx_partition_leases_org ON partition_leases(organization_id);

CREATE TABLE IF NOT EXISTS lease_transfers (
  transfer_id TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  from_agent_id TEXT NOT NULL,
  to_agent_id TEXT NOT NULL,
  from_epoch BIGINT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  reason TEXT NOT NULL,
  initiated_at BIGINT NOT NULL,
  completed_at BIGINT,
  timeout_at BIGINT NOT NULL,
  last_flushed_offset BIGINT,
  high_watermark BIGINT,
  error TEXT
);

CREATE TABLE IF NOT EXISTS leader_changes (
  id BIGSERIAL PRIMARY KEY,
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  from_agent_id TEXT,
  to_agent_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  gap_ms BIGINT NOT NULL DEFAULT 0,
  changed_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_leader_changes_partition ON leader_changes(topic, partition_id, changed_at);

CREATE TABLE IF NOT EXISTS schema_registry_schemas (
  id SERIAL PRIMARY KEY,
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  schema_format VARCHAR(20) NOT NULL,
  schema_definition TEXT NOT NULL,
  schema_hash VARCHAR(64) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (schema_hash)
);

CREATE TABLE IF NOT EXISTS schema_registry_versions (
  id SERIAL PRIMARY KEY,
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  subject VARCHAR(255) NOT NULL,
  version INT NOT NULL,
  schema_id INT NOT NULL REFERENCES schema_registry_schemas(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (subject, version)
);

CREATE TABLE IF NOT EXISTS schema_registry_subject_config (
  subject VARCHAR(255) PRIMARY KEY,
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  compatibility VARCHAR(20) NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS schema_registry_global_config (
  id BOOLEAN PRIMARY KEY DEFAULT TRUE,
  compatibility VARCHAR(20) NOT NULL DEFAULT 'backward',
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT single_row CHECK (id)
);
INSERT INTO schema_registry_global_config (id, compatibility) VALUES (TRUE, 'backward') ON CONFLICT (id) DO NOTHING;

-- 001 seeds the all-zero "Default Organization"; 002_remove_default_org.sql deletes it again.
DELETE FROM organizations WHERE id = '00000000-0000-0000-0000-000000000000';

${POLICIES}
`;

/**
 * The metadata store as it was at the runbook's commit (8b45026: `001_initial_schema.sql` and
 * `002_agent_coordination.sql`): seven tables, no organizations, no row-level security, no `leader_changes`,
 * `lease_transfers` or `schema_registry_*`. For tests of how the bot names an older schema.
 */
export const STREAMHOUSE_RUNBOOK_ERA_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS topics (
  name TEXT PRIMARY KEY,
  partition_count INTEGER NOT NULL CHECK (partition_count > 0),
  retention_ms BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  config JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE TABLE IF NOT EXISTS partitions (
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  high_watermark BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (topic, partition_id),
  FOREIGN KEY (topic) REFERENCES topics(name) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS segments (
  id TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  base_offset BIGINT NOT NULL,
  end_offset BIGINT NOT NULL,
  record_count INTEGER NOT NULL,
  size_bytes BIGINT NOT NULL,
  s3_bucket TEXT NOT NULL,
  s3_key TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  FOREIGN KEY (topic, partition_id) REFERENCES partitions(topic, partition_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS consumer_groups (
  group_id TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS consumer_offsets (
  group_id TEXT NOT NULL REFERENCES consumer_groups(group_id) ON DELETE CASCADE,
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  committed_offset BIGINT NOT NULL,
  metadata TEXT,
  committed_at BIGINT NOT NULL,
  PRIMARY KEY (group_id, topic, partition_id),
  FOREIGN KEY (topic, partition_id) REFERENCES partitions(topic, partition_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS agents (
  agent_id TEXT PRIMARY KEY,
  address TEXT NOT NULL UNIQUE,
  availability_zone TEXT NOT NULL,
  agent_group TEXT NOT NULL,
  last_heartbeat BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  metadata JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE TABLE IF NOT EXISTS partition_leases (
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  leader_agent_id TEXT NOT NULL REFERENCES agents(agent_id) ON DELETE CASCADE,
  lease_expires_at BIGINT NOT NULL,
  acquired_at BIGINT NOT NULL,
  epoch BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (topic, partition_id),
  FOREIGN KEY (topic, partition_id) REFERENCES partitions(topic, partition_id) ON DELETE CASCADE
);
`;
