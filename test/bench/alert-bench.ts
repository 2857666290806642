/**
 * The alert section of `npm run bench`:
 * 1. signed PagerDuty v3 webhooks, 90 % of them redeliveries of earlier ones, at concurrency 50 for 10 s against the
 *    real web process (verify, record in Postgres, queue in Redis; dedupe in Postgres) and against a bare
 *    `node:http` server that answers 202;
 * 2. alert → first finding in the thread: a signed incident.triggered through web and two workers, Corvo health run
 *    against the simulator, report posted in the incident's thread in the fake Slack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Pool } from 'undici';
import { startCorvoSimulator } from '../../integrations/corvo/simulator/index.js';
import { signPagerDutyBody } from '../../integrations/pagerduty/verify-pagerduty-signature.js';
import { createDatabase, getFreePort } from '../../src/dev/local-services.js';
import { startFakeSlack } from '../support/fake-slack.js';
import { incidentEvent } from '../support/pagerduty-webhooks.js';
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

const PD_SECRET = 'bench-pagerduty-secret';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const DUPLICATE_SHARE = 0.9;
const LATENCY_SAMPLES = Number(process.env.BENCH_ALERT_SAMPLES ?? 30);

interface LoadResult {
  readonly name: string;
  readonly requests: number;
  readonly duplicates: number;
  readonly errors: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** p50 and p99 of first deliveries (recorded and queued) and of redeliveries, apart. */
  readonly p50New: number;
  readonly p99New: number;
  readonly p50Duplicate: number;
  readonly p99Duplicate: number;
  /** CPU time per request after the warm-up, of the server, Redis and Postgres (see cpuPerRequest). */
  readonly cpu: string;
}

interface Delivery {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** A new signed incident.triggered, as PagerDuty would deliver it (unique event and webhook id). */
function newDelivery(n: number, title = `Bench incident ${n}`): Delivery {
  const body = JSON.stringify(
    incidentEvent({
      type: 'incident.triggered',
      incidentId: `PBENCH${process.pid}X${n}`,
      eventId: randomUUID(),
      number: n,
      occurredAt: new Date().toISOString(),
      title,
      service: 'Bench Service',
    }),
  );
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-pagerduty-signature': signPagerDutyBody([PD_SECRET], body),
      'x-webhook-id': randomUUID(),
    },
  };
}

async function loadWebhooks(
  name: string,
  url: string,
  server: { label: string; child: ChildProcess },
): Promise<LoadResult> {
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  const sent: Delivery[] = [];
  const latencies: number[] = [];
  const newLatencies: number[] = [];
  const duplicateLatencies: number[] = [];
  let errors = 0;
  let duplicates = 0;
  // Answers after the warm-up (any status): what the CPU time from cpuBefore on was spent on.
  let completed = 0;
  let seq = 0;
  let cpuBefore: Record<string, number> = {};
  const warmEnd = Date.now() + WARMUP_MS;
  const deadline = warmEnd + DURATION_MS;
  const warm = setTimeout(() => (cpuBefore = cpuSnapshot({ [server.label]: server.child })), WARMUP_MS);
  const loop = async () => {
    while (Date.now() < deadline) {
      // 90 % of deliveries repeat an earlier one byte for byte (PagerDuty retries with the same X-Webhook-Id).
      const duplicate = sent.length > 0 && Math.random() < DUPLICATE_SHARE;
      const d = duplicate ? sent[Math.floor(Math.random() * sent.length)]! : newDelivery(++seq);
      if (!duplicate) sent.push(d);
      const t0 = process.hrtime.bigint();
      try {
        const res = await pool.request({
          path: '/webhooks/pagerduty',
          method: 'POST',
          headers: d.headers,
          body: d.body,
        });
        await res.body.text();
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (Date.now() >= warmEnd) completed++;
        if (res.statusCode !== 202) errors++;
        else if (Date.now() >= warmEnd) {
          latencies.push(ms);
          (duplicate ? duplicateLatencies : newLatencies).push(ms);
          if (duplicate) duplicates++;
        }
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  clearTimeout(warm);
  const cpu = cpuPerRequest(cpuBefore, cpuSnapshot({ [server.label]: server.child }), completed);
  await pool.close();
  for (const l of [latencies, newLatencies, duplicateLatencies]) l.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    duplicates,
    errors,
    rps: latencies.length / (DURATION_MS / 1000),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    p50New: percentile(newLatencies, 0.5),
    p99New: percentile(newLatencies, 0.99),
    p50Duplicate: percentile(duplicateLatencies, 0.5),
    p99Duplicate: percentile(duplicateLatencies, 0.99),
    cpu,
  };
}

function row(r: LoadResult): string {
  return (
    `  ${r.name.padEnd(46)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms` +
    `   p99 ${r.p99.toFixed(2).padStart(6)} ms   errors ${r.errors}` +
    `   duplicates ${((100 * r.duplicates) / Math.max(1, r.requests)).toFixed(0)} %` +
    `   (p99 new ${r.p99New.toFixed(1)} ms, redelivered ${r.p99Duplicate.toFixed(1)} ms;` +
    ` p50 new ${r.p50New.toFixed(1)} ms, redelivered ${r.p50Duplicate.toFixed(1)} ms)`
  );
}

/** Runs both alert benchmarks against the given Redis and Postgres server; prints the figures. */
export async function runAlertBench(o: { redisUrl: string; postgresAdminUrl: string }): Promise<void> {
  const children: ChildProcess[] = [];
  const corvo = await startCorvoSimulator({ scenario: 'sqlite-diverged', apiKey: 'bench-corvo-key' });
  const slack = await startFakeSlack({ token: 'xoxb-bench-alerts' });
  try {
    const databaseUrl = await createDatabase(o.postgresAdminUrl, 'bench_alerts');
    const dir = mkdtempSync(join(tmpdir(), 'rbb-bench-alerts-'));
    const configFile = join(dir, 'runbook-bot.yaml');
    const channels = Array.from({ length: 10 }, (_, i) => `  ch${i}: { slack: "C0BENCH${i}" }`).join('\n');
    const rules = Array.from(
      { length: 10 },
      (_, i) =>
        `    - match: { title: "/^\\\\[ch${i}\\\\]/" }\n      system: corvo\n      target: prod\n      channel: ch${i}\n      workflow: health`,
    ).join('\n');
    writeFileSync(
      configFile,
      `targets:\n  corvo:\n    prod: { url: "${corvo.url}", apiKey: "\${CORVO_API_KEY}" }\n` +
        `channels:\n${channels}\nalerts:\n  pagerduty:\n${rules}\n`,
    );
    const [webPort, barePort] = [await getFreePort(), await getFreePort()];
    const env = {
      PORT: String(webPort),
      REDIS_URL: o.redisUrl,
      DATABASE_URL: databaseUrl,
      RUNBOOK_BOT_CONFIG: configFile,
      QUEUE_PREFIX: 'bench_alerts',
      PAGERDUTY_WEBHOOK_SECRETS: PD_SECRET,
      SLACK_SIGNING_SECRET: 'bench-signing-secret',
      SLACK_BOT_TOKEN: 'xoxb-bench-alerts',
      SLACK_API_URL: slack.url,
      CORVO_API_KEY: 'bench-corvo-key',
      LOG_LEVEL: 'warn',
    };
    const release = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main/release.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'ignore',
    });
    const code = await new Promise<number | null>((r) => release.on('exit', r));
    if (code !== 0) throw new Error(`release exited ${code}`);
    const loadLine = machineLine();
    const web = await spawnAndWait(
      join(ROOT, 'src/main/web.ts'),
      { ...env, LOG_LEVEL: 'info' },
      'web listening',
      webNodeArgs(),
    );
    children.push(web);
    const bareHttp = await spawnAndWait(
      join(ROOT, 'test/bench/bare-http.ts'),
      { PORT: String(barePort) },
      'bare http listening',
    );
    children.push(bareHttp);

    // 1. Webhook ingestion (no worker running: this measures the web process only).
    const bare = await loadWebhooks('bare node:http (202 only)', `http://127.0.0.1:${barePort}`, {
      label: 'bare',
      child: bareHttp,
    });
    const ours = await loadWebhooks('runbook-bot web (verify + record + enqueue)', `http://127.0.0.1:${webPort}`, {
      label: 'web',
      child: web,
    });
    console.log(
      `\nPagerDuty webhooks, signed, ${DUPLICATE_SHARE * 100} % duplicate deliveries, concurrency ${CONCURRENCY}, ` +
        `${DURATION_MS / 1000} s each after ${WARMUP_MS / 1000} s warm-up, loopback, ${process.platform}, ${loadLine}`,
    );
    console.log(row(ours));
    console.log(row(bare));
    console.log(
      `  ratio (ours / bare): p99 ${(ours.p99 / bare.p99).toFixed(2)}, p50 ${(ours.p50 / bare.p50).toFixed(2)}, ` +
        `throughput ${(bare.rps / ours.rps).toFixed(2)}x slower`,
    );
    console.log(`  CPU per request: ours ${ours.cpu}; bare ${bare.cpu}`);
    console.log('  aim (issue 16): >= 2,000 req/s, first deliveries p99 <= 30 ms on 2 cores');

    // 2. Alert → first finding in the thread. Workers start now; the backlog of bench incidents (routed nowhere)
    // is drained first so it does not count.
    for (let i = 0; i < 2; i++) {
      children.push(
        await spawnAndWait(join(ROOT, 'src/main/worker.ts'), { ...env, LOG_LEVEL: 'info' }, 'worker started'),
      );
    }
    const events = new Queue('alert-events', { connection: { url: o.redisUrl }, prefix: 'bench_alerts' });
    for (const until = Date.now() + 120_000; Date.now() < until;) {
      const c = await events.getJobCounts('waiting', 'active', 'prioritized');
      if ((c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await events.close();
    const sentAt = new Map<number, number>();
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const d = newDelivery(1_000_000 + i, `[ch${i % 10}] latency sample-${String(i).padStart(3, '0')}`);
      sentAt.set(i, Date.now());
      const res = await fetch(`http://127.0.0.1:${webPort}/webhooks/pagerduty`, {
        method: 'POST',
        headers: d.headers,
        body: d.body,
      });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
      await new Promise((r) => setTimeout(r, 400));
    }
    const latencies: number[] = [];
    const deadline = Date.now() + 60_000;
    const pending = new Set(sentAt.keys());
    while (pending.size > 0 && Date.now() < deadline) {
      for (const i of [...pending]) {
        const channel = `C0BENCH${i % 10}`;
        const root = slack
          .messages(channel)
          .find((m) => !m.thread_ts && (m.text ?? '').includes(`sample-${String(i).padStart(3, '0')}`));
        const report = root && slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts === root.ts);
        if (report) {
          latencies.push(report.at - sentAt.get(i)!);
          pending.delete(i);
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `\nAlert → first finding posted in its thread (signed incident.triggered → web → worker → Corvo health on the ` +
        `simulator → report in the thread, fake Slack), ${latencies.length}/${LATENCY_SAMPLES} samples`,
    );
    console.log(
      `  p50 ${percentile(latencies, 0.5).toFixed(0)} ms   p95 ${percentile(latencies, 0.95).toFixed(0)} ms   ` +
        `max ${(latencies.at(-1) ?? NaN).toFixed(0)} ms${pending.size ? `   (${pending.size} never arrived)` : ''}`,
    );
    console.log('  aim: p95 <= 1 s');
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
    await slack.close();
    await corvo.close();
  }
}
