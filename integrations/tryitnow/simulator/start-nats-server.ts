/**
 * Test support: a throw-away `nats-server -js` on free loopback ports with a temporary store directory
 * (`-sd`). `stop()` kills it and removes the directory; a process `exit` hook kills whatever is still running.
 * Never used in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from '../../shared/find-binary.js';
import { getFreePort } from '../../shared/get-free-port.js';

export interface StartedNatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** `http://127.0.0.1:<monitor port>` (`-m`). */
  readonly monitorUrl: string;
  /** The JetStream store directory (`-sd`), removed by `stop()`. */
  readonly storeDir: string;
  /** The server's process id (to check that `stop()` ended it). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let hooked = false;

function killAllSync(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function healthy(monitorPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: monitorPort, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Starts `nats-server -js` and waits until its monitoring `/healthz` answers 200 (JetStream ready). */
export async function startNatsServer(): Promise<StartedNatsServer> {
  const binary = requireBinary('nats-server');
  if (!hooked) {
    hooked = true;
    process.on('exit', killAllSync);
  }
  const [port, monitorPort] = [await getFreePort(), await getFreePort()];
  const storeDir = mkdtempSync(join(tmpdir(), 'runbook-nats-'));
  const child = spawn(
    binary,
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-sd', storeDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const done = new Promise<void>((resolve) => {
    if (exited(child)) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });

  const stop = async (): Promise<void> => {
    if (!exited(child)) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    }
    running.delete(child);
    rmSync(storeDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited(child)) {
      await stop();
      throw new Error(`nats-server exited during start-up. Last output:\n${output}`);
    }
    if (await healthy(monitorPort)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nats-server did not become healthy within 20 s. Last output:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    storeDir,
    pid: child.pid,
    stop,
  };
}
