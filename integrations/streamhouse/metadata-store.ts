import type pg from 'pg';
import type { Clock } from '../../src/core/clock.js';
import type { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import { pgError, type PgErrorTexts } from '../shared/pg-errors.js';
import { createTargetDatabase } from '../shared/pg-target.js';

/**
 * Read access to Streamhouse's Postgres metadata store (`reference/targets.md` §3.3), plus the one write the runbook's
 * "force lease reset" needs. Every read runs in a read-only transaction with a `statement_timeout`; every query is
 * parameterised; every failure is a {@link TargetError} whose message never holds the DSN or the server's own text.
 */

/** One row of `partition_leases`, with its holder's heartbeat. Times are epoch ms. */
export interface LeaseRow {
  readonly topic: string;
  readonly partition: number;
  /** `leader_agent_id` (the sub-runbooks call it `agent_id`, which does not exist). */
  readonly holder: string;
  /** `epoch` (the sub-runbooks call it `lease_epoch`, which does not exist). */
  readonly epoch: number;
  readonly expiresAtMs: number;
  readonly acquiredAtMs: number;
  /** The holder's `agents.last_heartbeat`; null when the agent row is gone (cannot happen with the FK, but tolerated). */
  readonly holderHeartbeatMs: number | null;
}

/**
 * Whether the bot's role sees every row of `partition_leases`. At HEAD row-level security is enabled on it with a
 * per-organization policy on `app.current_organization_id`; Streamhouse's server sees everything because it owns the
 * tables, while any other role without BYPASSRLS sees no lease at all — silently (real-systems.md, Streamhouse 1).
 */
export type LeaseVisibility =
  /** Every lease: no RLS on the table (the runbook-era schema), or the role is superuser, has BYPASSRLS or owns it. */
  | { readonly scope: 'all'; readonly because: 'no-rls' | 'superuser' | 'bypassrls' | 'owner' }
  /** RLS applies; the bot set `app.current_organization_id` (SET LOCAL) to the configured organization. */
  | { readonly scope: 'organization'; readonly organizationId: string }
  /**
   * RLS applies and the role sees no lease: no organizationId is configured, or the configured organization does
   * not exist (e.g. the all-zero default organization, which migration 002 deletes).
   */
  | {
      readonly scope: 'hidden';
      readonly reason: 'no-organization' | 'unknown-organization';
      readonly organizationId?: string;
    };

export interface LeaseList {
  /** What the bot's role could see when it read the leases (checked in the same transaction). */
  readonly visibility: LeaseVisibility;
  /**
   * At most `limit`, those needing attention first: by holder heartbeat (oldest, or no agent row, first), then by
   * expiry (soonest first). A cut list therefore keeps the leases of dead agents and the expired ones.
   */
  readonly leases: readonly LeaseRow[];
  /** How many leases matched in all (more than `leases.length` when the limit cut the list). */
  readonly total: number;
}

/** One row of `agents`, with how many partition leases it holds. */
export interface AgentRow {
  readonly agentId: string;
  readonly address: string;
  readonly availabilityZone: string;
  readonly agentGroup: string;
  readonly lastHeartbeatMs: number;
  readonly startedAtMs: number;
  /** Leases held, as far as the bot's role sees them: see {@link AgentRow.leaseVisibility}. */
  readonly leases: number;
  /** Whether {@link AgentRow.leases} counts every lease (`agents` itself has no RLS; `partition_leases` does). */
  readonly leaseVisibility: LeaseVisibility;
}

/** One row of `leader_changes`. */
export interface LeaderChangeRow {
  readonly topic: string;
  readonly partition: number;
  readonly from: string | null;
  readonly to: string;
  readonly reason: string;
  readonly epoch: number;
  readonly gapMs: number;
  readonly changedAtMs: number;
}

/** What the lease looked like when {@link StreamhouseMetadataStore.resetLease} re-read it, with its holder's heartbeat. */
export interface LeaseState {
  readonly holder: string;
  readonly epoch: number;
  readonly expiresAtMs: number;
  readonly holderHeartbeatMs: number | null;
}

/** Why a reset changed nothing: the lease is not what the card showed (or the bot cannot see it). */
export type ResetRefusal =
  /** Row-level security hides the lease from the bot's role: nothing can be checked or changed. */
  | 'hidden'
  /** No lease row (visible to the bot). */
  | 'no-row'
  /** Another agent holds it now. */
  | 'holder-changed'
  /** Same holder, different epoch: it renewed since the card (every 10 s renewal bumps the epoch), so it is alive. */
  | 'renewed'
  /** Same holder and epoch, but the holder heartbeats again. */
  | 'holder-alive'
  /** The expiry is already in the past: another agent can take it over without the bot. */
  | 'already-expired';

/** What {@link StreamhouseMetadataStore.resetLease} did. */
export type ResetLeaseResult =
  | {
      readonly changed: true;
      /** The lease as it was just before the reset (and still matched the card). */
      readonly lease: LeaseState;
      readonly expiresAtMs: number;
      readonly visibility: LeaseVisibility;
    }
  | {
      readonly changed: false;
      readonly refusal: ResetRefusal;
      /** The lease as it stands; undefined when there is no (visible) row. */
      readonly lease?: LeaseState;
      readonly visibility: LeaseVisibility;
    };

/** What the card showed, re-checked by {@link StreamhouseMetadataStore.resetLease} right before it writes. */
export interface ResetExpectation {
  /** `leader_agent_id` on the card. */
  readonly holder: string;
  /** `epoch` on the card; undefined when typed by hand (then only holder and death are checked). */
  readonly epoch?: number;
  /** The holder must not have heartbeated for longer than this, ms (the card said it was dead). */
  readonly deadAfterMs: number;
}

export interface QueryOptions {
  /** Checked before the query starts (pg cannot cancel a running statement; `statement_timeout` bounds it). */
  readonly signal?: AbortSignal;
}

export interface StreamhouseMetadataStore {
  /**
   * `partition_leases` (optionally of one topic) joined with the holder's heartbeat, those needing attention first
   * (see {@link LeaseList}). Default limit 2000.
   */
  leases(q?: QueryOptions & { readonly topic?: string; readonly limit?: number }): Promise<LeaseList>;
  /** `agents` with their lease counts, by agent id. At most 1000. */
  agents(o?: QueryOptions): Promise<AgentRow[]>;
  /** `leader_changes` since `sinceMs` (optionally of one topic), newest first. Default limit 50. */
  leaderChanges(
    q: QueryOptions & { readonly sinceMs: number; readonly topic?: string; readonly limit?: number },
  ): Promise<LeaderChangeRow[]>;
  /** Whether the bot's role sees every lease (the one catalog query), with the organization setting applied. */
  leaseVisibility(o?: QueryOptions): Promise<LeaseVisibility>;
  /**
   * The runbook's "force lease reset", made safe: in ONE transaction, re-reads the lease `FOR UPDATE` and sets
   * `lease_expires_at` into the past only if it is still what the card showed — held by `expected.holder`, at
   * `expected.epoch` when given (a live holder bumps the epoch on every 10 s renewal, so an unchanged epoch means it
   * has not renewed since), its holder still without a heartbeat, and not already expired. Otherwise it changes
   * nothing and says why, with the lease as it stands.
   */
  resetLease(topic: string, partition: number, expected: ResetExpectation, o?: QueryOptions): Promise<ResetLeaseResult>;
  /** Closes the pool. Calls after this fail with `unreachable`. */
  close(): Promise<void>;
}

export interface MetadataStoreOptions {
  readonly databaseUrl: Secret;
  /** Connection and statement timeout, ms. */
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Pool size. Default 2: the bot's queries are few and small. */
  readonly maxConnections?: number;
  /**
   * `organizationId` of the config. When row-level security hides leases from the bot's role, the bot sets
   * `app.current_organization_id` to it (SET LOCAL, inside its own read transaction) and sees that organization's.
   */
  readonly organizationId?: string;
}

const DEFAULT_LEASE_LIMIT = 2000;
const AGENT_LIMIT = 1000;
const DEFAULT_CHANGE_LIMIT = 50;
/**
 * How far into the past a reset puts the expiry. Agents compare with their own clock (`lease_expires_at < now_ms`),
 * so a margin covers clock skew between the bot and the agents.
 */
export const RESET_PAST_MARGIN_MS = 60_000;

const TOPIC_RE = /^[A-Za-z0-9._-]{1,249}$/;

/** The seven tables of the runbook-era schema (8b45026), all still present at HEAD. */
const RUNBOOK_ERA_TABLES = [
  'topics',
  'partitions',
  'segments',
  'consumer_groups',
  'consumer_offsets',
  'agents',
  'partition_leases',
] as const;
/** Tables HEAD has and the runbook era did not. */
const HEAD_ONLY_TABLES = ['organizations', 'leader_changes', 'lease_transfers', 'schema_registry_schemas'] as const;

/**
 * Whether the role sees every lease: RLS of `partition_leases` (enabled, forced) and the role's superuser, BYPASSRLS
 * and ownership (membership with the owner's privileges counts, as it does for RLS); plus whether it may read
 * `organizations` (to check the configured organization exists). A missing table gives NULLs, read as "no RLS".
 */
const VISIBILITY_SQL = `
  SELECT c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
         r.rolsuper AS superuser, r.rolbypassrls AS bypass,
         CASE WHEN c.oid IS NULL THEN NULL ELSE pg_has_role(current_user, c.relowner, 'USAGE') END AS owner,
         (o.oid IS NOT NULL AND has_table_privilege(o.oid, 'SELECT')) AS can_read_orgs
    FROM pg_roles r
    LEFT JOIN pg_class c ON c.oid = to_regclass('partition_leases')
    LEFT JOIN pg_class o ON o.oid = to_regclass('organizations')
   WHERE r.rolname = current_user`;

/** Builds the store. The pool is created on first use, so building clients never touches the network. */
export function createStreamhouseMetadataStore(o: MetadataStoreOptions): StreamhouseMetadataStore {
  const db = createTargetDatabase({
    databaseUrl: o.databaseUrl,
    maxConnections: o.maxConnections,
    connectTimeoutMs: o.timeoutMs,
    statementTimeoutMs: o.timeoutMs,
    queryTimeoutMarginMs: 1000,
    texts: METADATA_DB_TEXTS,
    closedName: 'store',
  });
  const transaction: typeof db.transaction = async (what, mode, signal, body) => {
    try {
      return await db.transaction(what, mode, signal, body);
    } catch (err) {
      if (err instanceof TargetError && err.code === '42P01') throw await missingTableError(err, what);
      throw err;
    }
  };

  /** A 42P01 worded for the schema actually there: HEAD, the runbook era, or not Streamhouse's at all. */
  async function missingTableError(err: TargetError, what: string): Promise<TargetError> {
    const present = await db
      .transaction('listing the metadata tables', 'read only', undefined, async (c) => {
        const r = await c.query<{ t: string }>(
          'SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL',
          [[...RUNBOOK_ERA_TABLES, ...HEAD_ONLY_TABLES]],
        );
        return new Set(r.rows.map((row) => row.t));
      })
      .catch(() => undefined);
    if (!present) return err;
    const era = RUNBOOK_ERA_TABLES.every((t) => present.has(t)) && HEAD_ONLY_TABLES.every((t) => !present.has(t));
    const reason = era
      ? `this metadata store has the runbook-era schema (Streamhouse 8b45026: ${RUNBOOK_ERA_TABLES.length} tables, ` +
        'no row-level security, no organizations, leader_changes, lease_transfers or schema_registry_* tables) — ' +
        'the bot reads it, but what those tables hold is not recorded in this version'
      : present.size === 0
        ? "no Streamhouse table is there — is databaseUrl Streamhouse's metadata store?"
        : 'a Streamhouse table is missing — the schema differs from both Streamhouse HEAD and the runbook-era schema';
    return new TargetError('bad-response', `${what}: ${reason} (${db.host})`, { cause: err, code: '42P01' });
  }

  /**
   * The one catalog query (is RLS on for `partition_leases`; is the role superuser, BYPASSRLS or the owner), then,
   * when RLS hides rows and an organization is configured, `SET LOCAL app.current_organization_id` for this
   * transaction only.
   */
  async function applyVisibility(c: pg.PoolClient): Promise<LeaseVisibility> {
    const row = (await c.query<Record<string, unknown>>(VISIBILITY_SQL)).rows[0] ?? {};
    const forced = row.forced === true;
    if (row.superuser === true) return { scope: 'all', because: 'superuser' };
    if (row.bypass === true) return { scope: 'all', because: 'bypassrls' };
    if (row.rls !== true) return { scope: 'all', because: 'no-rls' };
    if (row.owner === true && !forced) return { scope: 'all', because: 'owner' };
    const org = o.organizationId;
    if (org === undefined) return { scope: 'hidden', reason: 'no-organization' };
    await c.query("SELECT set_config('app.current_organization_id', $1, true)", [org]);
    if (row.can_read_orgs === true) {
      // organizations has the same policy (on id): with the setting, its row is visible exactly when it exists.
      const known = await c.query<{ known: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1::uuid) AS known',
        [org],
      );
      if (known.rows[0]?.known !== true)
        return { scope: 'hidden', reason: 'unknown-organization', organizationId: org };
    }
    return { scope: 'organization', organizationId: org };
  }

  return {
    async leaseVisibility(q = {}) {
      return transaction('checking which leases the role may see', 'read only', q.signal, applyVisibility);
    },

    async leases(q = {}) {
      const topic = q.topic === undefined ? null : checkTopic(q.topic, 'read partition leases');
      const limit = clampLimit(q.limit, DEFAULT_LEASE_LIMIT);
      return transaction('reading partition_leases', 'read only', q.signal, async (c) => {
        const visibility = await applyVisibility(c);
        const rows = await c.query<Record<string, unknown>>(
          `SELECT l.topic, l.partition_id, l.leader_agent_id, l.epoch, l.lease_expires_at, l.acquired_at,
                  a.last_heartbeat
             FROM partition_leases l
             LEFT JOIN agents a ON a.agent_id = l.leader_agent_id
            WHERE ($1::text IS NULL OR l.topic = $1)
            ORDER BY a.last_heartbeat ASC NULLS FIRST, l.lease_expires_at ASC, l.topic, l.partition_id
            LIMIT $2`,
          [topic, limit],
        );
        const count = await c.query<{ n: string }>(
          'SELECT count(*) AS n FROM partition_leases WHERE ($1::text IS NULL OR topic = $1)',
          [topic],
        );
        return {
          visibility,
          leases: rows.rows.map((r) => ({
            topic: String(r.topic),
            partition: int(r.partition_id),
            holder: String(r.leader_agent_id),
            epoch: int(r.epoch),
            expiresAtMs: int(r.lease_expires_at),
            acquiredAtMs: int(r.acquired_at),
            holderHeartbeatMs: r.last_heartbeat === null ? null : int(r.last_heartbeat),
          })),
          total: int(count.rows[0]?.n ?? 0),
        };
      });
    },

    async agents(q = {}) {
      return transaction('reading agents', 'read only', q.signal, async (c) => {
        const leaseVisibility = await applyVisibility(c);
        const rows = await c.query<Record<string, unknown>>(
          `SELECT a.agent_id, a.address, a.availability_zone, a.agent_group, a.last_heartbeat, a.started_at,
                  (SELECT count(*) FROM partition_leases l WHERE l.leader_agent_id = a.agent_id) AS leases
             FROM agents a
            ORDER BY a.agent_id
            LIMIT $1`,
          [AGENT_LIMIT],
        );
        return rows.rows.map((r) => ({
          agentId: String(r.agent_id),
          address: String(r.address),
          availabilityZone: String(r.availability_zone),
          agentGroup: String(r.agent_group),
          lastHeartbeatMs: int(r.last_heartbeat),
          startedAtMs: int(r.started_at),
          leases: int(r.leases),
          leaseVisibility,
        }));
      });
    },

    async leaderChanges(q) {
      const topic = q.topic === undefined ? null : checkTopic(q.topic, 'read leader changes');
      const limit = clampLimit(q.limit, DEFAULT_CHANGE_LIMIT);
      if (!Number.isSafeInteger(q.sinceMs)) {
        throw new TargetError('api-error', 'leader changes not read: sinceMs must be an integer', {
          code: 'VALIDATION_ERROR',
        });
      }
      return transaction('reading leader_changes', 'read only', q.signal, async (c) => {
        const rows = await c.query<Record<string, unknown>>(
          `SELECT topic, partition_id, from_agent_id, to_agent_id, reason, epoch, gap_ms, changed_at
             FROM leader_changes
            WHERE changed_at >= $1 AND ($2::text IS NULL OR topic = $2)
            ORDER BY changed_at DESC, id DESC
            LIMIT $3`,
          [q.sinceMs, topic, limit],
        );
        return rows.rows.map((r) => ({
          topic: String(r.topic),
          partition: int(r.partition_id),
          from: r.from_agent_id === null ? null : String(r.from_agent_id),
          to: String(r.to_agent_id),
          reason: String(r.reason),
          epoch: int(r.epoch),
          gapMs: int(r.gap_ms),
          changedAtMs: int(r.changed_at),
        }));
      });
    },

    async resetLease(topic, partition, expected, q = {}) {
      checkTopic(topic, 'reset the lease');
      if (!Number.isSafeInteger(partition) || partition < 0 || partition > 2_147_483_647) {
        throw validation('reset the lease', 'the partition must be a non-negative integer');
      }
      const holder = expected?.holder;
      if (typeof holder !== 'string' || holder.trim() === '' || holder.length > 255) {
        throw validation('reset the lease', 'the expected holder is empty');
      }
      if (expected.epoch !== undefined && (!Number.isSafeInteger(expected.epoch) || expected.epoch < 0)) {
        throw validation('reset the lease', 'the expected epoch must be a non-negative integer');
      }
      if (!Number.isSafeInteger(expected.deadAfterMs) || expected.deadAfterMs <= 0) {
        throw validation('reset the lease', 'deadAfterMs must be a positive integer');
      }
      const now = o.clock.now();
      const past = now - RESET_PAST_MARGIN_MS;
      return transaction(`resetting the lease of ${topic}/${partition}`, 'read write', q.signal, async (c) => {
        const visibility = await applyVisibility(c);
        if (visibility.scope === 'hidden') return { changed: false, refusal: 'hidden', visibility };
        // Re-read under the row lock: a renewal or takeover that commits first is seen here, and none can slip in
        // between this check and the UPDATE.
        const found = await c.query<Record<string, unknown>>(
          `SELECT l.leader_agent_id, l.epoch, l.lease_expires_at, a.last_heartbeat
             FROM partition_leases l
             LEFT JOIN agents a ON a.agent_id = l.leader_agent_id
            WHERE l.topic = $1 AND l.partition_id = $2
              FOR UPDATE OF l`,
          [topic, partition],
        );
        const row = found.rows[0];
        if (!row) return { changed: false, refusal: 'no-row', visibility };
        const lease: LeaseState = {
          holder: String(row.leader_agent_id),
          epoch: int(row.epoch),
          expiresAtMs: int(row.lease_expires_at),
          holderHeartbeatMs: row.last_heartbeat === null ? null : int(row.last_heartbeat),
        };
        const refusal: ResetRefusal | undefined =
          lease.holder !== holder
            ? 'holder-changed'
            : expected.epoch !== undefined && lease.epoch !== expected.epoch
              ? 'renewed'
              : lease.holderHeartbeatMs !== null && now - lease.holderHeartbeatMs <= expected.deadAfterMs
                ? 'holder-alive'
                : lease.expiresAtMs <= past
                  ? 'already-expired'
                  : undefined;
        if (refusal) return { changed: false, refusal, lease, visibility };
        await c.query(
          `UPDATE partition_leases SET lease_expires_at = $5
            WHERE topic = $1 AND partition_id = $2 AND leader_agent_id = $3 AND epoch = $4`,
          [topic, partition, lease.holder, lease.epoch, past],
        );
        return { changed: true, lease, expiresAtMs: past, visibility };
      });
    },

    close: () => db.close(),
  };
}

/** BIGINT and count(*) arrive as strings; ms timestamps and epochs fit a double exactly. */
function int(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) {
    throw new TargetError(
      'bad-response',
      'the metadata database returned a non-numeric value where a number was expected',
    );
  }
  return n;
}

function clampLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined || !Number.isSafeInteger(limit) || limit <= 0) return fallback;
  return Math.min(limit, 10_000);
}

function validation(action: string, reason: string): TargetError {
  return new TargetError('api-error', `Did not ${action}: ${reason}`, { code: 'VALIDATION_ERROR' });
}

/** Streamhouse topic names as the bot accepts them (Kafka's rule: [A-Za-z0-9._-], at most 249). */
function checkTopic(topic: string, action: string): string {
  if (typeof topic !== 'string' || !TOPIC_RE.test(topic)) throw validation(action, 'the topic name is not valid');
  return topic;
}

/** How this database's failures are worded (see {@link pgError}). */
const METADATA_DB_TEXTS: PgErrorTexts = {
  database: 'metadata database',
  missingTable: "a Streamhouse table is missing — is databaseUrl Streamhouse's metadata store?",
  missingColumn: 'a column the bot reads is missing — the schema differs from Streamhouse HEAD',
  shuttingDown: 'closed the connection (terminated or restarting)',
  startingUp: 'is starting up and refuses connections',
  quoteTimeout: true,
  unknownError: 'connection error',
};

/**
 * Turns a pg or socket error into a TargetError. Only fixed sentences, the host and SQLSTATE codes reach the
 * message: the server's own text may quote the role name, and the DSN is never in it.
 */
export function databaseError(err: unknown, what: string, host: string, timeoutMs: number): TargetError {
  return pgError(err, what, host, timeoutMs, METADATA_DB_TEXTS);
}
