/**
 * A Redis master, one replica and three sentinels on loopback, from Debian's `redis-server` and `redis-sentinel`
 * (platforms-2.md §9.4), each on a free port with its own temporary directory. Processes are stopped by their pid
 * only (and signalled on exit of this process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { getFreePort, requireBinary } from '../../src/dev/local-services.js';

export interface SentinelTopology {
  readonly name: string;
  readonly sentinels: readonly { host: string; port: number }[];
  /** `REDIS_SENTINELS` for this topology. */
  readonly sentinelsEnv: string;
  /** Port of the current master, as the sentinels report it. */
  masterPort(): Promise<number>;
  /** `SENTINEL FAILOVER` (the old master stays up) and wait until the sentinels name the other server. */
  failover(timeoutMs?: number): Promise<{ from: number; to: number; ms: number }>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function run(binary: string, args: string[], cwd: string): ChildProcess {
  const child = spawn(binary, args, { cwd, stdio: 'ignore' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ask<T>(port: number, f: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return await f(r);
  } finally {
    r.disconnect();
  }
}

/** Starts the five processes and waits until every sentinel knows the replica and its two peers. */
export async function startSentinelTopology(
  o: { name?: string; downAfterMs?: number; failoverTimeoutMs?: number } = {},
): Promise<SentinelTopology> {
  const server = requireBinary('redis-server');
  const sentinelBinary = requireBinary('redis-sentinel');
  const name = o.name ?? 'rbbmaster';
  const dir = mkdtempSync(join(tmpdir(), 'runbook-sentinel-'));
  const [m, r, s1, s2, s3] = (await Promise.all([1, 2, 3, 4, 5].map(() => getFreePort()))) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'];
  const procs: ChildProcess[] = [];
  procs.push(run(server, ['--port', String(m), '--dir', dir, '--dbfilename', 'm.rdb', ...common], dir));
  procs.push(
    run(
      server,
      ['--port', String(r), '--dir', dir, '--dbfilename', 'r.rdb', ...common, '--replicaof', '127.0.0.1', String(m)],
      dir,
    ),
  );
  await until('master and replica', 10_000, () =>
    ask(r, async (c) => ((await c.info('replication')).includes('master_link_status:up') ? true : undefined)),
  );
  const sentinelPorts = [s1, s2, s3];
  for (const p of sentinelPorts) {
    // Sentinel rewrites its config file, so each gets its own, writable.
    const conf = join(dir, `sentinel-${p}.conf`);
    writeFileSync(
      conf,
      [
        `port ${p}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${m} 2`,
        `sentinel down-after-milliseconds ${name} ${o.downAfterMs ?? 2000}`,
        `sentinel failover-timeout ${name} ${o.failoverTimeoutMs ?? 10_000}`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    procs.push(run(sentinelBinary, [conf], dir));
  }
  await until('sentinels to know the replica and each other', 15_000, async () => {
    for (const p of sentinelPorts) {
      const info = await ask(p, (c) => c.call('SENTINEL', 'MASTER', name) as Promise<string[]>);
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < info.length; i += 2) f.set(info[i]!, info[i + 1]!);
      if (f.get('num-slaves') !== '1' || f.get('num-other-sentinels') !== '2') return undefined;
    }
    return true;
  });
  const masterPort = async () =>
    Number(
      (
        (await ask(sentinelPorts[0]!, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name))) as [string, string]
      )[1],
    );
  return {
    name,
    sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    sentinelsEnv: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    masterPort,
    async failover(timeoutMs = 20_000) {
      const from = await masterPort();
      const started = Date.now();
      await ask(sentinelPorts[0]!, (c) => c.call('SENTINEL', 'FAILOVER', name));
      const to = await until('the sentinels to name a new master', timeoutMs, async () => {
        const p = await masterPort();
        if (p === from) return undefined;
        const role = await ask(p, (c) => c.call('ROLE') as Promise<unknown[]>);
        return role[0] === 'master' ? p : undefined;
      });
      return { from, to, ms: Date.now() - started };
    },
    async stop() {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null || p.signalCode !== null) return resolve();
              p.once('exit', () => resolve());
              p.kill('SIGTERM');
              setTimeout(() => p.kill('SIGKILL'), 3000).unref();
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
