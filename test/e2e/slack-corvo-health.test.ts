/**
 * End to end through the real processes: a signed `/corvo health` reaches the real `web` process, is queued in a
 * real Redis, run by one of two real `worker` processes against the simulated Corvo, recorded in a real Postgres,
 * and posted to the fake Slack Web API.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommandBody } from '../support/slack-signing.js';
import { BOT_TOKEN, startBotStack, type BotStack } from './bot-stack.js';

let stack: BotStack;

const post = (body: string, o?: Parameters<BotStack['postSlack']>[1]) => stack.postSlack(body, o);
const messagesIn = (channel: string) =>
  stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel);
const blocksText = (call: { args: Record<string, unknown> }) => JSON.stringify(call.args.blocks ?? []);

beforeAll(async () => {
  stack = await startBotStack({ scenario: 'healthy' });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('/corvo health in Slack, end to end', () => {
  it('acks ephemerally, then posts the report with the critical finding in the channel', async () => {
    stack.corvo.setScenario('sqlite-diverged');
    const res = await post(slashCommandBody({ command: '/corvo', text: 'health', channel_id: 'C0STORY' }));
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { response_type: string; text: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toMatch(/^Running Corvo health on prod…/);

    await stack.slack.waitFor(() => messagesIn('C0STORY').length === 1, 20_000);
    const [msg] = messagesIn('C0STORY');
    expect(String(msg!.args.text)).toMatch(/critical/i);
    expect(blocksText(msg!)).toContain('SQLite diverged from Pebble');
    expect(msg!.token).toBe(BOT_TOKEN);

    const invocationId = /\((inv_[0-9a-f]+)\)/.exec(ack.text)![1];
    const { rows } = await stack.db.query('select * from invocations where id = $1', [invocationId]);
    expect(rows[0]).toMatchObject({
      status: 'succeeded',
      verdict: 'critical',
      system: 'corvo',
      workflow: 'health',
      target: 'prod',
      user_id: 'U0ALICE',
      channel_id: 'C0STORY',
    });
  });

  it('reports an unreachable Corvo as one inconclusive line and still posts', async () => {
    stack.corvo.setScenario('unreachable');
    const res = await post(slashCommandBody({ command: '/corvo', text: 'health', channel_id: 'C0DOWN' }));
    expect(res.status).toBe(200);
    await stack.slack.waitFor(() => messagesIn('C0DOWN').length === 1, 20_000);
    const text = blocksText(messagesIn('C0DOWN')[0]!);
    expect(text).toMatch(/unreachable|reset|refused/i);
    expect(String(messagesIn('C0DOWN')[0]!.args.text)).toMatch(/inconclusive/i);
    stack.corvo.setScenario('healthy');
  });

  it('runs a redelivered slash command once', async () => {
    stack.corvo.setScenario('healthy');
    const body = slashCommandBody({ command: '/corvo', text: 'health', channel_id: 'C0DUP', trigger_id: 'trig-dup-1' });
    const [a, b] = await Promise.all([post(body), post(body)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await post(body);
    expect(c.status).toBe(200);
    await stack.slack.waitFor(() => messagesIn('C0DUP').length >= 1, 20_000);
    // Give a (wrong) second run every chance to show up.
    await new Promise((r) => setTimeout(r, 1500));
    expect(messagesIn('C0DUP')).toHaveLength(1);
  });

  it('waits out a Slack 429 and posts exactly one message', async () => {
    stack.slack.rateLimitNext('chat.postMessage', 1, 1);
    const res = await post(slashCommandBody({ command: '/corvo', text: 'health', channel_id: 'C0LIMIT' }));
    expect(res.status).toBe(200);
    // The first attempt is answered 429; the post waits Retry-After in the queue and is tried once more.
    await stack.slack.waitFor(() => stack.slack.messages('C0LIMIT').length === 1, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(messagesIn('C0LIMIT')).toHaveLength(2);
    expect(stack.slack.messages('C0LIMIT')).toHaveLength(1);
    const [first, second] = messagesIn('C0LIMIT');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
  });

  it('answers unknown subcommands with usage and runs nothing', async () => {
    const before = await stack.queuedJobs();
    const res = await post(slashCommandBody({ command: '/corvo', text: 'frobnicate', channel_id: 'C0USAGE' }));
    const ack = (await res.json()) as { text: string };
    expect(ack.text).toContain('Unknown subcommand "frobnicate"');
    expect(ack.text).toContain('/corvo health');
    expect(await stack.queuedJobs()).toBe(before);
  });

  it('refuses forged, stale, future and unsigned requests with 401 and queues nothing', async () => {
    const before = await stack.queuedJobs();
    const body = slashCommandBody({ command: '/corvo', text: 'health', channel_id: 'C0FORGED' });
    // Just outside the ±5 min window, read at each request: the whole seconds and a slow machine must not bring
    // "future" back inside it (the unit tests of the verifier pin the exact boundary).
    const nowSec = () => Math.floor(Date.now() / 1000);
    expect((await post(body, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await post(body, { timestampSec: nowSec() - 305 })).status).toBe(401);
    expect((await post(body, { timestampSec: nowSec() + 305 })).status).toBe(401);
    expect((await post(body, { unsigned: true })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect(await stack.queuedJobs()).toBe(before);
    expect(messagesIn('C0FORGED')).toHaveLength(0);
    const { rows } = await stack.db.query(`select count(*)::int as n from invocations where channel_id = 'C0FORGED'`);
    expect(rows[0].n).toBe(0);
  });

  it('answers malformed bodies 400 and oversize bodies 413, queueing nothing', async () => {
    const before = await stack.queuedJobs();
    expect((await post('payload=%7Bnot-json')).status).toBe(400);
    expect((await post('{"type":', { contentType: 'application/json' })).status).toBe(400);
    expect((await post('team_id=T1&text=health')).status).toBe(400); // no command, user or trigger
    const huge = slashCommandBody({ command: '/corvo', text: 'health' }) + '&pad=' + 'x'.repeat(1_100_000);
    expect((await post(huge)).status).toBe(413);
    expect(await stack.queuedJobs()).toBe(before);
  });

  it('serves health, readiness and metrics', async () => {
    expect(await (await fetch(`${stack.baseUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${stack.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(metrics).toContain('runbook_bot_http_requests_total{route="/slack/events",status="401"}');
    expect((await fetch(`${stack.baseUrl}/nope`)).status).toBe(404);
  });

  it('prunes by retention: one scheduler for both workers, and /metrics of web counts the rows pruned', async () => {
    const queue = new Queue('retention', { connection: stack.redis, prefix: stack.prefix });
    try {
      await expect.poll(async () => (await queue.getJobSchedulers()).map((s) => s.key)).toEqual(['retention-prune']);
      expect(stack.workers).toHaveLength(2);
      await stack.db.query(
        `insert into identities (principal, resolved_at) values ('slack:UGONE', now() - interval '31 days'),
           ('slack:UKEPT', now() - interval '29 days')`,
      );
      // A run now, as the scheduler's 03:17 tick would do.
      await queue.add('prune', {});
      await expect
        .poll(async () => await (await fetch(`${stack.baseUrl}/metrics`)).text(), { timeout: 10_000 })
        .toContain('runbook_bot_retention_rows_pruned_total{table="identities"} 1');
      const { rows } = await stack.db.query(`select principal from identities where principal like 'slack:U%'`);
      expect(rows.map((r) => r.principal)).toEqual(['slack:UKEPT']);
    } finally {
      await queue.close();
    }
  });
});
