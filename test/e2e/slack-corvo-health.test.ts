/**
 * End to end through the real processes: a signed `/corvo health` reaches the real `web` process, is queued in a
 * real Redis, run by one of two real `worker` processes against the simulated Corvo, recorded in a real Postgres,
 * and posted to the fake Slack Web API.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCorvoSimulator, type CorvoSimulator } from '../../integrations/corvo/simulator.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { createTestDatabase, uniqueName } from '../support/namespace.js';
import { getFreePort } from '../../src/dev/local-services.js';
import { signSlackRequest, slashCommandBody } from '../support/slack-signing.js';
import { runRelease, spawnBot, writeConfigFile, type BotProcess } from './bot-processes.js';

const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
const BOT_TOKEN = 'xoxb-e2e-bot-token-do-not-leak';
const CORVO_KEY = 'corvo-e2e-api-key-do-not-leak';

let corvo: CorvoSimulator;
let slack: FakeSlack;
let web: BotProcess;
let workers: BotProcess[] = [];
let baseUrl: string;
let databaseUrl: string;
let db: pg.Pool;
let redis: Redis;
let prefix: string;

async function post(
  body: string,
  o: { timestampSec?: number; secret?: string; contentType?: string; signature?: string } = {},
): Promise<Response> {
  const ts = o.timestampSec ?? Math.floor(Date.now() / 1000);
  const headers = signSlackRequest(o.secret ?? SIGNING_SECRET, body, ts);
  return fetch(`${baseUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': o.contentType ?? 'application/x-www-form-urlencoded',
      ...headers,
      ...(o.signature ? { 'x-slack-signature': o.signature } : {}),
    },
    body,
  });
}

async function queuedJobs(): Promise<number> {
  const q = new Queue('diagnostics', { connection: redis, prefix });
  const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  await q.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function messagesIn(channel: string) {
  return slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel);
}

function blocksText(call: { args: Record<string, unknown> }): string {
  return JSON.stringify(call.args.blocks ?? []);
}

beforeAll(async () => {
  corvo = await startCorvoSimulator({ scenario: 'healthy', apiKey: CORVO_KEY });
  slack = await startFakeSlack({ token: BOT_TOKEN });
  databaseUrl = await createTestDatabase();
  prefix = uniqueName('e2e');
  const port = await getFreePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const configFile = writeConfigFile(
    `targets:\n  corvo:\n    prod: { url: "${corvo.url}", apiKey: "\${CORVO_API_KEY}", timeoutMs: 2000 }\n`,
  );
  const env = {
    PORT: String(port),
    REDIS_URL: inject('redisUrl'),
    DATABASE_URL: databaseUrl,
    RUNBOOK_BOT_CONFIG: configFile,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: slack.url,
    CORVO_API_KEY: CORVO_KEY,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
  };
  const release = await runRelease(env);
  expect(release.code, release.output).toBe(0);
  // Safe to run twice.
  expect((await runRelease(env)).code).toBe(0);
  web = spawnBot('web', env);
  workers = [spawnBot('worker', env), spawnBot('worker', env)];
  await Promise.all([web.waitForOutput('web listening'), ...workers.map((w) => w.waitForOutput('worker started'))]);
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
}, 90_000);

afterAll(async () => {
  const codes = await Promise.all([web, ...workers].filter(Boolean).map((p) => p.stop()));
  // Graceful shutdown on SIGTERM exits 0.
  expect(codes.every((c) => c === 0)).toBe(true);
  const everything = [web, ...workers].map((p) => p.output()).join('\n');
  for (const secret of [SIGNING_SECRET, BOT_TOKEN, CORVO_KEY, databaseUrl]) expect(everything).not.toContain(secret);
  expect(everything).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack traces in logs
  await db?.end();
  redis?.disconnect();
  await slack?.close();
  await corvo?.close();
});

describe('/corvo health in Slack, end to end', () => {
  it('acks ephemerally, then posts the report with the critical finding in the channel', async () => {
    corvo.setScenario('sqlite-diverged');
    const res = await post(slashCommandBody({ command: '/corvo', text: 'health', channel_id: 'C0STORY' }));
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { response_type: string; text: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toMatch(/^Running Corvo health on prod…/);

    await slack.waitFor(() => messagesIn('C0STORY').length === 1, 20_000);
    const [msg] = messagesIn('C0STORY');
    expect(String(msg!.args.text)).toMatch(/critical/i);
    expect(blocksText(msg!)).toContain('SQLite diverged from Pebble');
    expect(msg!.token).toBe(BOT_TOKEN);

    const invocationId = /\((inv_[0-9a-f]+)\)/.exec(ack.text)![1];
    const { rows } = await db.query('select * from invocations where id = $1', [invocationId]);
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
    corvo.setScenario('unreachable');
    const res = await post(slashCommandBody({ command: '/corvo', text: 'health', channel_id: 'C0DOWN' }));
    expect(res.status).toBe(200);
    await slack.waitFor(() => messagesIn('C0DOWN').length === 1, 20_000);
    const text = blocksText(messagesIn('C0DOWN')[0]!);
    expect(text).toMatch(/unreachable|reset|refused/i);
    expect(String(messagesIn('C0DOWN')[0]!.args.text)).toMatch(/inconclusive/i);
    corvo.setScenario('healthy');
  });

  it('runs a redelivered slash command once', async () => {
    corvo.setScenario('healthy');
    const body = slashCommandBody({ command: '/corvo', text: 'health', channel_id: 'C0DUP', trigger_id: 'trig-dup-1' });
    const [a, b] = await Promise.all([post(body), post(body)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await post(body);
    expect(c.status).toBe(200);
    await slack.waitFor(() => messagesIn('C0DUP').length >= 1, 20_000);
    // Give a (wrong) second run every chance to show up.
    await new Promise((r) => setTimeout(r, 1500));
    expect(messagesIn('C0DUP')).toHaveLength(1);
  });

  it('waits out a Slack 429 and posts exactly one message', async () => {
    slack.rateLimitNext('chat.postMessage', 1, 1);
    const res = await post(slashCommandBody({ command: '/corvo', text: 'health', channel_id: 'C0LIMIT' }));
    expect(res.status).toBe(200);
    // The first attempt is answered 429; the post waits Retry-After in the queue and is tried once more.
    await slack.waitFor(() => slack.messages('C0LIMIT').length === 1, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(messagesIn('C0LIMIT')).toHaveLength(2);
    expect(slack.messages('C0LIMIT')).toHaveLength(1);
    const [first, second] = messagesIn('C0LIMIT');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
  });

  it('answers unknown subcommands with usage and runs nothing', async () => {
    const before = await queuedJobs();
    const res = await post(slashCommandBody({ command: '/corvo', text: 'frobnicate', channel_id: 'C0USAGE' }));
    const ack = (await res.json()) as { text: string };
    expect(ack.text).toContain('Unknown subcommand "frobnicate"');
    expect(ack.text).toContain('/corvo health');
    expect(await queuedJobs()).toBe(before);
  });

  it('refuses forged, stale, future and unsigned requests with 401 and queues nothing', async () => {
    const before = await queuedJobs();
    const body = slashCommandBody({ command: '/corvo', text: 'health', channel_id: 'C0FORGED' });
    const now = Math.floor(Date.now() / 1000);
    expect((await post(body, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await post(body, { timestampSec: now - 301 })).status).toBe(401);
    expect((await post(body, { timestampSec: now + 301 })).status).toBe(401);
    const unsigned = await fetch(`${baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(unsigned.status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect(await queuedJobs()).toBe(before);
    expect(messagesIn('C0FORGED')).toHaveLength(0);
    const { rows } = await db.query(`select count(*)::int as n from invocations where channel_id = 'C0FORGED'`);
    expect(rows[0].n).toBe(0);
  });

  it('answers malformed bodies 400 and oversize bodies 413, queueing nothing', async () => {
    const before = await queuedJobs();
    expect((await post('payload=%7Bnot-json')).status).toBe(400);
    expect((await post('{"type":', { contentType: 'application/json' })).status).toBe(400);
    expect((await post('team_id=T1&text=health')).status).toBe(400); // no command, user or trigger
    const huge = slashCommandBody({ command: '/corvo', text: 'health' }) + '&pad=' + 'x'.repeat(1_100_000);
    expect((await post(huge)).status).toBe(413);
    expect(await queuedJobs()).toBe(before);
  });

  it('serves health, readiness and metrics', async () => {
    expect(await (await fetch(`${baseUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toContain('runbook_bot_http_requests_total{route="/slack/events",status="401"}');
    expect((await fetch(`${baseUrl}/nope`)).status).toBe(404);
  });
});
