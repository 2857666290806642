/**
 * `npm run demo` with KyroDB's real-server scenarios (reference/real-systems.md, KyroDB): writes refused while the
 * breaker gauge reads 0, and a server whose port is closed while it recovers.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(input: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/demo.ts'], {
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

describe('npm run demo: KyroDB as the real server behaves', () => {
  it('says writes are refused although the breaker gauge reads 0, and that a closed port may be recovery', async () => {
    const { code, out } = await runDemo(
      ['scenario kyrodb wal-refusing', '/kyrodb health', 'scenario kyrodb recovering', '/kyrodb health'].join('\n') +
        '\n',
    );
    expect(code, out).toBe(0);
    expect(out).toContain('Simulated kyrodb is now: wal-refusing');
    expect(out).toMatch(/\[CRIT\] Writes are refused: 42 inserts failed in the last 1\.5 s and none succeeded/);
    expect(out).toContain(
      'KyroDB does not export its breaker state; inserts failed 42 times since the last check 1.5 s earlier and none succeeded: writes are refused',
    );
    expect(out).not.toMatch(/\[OK\]\s+WAL circuit breaker closed/);
    expect(out).toContain('KyroDB demo is unreachable: not running, or still recovering');
    expect(out).toContain('It may be recovering, not down');
    expect(out.trimEnd().endsWith('Stopping…')).toBe(true);
  }, 150_000);
});
