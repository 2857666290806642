/**
 * What both bench sections share: spawning a process and waiting for its ready line, and percentiles.
 * `BENCH_WEB_NODE_ARGS` (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) is passed to the bot's web process only: how
 * the ack paths are profiled under the same load the figures come from.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
