/**
 * `npm run demo` with its input piped: the whole bot starts its own Redis, Postgres and simulated Corvo, runs the
 * commands a newcomer would type, and stops everything it started.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(input: string, args: string[] = []): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/demo.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
    child.stdin.end(input);
  });
}

describe('npm run demo', () => {
  it('shows a report per scenario and walks the whole approval flow', async () => {
    const { code, out } = await runDemo(
      [
        '/corvo health',
        'scenario unreachable',
        '/corvo health',
        'scenario sqlite-diverged',
        '/corvo health',
        'click latest',
        'approve latest as alice',
        'approve latest as bob',
        '/corvo frobnicate',
        '/runbook audit',
      ].join('\n') + '\n',
      ['--scenario=no-leader'],
    );
    expect(code, out).toBe(0);
    expect(out).toContain('corvo: no-leader');
    expect(out).toMatch(/\[CRIT\].*leader/i);
    expect(out).toMatch(/Corvo demo is unreachable/);
    expect(out).toContain('SQLite diverged from Pebble');
    expect(out).toContain('APPROVAL NEEDED: Rebuild SQLite on corvo/demo');
    expect(out).toContain("bot (only alice)> You can't approve your own request");
    expect(out).toMatch(/Approved by bob at \d\d:\d\d UTC — done: rebuilt in 1,234 ms/);
    expect(out).toMatch(/Re-check: .* has cleared/);
    expect(out).toContain('Unknown subcommand "frobnicate"');
    expect(out).toContain('pending → approved by terminal:bob');
    expect(out.trimEnd().endsWith('Stopping…')).toBe(true);
  }, 120_000);
});
