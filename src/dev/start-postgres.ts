import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { requireBinary } from '../../integrations/shared/find-binary.js';
import {
  runToCompletion,
  spawnService,
  stopSupervised,
  waitUntilReady,
  withPortRetry,
  type StartedService,
} from './supervise-process.js';

/** initdb and postgres refuse to run as root: when root, run them as the `postgres` system user (else `nobody`). */
export function postgresRunAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
      if (Number.isInteger(uid) && Number.isInteger(gid) && uid !== 0) return { uid, gid };
    } catch {
      // no such user; try the next one
    }
  }
  throw new Error(
    'Running as root, but there is no unprivileged user to run Postgres as. Create one with: sudo useradd --system postgres',
  );
}

const POSTGRES_SUPERUSER = 'postgres';

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates a fresh cluster with `initdb` in a temporary directory (trust auth, fsync off) and starts `postgres` on
 * 127.0.0.1 only, with its unix socket inside that directory. `url` and `adminUrl` both connect as the superuser
 * `postgres` to the `postgres` database; use {@link createDatabase} for working databases.
 */
export async function startPostgres(o: { port?: number } = {}): Promise<StartedService & { adminUrl: string }> {
  const initdb = requireBinary('initdb');
  const postgres = requireBinary('postgres');
  const runAs = postgresRunAs();

  return withPortRetry(o.port, async (port) => {
    const tempDir = mkdtempSync(join(tmpdir(), 'runbook-pg-'));
    const dataDir = join(tempDir, 'data');
    try {
      if (runAs !== undefined) chownSync(tempDir, runAs.uid, runAs.gid);
      await runToCompletion(
        initdb,
        [
          '--pgdata',
          dataDir,
          '--username',
          POSTGRES_SUPERUSER,
          '--auth',
          'trust',
          '--encoding',
          'UTF8',
          '--no-locale',
          '--no-sync',
          '--no-instructions',
        ],
        { cwd: tempDir, ...runAs },
        'initdb',
      );
    } catch (err) {
      rmSync(tempDir, { recursive: true, force: true });
      throw err;
    }
    const s = spawnService({
      name: 'postgres',
      command: postgres,
      args: [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${tempDir}`,
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ],
      // Fast shutdown: disconnects clients and exits in well under a second.
      stopSignal: 'SIGINT',
      tempDir,
      cwd: tempDir,
      ...runAs,
    });
    const url = `postgres://${POSTGRES_SUPERUSER}@127.0.0.1:${port}/postgres`;
    try {
      await waitUntilReady(s, () => postgresAnswers(url), 30_000);
    } catch (err) {
      await stopSupervised(s);
      throw err;
    }
    return { url, adminUrl: url, stop: () => stopSupervised(s) };
  });
}

const SAFE_DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * `CREATE DATABASE` on the server behind `adminUrl` and returns a URL for it. Without `name`, a unique one
 * (`db_<random>`) is generated; a given name must match /^[a-z_][a-z0-9_]{0,62}$/.
 */
export async function createDatabase(adminUrl: string, name?: string): Promise<string> {
  const dbName = name ?? `db_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  if (!SAFE_DATABASE_NAME.test(dbName)) {
    throw new Error(`unsafe database name ${JSON.stringify(dbName)}: use lower-case letters, digits and '_'`);
  }
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${dbName}"`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  return url.toString();
}
