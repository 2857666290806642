// The connector client against the loopback fake Bot Connector: paths, encoding, retries, throttling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/core/chat-transport.js';
import { startFakeBotConnector, type FakeBotConnector } from '../../test/support/fake-bot-connector.js';
import { backoffMs, ConnectorError, createConnector, parseRetryAfter } from './teams-connector.js';

let fake: FakeBotConnector;
const CHANNEL = '19:ops0123@thread.tacv2';
const text = (t: string) => ({ type: 'message' as const, textFormat: 'xml' as const, text: t });

beforeAll(async () => {
  fake = await startFakeBotConnector();
});
afterAll(async () => {
  await fake?.close();
});

function connector(o: { attempts?: number; sleeps?: number[] } = {}) {
  return createConnector({
    authorizationFor: async () => 'Bearer test-token',
    attempts: o.attempts ?? 4,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    sleep: async (ms) => {
      o.sleeps?.push(ms);
    },
    random: () => 0.5,
  });
}

describe('Bot Connector client', () => {
  it('creates a thread in a channel, replies in it (;messageid=), and updates the root', async () => {
    const c = connector();
    const created = await c.createConversation(fake.serviceUrl, {
      isGroup: true,
      bot: { id: '28:bot' },
      channelData: { channel: { id: CHANNEL } },
      activity: text('root'),
    });
    expect(created.id).toBe(`${CHANNEL};messageid=${created.activityId}`);
    const reply = await c.sendToConversation(fake.serviceUrl, `${CHANNEL};messageid=${created.activityId}`, text('r'));
    await c.updateActivity(
      fake.serviceUrl,
      `${CHANNEL};messageid=${created.activityId}`,
      created.activityId!,
      text('R2'),
    );
    const thread = fake.thread(CHANNEL, created.activityId!);
    expect(thread.map((m) => [m.id, m.activity.text, m.edits])).toEqual([
      [created.activityId, 'R2', 1],
      [reply.id, 'r', 0],
    ]);
    // Path parameters are URL-encoded on the wire; every call is signed.
    expect(fake.calls.every((call) => call.authorization === 'Bearer test-token')).toBe(true);
  });

  it('retries 429/412/502/504 with backoff, honouring Retry-After', async () => {
    const sleeps: number[] = [];
    const c = connector({ sleeps });
    fake.failNext(1, 429, 0);
    fake.failNext(1, 412);
    fake.failNext(1, 502);
    const res = await c.sendToConversation(fake.serviceUrl, 'a:1personal', text('hello'));
    expect(res.id).toMatch(/^\d+$/);
    // Retry-After: 0, then exponential with jitter (random = 0.5 → 3/4 of the ceiling): 200 → 150, 400 → 300.
    expect(sleeps).toEqual([0, 150, 300]);
    expect(backoffMs(1, 100, 1000, () => 0)).toBe(50);
    expect(backoffMs(10, 100, 1000, () => 1)).toBe(1000);
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter(new Date(5000).toUTCString(), 1000)).toBe(4000);
  });

  it('hands a lasting 429 (or a long Retry-After) to the queue as RateLimitedError; a lasting 504 is transient', async () => {
    const before = fake.calls.length;
    fake.failNext(1, 429, 7);
    const long = await connector({ attempts: 4 })
      .sendToConversation(fake.serviceUrl, 'a:1personal', text('x'))
      .catch((e: unknown) => e);
    expect(long).toBeInstanceOf(RateLimitedError);
    expect((long as RateLimitedError).retryAfterMs).toBe(7000);
    // Seven seconds is longer than a worker slot is held (maxDelayMs): no retry in-process.
    expect(fake.calls.length - before).toBe(1);
    fake.failNext(2, 429);
    const lasting = await connector({ attempts: 2 })
      .sendToConversation(fake.serviceUrl, 'a:1personal', text('x'))
      .catch((e: unknown) => e);
    expect(lasting).toBeInstanceOf(RateLimitedError);
    expect((lasting as RateLimitedError).retryAfterMs).toBe(150);
    fake.failNext(2, 504);
    const gateway = await connector({ attempts: 2 })
      .sendToConversation(fake.serviceUrl, 'a:1personal', text('x'))
      .catch((e: unknown) => e);
    expect(gateway).toBeInstanceOf(ConnectorError);
    expect((gateway as ConnectorError).transient).toBe(true);
  });

  it('does not retry what Teams refuses (a card it cannot render), and never puts the body in the error', async () => {
    const before = fake.calls.length;
    const bad = {
      type: 'message' as const,
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: { type: 'AdaptiveCard', version: '1.6', body: [] },
        },
      ],
    };
    const err = await connector()
      .sendToConversation(fake.serviceUrl, 'a:1personal', bad)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).status).toBe(400);
    expect((err as ConnectorError).transient).toBe(false);
    expect((err as Error).message).toBe('Teams connector sendToConversation answered HTTP 400');
    expect(fake.calls.length - before).toBe(1);
  });
});
