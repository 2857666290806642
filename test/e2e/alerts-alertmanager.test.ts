/**
 * A real Alertmanager end to end: alerts posted to the `prometheus-alertmanager` binary's `/api/v2/alerts` are
 * grouped and sent by its webhook receiver, with the bearer token, to the real `web` process; one thread per
 * `groupKey` appears in the fake Slack, with the diagnostics the alert points to, and turns green when the alert
 * resolves.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import {
  AM_TOKEN,
  eventually,
  repliesTo,
  rootMentioning,
  stopAndCheck,
  startAlertBot,
  topLevel,
  type AlertBot,
} from './alert-bot.js';

// Several real processes per file on a shared CI box: generous bounds (waits stay bounded, never timed).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHANNEL = 'C0ALERTMANAGER';
let bot: AlertBot;
let am: RunningAlertmanager;

beforeAll(async () => {
  bot = await startAlertBot({
    config: (corvoUrl) => `
targets:
  corvo:
    prod: { url: "${corvoUrl}", apiKey: "\${CORVO_API_KEY}", timeoutMs: 2000 }
channels:
  incidents: { slack: "${CHANNEL}" }
alerts:
  alertmanager:
    - match: { alertname: "/^Sqlite/", severity: "critical" }
      system: corvo
      target: prod
      channel: incidents
pacing: { messagesPerSecond: 20, burst: 10 }
`,
  });
  am = await startAlertmanager({ webhookUrl: `${bot.baseUrl}/webhooks/alertmanager`, bearerToken: AM_TOKEN });
}, 90_000);

afterAll(async () => {
  await am?.stop();
  await stopAndCheck(bot);
});

describe('Alertmanager → incident thread, with the real Alertmanager', () => {
  it('opens one thread per group with the diagnostics the alert points to, and turns it green on resolve', async () => {
    bot.corvo.setScenario('sqlite-diverged');
    const startsAt = new Date(Date.now() - 120_000).toISOString();
    const alert = {
      labels: { alertname: 'SqliteDiverged', service: 'corvo', severity: 'critical', instance: 'corvo-1:8080' },
      annotations: {
        summary: 'SQLite mirror dropping updates',
        runbook_url: 'https://runbooks.example.com/corvo/sqlite-diverged.md',
      },
      startsAt,
      // Far enough ahead that Alertmanager does not resolve it by itself.
      endsAt: new Date(Date.now() + 10 * 60_000).toISOString(),
      generatorURL: 'http://prometheus.test:9090/graph?g0.expr=corvo_sqlite_mirror_dropped_total',
    };
    // A second alert of the same group: still one thread.
    const second = { ...alert, labels: { ...alert.labels, instance: 'corvo-2:8080' } };
    await am.postAlerts([alert, second]);

    const root = await eventually(
      'the root posted through the real Alertmanager',
      () => rootMentioning(bot.slack, CHANNEL, 'SqliteDiverged: SQLite mirror dropping updates'),
      30_000,
    );
    const rootText = JSON.stringify(root.blocks);
    expect(rootText).toContain(':red_circle:');
    expect(rootText).toContain('Corvo prod: health, sqlite-diverged');
    expect(rootText).toContain('Open in Alertmanager');
    const reports = await eventually(
      'both diagnostics in the thread',
      () => {
        const r = repliesTo(bot.slack, CHANNEL, root.ts).filter((m) => /^Corvo /.test(m.text ?? ''));
        return r.length >= 2 && r;
      },
      30_000,
    );
    expect(reports.map((r) => r.text).join('\n')).toContain('Corvo health');
    const { rows } = await bot.db.query(`select source, external_id, status from incidents`);
    expect(rows).toHaveLength(1);
    expect(rows[0].source).toBe('alertmanager');
    expect(rows[0].external_id).toContain('alertname="SqliteDiverged"');

    // Resolve: the same alerts with an end time in the past.
    const endsAt = new Date(Date.now() - 1000).toISOString();
    await am.postAlerts([
      { ...alert, endsAt },
      { ...second, endsAt },
    ]);
    const green = await eventually(
      'the resolved root',
      () => {
        const r = topLevel(bot.slack, CHANNEL).find((m) => m.ts === root.ts);
        return r && JSON.stringify(r.blocks).includes(':large_green_circle:') && r;
      },
      30_000,
    );
    expect(JSON.stringify(green.blocks)).toMatch(/Resolved after (1m 5\ds|2m)/);
    await eventually('the resolved note', () =>
      repliesTo(bot.slack, CHANNEL, root.ts).find((m) => /All alerts resolved after (1m 5\ds|2m)/.test(m.text ?? '')),
    );
    expect(topLevel(bot.slack, CHANNEL)).toHaveLength(1);
    const events = await bot.db.query(`select event_type from alert_events order by received_at`);
    expect(events.rows.map((r) => r.event_type)).toEqual(['alertmanager.firing', 'alertmanager.resolved']);
  }, 90_000);

  it('refuses a request without the bearer token (401) and a body that is not v4 (400)', async () => {
    const noToken = await fetch(`${bot.baseUrl}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(noToken.status).toBe(401);
    const wrong = await fetch(`${bot.baseUrl}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token' },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
    const v3 = await fetch(`${bot.baseUrl}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` },
      body: JSON.stringify({ version: '3', groupKey: 'x', status: 'firing', receiver: 'r', alerts: [] }),
    });
    expect(v3.status).toBe(400);
  });
});
