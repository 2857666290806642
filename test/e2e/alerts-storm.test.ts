/**
 * Storm control end to end: 300 PagerDuty incidents arrive at once. Every one is recorded in Postgres; the channel
 * gets the first `threshold` threads and one summary for the rest, every post paced per channel (shared by the two
 * worker processes through Redis), and the summary updated in place rather than re-posted.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { incidentEvent, postPagerDuty } from '../support/pagerduty-webhooks.js';
import {
  PD_SECRET,
  corvoPagerDutyConfig,
  eventually,
  repliesTo,
  startAlertBot,
  stopAndCheck,
  topLevel,
  type AlertBot,
} from './alert-bot.js';

// Several real processes per file on a shared CI box: generous bounds (waits stay bounded, never timed).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHANNEL = 'C0STORM';
const INCIDENTS = 300;
const THRESHOLD = 10;
const RATE = 4; // messages per second per channel
const BURST = 2;
let bot: AlertBot;

beforeAll(async () => {
  bot = await startAlertBot({
    config: (corvoUrl) =>
      corvoPagerDutyConfig(corvoUrl, CHANNEL, {
        messagesPerSecond: RATE,
        burst: BURST,
        storm: { threshold: THRESHOLD, window: '10m' },
      }),
  });
}, 90_000);

afterAll(async () => {
  await stopAndCheck(bot);
});

describe('a storm of 300 incidents', () => {
  it('records all 300, opens the first threads, paces every post and sums up the rest in one message', async () => {
    const t = Date.parse('2026-09-10T03:00:00Z');
    const bodies = Array.from({ length: INCIDENTS }, (_, i) =>
      incidentEvent({
        type: 'incident.triggered',
        incidentId: `PSTORM${String(i).padStart(4, '0')}`,
        number: 9000 + i,
        occurredAt: new Date(t + i).toISOString(),
        title: `Storm incident ${i}`,
      }),
    );
    const statuses: number[] = [];
    for (let i = 0; i < bodies.length; i += 20) {
      const batch = bodies.slice(i, i + 20);
      statuses.push(
        ...(await Promise.all(
          batch.map(async (b) => (await postPagerDuty(bot.baseUrl, b, { secrets: [PD_SECRET] })).status),
        )),
      );
    }
    expect(statuses.every((s) => s === 202)).toBe(true);

    await eventually(
      'all 300 incidents applied',
      async () => {
        const { rows } = await bot.db.query(`select count(*)::int as n from incidents`);
        return rows[0].n === INCIDENTS;
      },
      60_000,
    );
    const { rows: counts } = await bot.db.query(
      `select (select count(*)::int from alert_events where processed_at is not null) as events,
              (select count(*)::int from incident_threads where suppressed) as suppressed,
              (select count(*)::int from incident_threads where not suppressed) as threads`,
    );
    expect(counts[0]).toEqual({ events: INCIDENTS, suppressed: INCIDENTS - THRESHOLD, threads: THRESHOLD });

    const summary = await eventually(
      'the summary with the final count',
      () =>
        topLevel(bot.slack, CHANNEL).find((m) =>
          (m.text ?? '').includes(
            `${INCIDENTS - THRESHOLD} more incidents for Corvo Production in the last 10 minutes`,
          ),
        ),
      60_000,
    );
    expect(summary.text).toContain('/runbook incidents');
    const roots = await eventually(
      'every thread with its diagnostics',
      () => {
        const r = topLevel(bot.slack, CHANNEL).filter((m) => (m.text ?? '').includes('Storm incident'));
        const done = r.length === THRESHOLD && r.every((root) => repliesTo(bot.slack, CHANNEL, root.ts).length >= 1);
        return done && r;
      },
      60_000,
    );
    expect(roots).toHaveLength(THRESHOLD);
    // One summary, updated in place (coalesced: far fewer updates than suppressed incidents).
    expect(topLevel(bot.slack, CHANNEL)).toHaveLength(THRESHOLD + 1);
    const summaryUpdates = bot.slack.callsTo('chat.update').filter((c) => c.args.ts === summary.ts);
    expect(summaryUpdates.length).toBeLessThan(40);

    // Paced: in any one-second window the channel never got more than the burst plus one second's worth.
    const posts = bot.slack.calls
      .filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args.channel === CHANNEL)
      .map((c) => c.at)
      .sort((a, b) => a - b);
    expect(posts.length).toBeGreaterThanOrEqual(2 * THRESHOLD + 1);
    let worst = 0;
    for (let i = 0; i < posts.length; i++) {
      let j = i;
      while (j < posts.length && posts[j]! - posts[i]! < 1000) j++;
      worst = Math.max(worst, j - i);
    }
    expect(worst).toBeLessThanOrEqual(BURST + RATE + 1);
  }, 180_000);
});
