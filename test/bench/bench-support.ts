/**
 * What both bench sections share: spawning a process and waiting for its ready line, percentiles, and the CPU time
 * each process spent per request.
 * `BENCH_WEB_NODE_ARGS` (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) is passed to the bot's web process only: how
 * the ack paths are profiled under the same load the figures come from.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Load before the figures start (`BENCH_WARMUP_SECONDS`, default 1): connections, Redis scripts, the JIT. Latencies
 * and CPU per request count only what is answered after it.
 */
export const WARMUP_MS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1) * 1000;

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Node arguments for the bot's web process from `BENCH_WEB_NODE_ARGS`. */
export function webNodeArgs(): string[] {
  return (process.env.BENCH_WEB_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

export function spawnAndWait(
  file: string,
  env: Record<string, string>,
  readyText: string,
  nodeArgs: readonly string[] = [],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', file], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(readyText)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${file} exited ${code}: ${out.slice(-2000)}`)));
  });
}

/** Stops a child with SIGTERM and waits for it to exit (so a CPU profile is written), bounded. */
export async function stopChild(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}

/** `utime + stime` of one process (all its threads), ms, and its parent; undefined when it is gone or not Linux. */
function procStat(pid: number): { ppid: number; comm: string; ms: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after its last ')'.
    const close = text.lastIndexOf(')');
    const f = text.slice(close + 2).split(' ');
    // Fields after comm, 0-based: 0 state, 1 ppid, 11 utime, 12 stime (clock ticks, 100 per second on Linux).
    return {
      ppid: Number(f[1]),
      comm: text.slice(text.indexOf('(') + 1, close),
      ms: (Number(f[11]) + Number(f[12])) * 10,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU time used so far (ms) by each named process and by the Redis and Postgres servers this bench started
 * (`redis-server` and every `postgres` process under this one), from `/proc`: with the request count of a load, it
 * gives CPU per request, which stays comparable when other work shares the machine (latencies do not). Empty
 * outside Linux.
 */
export function cpuSnapshot(named: Record<string, ChildProcess>): Record<string, number> {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return {};
  }
  const stats = new Map<number, { ppid: number; comm: string; ms: number }>();
  for (const pid of pids) {
    const s = procStat(pid);
    if (s) stats.set(pid, s);
  }
  const under = (pid: number): boolean => {
    for (
      let p = stats.get(pid)?.ppid, hops = 0;
      p !== undefined && p > 1 && hops < 20;
      p = stats.get(p)?.ppid, hops++
    ) {
      if (p === process.pid) return true;
    }
    return false;
  };
  const out: Record<string, number> = { redis: 0, postgres: 0 };
  for (const [pid, s] of stats) {
    if (s.comm === 'redis-server' && under(pid)) out.redis! += s.ms;
    if (s.comm === 'postgres' && under(pid)) out.postgres! += s.ms;
  }
  for (const [name, child] of Object.entries(named)) {
    if (child.pid !== undefined) out[name] = stats.get(child.pid)?.ms ?? NaN;
  }
  return out;
}

/** CPU µs per request of each process between two snapshots, as `web 152 µs, redis 21 µs, …`. */
export function cpuPerRequest(before: Record<string, number>, after: Record<string, number>, requests: number): string {
  const parts = Object.keys(after)
    // Redis and Postgres only when they worked (the Slack section uses no Postgres).
    .filter((k) => before[k] !== undefined && (after[k]! > before[k]! || (k !== 'redis' && k !== 'postgres')))
    .map((k) => `${k} ${Math.round(((after[k]! - before[k]!) * 1000) / Math.max(1, requests))} µs`);
  return parts.length > 0 ? parts.join(', ') : 'n/a (no /proc)';
}

/** `2 cores, load average 0.42`: whether a run shared the machine (its latencies then say little; CPU per request does). */
export function machineLine(): string {
  return `${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)} at start`;
}
