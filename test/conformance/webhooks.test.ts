/**
 * Webhook bodies and Teams activities nobody on this project wrote (../shared/conformance/{pagerduty,alertmanager,
 * slack,teams}, see SOURCES.md), sent to the real routes of a running `web` process (real `worker`s, Redis and
 * Postgres behind it), with the signatures the bot would see.
 *
 * Transformations, all at the edge and stated: unsigned upstream bodies are signed here with the real algorithms
 * (Slack v0 HMAC, PagerDuty v1 HMAC); Teams activities get the fake Bot Connector's `serviceUrl` in place of
 * Microsoft's, because the bot answers there. Everything else is sent byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { signPagerDutyBody } from '../../integrations/pagerduty/verify-pagerduty-signature.js';
import { verifySlackRequest } from '../../integrations/slack/verify-slack-request.js';
import { startFakeBotConnector, type FakeBotConnector } from '../support/fake-bot-connector.js';
import { signSlackRequest } from '../support/slack-signing.js';
import { AM_TOKEN, eventually, stopAndCheck, startAlertBot, topLevel, type AlertBot } from '../e2e/alert-bot.js';
import { listConformance, readConformanceJson, readConformanceText } from './conformance-inputs.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHANNEL = 'C0CONFORMANCE';

const SlackMetaSchema = z.object({
  signingSecret: z.string(),
  headers: z.object({
    'X-Slack-Signature': z.string(),
    'X-Slack-Request-Timestamp': z.string(),
    'Content-Type': z.string(),
  }),
});
const PagerDutyMetaSchema = z.object({
  secret: z.string(),
  headers_valid: z.object({ 'X-PagerDuty-Signature': z.string(), 'Content-Type': z.string() }),
  headers_mismatch: z.object({ 'X-PagerDuty-Signature': z.string() }),
});

const slackMeta = SlackMetaSchema.parse(
  readConformanceJson('slack', 'bolt-js-slash-command-signed-docs-example.meta.json'),
);
const pdMeta = PagerDutyMetaSchema.parse(
  readConformanceJson('pagerduty', 'go-pagerduty-webhookv3-signed-priority_updated.meta.json'),
);

let bot: AlertBot;
let teams: FakeBotConnector;

beforeAll(async () => {
  teams = await startFakeBotConnector();
  bot = await startAlertBot({
    config: (corvoUrl) => `
targets:
  corvo:
    prod: { url: "${corvoUrl}", apiKey: "\${CORVO_API_KEY}", timeoutMs: 2000 }
channels:
  incidents: { slack: "${CHANNEL}" }
alerts:
  defaultChannel: incidents
pacing: { messagesPerSecond: 50, burst: 20 }
`,
    env: {
      // The upstream samples' own secrets: the bot must verify exactly what upstream signed.
      SLACK_SIGNING_SECRET: slackMeta.signingSecret,
      PAGERDUTY_WEBHOOK_SECRETS: pdMeta.secret,
      TEAMS_ALLOW_UNAUTHENTICATED: 'true',
    },
  });
}, 120_000);

afterAll(async () => {
  await stopAndCheck(bot);
  await teams?.close();
});

function postPagerDuty(body: string, signature: string | undefined): Promise<Response> {
  return fetch(`${bot.baseUrl}/webhooks/pagerduty`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'x-pagerduty-signature': signature } : {}) },
    body,
  });
}

async function incident(externalId: string) {
  const { rows } = await bot.db.query('select status, title, source from incidents where external_id = $1', [
    externalId,
  ]);
  return rows[0] as { status: string; title: string; source: string } | undefined;
}

describe('PagerDuty v3 webhooks from go-pagerduty and a captured receiver', () => {
  const body = readConformanceText('pagerduty', 'go-pagerduty-webhookv3-signed-priority_updated.body.json');

  it("verifies go-pagerduty's signed sample with its secret, and refuses the mismatched signature with 401", async () => {
    const mismatch = await postPagerDuty(body, pdMeta.headers_mismatch['X-PagerDuty-Signature']);
    expect(mismatch.status).toBe(401);
    expect((await postPagerDuty(body, undefined)).status).toBe(401);
    const valid = await postPagerDuty(body, pdMeta.headers_valid['X-PagerDuty-Signature']);
    expect(valid.status).toBe(202);
    // incident.priority_updated carries the incident: the bot opens it.
    const made = await eventually('the incident of the signed sample', () => incident('PGR0VU2'));
    expect(made).toMatchObject({ source: 'pagerduty', title: 'A little bump in the road' });
  });

  it.each<[string, string, string]>([
    ['triggered', 'PFQZPSY', 'triggered'],
    ['acknowledged', 'PQ1K5C8', 'acknowledged'],
    ['resolved', 'PCPZE64', 'resolved'],
  ])('the captured incident.%s event makes incident %s, %s', async (kind, id, status) => {
    const raw = readConformanceText('pagerduty', `zulip-${kind}_v3.json`);
    const res = await postPagerDuty(raw, signPagerDutyBody([pdMeta.secret], raw));
    expect(res.status).toBe(202);
    const made = await eventually(`incident ${id}`, async () => (await incident(id))?.status === status);
    expect(made).toBe(true);
  });

  it.each(['annotated', 'unsupported'])(
    'the captured incident.%s event is accepted (recorded, never a 500)',
    async (kind) => {
      const raw = readConformanceText('pagerduty', `zulip-${kind}_v3.json`);
      const res = await postPagerDuty(raw, signPagerDutyBody([pdMeta.secret], raw));
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ status: 'accepted' });
    },
  );
});

describe('Alertmanager notifications captured from real receivers', () => {
  it.each<[string, string]>([
    ['prometheus-msteams-card-grafana-inspired-payload.json', 'JustATestAlert_1'],
    // Alertmanager before 0.19: no per-alert status or fingerprint.
    ['prometheus-msteams-prom_post_request.json', 'high_memory_load'],
    ['pythonwebhook-testcurl7-resolved-captured.json', 'Deployment'],
    ['zulip-alert.json', 'High CPU Temperature'],
  ])('%s makes a thread for %s', async (file, alertname) => {
    const raw = readConformanceText('alertmanager', file);
    const res = await fetch(`${bot.baseUrl}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` },
      body: raw,
    });
    expect(res.status, await res.text()).toBe(202);
    await eventually(`a thread for ${alertname}`, () =>
      topLevel(bot.slack, CHANNEL).find((m) => (m.text ?? '').includes(alertname)),
    );
  });
});

describe('Slack bodies from bolt-js and bolt-python tests', () => {
  const docs = readConformanceText('slack', 'bolt-js-slash-command-signed-docs-example.txt');
  const post = (raw: string, headers: Record<string, string>) =>
    fetch(`${bot.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: raw,
    });
  const nowSec = () => Math.floor(Date.now() / 1000);

  it("Slack's documented signing example verifies at its own time; the running bot refuses it as years stale", async () => {
    const h = slackMeta.headers;
    const verify = (nowMs: number) =>
      verifySlackRequest({
        signingSecret: slackMeta.signingSecret,
        body: docs,
        signature: h['X-Slack-Signature'],
        timestamp: h['X-Slack-Request-Timestamp'],
        nowMs,
      });
    // The clock is a parameter of the pure check (bolt-js's habit); the running web keeps the real one.
    expect(verify(Number(h['X-Slack-Request-Timestamp']) * 1000)).toEqual({ ok: true });
    expect(verify(Date.now())).toEqual({ ok: false, reason: 'timestamp outside the 5-minute window' });
    const res = await post(docs, {
      'content-type': h['Content-Type'],
      'x-slack-signature': h['X-Slack-Signature'],
      'x-slack-request-timestamp': h['X-Slack-Request-Timestamp'],
    });
    expect(res.status).toBe(401);
  });

  it.each([
    ['bolt-js-slash-command-signed-docs-example.txt', '/webhook-collect'],
    ['bolt-js-aws-lambda-slash-command.txt', '/hello-bolt-js'],
    ['bolt-python-slash-command.txt', '/hello-world'],
  ])('%s signed now is parsed: %s is answered as an unknown command', async (file, command) => {
    const raw = readConformanceText('slack', file);
    const res = await post(raw, signSlackRequest(slackMeta.signingSecret, raw, nowSec()));
    expect(res.status).toBe(200);
    const answer = z.object({ response_type: z.literal('ephemeral'), text: z.string() }).parse(await res.json());
    expect(answer.text).toContain(`Unknown command ${command}.`);
  });

  it.each([
    'bolt-js-aws-lambda-global-shortcut.txt',
    'bolt-python-block-actions-on-bot-message.txt',
    'bolt-python-block-actions.txt',
    'bolt-python-interactive-message-attachment-actions.txt',
    'bolt-python-view-submission.txt',
    'bolt-python-ssl-check.txt',
  ])('%s signed now is acknowledged with 200 and runs nothing', async (file) => {
    const raw = readConformanceText('slack', file);
    const before = await bot.db.query('select count(*)::int as n from approvals');
    const res = await post(raw, signSlackRequest(slackMeta.signingSecret, raw, nowSec()));
    expect(res.status).toBe(200);
    expect((await bot.db.query('select count(*)::int as n from approvals')).rows).toEqual(before.rows);
  });

  it.each(listConformance('slack').filter((f) => f.endsWith('.txt') && !f.includes('ssl-check')))(
    '%s signed six minutes ago is refused with 401',
    async (file) => {
      const raw = readConformanceText('slack', file);
      expect((await post(raw, signSlackRequest(slackMeta.signingSecret, raw, nowSec() - 360))).status).toBe(401);
    },
  );
});

describe('Teams activities from Microsoft documentation and botbuilder-js tests', () => {
  const post = async (file: string) => {
    const activity = z.record(z.string(), z.unknown()).parse(readConformanceJson('teams', file));
    // The bot answers at serviceUrl: the fake Bot Connector's, never Microsoft's.
    const sent = activity.serviceUrl === undefined ? activity : { ...activity, serviceUrl: teams.serviceUrl };
    return fetch(`${bot.baseUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sent),
    });
  };

  it.each([
    'botbuilder-js-adaptive-card-action-invoke-minimal.json',
    'botbuilder-js-message-with-recipient-mention.json',
  ])('%s (a unit-test fragment without serviceUrl or conversation) is refused with a clear 400', async (file) => {
    const res = await post(file);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'not a Bot Framework activity' });
  });

  it.each([
    'msteams-docs-2017-bot-added-to-team.json',
    'msteams-docs-2017-team-member-removed.json',
    'msteams-docs-2017-team-renamed.json',
    'msteams-docs-bot-added-to-team-2021.json',
    'msteams-docs-channel-created.json',
    'msteams-docs-2017-channel-message-mention-user.json',
  ])('%s is acknowledged with 200 and answered with nothing', async (file) => {
    const calls = teams.calls.length;
    const res = await post(file);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(teams.calls.slice(calls)).toEqual([]);
  });

  it.each([
    // The bot's own mention is stripped; "Hello" is no command of ours.
    ['msteams-docs-2017-channel-message-two-mentions.json', '19:253b1f341670408fb6fe51050b6e6ceb@thread.skype'],
    // The 2017 schema has no conversationType: still a personal chat, so plain text is a command.
    [
      'msteams-docs-2017-personal-message.json',
      'a:17I0kl9EkpE1O9PH5TWrzrLNwnWWcfrU7QZjKR0WSfOpzbfcAg2IaydGElSo10tVr4C7Fc6GtieTJX663WuJCc1uA83n4CSrHSgGBj5XNYLcVlJAs2ZX8DbYBPck201w-',
    ],
  ])('%s is answered in its conversation as an unknown command', async (file, conversation) => {
    const res = await post(file);
    expect(res.status).toBe(200);
    await eventually('the reply', () => teams.messages(conversation).length > 0);
    const [answer] = teams.messages(conversation);
    expect(JSON.stringify(answer)).toContain('Unknown command hello. Try corvo help');
  });
});
