import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../../test/support/namespace.js';
import { channelKeyOf, createChannelPacer } from './channel-pacer.js';

let redis: Redis;

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

describe('createChannelPacer (real Redis)', () => {
  it('lets a burst through, then spaces posts by the interval, each holder getting its own slot', async () => {
    const pacer = createChannelPacer(redis, uniqueName('pace'), { messagesPerSecond: 2, burst: 3 });
    const key = channelKeyOf({ platform: 'slack', channelId: 'C1' });
    const waits = [];
    for (let i = 0; i < 6; i++) waits.push(await pacer.acquire(key, `job-${i}`));
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    // Slots at +500, +1000, +1500 ms (allow for the milliseconds the calls take).
    expect(waits[3]).toBeGreaterThan(400);
    expect(waits[3]).toBeLessThanOrEqual(500);
    expect(waits[4]! - waits[3]!).toBeGreaterThan(450);
    expect(waits[5]! - waits[4]!).toBeGreaterThan(450);
  });

  it('redeems a reservation instead of taking a new slot when the holder comes back', async () => {
    const pacer = createChannelPacer(redis, uniqueName('pace'), { messagesPerSecond: 10, burst: 1 });
    const key = 'slack:C2';
    expect(await pacer.acquire(key, 'a')).toBe(0);
    const wait = await pacer.acquire(key, 'b');
    expect(wait).toBeGreaterThan(0);
    // Early: still waiting for the same slot, not a later one.
    const again = await pacer.acquire(key, 'b');
    expect(again).toBeLessThanOrEqual(wait);
    await new Promise((r) => setTimeout(r, wait + 20));
    expect(await pacer.acquire(key, 'b')).toBe(0);
    // The next holder queues behind b's slot, not behind a second one of b.
    expect(await pacer.acquire(key, 'c')).toBeLessThanOrEqual(100);
  });

  it('keeps channels independent and pushes a channel back after a 429', async () => {
    const pacer = createChannelPacer(redis, uniqueName('pace'), { messagesPerSecond: 1, burst: 1 });
    expect(await pacer.acquire('slack:A', 'x')).toBe(0);
    expect(await pacer.acquire('slack:B', 'y')).toBe(0);
    await pacer.penalize('slack:B', 3000);
    const wait = await pacer.acquire('slack:B', 'z');
    expect(wait).toBeGreaterThan(2900);
    expect(wait).toBeLessThanOrEqual(3000);
  });

  it('shares one schedule between processes (separate connections)', async () => {
    const prefix = uniqueName('pace');
    const other = new Redis(inject('redisUrl'));
    try {
      const a = createChannelPacer(redis, prefix, { messagesPerSecond: 1, burst: 1 });
      const b = createChannelPacer(other, prefix, { messagesPerSecond: 1, burst: 1 });
      const [w1, w2] = await Promise.all([a.acquire('slack:S', 'p1'), b.acquire('slack:S', 'p2')]);
      expect([w1, w2].sort((x, y) => x - y)[0]).toBe(0);
      expect(Math.max(w1, w2)).toBeGreaterThan(900);
    } finally {
      other.disconnect();
    }
  });
});

describe('createChannelPacer: late holders', () => {
  it('spaces holders that come back late together instead of letting them burst', async () => {
    const pacer = createChannelPacer(redis, uniqueName('pace'), { messagesPerSecond: 5, burst: 1 });
    const key = 'slack:LATE';
    expect(await pacer.acquire(key, 'h0')).toBe(0);
    const w1 = await pacer.acquire(key, 'h1');
    const w2 = await pacer.acquire(key, 'h2');
    expect(w1).toBeGreaterThan(0);
    expect(w2).toBeGreaterThan(w1);
    // Both come back late, at the same moment (a busy worker): one goes, the other waits about one interval.
    await new Promise((r) => setTimeout(r, w2 + 300));
    const [a, b] = await Promise.all([pacer.acquire(key, 'h1'), pacer.acquire(key, 'h2')]);
    expect(Math.min(a, b)).toBe(0);
    expect(Math.max(a, b)).toBeGreaterThan(100);
    expect(Math.max(a, b)).toBeLessThanOrEqual(200);
  });
});
