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

export interface LeaseList {
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
  readonly leases: number;
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

/** What {@link StreamhouseMetadataStore.resetLease} did. */
export interface ResetLeaseResult {
  /** True when the row still had the expected holder and epoch and its expiry was moved into the past. */
  readonly changed: boolean;
  /** The lease as it stands after the attempt; undefined when the partition has no lease row. */
  readonly lease?: Pick<LeaseRow, 'holder' | 'epoch' | 'expiresAtMs'>;
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
  /**
   * The runbook's "force lease reset", made safe: in ONE transaction, sets `lease_expires_at` of `topic/partition`
   * into the past only if the lease is still held by `expectedHolder` at `expectedEpoch` and not already expired.
   * An agent's acquisition takes over an expired lease and bumps the epoch, so a concurrent renewal or takeover
   * (epoch or holder changed) makes this a no-op. Not wired to any button yet.
   */
  resetLease(
    topic: string,
    partition: number,
    expectedHolder: string,
    expectedEpoch: number,
    o?: QueryOptions,
  ): Promise<ResetLeaseResult>;
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
  const transaction = db.transaction;

  return {
    async leases(q = {}) {
      const topic = q.topic === undefined ? null : checkTopic(q.topic, 'read partition leases');
      const limit = clampLimit(q.limit, DEFAULT_LEASE_LIMIT);
      return transaction('reading partition_leases', 'read only', q.signal, async (c) => {
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

    async resetLease(topic, partition, expectedHolder, expectedEpoch, q = {}) {
      checkTopic(topic, 'reset the lease');
      if (!Number.isSafeInteger(partition) || partition < 0 || partition > 2_147_483_647) {
        throw validation('reset the lease', 'the partition must be a non-negative integer');
      }
      if (typeof expectedHolder !== 'string' || expectedHolder.trim() === '' || expectedHolder.length > 255) {
        throw validation('reset the lease', 'the expected holder is empty');
      }
      if (!Number.isSafeInteger(expectedEpoch) || expectedEpoch < 0) {
        throw validation('reset the lease', 'the expected epoch must be a non-negative integer');
      }
      const past = o.clock.now() - RESET_PAST_MARGIN_MS;
      return transaction(`resetting the lease of ${topic}/${partition}`, 'read write', q.signal, async (c) => {
        // One conditional UPDATE: under READ COMMITTED, a concurrent renewal/takeover that committed first is
        // re-checked against this WHERE (holder, epoch) and the update then touches nothing.
        const updated = await c.query(
          `UPDATE partition_leases
              SET lease_expires_at = $5
            WHERE topic = $1 AND partition_id = $2
              AND leader_agent_id = $3 AND epoch = $4
              AND lease_expires_at > $5`,
          [topic, partition, expectedHolder, expectedEpoch, past],
        );
        const now = await c.query<Record<string, unknown>>(
          'SELECT leader_agent_id, epoch, lease_expires_at FROM partition_leases WHERE topic = $1 AND partition_id = $2',
          [topic, partition],
        );
        const row = now.rows[0];
        return {
          changed: (updated.rowCount ?? 0) === 1,
          lease: row
            ? { holder: String(row.leader_agent_id), epoch: int(row.epoch), expiresAtMs: int(row.lease_expires_at) }
            : undefined,
        };
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
