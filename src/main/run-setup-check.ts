/**
 * The setup check (issue 17): reads the same env and YAML as the bot and checks each setting against the system it
 * names. Composition root: each part lives beside what it checks (integrations/<x>/check-*-setup.ts, the target
 * integrations' `checkSetup`, src/jobs, src/store); this runs them and orders the lines.
 */
import { Queue, type JobSchedulerJson } from 'bullmq';
import { Redis } from 'ioredis';
import { integrations } from '../../integrations/index.js';
import { systems } from '../../workflows/index.js';
import { checkAlertmanagerSetup } from '../../integrations/alertmanager/check-alertmanager-setup.js';
import { checkPagerDutySetup } from '../../integrations/pagerduty/check-pagerduty-setup.js';
import { checkSlackSetup } from '../../integrations/slack/check-slack-setup.js';
import { checkTeamsSetup } from '../../integrations/teams/check-teams-setup.js';
import { parseTeamsSettings } from '../../integrations/teams/teams-settings.js';
import { loadConfig, type BotConfig } from '../config/config-file.js';
import { ConfigError, isSlackEnabled, isSlackSocketMode, parseEnv, redisTargetOf, type Env } from '../config/env.js';
import { systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Platform } from '../core/invocation.js';
import { describeError, fail, ok, warn, withDeadline, type CheckLine } from '../core/setup-check.js';
import { isTargetError } from '../core/target-error.js';
import { checkRedisSetup } from '../jobs/check-redis-setup.js';
import { redisTargetOptions } from '../jobs/redis-connection.js';
import { SCHEDULES_QUEUE } from '../schedules/start-schedules.js';
import { createPool } from '../store/create-pool.js';
import { checkMigrations } from '../store/check-migrations.js';
import { checkDurationsSetup, checkSchedulesSetup } from './check-schedules-setup.js';

export interface SetupCheckOptions {
  readonly source?: Record<string, string | undefined>;
  readonly logger: Logger;
  /** Per probe, ms. Default 8000. */
  readonly timeoutMs?: number;
}

/** Runs every check; never throws (a check that breaks is its own FAIL line). */
export async function runSetupCheck(o: SetupCheckOptions): Promise<CheckLine[]> {
  const source = o.source ?? process.env;
  let env: Env;
  try {
    env = parseEnv(source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => fail('env', p, `the variable named (${p.split(':')[0]})`));
  }
  let config: BotConfig;
  try {
    config = loadConfig(env.RUNBOOK_BOT_CONFIG, systems, source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [
      ok('env', 'environment parsed'),
      ...err.problems.map((p) => fail('config', p, 'the config file named by RUNBOOK_BOT_CONFIG, at the line given')),
    ];
  }
  const ms = o.timeoutMs ?? 8000;
  const db = createPool(env.DATABASE_URL, { max: 2, onError: () => {} });
  try {
    const postgres = await guard('postgres', () => checkMigrations(db));
    const dbUp = postgres.some((l) => l.name === 'postgres' && l.status === 'OK');
    const channels = Object.entries(config.channels);
    const paging = config.escalation?.pagerduty;
    const parts = await Promise.all([
      guard('redis', () => checkRedisSetup(redisTargetOf(env), { timeoutMs: ms })),
      guard('slack', () =>
        checkSlackSetup({
          botToken: env.SLACK_BOT_TOKEN,
          signingSecret: env.SLACK_SIGNING_SECRET,
          appToken: env.SLACK_APP_TOKEN,
          socketMode: isSlackSocketMode(env) || env.SLACK_SOCKET_MODE,
          apiUrl: env.SLACK_API_URL,
          channels: channels.flatMap(([name, c]) => (c.slack ? [{ name, id: c.slack }] : [])),
          logger: o.logger,
          timeoutMs: ms,
        }),
      ),
      guard('teams', () =>
        checkTeamsSetup({
          env,
          channels: channels.flatMap(([name, c]) => (c.teams ? [{ name, ...c.teams }] : [])),
          ...(dbUp ? { db } : {}),
          timeoutMs: ms,
        }),
      ),
      guard('pagerduty', () =>
        checkPagerDutySetup({
          apiToken: env.PAGERDUTY_API_TOKEN,
          apiUrl: env.PAGERDUTY_API_URL,
          webhookSecrets: env.PAGERDUTY_WEBHOOK_SECRETS,
          eventsUrl: env.PAGERDUTY_EVENTS_URL,
          ...(paging ? { routingKey: paging.routingKey, codes: paging.codes } : {}),
          systemIds: systems.map((m) => m.id),
          timeoutMs: ms,
        }),
      ),
      guard('alertmanager', () => checkAlertmanagerSetup({ url: env.ALERTMANAGER_URL, timeoutMs: ms })),
      checkTargets(config, ms),
      guard('schedules', () => checkSchedules(env, config, ms)),
    ]);
    return [ok('env', 'environment and config file parsed'), ...postgres, ...parts.flat()];
  } finally {
    await db.end().catch(() => {});
  }
}

/** The schedules (each against the job schedulers Redis holds) and the durations they measure. */
async function checkSchedules(env: Env, config: BotConfig, ms: number): Promise<CheckLine[]> {
  const schedules = config.schedules ?? [];
  const platforms: Platform[] = [
    ...(isSlackEnabled(env) ? (['slack'] as const) : []),
    ...(parseTeamsSettings(env).mode !== 'off' ? (['teams'] as const) : []),
  ];
  return [
    ...checkSchedulesSetup({
      schedules,
      systems,
      channels: config.channels,
      platforms,
      schedulers: schedules.length > 0 ? await readSchedulers(env, ms) : [],
      now: new Date(),
    }),
    ...checkDurationsSetup({
      schedules,
      systems,
      thresholds: config.thresholds ?? {},
      targets: config.targets,
    }),
  ];
}

/** The `schedules` queue's job schedulers, or why they could not be read (the redis line says more). */
async function readSchedulers(env: Env, ms: number): Promise<JobSchedulerJson[] | string> {
  const { url, options } = redisTargetOptions(redisTargetOf(env));
  const redisOptions = {
    ...options,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: ms,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
  };
  const redis = url === undefined ? new Redis(redisOptions) : new Redis(url, redisOptions);
  redis.on('error', () => {});
  let queue: Queue | undefined;
  try {
    await withDeadline(ms, 'Redis', () => redis.connect());
    queue = new Queue(SCHEDULES_QUEUE, { connection: redis, prefix: env.QUEUE_PREFIX });
    queue.on('error', () => {});
    return await withDeadline(ms, 'reading the job schedulers', () => queue!.getJobSchedulers(0, -1));
  } catch (err) {
    return `Redis not read: ${describeError(err)}`;
  } finally {
    await queue?.close().catch(() => {});
    redis.disconnect();
  }
}

/** A check that throws instead of returning lines still gets its line. */
async function guard(name: string, check: () => Promise<CheckLine[]>): Promise<CheckLine[]> {
  try {
    return await check();
  } catch (err) {
    return [fail(name, `the check itself failed: ${describeError(err)}`, 'see the detail')];
  }
}

/** Every configured instance of every target system, through its integration's `checkSetup`. */
async function checkTargets(config: BotConfig, ms: number): Promise<CheckLine[]> {
  const jobs: Promise<CheckLine>[] = [];
  for (const integration of integrations) {
    const instances = config.targets[integration.id] ?? {};
    for (const [instance, cfg] of Object.entries(instances)) {
      const name = `targets.${integration.id}.${instance}`;
      if (!integration.checkSetup) {
        jobs.push(
          Promise.resolve(
            warn(
              name,
              `not checked: the ${integration.displayName} integration has no setup probe yet, so reachability and credentials are unknown`,
              `run /${integration.id} health to try it`,
            ),
          ),
        );
        continue;
      }
      const probe = integration.checkSetup;
      jobs.push(
        (async () => {
          const clients = integration.createClients(cfg, { clock: systemClock, timeoutMs: ms });
          try {
            const r = await probe(clients, cfg);
            const version = r.version ? `version ${r.version}` : `version unknown: ${r.versionNote ?? 'not reported'}`;
            return r.warning
              ? warn(name, `${r.detail}; ${version}; ${r.warning}`)
              : ok(name, `${r.detail}; ${version}`);
          } catch (err) {
            return targetFailure(name, err);
          } finally {
            await closeAll(clients);
          }
        })(),
      );
    }
  }
  return Promise.all(jobs);
}

function targetFailure(name: string, err: unknown): CheckLine {
  const detail = describeError(err);
  if (isTargetError(err)) {
    if (err.kind === 'unauthorized' || err.kind === 'forbidden') {
      return fail(name, `credentials refused: ${detail}`, `${name}: its apiKey (or user/password)`);
    }
    if (err.kind === 'unreachable' || err.kind === 'timeout') {
      return fail(name, `not reachable: ${detail}`, `${name}.url (and that the bot's network reaches it)`);
    }
  }
  return fail(name, detail, `${name}: see the detail`);
}

/** Clients are plain objects of clients; each may hold connections. */
async function closeAll(clients: unknown): Promise<void> {
  if (!clients || typeof clients !== 'object') return;
  await Promise.all(
    Object.values(clients).map(async (c: unknown) => {
      const close = (c as { close?: unknown } | undefined)?.close;
      if (typeof close === 'function') await (close as () => Promise<void>).call(c)?.catch?.(() => {});
    }),
  );
}
