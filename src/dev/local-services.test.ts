import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  findBinary,
  getFreePort,
  INSTALL_HINTS,
  requireBinary,
  MissingBinaryError,
  startPostgres,
  startRedis,
  type StartedService,
} from './local-services.js';

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createServer().listen(port, '127.0.0.1');
    socket.once('listening', () => socket.close(() => resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

async function pgQuery(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

describe('findBinary', () => {
  it('finds redis-server and the Postgres tools, even when PATH lacks them', () => {
    const savedPath = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      expect(findBinary('redis-server')).toMatch(/\/redis-server$/);
      expect(findBinary('initdb')).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin\/initdb$/);
      expect(findBinary('postgres')).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin\/postgres$/);
    } finally {
      process.env['PATH'] = savedPath;
    }
  });

  it('returns undefined for a binary that does not exist, and searches extraDirs', () => {
    expect(findBinary('no-such-binary-xyz')).toBeUndefined();
    const nodeDir = fileURLToPath(new URL('.', `file://${process.execPath}`));
    expect(findBinary('node', ['/nonexistent', nodeDir])).toBeDefined();
  });

  it('requireBinary throws MissingBinaryError with the exact install command', () => {
    expect(() => requireBinary('no-such-binary-xyz')).toThrow(MissingBinaryError);
    expect(() => requireBinary('no-such-binary-xyz')).toThrow(
      'no-such-binary-xyz not found on PATH. Install it with: sudo apt-get install -y no-such-binary-xyz',
    );
    expect(INSTALL_HINTS['redis-server']).toBe('sudo apt-get install -y redis-server');
    expect(INSTALL_HINTS['postgres']).toBe('sudo apt-get install -y postgresql');
    expect(requireBinary('redis-server')).toBe(findBinary('redis-server'));
  });

  it('MissingBinaryError names the binary and the exact install command', () => {
    const err = new MissingBinaryError('redis-server', 'sudo apt-get install -y redis-server');
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('redis-server not found on PATH. Install it with: sudo apt-get install -y redis-server');
  });
});

describe('getFreePort', () => {
  it('returns a port nobody listens on', async () => {
    const port = await getFreePort();
    expect(port).toBeGreaterThan(1024);
    expect(await portInUse(port)).toBe(false);
  });
});

describe('startRedis', () => {
  let redis: StartedService | undefined;
  afterAll(async () => {
    await redis?.stop();
  });

  it('starts a BullMQ-ready Redis that answers PING, and stop() shuts it down', async () => {
    redis = await startRedis();
    expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
      const [, dir] = (await client.config('GET', 'dir')) as [string, string];
      expect(existsSync(dir)).toBe(true);
      await client.quit();

      const port = Number(new URL(redis.url).port);
      const stopStarted = Date.now();
      await redis.stop();
      redis = undefined;
      expect(Date.now() - stopStarted).toBeLessThan(5000); // a clean shutdown, not the SIGKILL fallback
      expect(await portInUse(port)).toBe(false);
      expect(existsSync(dir)).toBe(false);
    } finally {
      client.disconnect();
    }
  });

  it('keeps a given dataDir after stop()', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'runbook-test-')), 'redis-data');
    try {
      const own = await startRedis({ dataDir });
      const client = new Redis(own.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await client.connect();
        expect(await client.config('GET', 'dir')).toEqual(['dir', dataDir]);
      } finally {
        client.disconnect();
        await own.stop();
      }
      expect(existsSync(dataDir)).toBe(true);
    } finally {
      rmSync(dirname(dataDir), { recursive: true, force: true });
    }
  });

  it('reports the server output when it cannot start', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startRedis({ port })).rejects.toThrow(
        /redis-server exited during start-up[\s\S]*Address already in use/,
      );
    } finally {
      blocker.close();
    }
  });

  it('kills the server when the process that started it is SIGKILLed', async () => {
    const moduleUrl = new URL('./local-services.ts', import.meta.url).href;
    const script = `const m = await import(${JSON.stringify(moduleUrl)}); const r = await m.startRedis(); console.log(r.url); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /redis:\/\/\S+/.exec(out);
        if (match) resolve(match[0]);
      });
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing a URL: ${out}`)));
    });
    const port = Number(new URL(url).port);
    try {
      expect(await portInUse(port)).toBe(true);
      child.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while ((await portInUse(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await portInUse(port)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      if (await portInUse(port)) {
        // leave no stray server behind even when the test fails
        const orphan = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
        await orphan
          .connect()
          .then(() => orphan.shutdown('NOSAVE'))
          .catch(() => undefined);
        orphan.disconnect();
      }
    }
  });
});

describe('startPostgres', () => {
  let postgres: (StartedService & { adminUrl: string }) | undefined;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  it('accepts connections on 127.0.0.1 as the superuser', async () => {
    expect(postgres?.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const rows = await pgQuery(
      postgres!.url,
      "select 1 as one, current_setting('fsync') as fsync, current_setting('listen_addresses') as listen",
    );
    expect(rows).toEqual([{ one: 1, fsync: 'off', listen: '127.0.0.1' }]);
  });

  it('createDatabase makes a distinct empty database and returns its URL', async () => {
    const first = await createDatabase(postgres!.adminUrl);
    const second = await createDatabase(postgres!.adminUrl);
    expect(first).not.toBe(second);
    const [row] = await pgQuery(first, 'select current_database() as db');
    expect(`/${String(row?.['db'])}`).toBe(new URL(first).pathname);

    const named = await createDatabase(postgres!.adminUrl, 'demo_db');
    expect(new URL(named).pathname).toBe('/demo_db');
    await expect(createDatabase(postgres!.adminUrl, 'demo_db')).rejects.toThrow(/already exists/);
    await expect(createDatabase(postgres!.adminUrl, 'bad"; drop')).rejects.toThrow(/unsafe database name/);
  });

  it('stop() shuts the server down', async () => {
    const other = await startPostgres();
    const port = Number(new URL(other.url).port);
    expect(await portInUse(port)).toBe(true);
    await other.stop();
    expect(await portInUse(port)).toBe(false);
  });
});
