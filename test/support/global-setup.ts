/**
 * Vitest globalSetup: one real Redis and one real Postgres for the whole run, on free loopback ports with temporary
 * data directories. Tests get their URLs with `inject('redisUrl')` / `inject('postgresAdminUrl')` and take their own
 * namespace (see ./namespace.ts). A missing binary fails the run with the exact install command.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, startRedis, type StartedService } from '../../src/dev/local-services.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: StartedService[] = [];
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  try {
    const [redis, postgres] = await Promise.allSettled([startRedis(), startPostgres()]);
    if (redis.status === 'fulfilled') started.push(redis.value);
    if (postgres.status === 'fulfilled') started.push(postgres.value);
    if (redis.status === 'rejected') throw redis.reason;
    if (postgres.status === 'rejected') throw postgres.reason;
    project.provide('redisUrl', redis.value.url);
    project.provide('postgresAdminUrl', postgres.value.adminUrl);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
