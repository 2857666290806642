/**
 * Shared set-up of the alert end-to-end suites: the real `web` and two real `worker` processes against the run's
 * Redis and a fresh Postgres database, a fake Slack, a simulated Corvo and a fake PagerDuty REST API, each suite in its
 * own namespace (queue prefix, database).
 */
import pg from 'pg';
import { expect, inject } from 'vitest';
import { startCorvoSimulator, type CorvoSimulator } from '../../integrations/corvo/simulator/index.js';
import { startFakePagerDutyApi, type FakePagerDutyApi } from '../support/fake-pagerduty.js';
import { getFreePort } from '../../src/dev/local-services.js';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from '../support/fake-slack.js';
import { createTestDatabase, uniqueName } from '../support/namespace.js';
import { runRelease, spawnBot, writeConfigFile, type BotProcess } from './bot-processes.js';

export const PD_SECRET = 'pd-e2e-secret-1-do-not-leak';
export const PD_SECRET_ROTATED = 'pd-e2e-secret-2-do-not-leak';
export const AM_TOKEN = 'am-e2e-bearer-token-do-not-leak';
export const BOT_TOKEN = 'xoxb-alerts-e2e-do-not-leak';
export const SIGNING_SECRET = 'alerts-e2e-signing-secret';
export const CORVO_KEY = 'corvo-alerts-e2e-key-do-not-leak';
export const PD_API_TOKEN = 'pd-api-token-do-not-leak';

export interface AlertBot {
  readonly baseUrl: string;
  readonly env: Record<string, string>;
  readonly slack: FakeSlack;
  readonly corvo: CorvoSimulator;
  readonly pagerdutyApi: FakePagerDutyApi;
  readonly db: pg.Pool;
  readonly databaseUrl: string;
  readonly prefix: string;
  web: BotProcess;
  workers: BotProcess[];
  /** SIGTERM every bot process, then start new ones with the same environment (a deploy). */
  restart(): Promise<void>;
  /** Stops everything; checks that no secret and no stack trace reached the logs. Returns the exit codes. */
  stop(): Promise<(number | null)[]>;
  /** Everything the bot processes printed. */
  output(): string;
}

export interface AlertBotOptions {
  /** The YAML config; `corvoUrl` is the simulator's. */
  readonly config: (corvoUrl: string) => string;
  /** Extra or overriding environment for every process. */
  readonly env?: Record<string, string>;
  /** Environment overrides for the web process only (e.g. Redis and Postgres through a proxy). */
  readonly webEnv?: (env: Record<string, string>) => Record<string, string>;
  readonly workers?: number;
}

export async function startAlertBot(o: AlertBotOptions): Promise<AlertBot> {
  const corvo = await startCorvoSimulator({ scenario: 'healthy', apiKey: CORVO_KEY });
  const slack = await startFakeSlack({ token: BOT_TOKEN });
  const pagerdutyApi = await startFakePagerDutyApi({ token: PD_API_TOKEN });
  const databaseUrl = await createTestDatabase();
  const prefix = uniqueName('alerts');
  const port = await getFreePort();
  const configFile = writeConfigFile(o.config(corvo.url));
  const env: Record<string, string> = {
    PORT: String(port),
    REDIS_URL: inject('redisUrl'),
    DATABASE_URL: databaseUrl,
    RUNBOOK_BOT_CONFIG: configFile,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: slack.url,
    CORVO_API_KEY: CORVO_KEY,
    PAGERDUTY_WEBHOOK_SECRETS: `${PD_SECRET},${PD_SECRET_ROTATED}`,
    PAGERDUTY_API_TOKEN: PD_API_TOKEN,
    PAGERDUTY_API_URL: pagerdutyApi.url,
    ALERTMANAGER_BEARER_TOKEN: AM_TOKEN,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    ...o.env,
  };
  const release = await runRelease(env);
  if (release.code !== 0) throw new Error(`release failed: ${release.output}`);
  const previousOutput: string[] = [];
  const start = async () => {
    const web = spawnBot('web', o.webEnv ? { ...env, ...o.webEnv(env) } : env);
    const workers = Array.from({ length: o.workers ?? 2 }, () => spawnBot('worker', env));
    await Promise.all([web.waitForOutput('web listening'), ...workers.map((w) => w.waitForOutput('worker started'))]);
    // Listening comes before the Redis and Postgres connections are up: wait until the web says it is ready.
    await eventually('the web process ready', () =>
      fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
    );
    return { web, workers };
  };
  const first = await start();
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  const bot: AlertBot = {
    baseUrl: `http://127.0.0.1:${port}`,
    env,
    slack,
    corvo,
    pagerdutyApi,
    db,
    databaseUrl,
    prefix,
    web: first.web,
    workers: first.workers,
    async restart() {
      const procs = [bot.web, ...bot.workers];
      await Promise.all(procs.map((p) => p.stop()));
      previousOutput.push(...procs.map((p) => p.output()));
      const next = await start();
      bot.web = next.web;
      bot.workers = next.workers;
    },
    output: () => [...previousOutput, ...[bot.web, ...bot.workers].map((p) => p.output())].join('\n'),
    async stop() {
      const codes = await Promise.all([bot.web, ...bot.workers].map((p) => p.stop()));
      await db.end();
      await slack.close();
      await corvo.close();
      await pagerdutyApi.close();
      return codes;
    },
  };
  return bot;
}

/**
 * The config of a bot that routes PagerDuty's "Corvo Production" alerts to Corvo `prod`, posting in Slack `channel`
 * (with `storm`, the alert-storm settings of `alerts:`).
 */
export function corvoPagerDutyConfig(
  corvoUrl: string,
  channel: string,
  o: { messagesPerSecond: number; burst: number; storm?: { threshold: number; window: string } },
): string {
  const storm = o.storm ? `  storm: { threshold: ${o.storm.threshold}, window: ${o.storm.window} }\n` : '';
  return `
targets:
  corvo:
    prod: { url: "${corvoUrl}", apiKey: "\${CORVO_API_KEY}", timeoutMs: 2000 }
channels:
  incidents: { slack: "${channel}" }
alerts:
  pagerduty:
    - match: { service: "Corvo Production" }
      system: corvo
      target: prod
      channel: incidents
${storm}pacing: { messagesPerSecond: ${o.messagesPerSecond}, burst: ${o.burst} }
`;
}

/** Secrets no log line may contain. */
export function secretsOf(bot: AlertBot): string[] {
  return [PD_SECRET, PD_SECRET_ROTATED, AM_TOKEN, BOT_TOKEN, SIGNING_SECRET, CORVO_KEY, PD_API_TOKEN, bot.databaseUrl];
}

/**
 * Stops every process of the bot and checks what they left behind: clean exits, and no secret and no stack trace
 * in anything they printed.
 */
export async function stopAndCheck(bot: AlertBot | undefined): Promise<void> {
  if (!bot) return;
  const codes = await bot.stop();
  expect(codes.every((c) => c === 0)).toBe(true);
  const everything = bot.output();
  for (const secret of secretsOf(bot)) expect(everything).not.toContain(secret);
  expect(everything).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

/** Top-level messages (roots, summaries) of a channel. */
export function topLevel(slack: FakeSlack, channel: string): FakeSlackMessage[] {
  return slack.messages(channel).filter((m) => m.thread_ts === undefined);
}

/** Replies in the thread of `rootTs`. */
export function repliesTo(slack: FakeSlack, channel: string, rootTs: string): FakeSlackMessage[] {
  return slack.messages(channel).filter((m) => m.thread_ts === rootTs);
}

/** The root whose fallback text mentions `text`. */
export function rootMentioning(slack: FakeSlack, channel: string, text: string): FakeSlackMessage | undefined {
  return topLevel(slack, channel).find((m) => (m.text ?? '').includes(text));
}

/** Polls `predicate` every 50 ms until it holds (bounded wait). */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
