/**
 * Incident actions from a Teams thread, end to end (issue 12): the same stories as on Slack through the real `web`
 * and two `worker` processes, the fake Bot Connector and the fake PagerDuty REST API (which posts its webhook back).
 * Buttons are `Action.Execute`; the root card is replaced in place; refusals are replies that @mention the clicker.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeBotConnector, type FakeBotConnector } from '../support/fake-bot-connector.js';
import { incidentEvent, postPagerDuty } from '../support/pagerduty-webhooks.js';
import { PD_SECRET, eventually, startAlertBot, stopAndCheck, type AlertBot } from './alert-bot.js';
import { ALICE, BOB, CAROL, executeActions, teamsChannel } from './teams-activities.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHANNEL = '19:incidentactions0000000000000000@thread.tacv2';
const TENANT = '72f988bf-0000-4000-8000-00000000c0de';
let teams: FakeBotConnector;
let bot: AlertBot;
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
identities:
  "teams:${ALICE.aadObjectId}": { email: "oncall@example.com" }
pacing: { messagesPerSecond: 20, burst: 10 }
`,
  });
  bot.pagerdutyApi.addUser({ id: 'PONCALL', name: 'Dana Oncall', email: 'oncall@example.com' });
  bot.pagerdutyApi.addUser({ id: 'PBOB', name: 'Bob Approver', email: 'bob@example.com' });
  // Bob and Carol are not pinned: the bot reads their email from the conversation member (roster shape: objectId).
  teams.addMember({
    id: BOB.id,
    name: BOB.name,
    objectId: BOB.aadObjectId,
    email: 'bob@example.com',
    userPrincipalName: 'bob@contoso.example',
  });
  teams.addMember({
    id: CAROL.id,
    name: CAROL.name,
    objectId: CAROL.aadObjectId,
    email: 'carol@example.com',
    userPrincipalName: 'carol@contoso.example',
  });
  bot.pagerdutyApi.setWebhook({ url: `${bot.baseUrl}/webhooks/pagerduty`, secret: PD_SECRET });
}, 90_000);

afterAll(async () => {
  await stopAndCheck(bot);
  await teams?.close();
});

const cardJson = (m: { activity: Record<string, unknown> }) => JSON.stringify(teams.cardOf(m as never) ?? {});
const CREATED = '2026-12-01T03:00:00Z';

async function openIncident(pdId: string, title: string) {
  bot.pagerdutyApi.addIncident({ id: pdId, number: 4812, title, createdAt: CREATED, serviceName: 'Corvo Production' });
  const res = await postPagerDuty(
    bot.baseUrl,
    incidentEvent({
      type: 'incident.triggered',
      incidentId: pdId,
      title,
      occurredAt: new Date(Date.now() - 60_000).toISOString(),
      createdAt: CREATED,
      assignees: [],
      priority: null,
    }),
    { secrets: [PD_SECRET] },
  );
  expect(res.status).toBe(202);
  const root = await eventually('the root card with its buttons', () =>
    teams
      .messages(CHANNEL)
      .find((m) => m.threadId === m.id && cardJson(m).includes(title) && cardJson(m).includes('incident.acknowledge')),
  );
  const ack = executeActions(teams.cardOf(root as never)).find((a) => a.verb === 'incident.acknowledge')!;
  return { root, incidentId: ack.data.id };
}

async function click(from: typeof ALICE, rootId: string, verb: string, id: string, extra: Record<string, string> = {}) {
  const activity = invoke(from, rootId, rootId, verb, id);
  Object.assign(activity.value.action.data, extra);
  const send = async () => {
    const res = await fetch(`${bot.baseUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    expect(res.status).toBe(200);
  };
  await send();
  return send;
}

const writesTo = (pdId: string) => bot.pagerdutyApi.writes().filter((c) => c.path.startsWith(`/incidents/${pdId}`));

describe('incident actions from Teams, end to end with two workers', () => {
  it('Acknowledge: one PUT as the clicker; the root card replaced in place; the echo adds nothing', async () => {
    const { root, incidentId } = await openIncident('QTEAMSACK1', 'Teams checkout errors');
    await click(ALICE, root.id, 'incident.acknowledge', incidentId);
    await eventually('the root card shows who acknowledged, from Teams', () =>
      cardJson(root).includes('Acknowledged by Dana Oncall from Teams'),
    );
    expect(writesTo('QTEAMSACK1')).toHaveLength(1);
    expect(writesTo('QTEAMSACK1')[0]).toMatchObject({
      method: 'PUT',
      from: 'oncall@example.com',
      body: { incident: { type: 'incident_reference', status: 'acknowledged' } },
    });
    await eventually('the echo recognised', async () => {
      const { rows } = await bot.db.query(`select echoed_at from incident_actions where incident_id = $1`, [
        incidentId,
      ]);
      return rows[0]?.echoed_at;
    });
    await new Promise((r) => setTimeout(r, 1500));
    const lines = teams
      .thread(CHANNEL, root.id)
      .filter((m) => m.id !== root.id && cardJson(m).includes('Acknowledged by Dana Oncall'));
    expect(lines).toHaveLength(1);
    expect(executeActions(teams.cardOf(root as never)).map((a) => a.verb)).not.toContain('incident.acknowledge');
  });

  it('someone who cannot be matched is answered with a reply that @mentions them; nothing is sent', async () => {
    const { root, incidentId } = await openIncident('QTEAMSNOBODY1', 'Teams unlinked user');
    await click(CAROL, root.id, 'incident.resolve', incidentId);
    const reply = await eventually('the refusal reply', () =>
      teams.thread(CHANNEL, root.id).find((m) => String(m.activity.text ?? '').includes('identities')),
    );
    expect(JSON.stringify(reply.activity)).toContain(CAROL.name);
    expect(String(reply.activity.text)).toContain('no PagerDuty user has your profile’s email');
    expect(String(reply.activity.text)).not.toContain('carol@example.com');
    expect(String(reply.activity.text)).toContain(`teams:${CAROL.aadObjectId}`);
    expect(writesTo('QTEAMSNOBODY1')).toHaveLength(0);
  });

  it('Resolve by someone matched through the Teams member email (not pinned): one PUT with their From', async () => {
    const { root, incidentId } = await openIncident('QTEAMSBOB1', 'Teams member email');
    await click(BOB, root.id, 'incident.resolve', incidentId);
    await eventually('the root card shows resolved by Bob from Teams', () =>
      cardJson(root).includes('by Bob Approver from Teams'),
    );
    expect(writesTo('QTEAMSBOB1')).toEqual([
      expect.objectContaining({
        method: 'PUT',
        from: 'bob@example.com',
        body: { incident: { type: 'incident_reference', status: 'resolved' } },
      }),
    ]);
    expect(teams.calls.some((c) => c.method === 'GET' && c.path.includes(`/members/${BOB.aadObjectId}`))).toBe(true);
  });

  it('Add note: the Input.Text value is sent once as the clicker, even when Teams redelivers the invoke', async () => {
    const { root, incidentId } = await openIncident('QTEAMSNOTE1', 'Teams note');
    const again = await click(ALICE, root.id, 'incident.note', incidentId, { noteText: 'failover done <at>x</at>' });
    await again();
    await eventually('the note line', () =>
      teams.thread(CHANNEL, root.id).find((m) => cardJson(m).includes('Note by Dana Oncall from Teams')),
    );
    await new Promise((r) => setTimeout(r, 1500));
    const posts = writesTo('QTEAMSNOTE1').filter((w) => w.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({
      from: 'oncall@example.com',
      body: { note: { content: 'failover done <at>x</at>' } },
    });
  });
});
