/**
 * Silences from a Teams thread, end to end (issue 12): the real `prometheus-alertmanager`, the real `web` and two
 * `worker` processes, the fake Bot Connector. Silence 1h → the preview card → Confirm → the silence on Alertmanager
 * with the clicker as `createdBy` → Unsilence → expired, asserted through Alertmanager's own API.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import { startFakeBotConnector, type FakeBotConnector } from '../support/fake-bot-connector.js';
import { AM_TOKEN, eventually, startAlertBot, stopAndCheck, type AlertBot } from './alert-bot.js';
import { ALICE, executeActions, teamsChannel } from './teams-activities.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHANNEL = '19:silencesteams00000000000000000@thread.tacv2';
const TENANT = '72f988bf-0000-4000-8000-00000000c0de';
let teams: FakeBotConnector;
let bot: AlertBot;
let am: RunningAlertmanager;
const { invoke } = teamsChannel({
  teams: () => teams,
  channel: CHANNEL,
  team: '19:team@thread.tacv2',
  firstMessageId: 1,
});

beforeAll(async () => {
  teams = await startFakeBotConnector();
  bot = await startAlertBot({
    env: { TEAMS_ALLOW_UNAUTHENTICATED: 'true' },
    config: () => `
channels:
  incidents:
    teams: { conversationId: "${CHANNEL}", serviceUrl: "${teams.serviceUrl}", tenantId: "${TENANT}" }
alerts:
  defaultChannel: incidents
pacing: { messagesPerSecond: 20, burst: 10 }
`,
  });
  am = await startAlertmanager({ webhookUrl: `${bot.baseUrl}/webhooks/alertmanager`, bearerToken: AM_TOKEN });
  bot.env.ALERTMANAGER_URL = am.url;
  await bot.restart();
}, 120_000);

afterAll(async () => {
  await am?.stop();
  await stopAndCheck(bot);
  await teams?.close();
});

const cardJson = (m: { activity: Record<string, unknown> }) => JSON.stringify(teams.cardOf(m as never) ?? {});
const actionsOf = (m: { activity: Record<string, unknown> }) => executeActions(teams.cardOf(m as never));

async function click(rootId: string, cardId: string, verb: string, id: string) {
  const res = await fetch(`${bot.baseUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(invoke(ALICE, rootId, cardId, verb, id)),
  });
  expect(res.status).toBe(200);
}

const silences = async () =>
  (await (await fetch(`${am.url}/api/v2/silences`)).json()) as {
    id: string;
    status: { state: string };
    matchers: { name: string; value: string }[];
    createdBy: string;
  }[];

describe('silences from Teams, with the real Alertmanager', () => {
  it('Silence 1h: preview card, Confirm, the silence as the clicker; Unsilence expires it', async () => {
    await am.postAlerts([
      {
        labels: { alertname: 'TeamsDiskFull', service: 'db', instance: 'db-1' },
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: new Date(Date.now() + 30 * 60_000).toISOString(),
      },
    ]);
    const root = await eventually(
      'the root card with silence buttons',
      () =>
        teams
          .messages(CHANNEL)
          .find((m) => m.threadId === m.id && actionsOf(m).some((a) => a.verb === 'incident.silence-1h')),
      40_000,
    );
    const silence1h = actionsOf(root).find((a) => a.verb === 'incident.silence-1h')!;
    await click(root.id, root.id, silence1h.verb, silence1h.data.id);
    const preview = await eventually('the preview card', () =>
      teams.thread(CHANNEL, root.id).find((m) => m.id !== root.id && cardJson(m).includes('Silence preview')),
    );
    expect(cardJson(preview)).toContain('alertname=\\"TeamsDiskFull\\", service=\\"db\\"');
    const confirm = actionsOf(preview).find((a) => a.verb === 'incident.silence-confirm')!;
    expect(await silences()).toHaveLength(0);
    await click(root.id, preview.id, confirm.verb, confirm.data.id);
    const [created] = await eventually('the silence on Alertmanager', async () => {
      const all = await silences();
      return all.length > 0 && all;
    });
    expect(created!.status.state).toBe('active');
    expect(created!.createdBy).toContain(`teams:${ALICE.aadObjectId}`);
    expect(created!.matchers.map((m) => `${m.name}=${m.value}`)).toEqual(['alertname=TeamsDiskFull', 'service=db']);

    await eventually('the root card says silenced, with Unsilence', () =>
      actionsOf(root).some((a) => a.verb === 'incident.unsilence'),
    );
    expect(cardJson(root)).toMatch(/Silenced by Alice Requester until \d\d:\d\d UTC/);
    const unsilence = actionsOf(root).find((a) => a.verb === 'incident.unsilence')!;
    await click(root.id, root.id, unsilence.verb, unsilence.data.id);
    await eventually('the silence expired on Alertmanager', async () =>
      (await silences()).every((s) => s.status.state === 'expired'),
    );
    await eventually('the root card offers Silence again', () =>
      actionsOf(root).some((a) => a.verb === 'incident.silence-1h'),
    );
    expect(teams.refused).toEqual([]);
  });
});
