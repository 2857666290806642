/**
 * Issue 17 part 2: `npm run check` run as its own process against loopback fakes, a real Alertmanager, real Redis
 * servers (one set up right, one with `allkeys-lru` and no persistence) and real Postgres databases, with good and
 * with broken settings. Each broken setting must show up as its own line naming what to fix; nothing secret is
 * printed; the exit code is 1 exactly when a line is FAIL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { demoTargets, type DemoTarget } from '../../src/dev/demo-targets.js';
import { startCorvoSimulator, type CorvoSimulator } from '../../integrations/corvo/simulator/index.js';
import { checkPagerDutySetup } from '../../integrations/pagerduty/check-pagerduty-setup.js';
import { startFakePagerDutyApi, type FakePagerDutyApi } from '../support/fake-pagerduty.js';
import { startFakePagerDutyEvents } from '../support/fake-pagerduty-events.js';
import { checkSlackSetup, REQUIRED_BOT_SCOPES } from '../../integrations/slack/check-slack-setup.js';
import { checkTeamsSetup } from '../../integrations/teams/check-teams-setup.js';
import { saveConversationReference } from '../../integrations/teams/teams-store.js';
import { getFreePort, requireBinary } from '../../src/dev/local-services.js';
import { migrate } from '../../src/store/migrate.js';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { startFakeSocketMode, type FakeSocketMode } from '../support/fake-socket-mode.js';
import { createTestDatabase } from '../support/namespace.js';
import { writeConfigFile } from './bot-processes.js';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Secret } from '../../src/core/secret.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BOT_TOKEN = 'xoxb-check-bot-token-do-not-leak';
const APP_TOKEN = 'xapp-1-check-app-token-do-not-leak';
const CORVO_KEY = 'corvo-check-key-do-not-leak';
const PD_RW = 'pd-check-read-write-key-do-not-leak';
const PD_RO = 'pd-check-read-only-key-do-not-leak';
const SECRETS = [BOT_TOKEN, APP_TOKEN, CORVO_KEY, PD_RW, PD_RO, 'wrong-bot-token-do-not-leak', 'wrong-corvo-key-x'];

let slack: FakeSlack;
let socket: FakeSocketMode;
let corvo: CorvoSimulator;
let pd: FakePagerDutyApi;
let am: RunningAlertmanager;
let goodRedis: { url: string; child: ChildProcess };
let lruRedis: { url: string; child: ChildProcess };
let migratedDb: string;
let emptyDb: string;

async function startRedisServer(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const port = await getFreePort();
  const dir = mkdtempSync(join(tmpdir(), 'rbb-check-redis-'));
  const child = spawn(
    requireBinary('redis-server'),
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...args],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const until = Date.now() + 10_000;
  for (;;) {
    const r = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on('error', () => {});
    try {
      await r.connect();
      await r.ping();
      r.disconnect();
      return { url, child };
    } catch {
      r.disconnect();
      if (Date.now() > until) throw new Error('redis-server did not start');
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}

/** Runs `src/main/check.ts` as `npm run check` would (or `release`); resolves with its exit code and output. */
function runCheck(env: Record<string, string>, entry = 'check'): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, `src/main/${entry}.ts`)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** The line for `name` (exact name, first match). */
function line(out: string, name: string): string {
  const found = out.split('\n').find((l) => new RegExp(`^(OK|WARN|FAIL)\\s+${name.replace(/\./g, '\\.')}\\s`).test(l));
  if (!found) throw new Error(`no line for ${name} in:\n${out}`);
  return found;
}

function config(o: { corvoUrl: string }): string {
  return writeConfigFile(
    `targets:\n  corvo:\n    prod: { url: "${o.corvoUrl}", apiKey: "\${CORVO_API_KEY}", timeoutMs: 2000 }\n` +
      `channels:\n  ops: { slack: C0OPS }\n  secret: { slack: G0PRIVATE }\n`,
  );
}

function baseEnv(): Record<string, string> {
  return {
    REDIS_URL: goodRedis.url,
    DATABASE_URL: migratedDb,
    RUNBOOK_BOT_CONFIG: config({ corvoUrl: corvo.url }),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_SOCKET_MODE: 'true',
    SLACK_API_URL: slack.url,
    CORVO_API_KEY: CORVO_KEY,
    PAGERDUTY_API_TOKEN: PD_RW,
    PAGERDUTY_API_URL: pd.url,
    PAGERDUTY_WEBHOOK_SECRETS: 'whsec-check-1',
    ALERTMANAGER_URL: am.url,
    LOG_LEVEL: 'error',
  };
}

beforeAll(async () => {
  slack = await startFakeSlack({ token: BOT_TOKEN });
  socket = await startFakeSocketMode(slack, { appToken: APP_TOKEN });
  corvo = await startCorvoSimulator({ scenario: 'healthy', apiKey: CORVO_KEY });
  pd = await startFakePagerDutyApi({ token: PD_RW, readOnlyToken: PD_RO });
  am = await startAlertmanager({ webhookUrl: 'http://127.0.0.1:9/unused', bearerToken: 'am-check-token' });
  goodRedis = await startRedisServer(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes', '--save', '']);
  lruRedis = await startRedisServer(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no', '--save', '']);
  migratedDb = await createTestDatabase();
  emptyDb = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: migratedDb, max: 1 });
  const quiet = { info() {}, warn() {}, error() {}, debug() {}, child: () => quiet } as never;
  await migrate(pool, quiet);
  await pool.end();
}, 90_000);

afterAll(async () => {
  goodRedis?.child.kill();
  lruRedis?.child.kill();
  await am?.stop();
  await socket?.close();
  await slack?.close();
  await corvo?.close();
  await pd?.close();
});

describe('npm run check', () => {
  it('passes with good settings: every line OK, exit 0', async () => {
    slack.setMember('G0PRIVATE', true);
    const { code, out } = await runCheck(baseEnv());
    expect(out).not.toMatch(/^FAIL/m);
    expect(code, out).toBe(0);
    expect(line(out, 'slack.auth')).toMatch(/^OK .*T0FAKE/);
    expect(line(out, 'slack.scopes')).toMatch(/^OK /);
    expect(line(out, 'slack.channel.ops')).toMatch(/^OK .*C0OPS/);
    expect(line(out, 'slack.socket-mode')).toMatch(/^OK .*opened a Socket Mode connection/);
    expect(line(out, 'redis.maxmemory-policy')).toMatch(/^OK .*noeviction/);
    expect(line(out, 'redis.persistence')).toMatch(/^OK .*AOF on/);
    expect(line(out, 'postgres.migrations')).toMatch(/^OK .*current/);
    expect(line(out, 'pagerduty.rest.read')).toMatch(/^OK /);
    expect(line(out, 'pagerduty.rest.write')).toMatch(/^OK .*buttons are on/);
    expect(line(out, 'pagerduty.webhook-secrets')).toMatch(/^OK /);
    // The real Debian Alertmanager answers its own version.
    expect(line(out, 'alertmanager')).toMatch(/^OK\s+alertmanager\s+Alertmanager \d+\.\d+\.\d+/);
    expect(line(out, 'targets.corvo.prod')).toMatch(/^OK .*API key accepted.*version unknown: Corvo's HTTP API/);
    expect(out).toMatch(/^setup check: \d+ OK, 0 WARN, 0 FAIL/m);
    for (const s of SECRETS) expect(out).not.toContain(s);
    // The probe connection was opened and closed again.
    expect(socket.connections().length).toBeGreaterThanOrEqual(1);
    const until = Date.now() + 3000;
    while (socket.openConnections().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(socket.openConnections()).toHaveLength(0);
  }, 60_000);

  it('names each broken setting: wrong tokens and keys, unreachable target and Alertmanager, allkeys-lru, no migrations', async () => {
    const { code, out } = await runCheck({
      ...baseEnv(),
      SLACK_BOT_TOKEN: 'xoxb-wrong-bot-token-do-not-leak',
      SLACK_APP_TOKEN: 'xapp-wrong-bot-token-do-not-leak',
      REDIS_URL: lruRedis.url,
      DATABASE_URL: emptyDb,
      RUNBOOK_BOT_CONFIG: config({ corvoUrl: `http://127.0.0.1:${await getFreePort()}` }),
      PAGERDUTY_API_TOKEN: 'pd-wrong-key-do-not-leak',
      PAGERDUTY_WEBHOOK_SECRETS: '',
      ALERTMANAGER_URL: `http://127.0.0.1:${await getFreePort()}`,
    });
    expect(code, out).toBe(1);
    expect(line(out, 'slack.auth')).toMatch(/^FAIL .*invalid_auth.*fix: SLACK_BOT_TOKEN/);
    expect(line(out, 'redis.maxmemory-policy')).toMatch(/^FAIL .*allkeys-lru.*fix: .*noeviction/);
    expect(line(out, 'redis.persistence')).toMatch(/^WARN .*no persistence.*fix: appendonly yes/);
    expect(line(out, 'postgres.migrations')).toMatch(/^FAIL .*pending.*fix: run release/);
    expect(line(out, 'pagerduty.rest.read')).toMatch(/^FAIL .*refused the REST key \(401\).*fix: PAGERDUTY_API_TOKEN/);
    expect(line(out, 'pagerduty.webhook-secrets')).toMatch(/^WARN .*fix: PAGERDUTY_WEBHOOK_SECRETS/);
    expect(line(out, 'alertmanager')).toMatch(/^FAIL .*not reachable.*fix: ALERTMANAGER_URL/);
    expect(line(out, 'targets.corvo.prod')).toMatch(/^FAIL .*not reachable.*fix: targets\.corvo\.prod\.url/);
    expect(out).toMatch(/^setup check: .* [1-9]\d* FAIL/m);
    for (const s of SECRETS) expect(out).not.toContain(s);
  }, 60_000);

  it('names a missing scope, a private channel without the bot, a refused target key, a read-only PagerDuty key and a refused app token', async () => {
    slack.setScopes(REQUIRED_BOT_SCOPES.filter((s) => s !== 'users:read'));
    slack.setMember('G0PRIVATE', false);
    try {
      const { code, out } = await runCheck({
        ...baseEnv(),
        SLACK_APP_TOKEN: 'xapp-1-another-app-token',
        CORVO_API_KEY: 'wrong-corvo-key-x',
        PAGERDUTY_API_TOKEN: PD_RO,
      });
      expect(code, out).toBe(1);
      expect(line(out, 'slack.auth')).toMatch(/^OK /);
      expect(line(out, 'slack.scopes')).toMatch(/^FAIL .*lacks users:read\b.*fix: .*reinstall/);
      expect(line(out, 'slack.channel.ops')).toMatch(/^OK /);
      expect(line(out, 'slack.channel.secret')).toMatch(/^FAIL .*not in G0PRIVATE.*fix: \/invite/);
      expect(line(out, 'slack.socket-mode')).toMatch(/^FAIL .*invalid_auth.*fix: SLACK_APP_TOKEN/);
      expect(line(out, 'targets.corvo.prod')).toMatch(
        /^FAIL .*credentials refused.*fix: targets\.corvo\.prod: its apiKey/,
      );
      expect(line(out, 'pagerduty.rest.read')).toMatch(/^OK /);
      expect(line(out, 'pagerduty.rest.write')).toMatch(/^WARN .*read-only.*fix: PAGERDUTY_API_TOKEN/);
      for (const s of SECRETS) expect(out).not.toContain(s);
    } finally {
      slack.setScopes(REQUIRED_BOT_SCOPES);
      slack.setMember('G0PRIVATE', true);
    }
  }, 60_000);

  it('an invalid environment is one FAIL line per problem, naming the variable', async () => {
    const { code, out } = await runCheck({
      ...baseEnv(),
      REDIS_URL: 'http://not-redis',
      SLACK_APP_TOKEN: 'xoxb-not-an-app-token',
    });
    expect(code).toBe(1);
    expect(out).toMatch(/^FAIL\s+env\s+REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/m);
    expect(out).toMatch(/^FAIL\s+env\s+SLACK_APP_TOKEN: SLACK_SOCKET_MODE=true needs an app-level token/m);
    expect(out).not.toContain('xoxb-not-an-app-token');
    const badYaml = await runCheck({
      ...baseEnv(),
      RUNBOOK_BOT_CONFIG: writeConfigFile('targets:\n  corvo:\n    prod: { url: "not a url" }\n'),
    });
    expect(badYaml.code).toBe(1);
    expect(badYaml.out).toMatch(
      /^FAIL\s+config\s+targets\.corvo\.prod\.url \(line 3\).*fix: the config file named by RUNBOOK_BOT_CONFIG/m,
    );
  }, 30_000);

  it('release migrates, then prints the check and exits 0 even with FAIL lines it cannot fix', async () => {
    const fresh = await createTestDatabase();
    const { code, out } = await runCheck(
      {
        ...baseEnv(),
        DATABASE_URL: fresh,
        SLACK_BOT_TOKEN: 'xoxb-wrong-bot-token-do-not-leak',
        REDIS_URL: lruRedis.url,
      },
      'release',
    );
    expect(code, out).toBe(0);
    expect(line(out, 'postgres.migrations')).toMatch(/^OK .*current/);
    expect(line(out, 'slack.auth')).toMatch(/^FAIL .*fix: SLACK_BOT_TOKEN/);
    expect(line(out, 'redis.maxmemory-policy')).toMatch(/^FAIL .*allkeys-lru/);
    expect(out).toMatch(/^setup check: .* [1-9]\d* FAIL/m);
    for (const s of SECRETS) expect(out).not.toContain(s);
  }, 60_000);

  it("probes every kind of target through its integration's checkSetup (the demo's simulators)", async () => {
    const started: DemoTarget[] = [];
    try {
      for (const f of demoTargets) {
        started.push(await f.start({ postgresAdminUrl: inject('postgresAdminUrl'), redisUrl: inject('redisUrl') }));
      }
      const yaml = `targets:\n${started.map((t) => `  ${t.system}:\n    demo: ${t.configYaml}\n`).join('')}`;
      const env = Object.assign({}, ...started.map((t) => t.env)) as Record<string, string>;
      const { out } = await runCheck({ ...baseEnv(), ...env, RUNBOOK_BOT_CONFIG: writeConfigFile(yaml) });
      for (const t of started) {
        expect(line(out, `targets.${t.system}.demo`)).toMatch(/^OK .*version unknown: .*reports no version/);
      }
      for (const v of Object.values(env)) if (v.length >= 8) expect(out).not.toContain(v);
    } finally {
      await Promise.all(started.map((t) => t.close()));
    }
  }, 120_000);

  it('Teams: unauthenticated mode is a WARN; a conversation the bot was added to is OK, one it never heard from a WARN', async () => {
    const db = new pg.Pool({ connectionString: migratedDb, max: 1 });
    try {
      await saveConversationReference(db, {
        key: '19:known@thread.tacv2',
        conversationId: '19:known@thread.tacv2',
        serviceUrl: 'https://smba.example/teams/',
        conversationType: 'channel',
        botId: '28:runbook-bot',
      });
      const serviceUrl = 'https://smba.example/teams/';
      const lines = await checkTeamsSetup({
        env: { TEAMS_ALLOW_UNAUTHENTICATED: true },
        channels: [
          { name: 'known', conversationId: '19:known@thread.tacv2;messageid=1700000000000', serviceUrl },
          { name: 'unknown', conversationId: '19:never@thread.tacv2', serviceUrl },
        ],
        db,
      });
      expect(lines.find((l) => l.name === 'teams')).toMatchObject({
        status: 'WARN',
        fix: expect.stringContaining('MICROSOFT_APP_ID'),
      });
      expect(lines.find((l) => l.name === 'teams.channel.known')).toMatchObject({ status: 'OK' });
      expect(lines.find((l) => l.name === 'teams.channel.unknown')).toMatchObject({
        status: 'WARN',
        fix: expect.stringContaining('channels.unknown.teams.conversationId'),
      });
      // A half-configured app registration is a FAIL naming the settings; none configured is a plain OK.
      const half = await checkTeamsSetup({
        env: { TEAMS_ALLOW_UNAUTHENTICATED: false, MICROSOFT_APP_ID: 'app-id', MICROSOFT_APP_TYPE: 'SingleTenant' },
        channels: [],
      });
      expect(half[0]).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('MICROSOFT_APP_TENANT_ID') });
      expect((await checkTeamsSetup({ env: { TEAMS_ALLOW_UNAUTHENTICATED: false }, channels: [] }))[0]).toMatchObject({
        status: 'OK',
      });
    } finally {
      await db.end();
    }
  });

  it('Slack: without channels:read the membership line says it cannot tell, rather than OK', async () => {
    slack.failNext('conversations.info', 'missing_scope');
    const quiet = { info() {}, warn() {}, error() {}, debug() {}, child: () => quiet } as never;
    const lines = await checkSlackSetup({
      botToken: new Secret(BOT_TOKEN),
      signingSecret: new Secret('check-signing-secret'),
      socketMode: false,
      apiUrl: slack.url,
      channels: [{ name: 'ops', id: 'C0OPS' }],
      logger: quiet,
    });
    expect(lines.find((l) => l.name === 'slack.channel.ops')).toMatchObject({
      status: 'WARN',
      detail: expect.stringContaining('cannot tell'),
    });
  });

  it('checks the Events routing key shape without sending it, and reaches the Events API without opening an alert', async () => {
    const events = await startFakePagerDutyEvents();
    try {
      const base = { apiUrl: pd.url, eventsUrl: events.url, webhookSecrets: [new Secret('whsec-x-123456')] };
      const good = await checkPagerDutySetup({ ...base, routingKey: new Secret('R0123456789abcdef0123456789ABCDE') });
      expect(good.find((l) => l.name === 'pagerduty.events')).toMatchObject({ status: 'OK' });
      expect(good.find((l) => l.name === 'pagerduty.events.reachable')).toMatchObject({ status: 'OK' });
      const bad = await checkPagerDutySetup({ ...base, routingKey: new Secret('R0123-short') });
      expect(bad.find((l) => l.name === 'pagerduty.events')).toMatchObject({
        status: 'FAIL',
        detail: expect.stringContaining('11 characters'),
        fix: expect.stringContaining('escalation.pagerduty.routingKey'),
      });
      // The probe sent no routing key and opened nothing.
      expect(events.events.every((e) => e.status === 400 && e.routingKey === undefined)).toBe(true);
      expect(events.alerts).toHaveLength(0);
    } finally {
      await events.close();
    }
  });

  it('schedules, durations and escalation: a line each, from the config the bot reads', async () => {
    const events = await startFakePagerDutyEvents();
    const routingKey = 'R0check0routing0key0do0not0leak0';
    try {
      const yaml =
        `targets:\n  corvo:\n    prod: { url: "${corvo.url}", apiKey: "\${CORVO_API_KEY}", timeoutMs: 2000 }\n` +
        `channels:\n  ops: { slack: C0OPS }\n  secret: { slack: G0PRIVATE }\n` +
        `schedules:\n  - { name: corvo-health, system: corvo, target: prod, workflow: health, every: 1m, channel: ops }\n` +
        `escalation:\n  pagerduty: { routingKey: "\${PD_ROUTING_KEY}", codes: { scheduler.stalled: P1 } }\n`;
      const { out } = await runCheck({
        ...baseEnv(),
        RUNBOOK_BOT_CONFIG: writeConfigFile(yaml),
        PD_ROUTING_KEY: routingKey,
        PAGERDUTY_EVENTS_URL: events.url,
      });
      expect(line(out, 'schedules.corvo-health')).toMatch(/^WARN .*every 1 min, into ops \(slack\); not in Redis yet/);
      expect(line(out, 'pagerduty.events')).toMatch(/^OK .*well-formed/);
      expect(line(out, 'pagerduty.events.reachable')).toMatch(/^OK .*answered an empty event with 400/);
      expect(line(out, 'pagerduty.events.codes')).toMatch(/^WARN .*scheduler\.stalled: no rule reports this code/);
      expect(events.alerts).toHaveLength(0);
      expect(out).not.toContain(routingKey);
    } finally {
      await events.close();
    }
  }, 60_000);

  it('asks for exactly the scopes slack-app-manifest.yml asks for', () => {
    const manifest = parse(readFileSync(join(ROOT, 'slack-app-manifest.yml'), 'utf8')) as {
      oauth_config: { scopes: { bot: string[] } };
    };
    expect([...REQUIRED_BOT_SCOPES].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
  });
});
