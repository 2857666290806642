/**
 * Failure stories end to end: Redis or Postgres unreachable from the web process (cut with a TCP proxy, the servers
 * themselves keep running for the rest of the test run) → 503, so PagerDuty retries, and the retried delivery is
 * processed exactly once; a deploy (every process restarted) between trigger and resolve still updates the same root.
 */
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { incidentEvent, postPagerDuty } from '../support/pagerduty-webhooks.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import {
  PD_SECRET,
  eventually,
  repliesTo,
  rootMentioning,
  corvoPagerDutyConfig,
  stopAndCheck,
  startAlertBot,
  topLevel,
  type AlertBot,
} from './alert-bot.js';

// Several real processes per file on a shared CI box: generous bounds (waits stay bounded, never timed).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHANNEL = 'C0OUTAGE';
let bot: AlertBot;
let redisProxy: TcpProxy;
let pgProxy: TcpProxy;

beforeAll(async () => {
  redisProxy = await startTcpProxy(inject('redisUrl'));
  pgProxy = await startTcpProxy(inject('postgresAdminUrl'));
  bot = await startAlertBot({
    config: (corvoUrl) => corvoPagerDutyConfig(corvoUrl, CHANNEL, { messagesPerSecond: 20, burst: 10 }),
    webEnv: (env) => ({
      REDIS_URL: redisProxy.rewrite(env.REDIS_URL!),
      DATABASE_URL: pgProxy.rewrite(env.DATABASE_URL!),
    }),
  });
}, 90_000);

afterAll(async () => {
  await redisProxy?.up();
  await pgProxy?.up();
  await stopAndCheck(bot);
  await redisProxy?.close();
  await pgProxy?.close();
});

/** Delivers like PagerDuty: retries 5xx until a 2xx (bounded); returns the statuses seen. */
async function deliverWithRetries(body: Record<string, unknown>, webhookId: string): Promise<number[]> {
  const statuses: number[] = [];
  const deadline = Date.now() + 45_000;
  for (;;) {
    const res = await postPagerDuty(bot.baseUrl, body, { secrets: [PD_SECRET], webhookId });
    statuses.push(res.status);
    if (res.status < 500 || Date.now() > deadline) return statuses;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function expectProcessedOnce(incidentId: string, title: string) {
  const root = await eventually('the root', () => rootMentioning(bot.slack, CHANNEL, title));
  await eventually('the report in its thread', () =>
    repliesTo(bot.slack, CHANNEL, root.ts).find((m) => (m.text ?? '').includes('Corvo health')),
  );
  await new Promise((r) => setTimeout(r, 1000));
  expect(topLevel(bot.slack, CHANNEL).filter((m) => (m.text ?? '').includes(title))).toHaveLength(1);
  expect(repliesTo(bot.slack, CHANNEL, root.ts)).toHaveLength(1);
  const { rows } = await bot.db.query(
    `select count(*)::int as n, count(processed_at)::int as processed from alert_events where external_id = $1`,
    [incidentId],
  );
  expect(rows[0]).toEqual({ n: 1, processed: 1 });
}

describe('outages and restarts', () => {
  it.each([
    { store: 'redis', proxy: () => redisProxy, incidentId: 'PREDISDOWN', title: 'Redis was down' },
    { store: 'postgres', proxy: () => pgProxy, incidentId: 'PPGDOWN', title: 'Postgres was down' },
  ])('answers 503 while $store is unreachable, and processes the retried delivery once', async (o) => {
    const body = incidentEvent({
      type: 'incident.triggered',
      incidentId: o.incidentId,
      occurredAt: '2026-09-11T08:00:00Z',
      title: o.title,
    });
    const webhookId = `wh-${o.store}`;
    await o.proxy().down();
    const first = await postPagerDuty(bot.baseUrl, body, { secrets: [PD_SECRET], webhookId });
    expect(first.status).toBe(503);
    expect(((await first.json()) as { error: string }).error).toMatch(/retry/);
    // A second attempt while still down: still 503, nothing half-done that a later retry would trip over.
    expect((await postPagerDuty(bot.baseUrl, body, { secrets: [PD_SECRET], webhookId })).status).toBe(503);
    const ready = await fetch(`${bot.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ failed: [o.store] });
    await o.proxy().up();
    const statuses = await deliverWithRetries(body, webhookId);
    expect(statuses.at(-1)).toBe(202);
    await expectProcessedOnce(o.incidentId, o.title);
  });

  it('updates the same root after every process was restarted between trigger and resolve', async () => {
    const id = 'PRESTART1';
    const trig = incidentEvent({
      type: 'incident.triggered',
      incidentId: id,
      occurredAt: '2026-09-11T10:00:00Z',
      title: 'Across a deploy',
      createdAt: '2026-09-11T10:00:00Z',
    });
    expect((await postPagerDuty(bot.baseUrl, trig, { secrets: [PD_SECRET] })).status).toBe(202);
    const root = await eventually('the root', () => rootMentioning(bot.slack, CHANNEL, 'Across a deploy'));
    await bot.restart();
    const resolved = incidentEvent({
      type: 'incident.resolved',
      incidentId: id,
      occurredAt: '2026-09-11T10:12:00Z',
      createdAt: '2026-09-11T10:00:00Z',
      title: 'Across a deploy',
    });
    expect((await deliverWithRetries(resolved, 'wh-after-restart')).at(-1)).toBe(202);
    const updated = await eventually('the same root, green', () => {
      const r = topLevel(bot.slack, CHANNEL).find((m) => m.ts === root.ts);
      return r && JSON.stringify(r.blocks).includes(':large_green_circle:') && r;
    });
    expect(JSON.stringify(updated.blocks)).toContain('Resolved after 12m');
    expect(topLevel(bot.slack, CHANNEL).filter((m) => (m.text ?? '').includes('Across a deploy'))).toHaveLength(1);
    await eventually('the resolve note in the same thread', () =>
      repliesTo(bot.slack, CHANNEL, root.ts).find((m) => (m.text ?? '').includes('Resolved by Dana Oncall after 12m')),
    );
  });
});
