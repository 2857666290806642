import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase, uniqueName } from './namespace.js';

describe('uniqueName', () => {
  it('is short, unique and uses only [a-z0-9_]', () => {
    const names = new Set(Array.from({ length: 500 }, () => uniqueName('Corvo:Queue-Test')));
    expect(names.size).toBe(500);
    for (const name of names) {
      expect(name).toMatch(/^corvo_queue_test_[a-z0-9_]+$/);
      expect(name.length).toBeLessThanOrEqual(40);
    }
    expect(uniqueName('123')).toMatch(/^[a-z][a-z0-9_]*$/);
  });
});

describe('services provided by the global setup', () => {
  it('redisUrl answers PING', async () => {
    const client = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('createTestDatabase returns a fresh database of its own', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    expect(a).not.toBe(b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; tables: number }>(
        "select current_database() as db, (select count(*)::int from information_schema.tables where table_schema = 'public') as tables",
      );
      expect(rows[0]?.db).toBe(new URL(a).pathname.slice(1));
      expect(rows[0]?.tables).toBe(0);
    } finally {
      await client.end();
    }
  });
});
