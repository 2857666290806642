/**
 * Redis and Postgres for the soak: its own servers (not the test run's shared ones), which it can stop and start
 * again on the same port and data directory. Built from the pieces of `src/dev` (binary lookup, supervision,
 * readiness, port retry); unlike `startRedis`/`startPostgres`, whose `stop()` removes the data, `restart()` keeps it.
 *
 * Redis runs with `appendonly yes` and `appendfsync always`, so everything it acknowledged is on disk and survives
 * the restart (the local default, no persistence, would lose BullMQ's queues on a restart: nothing to measure).
 */
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { requireBinary } from '../../integrations/shared/find-binary.js';
import { postgresRunAs } from '../../src/dev/start-postgres.js';
import {
  runToCompletion,
  spawnService,
  stopSupervised,
  waitUntilReady,
  withPortRetry,
  type Supervised,
} from '../../src/dev/supervise-process.js';

export interface RestartableService {
  readonly url: string;
  /** Pid of the server process now running. */
  pid(): number | undefined;
  /** Stops the server (its normal stop signal); the data directory stays. */
  down(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves when it answers. */
  up(): Promise<void>;
  /** Stops it and removes the data directory. */
  close(): Promise<void>;
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('PING timed out'));
    }, 1000);
    let answer = '';
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (!answer.includes('\r\n')) return;
      clearTimeout(timer);
      socket.destroy();
      // While loading the append-only file Redis answers -LOADING: not ready yet.
      resolve(answer.startsWith('+PONG'));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** A restartable service: `spawn(port)` starts one server process, `ready(port)` probes it. */
async function restartable(o: {
  dir: string;
  spawn: (port: number) => Supervised;
  ready: (port: number) => Promise<boolean>;
  url: (port: number) => string;
  readyMs: number;
}): Promise<RestartableService> {
  let current: Supervised | undefined;
  const start = async (port: number) => {
    const s = o.spawn(port);
    try {
      await waitUntilReady(s, () => o.ready(port), o.readyMs);
    } catch (err) {
      await stopSupervised(s);
      throw err;
    }
    current = s;
  };
  let port = 0;
  try {
    await withPortRetry(undefined, async (p) => {
      await start(p);
      port = p;
    });
  } catch (err) {
    rmSync(o.dir, { recursive: true, force: true });
    throw err;
  }
  const down = async () => {
    if (current) await stopSupervised(current);
    current = undefined;
  };
  return {
    url: o.url(port),
    pid: () => current?.child.pid,
    down,
    up: async () => {
      if (!current) await start(port);
    },
    async close() {
      await down();
      rmSync(o.dir, { recursive: true, force: true });
    },
  };
}

/** `redis-server` on loopback with `appendonly yes`, `appendfsync always` and BullMQ's `noeviction`. */
export async function startSoakRedis(): Promise<RestartableService> {
  const binary = requireBinary('redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'runbook-soak-redis-'));
  return restartable({
    dir,
    // The data directory is ours (removed by close()), not the supervisor's: a restart must keep it.
    spawn: (port) =>
      spawnService({
        name: 'redis-server',
        command: binary,
        args: [
          ...['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', '--dir', dir],
          ...['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
          ...['--maxmemory-policy', 'noeviction', '--logfile', ''],
        ],
        stopSignal: 'SIGTERM',
        tempDir: undefined,
        cwd: dir,
      }),
    ready: redisPing,
    url: (port) => `redis://127.0.0.1:${port}`,
    readyMs: 30_000,
  });
}

/**
 * A fresh Postgres cluster (initdb: trust auth) on loopback, with the durability settings left at their defaults
 * (fsync on, synchronous commit): what a restart keeps is what a real server keeps. `url` is the superuser's, on the
 * `postgres` database; use `createDatabase` for working databases.
 */
export async function startSoakPostgres(): Promise<RestartableService> {
  const initdb = requireBinary('initdb');
  const postgres = requireBinary('postgres');
  const runAs = postgresRunAs();
  const dir = mkdtempSync(join(tmpdir(), 'runbook-soak-pg-'));
  const dataDir = join(dir, 'data');
  if (runAs !== undefined) chownSync(dir, runAs.uid, runAs.gid);
  try {
    await runToCompletion(
      initdb,
      ['--pgdata', dataDir, '--username', 'postgres', '--auth', 'trust', '--encoding', 'UTF8', '--no-locale'],
      { cwd: dir, ...runAs },
      'initdb',
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const answers = async (url: string) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const url = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;
  return restartable({
    dir,
    spawn: (port) =>
      spawnService({
        name: 'postgres',
        command: postgres,
        args: [
          ...['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'],
          ...['-c', `unix_socket_directories=${dir}`, '-c', 'max_connections=200'],
        ],
        // Fast shutdown: disconnects clients, writes a checkpoint, exits.
        stopSignal: 'SIGINT',
        tempDir: undefined,
        cwd: dir,
        ...runAs,
      }),
    ready: (port) => answers(url(port)),
    url,
    readyMs: 60_000,
  });
}
