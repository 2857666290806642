import type pg from 'pg';
import type { Logger } from '../core/logger.js';
import { MIGRATIONS } from './migrations.js';

/** Arbitrary but fixed key: serialises concurrent `release` runs. */
const MIGRATION_LOCK = 7_234_011_902;

/** Applies pending migrations; safe to run twice and concurrently. Returns the ids applied by this call. */
export async function migrate(pool: pg.Pool, logger: Logger): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'create table if not exists schema_migrations (id text primary key, applied_at timestamptz not null default now())',
    );
    const done = new Set(
      (await client.query<{ id: string }>('select id from schema_migrations')).rows.map((r) => r.id),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      await client.query('begin');
      try {
        await client.query(m.sql);
        await client.query('insert into schema_migrations (id) values ($1)', [m.id]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw new Error(`migration ${m.id} failed`, { cause: err });
      }
      applied.push(m.id);
      logger.info({ migration: m.id }, 'migration applied');
    }
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
  return applied;
}
