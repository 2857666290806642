/** Shutdown on SIGTERM: closes, and exits even when closing hangs (a worker whose Redis is gone). */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onShutdown } from './boot.js';

const quiet = { info: () => undefined, error: () => undefined };

function harness(close: () => Promise<void>, timeoutMs = 50) {
  const signals = new EventEmitter();
  const codes: number[] = [];
  const logged: string[] = [];
  onShutdown({ info: quiet.info, error: (_o, m) => logged.push(m) }, close, {
    timeoutMs,
    exit: (c) => codes.push(c),
    signals,
  });
  return { signals, codes, logged };
}

describe('onShutdown', () => {
  it('exits 0 once close resolves', async () => {
    const h = harness(async () => undefined);
    h.signals.emit('SIGTERM');
    await expect.poll(() => h.codes).toEqual([0]);
  });

  it('exits 1 with a log line when close hangs past the timeout', async () => {
    const h = harness(() => new Promise<void>(() => undefined));
    h.signals.emit('SIGTERM');
    await expect.poll(() => h.codes).toEqual([1]);
    expect(h.logged).toEqual(['shutdown timed out: exiting without it']);
  });

  it('a second signal exits at once; a failed close exits 1 and says so', async () => {
    const hung = harness(() => new Promise<void>(() => undefined), 60_000);
    hung.signals.emit('SIGTERM');
    hung.signals.emit('SIGINT');
    expect(hung.codes).toEqual([1]);
    const failed = harness(async () => {
      throw new Error('redis gone');
    });
    failed.signals.emit('SIGTERM');
    await expect.poll(() => failed.codes).toEqual([1]);
    expect(failed.logged).toEqual(['shutdown failed']);
  });
});
