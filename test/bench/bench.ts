/**
 * `npm run bench`: ack latency of signed `/corvo health` slash commands against the real web process (which
 * verifies, parses and enqueues into Redis) and against a bare Bolt app that acks without enqueueing. Concurrency
 * 50 for 10 s each, on loopback. Prints p50/p99 latency, requests/s, the ratios, and the CPU time each process spent
 * per request (Linux): latencies only mean something on a quiet machine, CPU per request compares runs made on a busy
 * one too. `BENCH_SECONDS`, `BENCH_WARMUP_SECONDS` (default 1: the JIT is still warming the first-delivery path then,
 * which a long-running web process is not), `BENCH_CONCURRENCY`, `BENCH_ONLY=slack|alerts`.
 * Second section (alert-bench.ts): signed PagerDuty webhooks with 90 % duplicates against the web process and a bare
 * `node:http` server, and alert → first finding posted in the incident's thread.
 */
import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Pool } from 'undici';
import { createDatabase, getFreePort, startPostgres, startRedis } from '../../src/dev/local-services.js';
import { runAlertBench } from './alert-bench.js';
import {
  cpuPerRequest,
  cpuSnapshot,
  machineLine,
  percentile,
  ROOT,
  spawnAndWait,
  stopChild,
  WARMUP_MS,
  webNodeArgs,
} from './bench-support.js';

const SECRET = 'bench-signing-secret';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
/** `BENCH_ONLY=slack` or `BENCH_ONLY=alerts` runs one section. */
const ONLY = process.env.BENCH_ONLY;

interface Result {
  readonly name: string;
  readonly requests: number;
  readonly errors: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU time per request after the warm-up, of the server, Redis and Postgres (see cpuPerRequest). */
  readonly cpu: string;
}

let seq = 0;
function signedCommand(): { body: string; headers: Record<string, string> } {
  const ts = String(Math.floor(Date.now() / 1000));
  const body = new URLSearchParams({
    token: 'x',
    team_id: 'T0BENCH',
    team_domain: 'bench',
    channel_id: 'C0BENCH',
    channel_name: 'bench',
    user_id: 'U0BENCH',
    user_name: 'bench',
    command: '/corvo',
    text: 'health',
    api_app_id: 'A0BENCH',
    response_url: 'https://hooks.slack.com/commands/T0BENCH/1/x',
    trigger_id: `bench.${process.pid}.${++seq}.${Date.now()}`,
  }).toString();
  const sig = createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-signature': `v0=${sig}`,
      'x-slack-request-timestamp': ts,
    },
  };
}

async function load(name: string, url: string, server: { label: string; child: ChildProcess }): Promise<Result> {
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  // Answers after the warm-up (any status): what the CPU time from cpuBefore on was spent on.
  let completed = 0;
  let cpuBefore: Record<string, number> = {};
  const warmEnd = Date.now() + WARMUP_MS;
  const deadline = warmEnd + DURATION_MS;
  const warm = setTimeout(() => (cpuBefore = cpuSnapshot({ [server.label]: server.child })), WARMUP_MS);
  const loop = async () => {
    while (Date.now() < deadline) {
      const { body, headers } = signedCommand();
      const t0 = process.hrtime.bigint();
      try {
        const res = await pool.request({ path: '/slack/events', method: 'POST', headers, body });
        await res.body.text();
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (Date.now() >= warmEnd) completed++;
        if (res.statusCode !== 200) errors++;
        else if (Date.now() >= warmEnd) latencies.push(ms);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  clearTimeout(warm);
  const cpu = cpuPerRequest(cpuBefore, cpuSnapshot({ [server.label]: server.child }), completed);
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    errors,
    rps: latencies.length / (DURATION_MS / 1000),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpu,
  };
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const pg = await startPostgres();
  const children: ChildProcess[] = [];
  try {
    if (ONLY !== 'alerts') {
      const databaseUrl = await createDatabase(pg.adminUrl, 'bench');
      const dir = mkdtempSync(join(tmpdir(), 'rbb-bench-'));
      const configFile = join(dir, 'runbook-bot.yaml');
      writeFileSync(configFile, 'targets:\n  corvo:\n    prod: { url: "http://127.0.0.1:9" }\n');
      const [webPort, barePort] = [await getFreePort(), await getFreePort()];
      const common = { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-bench', LOG_LEVEL: 'warn' };
      const loadLine = machineLine();
      const web = await spawnAndWait(
        join(ROOT, 'src/main/web.ts'),
        {
          ...common,
          PORT: String(webPort),
          REDIS_URL: redis.url,
          DATABASE_URL: databaseUrl,
          RUNBOOK_BOT_CONFIG: configFile,
          QUEUE_PREFIX: 'bench',
          LOG_LEVEL: 'info',
        },
        'web listening',
        webNodeArgs(),
      );
      children.push(web);
      const bareBolt = await spawnAndWait(
        join(ROOT, 'test/bench/bare-bolt.ts'),
        { ...common, PORT: String(barePort) },
        'bare bolt listening',
      );
      children.push(bareBolt);
      const bare = await load('bare Bolt app (ack only)', `http://127.0.0.1:${barePort}`, {
        label: 'bare',
        child: bareBolt,
      });
      const ours = await load('runbook-bot web (verify + enqueue)', `http://127.0.0.1:${webPort}`, {
        label: 'web',
        child: web,
      });
      console.log(
        `\nSlack slash-command ack, concurrency ${CONCURRENCY}, ${DURATION_MS / 1000} s each after ${WARMUP_MS / 1000} s warm-up, loopback, ${process.platform}, ${loadLine}`,
      );
      for (const r of [ours, bare]) {
        console.log(
          `  ${r.name.padEnd(38)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99
            .toFixed(2)
            .padStart(6)} ms   errors ${r.errors}`,
        );
      }
      console.log(
        `  ratio (ours / bare): p99 ${(ours.p99 / bare.p99).toFixed(2)}, p50 ${(ours.p50 / bare.p50).toFixed(2)}, throughput ${(bare.rps / ours.rps).toFixed(2)}x slower`,
      );
      console.log(`  CPU per request: ours ${ours.cpu}; bare ${bare.cpu}`);
      console.log(`  aim (issue 16): p99 ratio <= 1.2`);
      await Promise.all(children.splice(0).map((c) => stopChild(c)));
    }
    if (ONLY !== 'slack') await runAlertBench({ redisUrl: redis.url, postgresAdminUrl: pg.adminUrl });
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await pg.stop();
    await redis.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench failed: ${err.message}`);
    process.exit(1);
  },
);
