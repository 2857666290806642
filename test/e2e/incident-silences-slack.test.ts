/**
 * Silences from an Alertmanager incident thread, end to end (issue 12): the real `prometheus-alertmanager` binary,
 * the real `web` and two real `worker` processes, the fake Slack. Every silence is asserted through Alertmanager's
 * own API.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import {
  blockActionsBody,
  signSlackRequest,
  slashCommandBody,
  SLACK_FORM_CONTENT_TYPE,
} from '../support/slack-signing.js';
import {
  AM_TOKEN,
  SIGNING_SECRET,
  eventually,
  repliesTo,
  rootMentioning,
  startAlertBot,
  stopAndCheck,
  type AlertBot,
} from './alert-bot.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHANNEL = 'C0SILENCES';
let bot: AlertBot;
let am: RunningAlertmanager;

interface AmSilence {
  id: string;
  status: { state: string };
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  createdBy: string;
  comment: string;
  startsAt: string;
  endsAt: string;
}

const silencesOnAlertmanager = async (): Promise<AmSilence[]> =>
  (await fetch(`${am.url}/api/v2/silences`)).json() as Promise<AmSilence[]>;

beforeAll(async () => {
  bot = await startAlertBot({
    config: () => `
channels:
  incidents: { slack: "${CHANNEL}" }
approvals:
  approvers: ["slack:U0BOB", "slack:U0CAROL"]
  quorum: { create-silence: 2 }
alerts:
  defaultChannel: incidents
  silences: { maxDuration: 4h }
pacing: { messagesPerSecond: 20, burst: 10 }
`,
  });
  am = await startAlertmanager({ webhookUrl: `${bot.baseUrl}/webhooks/alertmanager`, bearerToken: AM_TOKEN });
  // Alertmanager's port is known only now: a deploy with ALERTMANAGER_URL set.
  bot.env.ALERTMANAGER_URL = am.url;
  await bot.restart();
}, 120_000);

afterAll(async () => {
  await am?.stop();
  await stopAndCheck(bot);
});

let clicks = 0;
async function click(
  message: { ts: string; thread_ts?: string },
  action: string,
  value: string,
  user = 'U0ONCALL',
  channel = CHANNEL,
) {
  clicks += 1;
  const body = blockActionsBody({
    type: 'block_actions',
    user: { id: user, name: user.slice(2).toLowerCase(), team_id: 'T0FAKE' },
    team: { id: 'T0FAKE', domain: 'fake' },
    api_app_id: 'A0RUNBOOKBOT',
    trigger_id: `${Date.now()}${clicks}.47445629121.${clicks.toString(16).padStart(8, '0')}`,
    channel: { id: channel, name: 'silences' },
    container: {
      type: 'message',
      channel_id: channel,
      message_ts: message.ts,
      is_ephemeral: false,
      ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
    },
    message: { ts: message.ts, type: 'message', ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}) },
    actions: [{ action_id: action, block_id: 'b', value, type: 'button' }],
  });
  const res = await fetch(`${bot.baseUrl}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': SLACK_FORM_CONTENT_TYPE, ...signSlackRequest(SIGNING_SECRET, body, Date.now() / 1000) },
    body,
  });
  expect(res.status).toBe(200);
}

const buttonValue = (m: { blocks?: unknown }, actionId: string) =>
  new RegExp(`"action_id":"${actionId}",(?:(?!"action_id").)*?"value":"([^"]+)"`).exec(
    JSON.stringify(m.blocks ?? []),
  )?.[1];

async function openGroup(alertname: string) {
  await am.postAlerts([
    {
      labels: { alertname, service: 'db', instance: 'db-1' },
      annotations: { summary: `${alertname} on db` },
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: new Date(Date.now() + 30 * 60_000).toISOString(),
    },
  ]);
  return eventually(
    'the root with silence buttons',
    () => {
      const r = rootMentioning(bot.slack, CHANNEL, alertname);
      return r && buttonValue(r, 'incident:silence-1h') ? r : undefined;
    },
    40_000,
  );
}

describe('silences from Slack, with the real Alertmanager', () => {
  it('Silence 1h: preview, confirm, a silence with the group matchers and the clicker as createdBy; Unsilence expires it', async () => {
    const root = await openGroup('DiskFull');
    await click(root, 'incident:silence-1h', buttonValue(root, 'incident:silence-1h')!);
    const preview = await eventually('the preview', () =>
      repliesTo(bot.slack, CHANNEL, root.ts).find((m) => (m.text ?? '').includes('Silence preview')),
    );
    expect(preview.text).toContain('alertname="DiskFull", service="db"');
    expect(preview.text).toContain('1 alert(s) match now');
    expect(preview.text).toContain('no alert outside this group');
    expect(await silencesOnAlertmanager()).toHaveLength(0);

    // Someone else cannot confirm another person's silence.
    await click(preview, 'incident:silence-confirm', buttonValue(preview, 'incident:silence-confirm')!, 'U0BOB');
    await eventually('the refusal', () =>
      bot.slack.ephemerals(CHANNEL).find((e) => e.user === 'U0BOB' && /Only the person/.test(e.text ?? '')),
    );
    await click(preview, 'incident:silence-confirm', buttonValue(preview, 'incident:silence-confirm')!);
    const [silence] = await eventually('the silence on Alertmanager', async () => {
      const all = await silencesOnAlertmanager();
      return all.length > 0 && all;
    });
    expect(silence!.status.state).toBe('active');
    expect(silence!.matchers.map(({ name, value, isRegex }) => ({ name, value, isRegex }))).toEqual([
      { name: 'alertname', value: 'DiskFull', isRegex: false },
      { name: 'service', value: 'db', isRegex: false },
    ]);
    expect(silence!.createdBy).toContain('slack:U0ONCALL');
    expect(silence!.comment).toContain(root.ts);
    const hour = Date.parse(silence!.endsAt) - Date.parse(silence!.startsAt);
    expect(hour).toBeGreaterThan(3590_000);
    expect(hour).toBeLessThanOrEqual(3600_000);

    const silenced = await eventually('the root says silenced, with Unsilence', () => {
      const r = bot.slack.messages(CHANNEL).find((m) => m.ts === root.ts);
      return r && buttonValue(r, 'incident:unsilence') ? r : undefined;
    });
    expect(JSON.stringify(silenced.blocks)).toMatch(/Silenced by oncall until \d\d:\d\d UTC/);
    await eventually('the thread line', () =>
      repliesTo(bot.slack, CHANNEL, root.ts).find((m) => /Silenced for 1h by oncall/.test(m.text ?? '')),
    );

    // /runbook silences lists it with its own Unsilence button, the same action as the root's: press that one.
    const listChannel = 'C0SILLIST';
    const body = slashCommandBody({
      command: '/runbook',
      text: 'silences',
      channel_id: listChannel,
      user_id: 'U0ONCALL',
    });
    const res = await fetch(`${bot.baseUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': SLACK_FORM_CONTENT_TYPE,
        ...signSlackRequest(SIGNING_SECRET, body, Date.now() / 1000),
      },
      body,
    });
    expect(res.status).toBe(200);
    const list = await eventually('the silences list', () => bot.slack.messages(listChannel)[0]);
    const listed = JSON.stringify(list.blocks);
    expect(listed).toContain('alertname=\\"DiskFull\\", service=\\"db\\"');
    expect(listed).toContain(silence!.id);
    expect(buttonValue(list, 'incident:unsilence')).toBe(buttonValue(silenced, 'incident:unsilence'));
    await click(list, 'incident:unsilence', buttonValue(list, 'incident:unsilence')!, 'U0ONCALL', listChannel);
    await eventually('the silence expired on Alertmanager', async () => {
      const all = await silencesOnAlertmanager();
      return all.find((s) => s.id === silence!.id)?.status.state === 'expired';
    });
    await eventually('the root without the silence', () => {
      const r = bot.slack.messages(CHANNEL).find((m) => m.ts === root.ts);
      return r && buttonValue(r, 'incident:silence-1h') && !JSON.stringify(r.blocks).includes('Silenced by');
    });
    const { rows } = await bot.db.query(`select action, state from incident_actions order by created_at`);
    expect(rows.map((r) => `${r.action}:${r.state}`)).toEqual(
      expect.arrayContaining(['silence:succeeded', 'unsilence:succeeded']),
    );
  });

  it('longer than alerts.silences.maxDuration: an approval card; with quorum 2 nothing is created after the first approval, exactly one silence after the second', async () => {
    const root = await openGroup('QueueBacklog');
    const before = (await silencesOnAlertmanager()).length;
    await click(root, 'incident:silence-24h', buttonValue(root, 'incident:silence-24h')!);
    const preview = await eventually('the preview', () =>
      repliesTo(bot.slack, CHANNEL, root.ts).find((m) => (m.text ?? '').includes('Silence preview')),
    );
    expect(preview.text).toMatch(/Needs a second person.s approval: it is longer than alerts.silences.maxDuration/);
    await click(preview, 'incident:silence-confirm', buttonValue(preview, 'incident:silence-confirm')!);
    const card = await eventually('the approval card in the thread', () =>
      repliesTo(bot.slack, CHANNEL, root.ts).find((m) => buttonValue(m, 'approval:approve')),
    );
    expect(JSON.stringify(card.blocks)).toContain('POST /api/v2/silences');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await silencesOnAlertmanager()).toHaveLength(before);

    await click(card, 'approval:approve', buttonValue(card, 'approval:approve')!, 'U0BOB');
    await eventually('the card says 1 of 2 approvals', () =>
      JSON.stringify(bot.slack.messages(CHANNEL).find((m) => m.ts === card.ts)?.blocks).includes('1 of 2 approvals'),
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await silencesOnAlertmanager()).toHaveLength(before);
    await Promise.all([
      click(card, 'approval:approve', buttonValue(card, 'approval:approve')!, 'U0CAROL'),
      click(card, 'approval:approve', buttonValue(card, 'approval:approve')!, 'U0CAROL'),
    ]);
    const created = await eventually('the approved silence on Alertmanager', async () => {
      const all = await silencesOnAlertmanager();
      return all.find((s) => s.status.state === 'active' && s.matchers.some((m) => m.value === 'QueueBacklog'));
    });
    expect(Date.parse(created.endsAt) - Date.parse(created.startsAt)).toBeGreaterThan(23 * 3600_000);
    expect(created.createdBy).toContain('slack:U0ONCALL');
    expect(
      (await silencesOnAlertmanager()).filter((s) => s.matchers.some((m) => m.value === 'QueueBacklog')),
    ).toHaveLength(1);
  });
});
