import type pg from 'pg';
import { describeError, fail, ok, type CheckLine } from '../core/setup-check.js';
import { MIGRATIONS } from './migrations.js';

/** `npm run check`, Postgres part: reachable, and every migration this build knows is applied (`release` does it). */
export async function checkMigrations(db: pg.Pool): Promise<CheckLine[]> {
  let applied: Set<string>;
  try {
    const exists = await db.query<{ t: string | null }>(`select to_regclass('schema_migrations')::text as t`);
    if (!exists.rows[0]?.t) {
      return [
        ok('postgres', 'reachable'),
        fail(
          'postgres.migrations',
          `no migrations applied (${MIGRATIONS.length} pending)`,
          'run release (npm run release) against DATABASE_URL',
        ),
      ];
    }
    applied = new Set((await db.query<{ id: string }>('select id from schema_migrations')).rows.map((r) => r.id));
  } catch (err) {
    return [
      fail('postgres', `not reachable: ${describeError(err)}`, 'DATABASE_URL: postgres://user:password@host:5432/db'),
    ];
  }
  const pending = MIGRATIONS.filter((m) => !applied.has(m.id)).map((m) => m.id);
  const known = new Set(MIGRATIONS.map((m) => m.id));
  const unknown = [...applied].filter((id) => !known.has(id));
  const lines = [ok('postgres', 'reachable')];
  if (pending.length > 0) {
    lines.push(
      fail(
        'postgres.migrations',
        `${pending.length} of ${MIGRATIONS.length} migrations pending (${pending.slice(0, 3).join(', ')}${pending.length > 3 ? ', …' : ''})`,
        'run release (npm run release) against DATABASE_URL',
      ),
    );
  } else {
    lines.push(ok('postgres.migrations', `current (${MIGRATIONS.length} applied)`));
  }
  if (unknown.length > 0) {
    lines.push({
      status: 'WARN',
      name: 'postgres.migrations',
      detail: `${unknown.length} applied migration(s) this build does not know (${unknown.slice(0, 3).join(', ')}): the database was migrated by a newer release`,
      fix: "deploy the newer release, or point DATABASE_URL at this deployment's database",
    });
  }
  return lines;
}
