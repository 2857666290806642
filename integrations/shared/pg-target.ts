import pg from 'pg';
import type { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import { pgError, safeDatabaseHost, type PgErrorTexts } from './pg-errors.js';

/**
 * A target's own Postgres database (M4's, Streamhouse's metadata), read and written only through short
 * transactions with a server-side statement timeout. The pool is created on first use, so building a client never
 * touches the network; every failure becomes a chat-safe {@link TargetError} in the product's wording.
 */
export interface TargetDatabaseOptions {
  readonly databaseUrl: Secret;
  /** Default 2: the bot is a guest on the target's database. */
  readonly maxConnections?: number;
  readonly connectTimeoutMs: number;
  /** `statement_timeout` of every transaction. */
  readonly statementTimeoutMs: number;
  /** Added to the statement timeout for the driver's own backstop (`query_timeout`), for a server that never answers. */
  readonly queryTimeoutMarginMs: number;
  /** The wording of failures (and `<database> not queried: the client was closed`). */
  readonly texts: PgErrorTexts;
  /** What a closed client is called in the refusal: `client`, `store`. */
  readonly closedName: string;
}

/** `snapshot`: several reads that must agree with each other, in one REPEATABLE READ READ ONLY snapshot. */
export type TransactionMode = 'snapshot' | 'read only' | 'read write';

const BEGIN: Record<TransactionMode, string> = {
  snapshot: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  'read only': 'BEGIN READ ONLY',
  'read write': 'BEGIN READ WRITE',
};

export interface TargetDatabase {
  /** The database host for messages (no credentials). */
  readonly host: string;
  transaction<T>(
    what: string,
    mode: TransactionMode,
    signal: AbortSignal | undefined,
    body: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T>;
  close(): Promise<void>;
}

export const APPLICATION_NAME = 'runbook-bot';

export function createTargetDatabase(o: TargetDatabaseOptions): TargetDatabase {
  let pool: pg.Pool | undefined;
  let closed = false;
  const host = safeDatabaseHost(o.databaseUrl);
  const toError = (err: unknown, what: string) => pgError(err, what, host, o.statementTimeoutMs, o.texts);

  function getPool(): pg.Pool {
    if (closed) throw new TargetError('unreachable', `${o.texts.database} not queried: the ${o.closedName} was closed`);
    if (!pool) {
      pool = new pg.Pool({
        // The one place the DSN is revealed: the driver that connects with it.
        connectionString: o.databaseUrl.reveal(),
        max: o.maxConnections ?? 2,
        connectionTimeoutMillis: o.connectTimeoutMs,
        idleTimeoutMillis: 30_000,
        // Client-side backstop in case the server never answers (statement_timeout is the server-side bound).
        query_timeout: o.statementTimeoutMs + o.queryTimeoutMarginMs,
        application_name: APPLICATION_NAME,
        allowExitOnIdle: true,
      });
      // An idle client losing its connection must not crash the worker; the next query reports it. A checked-out
      // client's running query rejects with the error, and this per-connection listener (not per checkout, which
      // would pile them up on reused clients) only keeps the process alive.
      pool.on('error', () => undefined);
      pool.on('connect', (client) => client.on('error', () => undefined));
    }
    return pool;
  }

  return {
    host,
    async transaction(what, mode, signal, body) {
      if (signal?.aborted) throw new TargetError('timeout', `${what} was cancelled before it started`);
      let client: pg.PoolClient;
      try {
        client = await getPool().connect();
      } catch (err) {
        throw toError(err, what);
      }
      let broken = false;
      try {
        await client.query(BEGIN[mode]);
        // = SET LOCAL statement_timeout, parameterised (SET cannot take parameters); reset at COMMIT/ROLLBACK.
        await client.query("SELECT set_config('statement_timeout', $1, true)", [`${o.statementTimeoutMs}ms`]);
        const result = await body(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        broken = true;
        await client.query('ROLLBACK').catch(() => undefined);
        throw toError(err, what);
      } finally {
        // A connection that failed mid-transaction is discarded rather than reused.
        client.release(broken);
      }
    },
    async close() {
      closed = true;
      const p = pool;
      pool = undefined;
      if (p) await p.end().catch(() => undefined);
    },
  };
}
