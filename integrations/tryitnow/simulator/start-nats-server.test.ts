import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startNatsServer } from './start-nats-server.js';

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startNatsServer', () => {
  it('runs nats-server -js with a temp store and leaves nothing behind after stop()', async () => {
    const s = await startNatsServer();
    expect(alive(s.pid)).toBe(true);
    expect(existsSync(s.storeDir)).toBe(true);
    const res = await fetch(`${s.monitorUrl}/jsz`);
    expect(((await res.json()) as { config?: { store_dir?: string } }).config?.store_dir).toContain(s.storeDir);
    await s.stop();
    expect(alive(s.pid)).toBe(false);
    expect(existsSync(s.storeDir)).toBe(false);
  });
});
