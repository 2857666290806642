/**
 * Per-test namespaces on the shared services: BullMQ prefixes, Postgres databases/schemas, NATS stream names.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabase } from '../../src/dev/local-services.js';

let counter = 0;

/**
 * A short unique name such as `q_m3x9k2_1_a1b2c3`: only [a-z0-9_], starts with a letter, at most 40 characters.
 * Valid as a BullMQ prefix (no ':'), an unquoted Postgres identifier and a NATS stream name.
 */
export function uniqueName(prefix: string): string {
  const cleaned = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .slice(0, 16);
  counter += 1;
  const suffix = `${process.pid.toString(36)}${counter.toString(36)}_${randomBytes(3).toString('hex')}`;
  return `${cleaned === '' ? 't' : cleaned}_${suffix}`;
}

/** A fresh, empty Postgres database on the run's server; returns its URL. */
export async function createTestDatabase(): Promise<string> {
  return createDatabase(inject('postgresAdminUrl'), uniqueName('test'));
}
