import { mkdirSync, mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from '../../integrations/shared/find-binary.js';
import {
  spawnService,
  stopSupervised,
  waitUntilReady,
  withPortRetry,
  type StartedService,
} from './supervise-process.js';

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('PING timed out'));
    }, 1000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        if (answer.startsWith('+PONG')) resolve(true);
        else reject(new Error(`PING answered ${JSON.stringify(answer.trim())}`));
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Starts `redis-server` on 127.0.0.1 (free port unless given) with BullMQ-safe settings: no persistence,
 * `maxmemory-policy noeviction`. `dataDir` is used as-is and kept; otherwise a temporary directory is created and
 * removed by `stop()`.
 */
export async function startRedis(o: { port?: number; dataDir?: string } = {}): Promise<StartedService> {
  const binary = requireBinary('redis-server');
  return withPortRetry(o.port, async (port) => {
    if (o.dataDir !== undefined) mkdirSync(o.dataDir, { recursive: true });
    const tempDir = o.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'runbook-redis-')) : undefined;
    const dir = o.dataDir ?? (tempDir as string);
    const s = spawnService({
      name: 'redis-server',
      command: binary,
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--daemonize',
        'no',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--logfile',
        '',
      ],
      stopSignal: 'SIGTERM',
      tempDir,
      cwd: dir,
    });
    try {
      await waitUntilReady(s, () => redisPing(port), 20_000);
    } catch (err) {
      await stopSupervised(s);
      throw err;
    }
    return { url: `redis://127.0.0.1:${port}`, stop: () => stopSupervised(s) };
  });
}
