/**
 * The whole bot as separate processes for end-to-end suites: a real `web` and two real `worker` processes on the
 * run's Redis and a fresh Postgres database, the Corvo simulator and the fake Slack Web API at the edges.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { expect, inject } from 'vitest';
import {
  startCorvoSimulator,
  type CorvoScenario,
  type CorvoSimulator,
} from '../../integrations/corvo/simulator/index.js';
import { getFreePort } from '../../src/dev/local-services.js';
import { startFakeBotConnector, type FakeBotConnector } from '../support/fake-bot-connector.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { startFakeSocketMode, type FakeSocketMode } from '../support/fake-socket-mode.js';
import { createTestDatabase, uniqueName } from '../support/namespace.js';
import { blockActionsBody, signSlackRequest, slashCommandBody } from '../support/slack-signing.js';
import { runRelease, spawnBot, writeConfigFile, type BotProcess } from './bot-processes.js';

export const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-e2e-bot-token-do-not-leak';
export const CORVO_KEY = 'corvo-e2e-api-key-do-not-leak';
/** For stacks (or extra web processes) that set `MICROSOFT_APP_PASSWORD`: it must never be printed. */
export const TEAMS_APP_PASSWORD = 'teams-e2e-app-password-do-not-leak';
/** The app-level token of stacks started with `socketMode`. */
export const APP_TOKEN = 'xapp-1-A0RUNBOOKBOT-e2e-app-token-do-not-leak';

/** A button click as Slack sends it (the `payload` of an interactivity request, or of an `interactive` envelope). */
export interface ClickSpec {
  userId: string;
  channelId: string;
  actionId: string;
  value: string;
  messageTs: string;
  threadTs?: string;
}

export interface BotStack {
  readonly corvo: CorvoSimulator;
  readonly slack: FakeSlack;
  web: BotProcess;
  workers: BotProcess[];
  readonly baseUrl: string;
  readonly databaseUrl: string;
  readonly db: pg.Pool;
  readonly redis: Redis;
  readonly prefix: string;
  readonly env: Record<string, string>;
  /** POSTs a body to /slack/events, signed unless told otherwise. */
  postSlack(
    body: string,
    o?: { timestampSec?: number; secret?: string; contentType?: string; unsigned?: boolean },
  ): Promise<Response>;
  /** Clicks a button as `userId`: a signed `block_actions` payload. */
  click(o: ClickSpec): Promise<Response>;
  /** The fake Socket Mode server, when the stack was started with `socketMode`. */
  readonly socket?: FakeSocketMode;
  /** Sends a slash command as a `slash_commands` envelope; returns the envelope id. */
  socketCommand(fields: Partial<Record<string, string>>, o?: Parameters<FakeSocketMode['send']>[2]): string;
  /** Sends a click as an `interactive` envelope; returns the envelope id. */
  socketClick(c: ClickSpec, o?: Parameters<FakeSocketMode['send']>[2]): string;
  /** Jobs of every state in the diagnostics queue. */
  queuedJobs(): Promise<number>;
  spawnWorker(extraEnv?: Record<string, string>): Promise<BotProcess>;
  /** Starts another web process (same env plus `extraEnv`, e.g. its own PORT); stopped with the stack. */
  spawnWeb(extraEnv?: Record<string, string>): Promise<BotProcess>;
  /** The fake Bot Connector, when the stack was started with `teams`. */
  readonly teams?: FakeBotConnector;
  /** POSTs a Bot Framework activity to `/api/messages` (of `baseUrl`, default the stack's web). */
  postTeams(activity: unknown, o?: { authorization?: string; baseUrl?: string; raw?: string }): Promise<Response>;
  stop(): Promise<void>;
}

export async function startBotStack(o: {
  scenario?: CorvoScenario;
  approvers?: string[];
  corvoTimeoutMs?: number;
  /** Where the bot reaches Corvo, when a loopback proxy sits in front of the simulator (default the simulator). */
  corvoUrl?: string;
  workerEnv?: Record<string, string>;
  /**
   * Teams at the edge: a fake Bot Connector, and `TEAMS_ALLOW_UNAUTHENTICATED=true` unless `env` says otherwise
   * (e.g. `MICROSOFT_APP_ID`).
   */
  teams?: { env?: Record<string, string> };
  /** More top-level YAML for the config file (e.g. `slack:\n  teamIds: [T0FAKE]\n`). */
  extraConfig?: string;
  /** More YAML under `targets:`, after Corvo's (e.g. `  kyrodb:\n    prod: { url: "…" }\n`). */
  extraTargets?: string;
  /** Slack over Socket Mode (issue 17): a fake Socket Mode server, `SLACK_SOCKET_MODE=true`, no signing secret. */
  socketMode?: boolean;
}): Promise<BotStack> {
  const corvo = await startCorvoSimulator({ scenario: o.scenario ?? 'healthy', apiKey: CORVO_KEY });
  const slack = await startFakeSlack({ token: BOT_TOKEN });
  const socket = o.socketMode ? await startFakeSocketMode(slack, { appToken: APP_TOKEN }) : undefined;
  const teams = o.teams ? await startFakeBotConnector() : undefined;
  const databaseUrl = await createTestDatabase();
  const prefix = uniqueName('e2e');
  const port = await getFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const configFile = writeConfigFile(
    `targets:\n  corvo:\n    prod: { url: "${o.corvoUrl ?? corvo.url}", apiKey: "\${CORVO_API_KEY}", timeoutMs: ${o.corvoTimeoutMs ?? 2000} }\n` +
      (o.extraTargets ?? '') +
      `approvals:\n  approvers: ${JSON.stringify(o.approvers ?? [])}\n  ttl: 15m\n` +
      (o.extraConfig ?? ''),
  );
  const env: Record<string, string> = {
    PORT: String(port),
    REDIS_URL: inject('redisUrl'),
    DATABASE_URL: databaseUrl,
    RUNBOOK_BOT_CONFIG: configFile,
    ...(o.socketMode
      ? { SLACK_APP_TOKEN: APP_TOKEN, SLACK_SOCKET_MODE: 'true' }
      : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: slack.url,
    CORVO_API_KEY: CORVO_KEY,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    ...(o.teams ? { TEAMS_ALLOW_UNAUTHENTICATED: 'true', ...o.teams.env } : {}),
  };
  const release = await runRelease(env);
  expect(release.code, release.output).toBe(0);
  expect((await runRelease(env)).code, 'release is safe to run twice').toBe(0);
  const web = spawnBot('web', env);
  const spawnWorker = async (extra: Record<string, string> = {}) => {
    const w = spawnBot('worker', { ...env, ...o.workerEnv, ...extra });
    await w.waitForOutput('worker started');
    return w;
  };
  const workers = await Promise.all([spawnWorker(), spawnWorker()]);
  await web.waitForOutput('web listening');
  const extraWebs: BotProcess[] = [];
  const spawnWeb = async (extra: Record<string, string> = {}) => {
    const w = spawnBot('web', { ...env, ...extra });
    extraWebs.push(w);
    await w.waitForOutput('web listening');
    return w;
  };
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });

  const postSlack: BotStack['postSlack'] = (body, p = {}) => {
    const ts = p.timestampSec ?? Math.floor(Date.now() / 1000);
    const headers = p.unsigned ? {} : signSlackRequest(p.secret ?? SIGNING_SECRET, body, ts);
    return fetch(`${baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': p.contentType ?? 'application/x-www-form-urlencoded', ...headers },
      body,
    });
  };
  let clicks = 0;
  const clickPayload = (c: ClickSpec) => ({
    type: 'block_actions',
    team: { id: 'T0FAKE', domain: 'fake' },
    user: { id: c.userId, username: c.userId.toLowerCase(), team_id: 'T0FAKE' },
    api_app_id: 'A0RUNBOOKBOT',
    token: 'legacy',
    trigger_id: `${Date.now()}.${++clicks}.${Math.random().toString(16).slice(2)}`,
    response_url: 'https://hooks.slack.com/actions/T0FAKE/1/x',
    container: {
      type: 'message',
      message_ts: c.messageTs,
      channel_id: c.channelId,
      is_ephemeral: false,
      thread_ts: c.threadTs,
    },
    channel: { id: c.channelId, name: 'ops' },
    message: { ts: c.messageTs, type: 'message', text: '', ...(c.threadTs ? { thread_ts: c.threadTs } : {}) },
    state: { values: {} },
    actions: [
      {
        type: 'button',
        action_id: c.actionId,
        block_id: 'b',
        value: c.value,
        action_ts: String(Date.now() / 1000),
        text: { type: 'plain_text', text: 'x' },
      },
    ],
  });
  const stack: BotStack = {
    corvo,
    slack,
    web,
    workers,
    baseUrl,
    databaseUrl,
    db,
    redis,
    prefix,
    env,
    postSlack,
    click: (c) => postSlack(blockActionsBody(clickPayload(c))),
    socket,
    socketCommand: (fields, so) => {
      if (!socket) throw new Error('start the stack with socketMode');
      return socket.send('slash_commands', Object.fromEntries(new URLSearchParams(slashCommandBody(fields))), so);
    },
    socketClick: (c, so) => {
      if (!socket) throw new Error('start the stack with socketMode');
      return socket.send('interactive', clickPayload(c), so);
    },
    async queuedJobs() {
      const q = new Queue('diagnostics', { connection: redis, prefix });
      const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
      await q.close();
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    spawnWorker,
    spawnWeb,
    teams,
    postTeams: (activity, p = {}) =>
      fetch(`${p.baseUrl ?? baseUrl}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(p.authorization ? { authorization: p.authorization } : {}) },
        body: p.raw ?? JSON.stringify(activity),
      }),
    async stop() {
      const procs = [...new Set([web, stack.web, ...extraWebs, ...stack.workers])];
      const codes = await Promise.all(procs.map((p) => p.stop()));
      const everything = procs.map((p) => p.output()).join('\n');
      await db.end();
      redis.disconnect();
      await socket?.close();
      await slack.close();
      await teams?.close();
      await corvo.close();
      // Graceful shutdown on SIGTERM exits 0; nothing secret and no stack trace was ever logged.
      expect(codes.filter((c) => c !== 0 && c !== null)).toEqual([]);
      for (const secret of [SIGNING_SECRET, BOT_TOKEN, APP_TOKEN, CORVO_KEY, TEAMS_APP_PASSWORD, databaseUrl])
        expect(everything).not.toContain(secret);
      expect(everything).not.toMatch(/\n\s+at .+:\d+:\d+/);
    },
  };
  return stack;
}

/** Reads an approval's state; waits (bounded) until it is one of `states`. */
export function approvalStates(db: () => pg.Pool) {
  const approvalState = async (id: string): Promise<string | undefined> => {
    const { rows } = await db().query(`select state from approvals where id = $1`, [id]);
    return rows[0]?.state;
  };
  const waitForState = async (id: string, states: string[], timeoutMs = 20_000): Promise<string> => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const s = await approvalState(id);
      if (s && states.includes(s)) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`approval ${id} never reached ${states.join('/')} (is ${await approvalState(id)})`);
  };
  return { approvalState, waitForState };
}
