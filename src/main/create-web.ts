import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Registry, collectDefaultMetrics, Counter, Gauge } from 'prom-client';
import { registerRetentionMetrics } from '../store/retention-metrics.js';
import { commands } from '../../commands/index.js';
import { createSlackIngress } from '../../integrations/slack/slack-ingress.js';
import { createSlackSocketMode, type SlackSocketMode } from '../../integrations/slack/slack-socket-mode.js';
import { createTeamsEdge } from '../../integrations/teams/create-teams-edge.js';
import { createTeamsIngress } from '../../integrations/teams/teams-ingress.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { ChatInteraction } from '../core/interaction.js';
import type { Logger } from '../core/logger.js';
import type { BotConfig } from '../config/config-file.js';
import { isSlackEnabled, isSlackSocketMode, redisTargetOf, type Env } from '../config/env.js';
import { Secret } from '../core/secret.js';
import { closeServer } from '../http/close-server.js';
import { createHttpServer, type BodyRoute } from '../http/create-server.js';
import { createQueues } from '../jobs/create-queues.js';
import { dispatchCommand } from '../jobs/dispatch-command.js';
import { enqueueInteraction } from '../jobs/enqueue-interaction.js';
import { createRedisConnection } from '../jobs/redis-connection.js';
import { createPool } from '../store/create-pool.js';
import { createAlertRoutes } from './create-alert-routes.js';
import { targetsOf, titleOf } from './systems.js';

export interface WebOptions {
  readonly env: Env;
  readonly config: BotConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** The web process: verifies, acknowledges, enqueues. Never runs a probe inline. */
export function createWeb(o: WebOptions): { server: Server; close(): Promise<void> } {
  const clock = o.clock ?? systemClock;
  const log = o.logger;
  const redis = createRedisConnection(redisTargetOf(o.env), 'producer', (err) =>
    log.warn({ err: { message: err.message } }, 'redis connection error'),
  );
  const db = createPool(o.env.DATABASE_URL, {
    onError: (err) => log.warn({ err: { message: err.message } }, 'postgres connection error'),
  });
  const queues = createQueues(redis, o.env.QUEUE_PREFIX, log);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'runbook_bot_web_' });
  registerRetentionMetrics(registry, db);
  new Gauge({
    name: 'runbook_bot_queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const q of [queues.diagnostics, queues.chatPosts, queues.alertEvents, queues.incidentPosts]) {
        const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => ({}));
        for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n as number);
      }
    },
  });

  // A note typed in chat is stored here, and only its id is queued (no chat text in job data). A modal submitted
  // again (its first queueing failed, the user edited and resubmitted) keeps the same view id: the latest text wins;
  // the note itself is still sent at most once (its action id is the view's).
  const storeNote = async (i: ChatInteraction): Promise<ChatInteraction> => {
    if (i.kind !== 'incident-action' || i.noteText === undefined) return i;
    const draftId = `nd_${i.deliveryKey}`;
    await db.query(
      `insert into incident_note_drafts (id, incident_id, text)
       select $1, $2, $3 where exists (select 1 from incidents where id = $2)
       on conflict (id) do update set text = excluded.text`,
      [draftId, i.incidentId, i.noteText],
    );
    const { noteText: _dropped, ...rest } = i;
    return { ...rest, noteDraftId: draftId };
  };
  const onInteraction = async (i: ChatInteraction) => enqueueInteraction(queues, await storeNote(i));
  const postRoutes: Record<string, BodyRoute> = {};
  const dispatchDeps = {
    commands,
    targetsOf: (system: string) => targetsOf(o.config, system),
    titleOf,
    queues,
    db,
    clock,
    logger: log,
  };
  let socket: SlackSocketMode | undefined;
  if (isSlackEnabled(o.env)) {
    const pinned = o.config.slack?.teamIds ?? [];
    const slack = createSlackIngress({
      // Socket Mode alone needs no signing secret; /slack/events then does not exist (a random one refuses anything).
      signingSecret: o.env.SLACK_SIGNING_SECRET ?? new Secret(randomBytes(32).toString('hex')),
      botToken: o.env.SLACK_BOT_TOKEN!,
      apiUrl: o.env.SLACK_API_URL,
      clock,
      logger: log,
      onCommand: (req) => dispatchCommand(req, dispatchDeps),
      onInteraction,
      teamIds: pinned,
    });
    if (pinned.length > 0) {
      log.info({ teamIds: pinned }, 'Slack requests accepted only from the workspaces in slack.teamIds');
    }
    if (o.env.SLACK_SIGNING_SECRET) {
      postRoutes['/slack/events'] = (req, res, body) => {
        slack.handle(req, res, body);
      };
    }
    if (isSlackSocketMode(o.env)) socket = startSocketMode(o.env, registry, log, (e) => slack.receiveEnvelope(e));
  } else {
    log.warn(
      {},
      'Slack is off: set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN and SLACK_SOCKET_MODE=true',
    );
  }

  // Teams: the route always exists; while Teams is off it refuses every request (CONTRACT.md).
  const teams = createTeamsEdge(o.env, { connectorAttempts: 2 });
  if (teams.settings.mode === 'off') log.warn({}, teams.settings.reason);
  else if (teams.settings.mode === 'unauthenticated') {
    log.warn({}, 'Teams accepts activities WITHOUT authentication (TEAMS_ALLOW_UNAUTHENTICATED=true): local use only');
  }
  const teamsIngress = createTeamsIngress({
    settings: teams.settings,
    botFramework: teams.botFramework,
    connector: teams.connector,
    db,
    logger: log,
    commandNames: commands.map((c) => c.name),
    onCommand: (req) => dispatchCommand(req, dispatchDeps),
    onInteraction,
  });
  postRoutes['/api/messages'] = async (req, res, body) => {
    await teamsIngress.handle(req, res, body);
  };

  Object.assign(postRoutes, createAlertRoutes({ env: o.env, db, queues, registry, logger: log }));

  const server = createHttpServer({
    maxBodyBytes: o.env.MAX_BODY_BYTES,
    limits: {
      headersTimeoutMs: o.env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: o.env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: o.env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: o.env.HTTP_MAX_CONNECTIONS,
      maxDiscardBytes: o.env.MAX_DISCARD_BYTES,
    },
    logger: log,
    registry,
    postRoutes,
    async checkReady() {
      const failed: string[] = [];
      const withTimeout = <T>(p: Promise<T>) =>
        Promise.race([p, new Promise((_r, rej) => setTimeout(() => rej(new Error('timeout')), 1000).unref())]);
      await Promise.all([
        withTimeout(redis.ping()).catch(() => failed.push('redis')),
        withTimeout(db.query('select 1')).catch(() => failed.push('postgres')),
      ]);
      if (socket && !socket.isConnected()) failed.push('slack-socket-mode');
      return failed;
    },
  });

  return {
    server,
    async close() {
      await closeServer(server);
      await socket?.stop();
      await queues.close();
      redis.disconnect();
      await db.end();
    },
  };
}

/**
 * Socket Mode (issue 17): one connection per `web` process, kept open; envelopes go through the same ingress as
 * `/slack/events`. Metrics: connected (0/1), reconnects by cause, envelopes by type and outcome.
 */
function startSocketMode(
  env: Env,
  registry: Registry,
  log: Logger,
  onEnvelope: Parameters<typeof createSlackSocketMode>[0]['onEnvelope'],
): SlackSocketMode {
  const connected = new Gauge({
    name: 'runbook_bot_slack_socket_connected',
    help: 'Whether this web process holds an open Slack Socket Mode connection (1) or not (0).',
    registers: [registry],
  });
  const reconnects = new Counter({
    name: 'runbook_bot_slack_socket_reconnects_total',
    help: 'Slack Socket Mode reconnects, by cause (refresh_requested, warning, link_disabled, dropped, open_failed, …).',
    labelNames: ['cause'],
    registers: [registry],
  });
  const envelopes = new Counter({
    name: 'runbook_bot_slack_socket_envelopes_total',
    help: 'Slack Socket Mode envelopes received, by type and outcome (handled, bad-request, failed).',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  });
  connected.set(0);
  const socket = createSlackSocketMode({
    appToken: env.SLACK_APP_TOKEN!,
    apiUrl: env.SLACK_API_URL,
    logger: log,
    onEnvelope,
    onReconnect: (cause) => reconnects.inc({ cause }),
    onEnvelopeDone: (type, outcome) => envelopes.inc({ type, outcome }),
    onConnectedChange: (v) => connected.set(v ? 1 : 0),
  });
  log.info({}, 'Slack over Socket Mode (SLACK_SOCKET_MODE=true): connecting');
  void socket.start();
  return socket;
}
