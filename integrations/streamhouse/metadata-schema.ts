/**
 * DDL of the part of Streamhouse's Postgres metadata store the bot reads, per `reference/targets.md` §3.3 (HEAD of
 * gbram1/streamhouse, `crates/streamhouse-metadata/migrations-postgres/001_schema.sql`). Used by tests and the demo
 * to build a real database to diagnose; the bot never runs DDL against a real Streamhouse.
 *
 * `organizations`, `topics` and `partitions` are cut down to the columns the foreign keys of `partition_leases`
 * need (the reference lists those tables without their columns). The seven tables of §3.3 are complete.
 */
export const STREAMHOUSE_METADATA_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS organizations (
  id UUID PRIMARY KEY,
  name TEXT NOT NULL,
  slug TEXT NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS topics (
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  partition_count INTEGER NOT NULL CHECK (partition_count > 0),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
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
  organization_id UUID NOT NULL,
  schema_format VARCHAR(20) NOT NULL,
  schema_definition TEXT NOT NULL,
  schema_hash VARCHAR(64) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (schema_hash)
);

CREATE TABLE IF NOT EXISTS schema_registry_versions (
  id SERIAL PRIMARY KEY,
  organization_id UUID NOT NULL,
  subject VARCHAR(255) NOT NULL,
  version INT NOT NULL,
  schema_id INT NOT NULL REFERENCES schema_registry_schemas(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (subject, version)
);

CREATE TABLE IF NOT EXISTS schema_registry_subject_config (
  subject VARCHAR(255) PRIMARY KEY,
  organization_id UUID NOT NULL,
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
`;
