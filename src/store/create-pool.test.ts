/** The bot's Postgres pool on a real Postgres: a connection killed under a checked-out client does not kill us. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/namespace.js';
import { Secret } from '../core/secret.js';
import { createPool } from './create-pool.js';

let url: string;
let admin: pg.Pool;
beforeAll(async () => {
  url = await createTestDatabase();
  admin = new pg.Pool({ connectionString: url, max: 1 });
}, 60_000);
afterAll(async () => {
  await admin?.end();
});

describe('createPool', () => {
  it('a checked-out client whose backend is terminated (Postgres restarting) reports the error instead of crashing', async () => {
    const errors: Error[] = [];
    const pool = createPool(new Secret(url), { max: 2, onError: (err) => errors.push(err) });
    try {
      const client = await pool.connect();
      await client.query('begin');
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      // What a Postgres restart does to every backend: 57P01, "terminating connection due to administrator command".
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await expect(client.query('select 1')).rejects.toThrow();
      await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
      client.release(true);
      // The pool still serves new connections.
      expect((await pool.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
