/**
 * A PagerDuty incident routed to a channel with a `teams` destination, through the real processes and the fake Bot
 * Connector: a new thread in the Teams channel (`POST v3/conversations`), the routed diagnostics as replies in it
 * (`…;messageid=<root>`), and the root card replaced in place (`PUT`) on acknowledge and resolve — with every process
 * restarted (a deploy) between trigger and acknowledge. Uses the alert suites' harness with Teams turned on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBotConnector, type FakeBotConnector } from '../support/fake-bot-connector.js';
import { incidentEvent, postPagerDuty } from '../support/pagerduty-webhooks.js';
import { PD_SECRET, eventually, startAlertBot, stopAndCheck, type AlertBot } from './alert-bot.js';

const CHANNEL = '19:incidentsteams000000000000000000@thread.tacv2';
const TENANT = '72f988bf-0000-4000-8000-00000000c0de';
const T0 = '2026-09-01T08:15:41Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

let teams: FakeBotConnector;
let bot: AlertBot;

beforeAll(async () => {
  teams = await startFakeBotConnector();
  bot = await startAlertBot({
    env: { TEAMS_ALLOW_UNAUTHENTICATED: 'true' },
    config: (corvoUrl) => `
targets:
  corvo:
    prod: { url: "${corvoUrl}", apiKey: "\${CORVO_API_KEY}", timeoutMs: 2000 }
channels:
  incidents:
    teams: { conversationId: "${CHANNEL}", serviceUrl: "${teams.serviceUrl}", tenantId: "${TENANT}" }
alerts:
  pagerduty:
    - match: { service: "Corvo Production" }
      system: corvo
      target: prod
      channel: incidents
pacing: { messagesPerSecond: 20, burst: 10 }
`,
  });
}, 90_000);

afterAll(async () => {
  await stopAndCheck(bot);
  await teams?.close();
});

const cardJson = (m: { activity: Record<string, unknown> }) => JSON.stringify(teams.cardOf(m as never) ?? {});

describe('PagerDuty incident threads on Teams', () => {
  it('opens a thread in the channel, runs the diagnostics in it, and updates the root across a deploy', async () => {
    const incidentId = 'Q1TEAMS0001';
    const deliver = async (body: Record<string, unknown>) =>
      expect((await postPagerDuty(bot.baseUrl, body, { secrets: [PD_SECRET] })).status).toBe(202);
    const res = await postPagerDuty(
      bot.baseUrl,
      incidentEvent({
        type: 'incident.triggered',
        incidentId,
        occurredAt: T0,
        title: 'SQLite mirror dropping updates',
      }),
      { secrets: [PD_SECRET] },
    );
    expect(res.status).toBeLessThan(300);

    // The root: a new thread in the channel, created with POST v3/conversations.
    const create = await eventually('the root (createConversation)', () => teams.callsTo('createConversation')[0]);
    expect(create.body).toMatchObject({ isGroup: true, channelData: { channel: { id: CHANNEL } }, tenantId: TENANT });
    const root = teams.messages(CHANNEL).find((m) => m.threadId === m.id && cardJson(m).includes('SQLite mirror'))!;
    expect(root).toBeDefined();
    expect(cardJson(root)).toContain('Triggered');

    // The routed diagnostics land in the root's thread.
    await eventually(
      'the health report in the thread',
      () =>
        teams
          .thread(CHANNEL, root.id)
          .find((m) => m.id !== root.id && String(m.activity.summary ?? '').startsWith('Corvo health on prod')),
      30_000,
    );
    expect(teams.callsTo('sendToConversation').every((c) => c.path.includes(`${CHANNEL};messageid=${root.id}`))).toBe(
      true,
    );

    // A deploy: every process restarts. Nothing about the thread was in memory.
    await bot.restart();

    await deliver(
      incidentEvent({ type: 'incident.acknowledged', incidentId, occurredAt: at(120), agent: 'Dana Oncall' }),
    );
    await eventually('the root shows acknowledged', () => cardJson(root).includes('Acknowledged by Dana Oncall'));
    await deliver(incidentEvent({ type: 'incident.resolved', incidentId, occurredAt: at(1883), agent: 'Dana Oncall' }));
    await eventually('the root shows resolved', () => cardJson(root).includes('Resolved after 31m 23s'));
    expect(root.edits).toBeGreaterThanOrEqual(2);
    expect(
      teams.callsTo('updateActivity').every((c) => c.path.endsWith(`messageid=${root.id}/activities/${root.id}`)),
    ).toBe(true);
    // One thread only; the notes of each change are replies in it.
    expect(teams.callsTo('createConversation')).toHaveLength(1);
    await eventually('the acknowledge note in the thread', () =>
      teams
        .thread(CHANNEL, root.id)
        .find((m) => cardJson(m).includes('Acknowledged by Dana Oncall') && m.id !== root.id),
    );
    expect(teams.refused).toEqual([]);
  });
});
