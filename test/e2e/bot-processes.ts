import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BotProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process printed (JSON log lines), for assertions that nothing leaked. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL now (crash simulation). */
  kill(): Promise<void>;
  /** Resolves when a printed line contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
}

/** Writes a config file into a fresh temp dir and returns its path. */
export function writeConfigFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rbb-config-'));
  const file = join(dir, 'runbook-bot.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** Spawns `src/main/<entry>.ts` as its own process (as the Procfile would, through tsx instead of a build). */
export function spawnBot(entry: 'web' | 'worker' | 'release', env: Record<string, string>): BotProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main', `${entry}.ts`)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters]) {
      if (out.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    name: entry,
    child,
    output: () => out,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    waitForOutput(text, timeoutMs = 45_000) {
      if (out.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          // A process that never came up is killed, not left running after the suite (orphans held CPU for hours).
          child.kill('SIGKILL');
          reject(new Error(`${entry} did not print "${text}" within ${timeoutMs} ms. Output:\n${out.slice(-3000)}`));
        }, timeoutMs);
        waiters.push({
          text,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${entry} exited (${code}) before printing "${text}". Output:\n${out.slice(-3000)}`));
        });
      });
    },
  };
}

/** Runs `release` to completion and returns its exit code and output. */
export async function runRelease(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const p = spawnBot('release', env);
  const code = await new Promise<number | null>((r) => p.child.on('exit', (c) => r(c)));
  return { code, output: p.output() };
}
