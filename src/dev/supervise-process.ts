/**
 * Supervision of the throw-away services started by `src/dev` (Redis, Postgres). Nothing outlives the process that
 * started it:
 * - `stop()` shuts the service down and removes its temporary directory;
 * - on `process.on('exit')` every service still running is signalled;
 * - on SIGINT/SIGTERM, when nobody else handles the signal, the services are stopped and the signal re-raised;
 * - a tiny watchdog (`sh`) holds a pipe from this process on its stdin: when this process dies in any way (even
 *   SIGKILL), the pipe closes, and the watchdog kills the service and removes its temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { findBinary } from '../../integrations/shared/find-binary.js';
import { getFreePort } from '../../integrations/shared/get-free-port.js';

/** A started service: where it listens, and how to stop it (and remove its temporary directory). */
export interface StartedService {
  readonly url: string;
  stop(): Promise<void>;
}

/** Keeps the last `maxLines` lines written by a child process. */
class RingBuffer {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly maxLines = 200) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 4096) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const line of parts) {
      this.lines.push(line.length > 1000 ? `${line.slice(0, 1000)}…` : line);
      if (this.lines.length > this.maxLines) this.lines.shift();
    }
  }

  tail(n = 40): string {
    const all = this.partial === '' ? this.lines : [...this.lines, this.partial];
    return all.slice(-n).join('\n');
  }

  includes(text: string): boolean {
    return this.lines.some((l) => l.includes(text)) || this.partial.includes(text);
  }
}

/** A service process under supervision. */
export interface Supervised {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: RingBuffer;
  /** Signal that shuts the service down quickly and cleanly. */
  readonly stopSignal: NodeJS.Signals;
  /** Removed after the service has exited (only directories we created). */
  readonly tempDir: string | undefined;
  watchdog: ChildProcess | undefined;
  /** Resolves when the child has exited (immediately if it already has). */
  exited: Promise<void>;
  /** Resolves when the child's output streams are closed too (all output captured). */
  closed: Promise<void>;
  /** Set when the process could not be spawned at all (ENOENT, EACCES, bad cwd…). */
  spawnError: Error | undefined;
  stopping: Promise<void> | undefined;
}

const running = new Set<Supervised>();
let cleanupRegistered = false;

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Synchronous last-resort cleanup, for `process.on('exit')`: signal what is still running. */
function signalAllSync(): void {
  for (const s of running) {
    if (!hasExited(s.child)) {
      try {
        s.child.kill(s.stopSignal);
      } catch {
        // already gone
      }
    }
    // The watchdog sees its stdin close when we are gone, escalates to SIGKILL if needed and removes tempDir.
    // Without a watchdog, remove what we can now.
    if (s.watchdog === undefined && s.tempDir !== undefined && hasExited(s.child)) {
      rmSync(s.tempDir, { recursive: true, force: true });
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Somebody else (the demo, the web process) handles this signal and decides when to exit; our 'exit' hook
  // and the watchdogs still clean up behind them.
  if (process.listenerCount(signal) > 1) return;
  process.removeListener(signal, onSignal);
  void Promise.allSettled([...running].map((s) => stopSupervised(s))).finally(() => {
    process.kill(process.pid, signal);
  });
}

function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  process.on('exit', signalAllSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

// Reads one line from the parent; "stop" means a normal shutdown handled by the parent. Anything else (EOF because
// the parent died) means: stop the service, SIGKILL it after 5 s, and remove its temporary directory. A zombie
// (exited, but not reaped by an init that does not reap orphans) counts as gone.
const WATCHDOG_SCRIPT = `
trap '' INT TERM HUP
line=
read -r line || true
[ "$line" = stop ] && exit 0
kill -"$2" "$1" 2>/dev/null
i=0
while [ "$i" -lt 50 ] && kill -0 "$1" 2>/dev/null; do
  case "$(cut -d ' ' -f 3 "/proc/$1/stat" 2>/dev/null)" in Z|X) break ;; esac
  sleep 0.1
  i=$((i+1))
done
kill -KILL "$1" 2>/dev/null
[ -n "$3" ] && rm -rf "$3"
exit 0
`;

function startWatchdog(pid: number, signal: NodeJS.Signals, tempDir: string | undefined): ChildProcess | undefined {
  const sh = findBinary('sh');
  if (sh === undefined) return undefined;
  const signalName = signal.replace(/^SIG/, '');
  const watchdog = spawn(sh, ['-c', WATCHDOG_SCRIPT, 'runbook-bot-watchdog', String(pid), signalName, tempDir ?? ''], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: false,
  });
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

export interface SpawnServiceOptions {
  name: string;
  command: string;
  args: string[];
  stopSignal: NodeJS.Signals;
  tempDir: string | undefined;
  cwd?: string;
  uid?: number;
  gid?: number;
}

/** Spawns a service under supervision: output captured, a watchdog started, stopped on exit or signal. */
export function spawnService(o: SpawnServiceOptions): Supervised {
  registerCleanup();
  const output = new RingBuffer();
  const child: ChildProcess = spawn(o.command, o.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    ...(o.uid !== undefined ? { uid: o.uid } : {}),
    ...(o.gid !== undefined ? { gid: o.gid } : {}),
  });
  const supervised: Supervised = {
    name: o.name,
    child,
    output,
    stopSignal: o.stopSignal,
    tempDir: o.tempDir,
    watchdog: undefined,
    exited: Promise.resolve(),
    closed: Promise.resolve(),
    spawnError: undefined,
    stopping: undefined,
  };
  child.stdout?.on('data', (d: Buffer) => output.push(d));
  child.stderr?.on('data', (d: Buffer) => output.push(d));
  supervised.exited = new Promise<void>((resolve) => {
    if (hasExited(child)) resolve();
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      output.push(`spawn error: ${err.message}\n`);
      supervised.spawnError = err;
      resolve();
    });
  });
  supervised.closed = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  // Do not keep the event loop alive just for the service: a script that forgets stop() still exits, and the
  // exit hook and the watchdog clean up.
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  supervised.watchdog = child.pid !== undefined ? startWatchdog(child.pid, o.stopSignal, o.tempDir) : undefined;
  running.add(supervised);
  return supervised;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitExit(s: Supervised, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const result = await Promise.race([s.exited.then(() => true as const), timedOut]);
  clearTimeout(timer);
  return result;
}

/** Stops a service (its stop signal, then SIGKILL after 10 s) and removes its temporary directory; idempotent. */
export function stopSupervised(s: Supervised): Promise<void> {
  s.stopping ??= (async () => {
    // Tell the watchdog this is a normal stop, so it does not act on a pid that may be reused later.
    if (s.watchdog?.stdin && !s.watchdog.stdin.destroyed) {
      s.watchdog.stdin.end('stop\n');
    }
    if (!hasExited(s.child)) {
      s.child.kill(s.stopSignal);
      if (!(await waitExit(s, 10_000))) {
        s.child.kill('SIGKILL');
        await waitExit(s, 5_000);
      }
    }
    if (s.tempDir !== undefined) rmSync(s.tempDir, { recursive: true, force: true });
    running.delete(s);
  })();
  return s.stopping;
}

class ServiceStartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
    this.name = 'ServiceStartError';
  }
}

/** Polls `probe` until it answers true; fails early with the child's output tail if the child exits. */
export async function waitUntilReady(s: Supervised, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    if (s.spawnError !== undefined) {
      throw new ServiceStartError(`${s.name} could not be started: ${s.spawnError.message}`, false);
    }
    if (hasExited(s.child)) {
      await Promise.race([s.closed, delay(1000)]);
      const code = s.child.exitCode !== null ? `code ${s.child.exitCode}` : `signal ${s.child.signalCode}`;
      throw new ServiceStartError(
        `${s.name} exited during start-up (${code}). Last output:\n${s.output.tail()}`,
        s.output.includes('Address already in use') || s.output.includes('Could not create server TCP'),
      );
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new ServiceStartError(
        `${s.name} did not become ready within ${timeoutMs} ms${lastError ? ` (last probe error: ${lastError})` : ''}. ` +
          `Last output:\n${s.output.tail()}`,
        false,
      );
    }
    await delay(50);
  }
}

/** Starts with a free port, retrying on the rare race where another process grabbed it first. */
export async function withPortRetry<T>(fixedPort: number | undefined, start: (port: number) => Promise<T>): Promise<T> {
  const attempts = fixedPort === undefined ? 4 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await getFreePort());
    try {
      return await start(port);
    } catch (err) {
      if (attempt < attempts && err instanceof ServiceStartError && err.addressInUse) continue;
      throw err;
    }
  }
}

/** Runs a command to completion (an `initdb`), failing with its output tail when it does not exit 0. */
export function runToCompletion(
  command: string,
  args: string[],
  options: { cwd: string; uid?: number; gid?: number },
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const output = new RingBuffer();
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: false,
      cwd: options.cwd,
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
    });
    child.stdout.on('data', (d: Buffer) => output.push(d));
    child.stderr.on('data', (d: Buffer) => output.push(d));
    child.once('error', (err) => reject(new Error(`${what} could not be started: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${code ?? signal}). Last output:\n${output.tail()}`));
    });
  });
}
