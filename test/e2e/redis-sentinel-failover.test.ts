/**
 * Redis high availability end to end (issue 16): the real `web` and two `worker` processes reach Redis only through
 * three sentinels (a master and a replica from Debian's binaries). While slash commands and PagerDuty webhooks
 * stream in, the master is failed over (`SENTINEL FAILOVER`). Every request that got a 2xx must be processed
 * exactly once — one report per command, one alert_events row and one incident root per webhook — and the same
 * processes must go on working on the new master without a restart.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { incidentEvent, postPagerDuty } from '../support/pagerduty-webhooks.js';
import { startSentinelTopology, type SentinelTopology } from '../support/sentinel-topology.js';
import { signSlackRequest, slashCommandBody } from '../support/slack-signing.js';
import {
  PD_SECRET,
  SIGNING_SECRET,
  eventually,
  corvoPagerDutyConfig,
  stopAndCheck,
  startAlertBot,
  topLevel,
  type AlertBot,
} from './alert-bot.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const INCIDENTS = 'C0SENTINC';
let topo: SentinelTopology;
let bot: AlertBot;

beforeAll(async () => {
  topo = await startSentinelTopology({ name: 'rbbe2e' });
  bot = await startAlertBot({
    config: (corvoUrl) => corvoPagerDutyConfig(corvoUrl, INCIDENTS, { messagesPerSecond: 100, burst: 100 }),
    // REDIS_URL stays set (to the run's Redis): Sentinel must win over it, so a job there would be a bug.
    env: {
      REDIS_SENTINELS: topo.sentinelsEnv,
      REDIS_SENTINEL_NAME: topo.name,
      // A job whose completion could not be confirmed stays active on the new master until stall detection.
      WORKER_LOCK_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '2000',
    },
  });
}, 90_000);

afterAll(async () => {
  await stopAndCheck(bot);
  await topo?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A slash command; `accepted` when Slack got the "Running …" answer (a 200 can also say it could not be queued). */
async function slash(channel: string): Promise<{ status: number; accepted: boolean }> {
  const body = slashCommandBody({ command: '/corvo', text: 'health', channel_id: channel });
  const res = await fetch(`${bot.baseUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000)),
    },
    body,
  }).catch(() => undefined);
  const text = (await res?.text()) ?? '';
  return { status: res?.status ?? 0, accepted: res?.status === 200 && text.includes('Running Corvo health') };
}

/** Delivers like PagerDuty: retries 5xx and connection errors until a 2xx (bounded). */
async function deliver(incidentId: string): Promise<number[]> {
  const body = incidentEvent({
    type: 'incident.triggered',
    incidentId,
    occurredAt: new Date().toISOString(),
    title: `sentinel ${incidentId}`,
  });
  const statuses: number[] = [];
  const deadline = Date.now() + 40_000;
  for (;;) {
    const res = await postPagerDuty(bot.baseUrl, body, { secrets: [PD_SECRET], webhookId: `wh-${incidentId}` }).catch(
      () => undefined,
    );
    await res?.text();
    statuses.push(res?.status ?? 0);
    if ((res && res.status < 500) || Date.now() > deadline) return statuses;
    await sleep(200);
  }
}

const reportsIn = (channel: string) =>
  bot.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && !c.args.thread_ts);

describe('Redis Sentinel failover under load', () => {
  it('processes every acknowledged command and webhook exactly once, and recovers without a restart', async () => {
    const pids = [bot.web, ...bot.workers].map((p) => p.child.pid);
    const commands: { channel: string; status: number; accepted: boolean }[] = [];
    const deliveries: Promise<{ id: string; statuses: number[] }>[] = [];
    let stop = false;
    const commandStream = (async () => {
      for (let i = 0; !stop; i++) {
        const channel = `C0SF${String(i).padStart(4, '0')}`;
        commands.push({ channel, ...(await slash(channel)) });
        await sleep(100);
      }
    })();
    const webhookStream = (async () => {
      for (let i = 0; !stop; i++) {
        const id = `PSENT${String(i).padStart(4, '0')}`;
        deliveries.push(deliver(id).then((statuses) => ({ id, statuses })));
        await sleep(300);
      }
    })();
    await sleep(2000);
    const failover = await topo.failover();
    await sleep(5000);
    stop = true;
    await Promise.all([commandStream, webhookStream]);
    const delivered = await Promise.all(deliveries);

    const acked = commands.filter((c) => c.accepted);
    const refused = commands.filter((c) => !c.accepted);
    // Commands sent before and after the failover must have been accepted, or the checks below check nothing.
    expect(acked.length).toBeGreaterThan(5);
    // Every acknowledged command: exactly one report. A refused one may or may not have run, but never twice.
    const missing = () => acked.filter((c) => reportsIn(c.channel).length === 0).map((c) => c.channel);
    await eventually('a report for every acknowledged command', () => missing().length === 0, 40_000).catch(() =>
      expect(missing(), `no report for these acknowledged commands (of ${acked.length})`).toEqual([]),
    );
    const ackedWebhooks = delivered.filter((d) => d.statuses.at(-1)! < 300);
    expect(ackedWebhooks).toHaveLength(delivered.length);
    await eventually(
      'every acknowledged webhook processed',
      async () => {
        const { rows } = await bot.db.query(
          `select count(*)::int as n from alert_events where external_id like 'PSENT%' and processed_at is not null`,
        );
        return rows[0].n >= ackedWebhooks.length;
      },
      40_000,
    );
    await sleep(3000); // room for a duplicate to show up
    for (const c of acked) expect(reportsIn(c.channel), c.channel).toHaveLength(1);
    for (const c of refused) expect(reportsIn(c.channel).length, c.channel).toBeLessThanOrEqual(1);
    const { rows } = await bot.db.query(
      `select external_id, count(*)::int as n from alert_events where external_id like 'PSENT%' group by external_id`,
    );
    expect(rows.map((r) => r.external_id).sort()).toEqual(ackedWebhooks.map((d) => d.id).sort());
    expect(rows.every((r) => r.n === 1)).toBe(true);
    // Many incidents at once become a storm summary (by design), so not every incident gets its own root; none
    // gets two.
    for (const d of ackedWebhooks) {
      expect(
        topLevel(bot.slack, INCIDENTS).filter((m) => (m.text ?? '').includes(`sentinel ${d.id}`)).length,
        d.id,
      ).toBeLessThanOrEqual(1);
    }

    // The same processes work on the new master.
    expect([bot.web, ...bot.workers].map((p) => p.child.pid)).toEqual(pids);
    expect([bot.web, ...bot.workers].every((p) => p.child.exitCode === null)).toBe(true);
    expect((await slash('C0SFAFTER')).accepted).toBe(true);
    await eventually('the report after the failover', () => reportsIn('C0SFAFTER').length === 1, 20_000);
    const retried = ackedWebhooks.filter((d) => d.statuses.length > 1).length;
    console.info(
      `sentinel e2e: failover ${failover.ms} ms; commands ${acked.length} acknowledged (each reported once), ` +
        `${refused.length} refused (${refused.map((c) => c.status).join(',')}; ${refused.filter((c) => reportsIn(c.channel).length > 0).length} of them ran anyway); webhooks ${ackedWebhooks.length} ` +
        `recorded once each, ${retried} after a retry`,
    );
  });
});
