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
  return pool;
}
