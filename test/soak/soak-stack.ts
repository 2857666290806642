/**
 * The bot as the soak runs it: a real `web` and two real `worker` processes on the soak's own Redis and Postgres
 * (restartable, see ./soak-services.ts), the Corvo simulator and the fake Slack Web API at the edges. Works outside
 * vitest (`npm run soak`) as well as inside it.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startCorvoSimulator, type CorvoSimulator } from '../../integrations/corvo/simulator/index.js';
import { createDatabase, getFreePort } from '../../src/dev/local-services.js';
import { runRelease, spawnBot, writeConfigFile, type BotProcess } from '../e2e/bot-processes.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { startSoakPostgres, startSoakRedis, type RestartableService } from './soak-services.js';

export const SIGNING_SECRET = 'soak-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-soak-bot-token-do-not-leak';
export const CORVO_KEY = 'corvo-soak-api-key-do-not-leak';
export const PD_SECRET = 'pd-soak-secret-do-not-leak';
export const AM_TOKEN = 'am-soak-bearer-token-do-not-leak';
export const INCIDENTS_CHANNEL = 'C0SOAKINCIDENTS';
/** Requester, and the approvers who may decide for them. */
export const REQUESTER = 'U0ALICE';
export const APPROVERS = ['U0BOB', 'U0CAROL'] as const;

/** Bounded waits for processes to start: generous, the machine may be loaded (never used for an invariant). */
const STARTUP_MS = 180_000;

export interface SoakStack {
  readonly redis: RestartableService;
  readonly postgres: RestartableService;
  readonly corvo: CorvoSimulator;
  readonly slack: FakeSlack;
  readonly baseUrl: string;
  readonly databaseUrl: string;
  readonly db: pg.Pool;
  web: BotProcess;
  readonly workers: BotProcess[];
  /** SIGKILLs worker `i` and starts a replacement in its place at once; resolves when the replacement has started. */
  killWorker(i: number): Promise<void>;
  /** SIGTERMs the web process (its exit code is returned), waits `gapMs`, starts a new one and waits until ready. */
  restartWeb(gapMs: number): Promise<number | null>;
  /** Resident memory (VmRSS, kB) of the web process and each worker now running. */
  rss(): { web: number | undefined; workers: (number | undefined)[] };
  /** Everything every bot process (replaced ones included) printed. */
  output(): string;
  /** Bot processes that exited without being told to (crashes), with their exit code or signal. */
  unexpectedExits(): string[];
  /** Stops the bot processes (SIGTERM) and returns their exit codes; then the edges and the services. */
  stop(): Promise<(number | null)[]>;
}

/** VmRSS of a process in kB, from /proc (undefined when it is gone or /proc is not there). */
export function residentKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function waitReady(baseUrl: string): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  while (Date.now() < deadline) {
    const ok = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the web process at ${baseUrl} was not ready within ${STARTUP_MS} ms`);
}

export async function startSoakStack(): Promise<SoakStack> {
  const [redis, postgres] = await Promise.all([startSoakRedis(), startSoakPostgres()]);
  const databaseUrl = await createDatabase(postgres.url, 'runbook_bot_soak');
  const corvo = await startCorvoSimulator({ scenario: 'sqlite-diverged', apiKey: CORVO_KEY });
  const slack = await startFakeSlack({ token: BOT_TOKEN });
  const port = await getFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const configFile = writeConfigFile(`
targets:
  corvo:
    prod: { url: "${corvo.url}", apiKey: "\${CORVO_API_KEY}", timeoutMs: 5000 }
channels:
  incidents: { slack: "${INCIDENTS_CHANNEL}" }
approvals:
  approvers: ${JSON.stringify([REQUESTER, ...APPROVERS].map((u) => `slack:${u}`))}
  ttl: 15m
alerts:
  pagerduty:
    - match: { service: "Corvo Production" }
      system: corvo
      target: prod
      channel: incidents
  alertmanager:
    - match: { alertname: "/^Soak/" }
      system: corvo
      target: prod
      channel: incidents
pacing: { messagesPerSecond: 100, burst: 100 }
`);
  const env: Record<string, string> = {
    PORT: String(port),
    REDIS_URL: redis.url,
    DATABASE_URL: databaseUrl,
    RUNBOOK_BOT_CONFIG: configFile,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: slack.url,
    CORVO_API_KEY: CORVO_KEY,
    PAGERDUTY_WEBHOOK_SECRETS: PD_SECRET,
    ALERTMANAGER_BEARER_TOKEN: AM_TOKEN,
    QUEUE_PREFIX: 'soak',
    LOG_LEVEL: 'info',
    // A SIGKILLed worker's jobs are taken over after the lock expires: short, so that happens within the soak.
    WORKER_LOCK_MS: '4000',
    WORKER_STALLED_INTERVAL_MS: '2000',
  };
  const release = await runRelease(env);
  if (release.code !== 0) throw new Error(`release failed (${release.code}):\n${release.output.slice(-3000)}`);

  const told = new Set<BotProcess>();
  const crashes: string[] = [];
  const started = Date.now();
  const watch = (p: BotProcess) => {
    p.child.once('exit', (code, signal) => {
      if (!told.has(p))
        crashes.push(
          `${p.name} pid ${p.child.pid} (${code ?? signal}) at ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
    });
    return p;
  };
  const spawnWorker = async () => {
    const w = watch(spawnBot('worker', env));
    await w.waitForOutput('worker started', STARTUP_MS);
    return w;
  };
  const spawnWeb = async () => {
    const w = watch(spawnBot('web', env));
    await w.waitForOutput('web listening', STARTUP_MS);
    await waitReady(baseUrl);
    return w;
  };
  const [web, ...workers] = await Promise.all([spawnWeb(), spawnWorker(), spawnWorker()]);
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  // The soak's own queries meet the Postgres restart too: an idle client's error must not crash the soak.
  db.on('error', () => undefined);
  const retired: BotProcess[] = [];

  const stack: SoakStack = {
    redis,
    postgres,
    corvo,
    slack,
    baseUrl,
    databaseUrl,
    db,
    web: web!,
    workers,
    async killWorker(i) {
      const old = stack.workers[i]!;
      told.add(old);
      await old.kill();
      retired.push(old);
      const w = watch(spawnBot('worker', env));
      stack.workers[i] = w;
      await w.waitForOutput('worker started', STARTUP_MS);
    },
    async restartWeb(gapMs) {
      const old = stack.web;
      told.add(old);
      const code = await old.stop(30_000);
      retired.push(old);
      await new Promise((r) => setTimeout(r, gapMs));
      stack.web = await spawnWeb();
      return code;
    },
    rss: () => ({
      web: residentKb(stack.web.child.pid),
      workers: stack.workers.map((w) => residentKb(w.child.pid)),
    }),
    output: () => [...retired, stack.web, ...stack.workers].map((p) => p.output()).join('\n'),
    unexpectedExits: () => [...crashes],
    async stop() {
      for (const p of [stack.web, ...stack.workers]) told.add(p);
      const codes = await Promise.all([stack.web, ...stack.workers].map((p) => p.stop(30_000)));
      await db.end().catch(() => undefined);
      await slack.close();
      await corvo.close();
      await Promise.allSettled([redis.close(), postgres.close()]);
      return codes;
    },
  };
  return stack;
}
