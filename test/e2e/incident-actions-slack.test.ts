/**
 * Incident actions from a Slack thread, end to end (issue 12): the real `web` and two real `worker` processes, the
 * fake Slack, and the loopback fake PagerDuty REST API, which posts the signed v3 webhook PagerDuty would send after
 * each write back to the bot. Each story uses its own incident.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { incidentEvent, postPagerDuty } from '../support/pagerduty-webhooks.js';
import { blockActionsBody, signSlackRequest, SLACK_FORM_CONTENT_TYPE } from '../support/slack-signing.js';
import {
  PD_SECRET,
  SIGNING_SECRET,
  eventually,
  repliesTo,
  rootMentioning,
  startAlertBot,
  stopAndCheck,
  type AlertBot,
} from './alert-bot.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHANNEL = 'C0INCIDENTS';
let bot: AlertBot;

const CONFIG = () => `
channels:
  incidents: { slack: "${CHANNEL}" }
alerts:
  defaultChannel: incidents
pacing: { messagesPerSecond: 20, burst: 10 }
`;

beforeAll(async () => {
  bot = await startAlertBot({ config: CONFIG });
  // The fake Slack names U0ONCALL's profile email oncall@example.com (users.info), U0SECOND's second@example.com.
  bot.pagerdutyApi.addUser({ id: 'PONCALL', name: 'Dana Oncall', email: 'oncall@example.com' });
  bot.pagerdutyApi.addUser({ id: 'PSECOND', name: 'Sam Second', email: 'second@example.com' });
  bot.pagerdutyApi.setWebhook({ url: `${bot.baseUrl}/webhooks/pagerduty`, secret: PD_SECRET });
}, 90_000);

afterAll(async () => {
  await stopAndCheck(bot);
});

const CREATED = '2026-12-01T03:00:00Z';

/** An incident in the fake PagerDuty and its thread in Slack (root with buttons), opened by its webhook. */
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
  const root = await eventually('the root with its buttons', () => {
    const r = rootMentioning(bot.slack, CHANNEL, title);
    return r && JSON.stringify(r.blocks).includes('incident:acknowledge') && r;
  });
  const value = /"value":"(inc_[0-9a-f]+)"/.exec(JSON.stringify(root.blocks))![1]!;
  return { root, incidentId: value };
}

let clicks = 0;
async function click(root: { ts: string }, incidentId: string, action: string, user = 'U0ONCALL') {
  clicks += 1;
  const body = blockActionsBody({
    type: 'block_actions',
    user: { id: user, name: user.toLowerCase(), team_id: 'T0FAKE' },
    team: { id: 'T0FAKE', domain: 'fake' },
    api_app_id: 'A0RUNBOOKBOT',
    trigger_id: `${Date.now()}${clicks}.47445629121.${clicks.toString(16).padStart(8, '0')}`,
    channel: { id: CHANNEL, name: 'incidents' },
    container: { type: 'message', channel_id: CHANNEL, message_ts: root.ts, is_ephemeral: false },
    message: { ts: root.ts, type: 'message' },
    actions: [{ action_id: `incident:${action}`, block_id: 'incident-actions', value: incidentId, type: 'button' }],
  });
  const res = await fetch(`${bot.baseUrl}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': SLACK_FORM_CONTENT_TYPE, ...signSlackRequest(SIGNING_SECRET, body, Date.now() / 1000) },
    body,
  });
  expect(res.status).toBe(200);
}

async function submitNote(incidentId: string, rootTs: string, viewId: string, text: string) {
  const body = blockActionsBody({
    type: 'view_submission',
    team: { id: 'T0FAKE', domain: 'fake' },
    user: { id: 'U0ONCALL', name: 'oncall', team_id: 'T0FAKE' },
    api_app_id: 'A0RUNBOOKBOT',
    trigger_id: `${Date.now()}.1.abc`,
    view: {
      id: viewId,
      type: 'modal',
      callback_id: 'incident-note',
      private_metadata: JSON.stringify({ incidentId, channelId: CHANNEL, threadTs: rootTs }),
      state: { values: { note: { text: { type: 'plain_text_input', value: text } } } },
    },
  });
  const res = await fetch(`${bot.baseUrl}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': SLACK_FORM_CONTENT_TYPE, ...signSlackRequest(SIGNING_SECRET, body, Date.now() / 1000) },
    body,
  });
  expect(res.status).toBe(200);
}

const writesTo = (pdId: string) => bot.pagerdutyApi.writes().filter((c) => c.path.startsWith(`/incidents/${pdId}`));
const ephemeralsOf = (user: string) => bot.slack.ephemerals(CHANNEL).filter((e) => e.user === user);
const settle = () => new Promise((r) => setTimeout(r, 1500));

describe('incident actions from Slack, end to end with two workers', () => {
  it('Acknowledge: one PUT as the clicker; the root turns amber with one thread line; the echo changes nothing', async () => {
    const { root, incidentId } = await openIncident('QACK1', 'Checkout errors spiking');
    const editsBefore = bot.slack.messages(CHANNEL).find((m) => m.ts === root.ts)!.edits;
    await click(root, incidentId, 'acknowledge');

    const line = await eventually('the thread line', () =>
      repliesTo(bot.slack, CHANNEL, root.ts).find((m) =>
        (m.text ?? '').includes('Acknowledged by Dana Oncall from Slack'),
      ),
    );
    expect(line).toBeDefined();
    const puts = writesTo('QACK1');
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({
      method: 'PUT',
      from: 'oncall@example.com',
      body: { incident: { type: 'incident_reference', status: 'acknowledged' } },
      status: 200,
    });
    // PagerDuty's webhook for that change arrives and is applied (recognised as our echo).
    await eventually('the echo applied', async () => {
      const { rows } = await bot.db.query(
        `select processed_at from alert_events where external_id = 'QACK1' and event_type = 'incident.acknowledged'`,
      );
      return rows[0]?.processed_at;
    });
    await eventually('the echo recognised', async () => {
      const { rows } = await bot.db.query(`select echoed_at from incident_actions where incident_id = $1`, [
        incidentId,
      ]);
      return rows[0]?.echoed_at;
    });
    await settle();
    const after = bot.slack.messages(CHANNEL).find((m) => m.ts === root.ts)!;
    expect(after.edits).toBe(editsBefore + 1);
    expect(JSON.stringify(after.blocks)).toContain(':large_orange_circle:');
    expect(JSON.stringify(after.blocks)).toContain('Acknowledged by Dana Oncall from Slack');
    expect(JSON.stringify(after.blocks)).not.toContain('incident:acknowledge');
    expect(JSON.stringify(after.blocks)).toContain('incident:resolve');
    const lines = repliesTo(bot.slack, CHANNEL, root.ts).filter((m) => /Acknowledged/.test(m.text ?? ''));
    expect(lines).toHaveLength(1);
  });

  it('ten concurrent clicks by two people make one request', async () => {
    const { root, incidentId } = await openIncident('QTEN1', 'Ten clicks incident');
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => click(root, incidentId, 'acknowledge', i % 2 ? 'U0ONCALL' : 'U0SECOND')),
    );
    await eventually('the thread line', () =>
      repliesTo(bot.slack, CHANNEL, root.ts).find((m) => /Acknowledged by/.test(m.text ?? '')),
    );
    await settle();
    expect(writesTo('QTEN1')).toHaveLength(1);
    expect(repliesTo(bot.slack, CHANNEL, root.ts).filter((m) => /Acknowledged/.test(m.text ?? ''))).toHaveLength(1);
  });

  it('someone without a PagerDuty user is refused privately with how to link; nothing is sent', async () => {
    const { root, incidentId } = await openIncident('QNOBODY1', 'Unlinked user incident');
    await click(root, incidentId, 'acknowledge', 'U0NOBODY');
    const told = await eventually('the private refusal', () =>
      ephemeralsOf('U0NOBODY').find((e) => (e.text ?? '').includes('identities')),
    );
    expect(told.text).toContain('slack:U0NOBODY');
    expect(told.thread_ts).toBe(root.ts);
    await settle();
    expect(writesTo('QNOBODY1')).toHaveLength(0);
  });

  it('Resolve after PagerDuty already resolved it: told the current state, nothing sent', async () => {
    const { root, incidentId } = await openIncident('QMOVED1', 'Moved on incident');
    bot.pagerdutyApi.incident('QMOVED1')!.status = 'resolved';
    await click(root, incidentId, 'resolve');
    const told = await eventually('the private refusal', () =>
      ephemeralsOf('U0ONCALL').find((e) => /already resolved/.test(e.text ?? '') && e.thread_ts === root.ts),
    );
    expect(told).toBeDefined();
    expect(writesTo('QMOVED1')).toHaveLength(0);
  });

  it('Add note opens the modal; the submitted note is sent once as the clicker, even when Slack redelivers it', async () => {
    const { root, incidentId } = await openIncident('QNOTE1', 'Note incident');
    const opened = bot.slack.callsTo('views.open').length;
    await click(root, incidentId, 'note');
    await eventually('views.open called', () => bot.slack.callsTo('views.open').length > opened);
    const call = bot.slack.callsTo('views.open').at(-1)!;
    expect(JSON.stringify(call.args)).toContain('incident-note');
    await submitNote(incidentId, root.ts, 'V0NOTE1', 'restarted the mirror <!channel>');
    await submitNote(incidentId, root.ts, 'V0NOTE1', 'restarted the mirror <!channel>');
    const line = await eventually('the note line', () =>
      repliesTo(bot.slack, CHANNEL, root.ts).find((m) => (m.text ?? '').includes('Note by Dana Oncall from Slack')),
    );
    expect(line.text).toContain('&lt;!channel&gt;');
    await settle();
    const posts = writesTo('QNOTE1').filter((w) => w.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({
      from: 'oncall@example.com',
      body: { note: { content: 'restarted the mirror <!channel>' } },
    });
    // The incident.annotated echo adds no second line.
    expect(repliesTo(bot.slack, CHANNEL, root.ts).filter((m) => /Note/.test(m.text ?? ''))).toHaveLength(1);
  });

  it('every action is audited: who, what, which incident, from which platform, the outcome', async () => {
    const { rows } = await bot.db.query(
      `select action, actor, platform, state from incident_actions order by created_at`,
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { action: 'acknowledge', actor: 'slack:U0ONCALL', platform: 'slack', state: 'succeeded' },
        { action: 'acknowledge', actor: 'slack:U0NOBODY', platform: 'slack', state: 'refused' },
        { action: 'resolve', actor: 'slack:U0ONCALL', platform: 'slack', state: 'refused' },
        { action: 'note', actor: 'slack:U0ONCALL', platform: 'slack', state: 'succeeded' },
      ]),
    );
  });
});
