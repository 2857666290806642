import pg from 'pg';
import type { Secret } from '../core/secret.js';

/** A Postgres pool with short timeouts (a request must fail fast rather than hang) and a logged error listener. */
export function createPool(url: Secret, options: { max?: number; onError?: (err: Error) => void } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url.reveal(),
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 15_000,
    application_name: 'runbook-bot',
  });
  // An idle client's connection dying must not crash the process (pg emits 'error' on the pool).
  pool.on('error', (err) => options.onError?.(err));
  // Nor a checked-out one's (a transaction in progress when Postgres restarts: 57P01 "terminating connection due to
  // administrator command"): pg emits that on the client, whose idle listener the pool removed at checkout, and an
  // 'error' event nobody listens to kills the worker. The query in flight still rejects and its job is retried.
  pool.on('connect', (client) => client.on('error', (err) => options.onError?.(err)));
  return pool;
}
