/**
 * A target's Postgres through {@link createTargetDatabase}, on a real Postgres: transactions commit or roll back as
 * a whole under the statement timeout, read-only modes refuse writes, nothing connects before first use, and a
 * closed database refuses with a chat-safe sentence.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/namespace.js';
import { Secret } from '../../src/core/secret.js';
import { TargetError } from '../../src/core/target-error.js';
import type { PgErrorTexts } from './pg-errors.js';
import { createTargetDatabase, type TargetDatabase } from './pg-target.js';

const TEXTS: PgErrorTexts = {
  database: 'Acme database',
  missingTable: 'an Acme table is missing',
  missingColumn: 'an Acme column is missing',
  shuttingDown: 'is going away',
  startingUp: 'is starting up',
  quoteTimeout: true,
  unknownError: 'connection error',
};

let url: string;
let admin: pg.Pool;
let db: TargetDatabase;

beforeAll(async () => {
  url = await createTestDatabase();
  admin = new pg.Pool({ connectionString: url, max: 1 });
  await admin.query('create table items (id int primary key)');
  db = createTargetDatabase({
    databaseUrl: new Secret(url),
    connectTimeoutMs: 2000,
    statementTimeoutMs: 300,
    queryTimeoutMarginMs: 1000,
    texts: TEXTS,
    closedName: 'client',
  });
});
afterAll(async () => {
  await db?.close();
  await admin?.end();
});

describe('createTargetDatabase', () => {
  it('commits a read-write transaction, and rolls all of it back when its body fails', async () => {
    await db.transaction('adding', 'read write', undefined, (c) => c.query('insert into items values (1)'));
    await expect(
      db.transaction('adding two', 'read write', undefined, async (c) => {
        await c.query('insert into items values (2)');
        await c.query('insert into items values (1)');
      }),
    ).rejects.toBeInstanceOf(TargetError);
    const { rows } = await admin.query('select id from items order by id');
    expect(rows).toEqual([{ id: 1 }]);
  });

  it('refuses writes in the read-only modes and stops a statement at the timeout, in the product wording', async () => {
    for (const mode of ['read only', 'snapshot'] as const) {
      await expect(
        db.transaction('sneaking a write', mode, undefined, (c) => c.query('insert into items values (9)')),
      ).rejects.toBeInstanceOf(TargetError);
    }
    const slow = db.transaction('waiting', 'read only', undefined, (c) => c.query('select pg_sleep(5)'));
    await expect(slow).rejects.toMatchObject({ kind: 'timeout' });
    await expect(slow).rejects.toThrow(/waiting timed out after 300 ms/);
    await expect(slow).rejects.not.toThrow(url);
  });

  it('connects only on first use, and refuses once closed', async () => {
    const lazy = createTargetDatabase({
      databaseUrl: new Secret('postgres://nobody:pw@127.0.0.1:9/none'),
      connectTimeoutMs: 500,
      statementTimeoutMs: 300,
      queryTimeoutMarginMs: 1000,
      texts: TEXTS,
      closedName: 'store',
    });
    expect(lazy.host).toBe('127.0.0.1:9');
    await lazy.close();
    await expect(lazy.transaction('reading', 'read only', undefined, async () => 1)).rejects.toThrow(
      'Acme database not queried: the store was closed',
    );
    const cancelled = new AbortController();
    cancelled.abort();
    await expect(db.transaction('reading', 'read only', cancelled.signal, async () => 1)).rejects.toMatchObject({
      kind: 'timeout',
      message: 'reading was cancelled before it started',
    });
  });
});
