import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { startFakePagerDutyEvents, type FakePagerDutyEvents } from '../../test/support/fake-pagerduty-events.js';
import { createPagerDutyEventsClient, fitDedupKey, PagerDutyEventsError } from './events-client.js';

const KEY = 'R0UT1NGKEY0123456789abcdefabcdef';
let fake: FakePagerDutyEvents;
const waits: number[] = [];
const client = () =>
  createPagerDutyEventsClient({
    routingKey: new Secret(KEY),
    eventsUrl: `${fake.url}/`,
    attempts: 3,
    backoffMs: 10,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
const payload = { summary: 'KyroDB prod: writes refused', source: 'kyrodb/prod', severity: 'critical' as const };

beforeAll(async () => {
  fake = await startFakePagerDutyEvents();
});
afterAll(async () => {
  await fake.close();
});

describe('PagerDuty Events API v2 client', () => {
  it('trigger: 202 with the dedup_key, the key in the body and no Authorization header; resolve closes it', async () => {
    const c = client();
    expect(
      await c.trigger({ dedupKey: 'runbook-bot/kyrodb/prod/a', payload, links: [{ href: 'https://x/y' }] }),
    ).toEqual({ dedupKey: 'runbook-bot/kyrodb/prod/a' });
    const sent = fake.events.at(-1)!;
    expect(sent).toMatchObject({
      path: '/v2/enqueue',
      status: 202,
      routingKey: KEY,
      action: 'trigger',
      outcome: 'opened',
    });
    expect(sent.authorization).toBeUndefined();
    expect(sent.body).toMatchObject({ payload, links: [{ href: 'https://x/y' }] });
    expect(fake.stateOf('runbook-bot/kyrodb/prod/a')).toBe('open');
    // A second trigger with the same key applies to the open alert.
    await c.trigger({ dedupKey: 'runbook-bot/kyrodb/prod/a', payload });
    expect(fake.events.at(-1)!.outcome).toBe('deduplicated');
    await c.resolve('runbook-bot/kyrodb/prod/a');
    expect(fake.stateOf('runbook-bot/kyrodb/prod/a')).toBe('resolved');
    // A resolve of nothing open is dropped, still 202.
    await c.resolve('runbook-bot/kyrodb/prod/a');
    expect(fake.events.at(-1)).toMatchObject({ status: 202, outcome: 'dropped' });
  });

  it('a 202 whose body is not the documented one is still accepted: the event was taken, with the key we sent', async () => {
    // A proxy in front of PagerDuty that rewrites the body: the 202 says the event was ingested all the same.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(202, { 'content-type': 'text/plain' }).end('accepted'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = createPagerDutyEventsClient({
        routingKey: new Secret(KEY),
        eventsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        attempts: 1,
      });
      expect(await c.trigger({ dedupKey: 'runbook-bot/kyrodb/prod/proxied', payload })).toEqual({
        dedupKey: 'runbook-bot/kyrodb/prod/proxied',
      });
      expect(await c.resolve('runbook-bot/kyrodb/prod/proxied')).toEqual({
        dedupKey: 'runbook-bot/kyrodb/prod/proxied',
      });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('400 is not retried and says what PagerDuty said', async () => {
    const before = fake.events.length;
    const err = await client()
      .trigger({ dedupKey: 'k-400', payload: { ...payload, source: '' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerDutyEventsError);
    expect(err).toMatchObject({ status: 400, retryable: false });
    expect((err as Error).message).toContain("'payload.source' is missing or blank");
    expect(fake.events.length - before).toBe(1);
  });

  it('a 400 body echoing the routing key across the 300-character cap leaves no part of it in the error', async () => {
    // Capping before redacting would cut the key in two and leave its head, which no longer matches the secret.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        res.writeHead(400, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: 'invalid event',
            message: 'Event object is invalid',
            errors: [`${'x'.repeat(250)} routing_key ${KEY}`],
          }),
        ),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const err = await createPagerDutyEventsClient({
        routingKey: new Secret(KEY),
        eventsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        attempts: 1,
      })
        .trigger({ dedupKey: 'k-echo', payload })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PagerDutyEventsError);
      const message = (err as Error).message;
      expect(message).not.toContain(KEY.slice(0, 8));
      expect(message.length).toBeLessThanOrEqual(400);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('429 and 5xx are retried with backoff; after the last attempt the error is retryable', async () => {
    waits.length = 0;
    fake.rateLimitNext(1);
    fake.failNext(0);
    await client().trigger({ dedupKey: 'k-429', payload });
    expect(fake.accepted('trigger', 'k-429')).toHaveLength(1);
    expect(waits).toEqual([10]);
    fake.rateLimitNext(3);
    const err = await client()
      .trigger({ dedupKey: 'k-429b', payload })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, retryable: true });
    expect(waits).toEqual([10, 10, 20]);
    fake.failNext(1);
    await client().resolve('k-429');
    expect(fake.stateOf('k-429')).toBe('resolved');
  });

  it('truncates the summary to 1024 and the dedup key to 255 characters, keeping keys distinct', async () => {
    const long = `runbook-bot/${'x'.repeat(300)}`;
    await client().trigger({ dedupKey: long, payload: { ...payload, summary: 's'.repeat(2000) } });
    const body = fake.events.at(-1)!.body as { dedup_key: string; payload: { summary: string } };
    expect(body.payload.summary).toHaveLength(1024);
    expect(body.dedup_key).toHaveLength(255);
    expect(fitDedupKey(`${long}a`)).not.toBe(fitDedupKey(`${long}b`));
    expect(fake.events.at(-1)!.status).toBe(202);
  });

  it('a network error is retryable', async () => {
    const c = createPagerDutyEventsClient({
      routingKey: new Secret(KEY),
      eventsUrl: 'http://127.0.0.1:9',
      attempts: 1,
    });
    await expect(c.resolve('k')).rejects.toMatchObject({ retryable: true });
  });
});
