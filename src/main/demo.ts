/**
 * `npm run demo`: the whole bot on this machine, with nothing to configure. Starts Redis and a throw-away Postgres
 * from the binaries on PATH, a simulated Corvo, and web + worker in this process, then opens a terminal chat.
 * Everything it started is stopped on exit.
 *
 * `npm run demo -- --teams`: the same bot with its web server up and Microsoft Teams on (unauthenticated, loopback
 * only), and the Microsoft 365 Agents Playground pointed at it: open the printed URL to see and click exactly what
 * Teams shows, without a tenant. The terminal then takes `approve latest as megan` (the page acts as one user) and
 * the scenario commands.
 */
import { createInterface } from 'node:readline';
import { parseConfig } from '../config/config-file.js';
import { parseEnv, redisTargetOf } from '../config/env.js';
import { integrations } from '../../integrations/index.js';
import { commands } from '../../commands/index.js';
import { systemClock } from '../core/clock.js';
import {
  PLAYGROUND_ME,
  PLAYGROUND_USERS,
  startAgentsPlayground,
  type AgentsPlayground,
} from '../dev/agents-playground.js';
import { createDatabase, getFreePort, MissingBinaryError, startPostgres, startRedis } from '../dev/local-services.js';
import { createTerminalTransport } from '../dev/terminal-transport.js';
import { demoTargets, type DemoTarget } from '../dev/demo-targets.js';
import { createQueues } from '../jobs/create-queues.js';
import { dispatchCommand } from '../jobs/dispatch-command.js';
import { enqueueInteraction } from '../jobs/enqueue-interaction.js';
import { createRedisConnection } from '../jobs/redis-connection.js';
import { createPool } from '../store/create-pool.js';
import { migrate } from '../store/migrate.js';
import { latestApprovalId, latestOfferId } from '../approvals/approval-store.js';
import { createRootLogger } from './logger.js';
import { createWeb } from './create-web.js';
import { createWorker } from './create-worker.js';
import { targetsOf, titleOf } from './systems.js';

const ME = 'alice';

const HELP = `Terminal chat. You are "${ME}"; "bob" and "carol" are on the approver list, "dave" is not.
Type a command as you would in Slack:
  /corvo health                  run the Corvo health check
  /corvo help                    list the Corvo runbook commands (diagnostics and fixes)
  /corvo rebuild-sqlite          ask for the rebuild directly (an approval card appears)
  click <offer-id|latest>        press a fix button shown under a report (as ${ME})
  approve <id|latest> as <user>  press Approve on a card as that user (deny <id> as <user> to deny)
  /runbook approvals             pending requests
  /runbook audit                 recent commands and approval events
  /runbook incidents             recent incidents (also: /runbook silences)
  /runbook schedules             scheduled runs, last and next (none in the demo: schedules post to Slack or Teams)
  /runbook escalations           pages open in PagerDuty (none in the demo: it has no escalation: block)
  /tryitnow checklist daily      a runbook checklist by hand (also weekly, monthly, on-deploy; /kyrodb checklist daily)
  /kyrodb health                 the KyroDB runbook (also: /kyrodb latency, /kyrodb decide)
  /streamhouse health            the Streamhouse runbook (also: /streamhouse leases, /streamhouse schemas)
  /tryitnow health               the Try It Now runbook (also: pool, queue, state, purge-stream)
  /m4 outbox                     the M4 runbook (also: /m4 run <runId>, /m4 stream <runId>; "scenarios" shows a run id)
  scenario [system] <name>       switch a simulated target (system defaults to corvo); "scenarios" lists them
  help                           this text
  quit                           stop everything`;

/** Waits until no job is waiting, running or delayed for a short while (or the deadline passes). */
async function settle(queues: ReturnType<typeof createQueues>, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let quietSince = 0;
  while (Date.now() < until) {
    let busy = 0;
    for (const q of [queues.diagnostics, queues.chatPosts, queues.interactions, queues.remediations]) {
      const c = await q.getJobCounts('waiting', 'active', 'prioritized');
      busy += Object.values(c).reduce((a, b) => a + b, 0);
      // Delayed jobs count only when due soon (expiry checks sit delayed for the whole TTL).
      const delayed = await q.getDelayed(0, 20);
      busy += delayed.filter((j) => j.timestamp + (j.delay ?? 0) < Date.now() + 5000).length;
    }
    if (busy === 0) {
      if (!quietSince) quietSince = Date.now();
      if (Date.now() - quietSince > 300) return;
    } else quietSince = 0;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Who may approve in the Teams demo: the page's user (refused on their own request) and one colleague. */
const TEAMS_APPROVERS = [PLAYGROUND_ME, PLAYGROUND_USERS[0]!];

function teamsHelp(url: string): string {
  const [me, colleague] = TEAMS_APPROVERS;
  return `Microsoft Teams, as the Microsoft 365 Agents Playground shows it: open ${url} in a browser.
You are ${me!.name} there. In "Personal Chat" type: corvo health
In the "oncall" channel, @mention runbook-bot first (type @runbook and pick it), then: corvo health
Approvers: ${TEAMS_APPROVERS.map((u) => u.name).join(', ')}. Your own Approve is refused: a second person has to,
so ask for a fix in the channel (or the Group Chat), where ${colleague!.givenName} can see the card.
The page acts as ${me!.name} only. To press Approve as ${colleague!.name}, type here:
  approve latest as ${colleague!.givenName.toLowerCase()}      (deny latest as … to deny)
Also here: scenario [system] <name>, scenarios, help, quit.`;
}

/** The Playground conversation and card of an approval, and Megan's (or anyone's) click on it. */
async function decideInPlayground(
  db: ReturnType<typeof createPool>,
  playground: AgentsPlayground,
  o: { approvalId: string; decision: 'approve' | 'deny'; who: string },
): Promise<string> {
  const user = [PLAYGROUND_ME, ...PLAYGROUND_USERS].find(
    (u) => u.givenName.toLowerCase() === o.who.toLowerCase() || u.id === o.who,
  );
  if (!user) return `No Playground user "${o.who}". One of: ${PLAYGROUND_USERS.map((u) => u.givenName).join(', ')}`;
  const { rows } = await db.query<{
    conversation: { channelId?: string; threadId?: string };
    card_message_id: string | null;
  }>(`select conversation, card_message_id from approvals where id = $1`, [o.approvalId]);
  const row = rows[0];
  if (!row?.card_message_id || !row.conversation.channelId) return `No Teams card for ${o.approvalId} yet.`;
  const { channelId, threadId } = row.conversation;
  const kind = await db.query<{ conversation_type: string | null }>(
    `select conversation_type from teams_conversations where key = $1`,
    [channelId],
  );
  const type = kind.rows[0]?.conversation_type;
  if (type === 'personal') {
    // As in Teams: nobody else is in that chat (the Playground answers UserNotFound).
    return `${user.name} is not in ${PLAYGROUND_ME.name}'s personal chat: ask for the fix in the "oncall" channel or the Group Chat, where a second person can approve.`;
  }
  // Only a channel has threads: there the conversation is `<channel>;messageid=<root>`, in Teams and the Playground.
  const inThread = type === 'channel' && threadId;
  const answer = await playground.invokeAs({
    userId: user.id,
    conversationId: inThread ? `${channelId};messageid=${threadId}` : channelId,
    replyToId: row.card_message_id,
    verb: `approval.${o.decision}`,
    data: { id: o.approvalId },
  });
  return answer.status === 200
    ? `${user.name} pressed ${o.decision === 'approve' ? 'Approve' : 'Deny'}: see the card in the browser.`
    : `The Playground answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`;
}

async function main(): Promise<void> {
  const interactive = process.stdin.isTTY === true;
  const teamsMode = process.argv.includes('--teams');
  const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const initial = process.argv.find((a) => a.startsWith('--scenario='))?.split('=')[1] ?? 'healthy';

  out('Starting Redis, Postgres, NATS and the simulated targets…');
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => {});
  };
  try {
    const redis = await startRedis();
    started.push(redis);
    const pg = await startPostgres();
    started.push(pg);
    const databaseUrl = await createDatabase(pg.adminUrl, 'runbook_bot_demo');
    const targets: DemoTarget[] = [];
    for (const factory of demoTargets) {
      const target = await factory.start({
        initialScenario: factory.system === 'corvo' ? initial : undefined,
        postgresAdminUrl: pg.adminUrl,
        redisUrl: redis.url,
      });
      started.push({ stop: () => target.close() });
      targets.push(target);
    }
    const secrets = Object.assign({}, ...targets.map((t) => t.env)) as Record<string, string>;

    const webPort = teamsMode ? await getFreePort() : undefined;
    const env = parseEnv({
      REDIS_URL: redis.url,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      QUEUE_PREFIX: 'demo',
      // Teams without a tenant: only the Playground on this machine talks to this web server.
      ...(webPort ? { PORT: String(webPort), TEAMS_ALLOW_UNAUTHENTICATED: 'true' } : {}),
    });
    const approvers = [
      'terminal:bob',
      'terminal:carol',
      ...(teamsMode ? TEAMS_APPROVERS.map((u) => `teams:${u.aadObjectId}`) : []),
    ];
    const config = parseConfig(
      `targets:\n${targets.map((t) => `  ${t.system}:\n    demo: ${t.configYaml}\n`).join('')}` +
        `approvals:\n  approvers: ${JSON.stringify(approvers)}\n  ttl: 15m\n`,
      '(demo config)',
      integrations,
      secrets,
    );
    const logger = createRootLogger(env.LOG_LEVEL, 'demo');
    const db = createPool(env.DATABASE_URL);
    await migrate(db, logger);

    const transport = createTerminalTransport(out);
    const worker = createWorker({ env, config, logger, transports: { terminal: transport } });
    const redisConn = createRedisConnection(redisTargetOf(env), 'producer', () => {});
    const queues = createQueues(redisConn, env.QUEUE_PREFIX, logger);
    started.push({
      stop: async () => {
        await worker.close();
        await queues.close();
        redisConn.disconnect();
        await db.end();
      },
    });

    let playground: AgentsPlayground | undefined;
    if (webPort) {
      const web = createWeb({ env, config, logger });
      await new Promise<void>((resolve, reject) => {
        web.server.once('error', reject);
        web.server.listen(webPort, '127.0.0.1', resolve);
      });
      started.push({ stop: () => web.close() });
      out('Starting the Microsoft 365 Agents Playground…');
      const agents = await startAgentsPlayground({
        botEndpoint: `http://127.0.0.1:${webPort}/api/messages`,
        port: await getFreePort(),
      });
      playground = agents;
      started.push({ stop: () => agents.stop() });
    }
    const help = playground ? teamsHelp(playground.url) : HELP;

    const describeTargets = () => targets.map((t) => `${t.system}: ${t.scenario()}`).join(', ');
    out(`Simulated targets (instance "demo"): ${describeTargets()}\n\n${help}\n`);
    const rl = createInterface({
      input: process.stdin,
      output: process.stdout,
      prompt: 'you> ',
      terminal: interactive,
    });
    // Ctrl-C or SIGTERM ends the chat; the finally block below stops everything that was started.
    rl.on('SIGINT', () => rl.close());
    process.once('SIGTERM', () => rl.close());
    let n = 0;
    const terminal = { platform: 'terminal' as const, channelId: 'terminal' };
    const handle = async (line: string): Promise<boolean> => {
      const text = line.trim();
      if (!text) return true;
      if (text === 'quit' || text === 'exit') return false;
      if (text === 'help') {
        out(help);
        return true;
      }
      if (text === 'scenarios') {
        for (const t of targets) {
          out(`  ${t.system}: ${t.scenarios.join(', ')} (now ${t.scenario()}${t.hint ? `; try ${t.hint()}` : ''})`);
        }
        return true;
      }
      const scenario = /^scenario\s+(?:(\S+)\s+)?(\S+)$/.exec(text);
      if (scenario) {
        const target = targets.find((t) => t.system === (scenario[1] ?? 'corvo'));
        if (!target) out(`No simulated ${scenario[1]}. Simulated: ${targets.map((t) => t.system).join(', ')}`);
        else if (!target.scenarios.includes(scenario[2]!)) {
          out(`Unknown ${target.system} scenario. One of: ${target.scenarios.join(', ')}`);
        } else {
          await target.setScenario(scenario[2]!);
          out(`Simulated ${target.system} is now: ${scenario[2]}${target.hint ? ` — try ${target.hint()}` : ''}`);
        }
        return true;
      }
      const click = /^click\s+(\S+)$/.exec(text);
      const decide = /^(approve|deny)\s+(\S+)\s+as\s+(\S+)$/.exec(text);
      if (playground && decide) {
        const approvalId = decide[2] === 'latest' ? ((await latestApprovalId(db)) ?? 'none') : decide[2]!;
        out(
          await decideInPlayground(db, playground, {
            approvalId,
            decision: decide[1] as 'approve' | 'deny',
            who: decide[3]!,
          }),
        );
        return true;
      }
      if (click || decide) {
        const key = `${process.pid}-${Date.now()}-${++n}`;
        // `latest` stands for the newest offer or pending request, so a scripted session needs no ids.
        if (click?.[1] === 'latest') click[1] = (await latestOfferId(db)) ?? 'none';
        if (decide?.[2] === 'latest') decide[2] = (await latestApprovalId(db)) ?? 'none';
        await enqueueInteraction(
          queues,
          click
            ? {
                kind: 'offer',
                offerId: click[1]!,
                actor: { platform: 'terminal', userId: ME },
                conversation: terminal,
                deliveryKey: key,
              }
            : {
                kind: 'decision',
                approvalId: decide![2]!,
                decision: decide![1] as 'approve' | 'deny',
                actor: { platform: 'terminal', userId: decide![3]! },
                conversation: terminal,
                deliveryKey: key,
              },
        );
        return true;
      }
      const cmd = /^\/([a-z0-9-]+)\s*(.*)$/i.exec(text);
      if (!cmd) {
        out('Commands start with a slash, e.g. /corvo health. Type help for more.');
        return true;
      }
      const reply = await dispatchCommand(
        {
          command: cmd[1]!.toLowerCase(),
          text: cmd[2] ?? '',
          actor: { platform: 'terminal', userId: ME },
          conversation: terminal,
          deliveryKey: `${process.pid}-${Date.now()}-${++n}`,
        },
        { commands, targetsOf: (s) => targetsOf(config, s), titleOf, queues, db, clock: systemClock, logger },
      );
      out(`bot (only you)> ${reply.text}`);
      return true;
    };

    if (interactive) rl.prompt();
    for await (const line of rl) {
      let keepGoing = true;
      try {
        keepGoing = await handle(line);
      } catch (err) {
        out(`error: ${(err as Error).message}`);
      }
      if (!keepGoing) break;
      if (interactive) {
        await settle(queues, 2000);
        rl.prompt();
      } else {
        // Piped input: let each command's work finish before the next line, as a person reading would.
        await settle(queues, 30_000);
      }
    }
    rl.close();
  } catch (err) {
    if (err instanceof MissingBinaryError) {
      console.error(err.message);
      await stopAll();
      process.exit(1);
    }
    throw err;
  } finally {
    out('Stopping…');
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`demo failed: ${err.message}`);
    process.exit(1);
  },
);
