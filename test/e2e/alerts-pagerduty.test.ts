/**
 * PagerDuty end to end through the real processes: signed v3 webhooks reach the real `web` process, are recorded in
 * Postgres and queued in Redis, applied by one of two real `worker` processes, and the incident's thread appears in
 * the fake Slack: a root that is updated in place, one-line notes, and the routed Corvo diagnostics (whose fix
 * buttons open approvals inside the thread).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signPagerDutyBody } from '../../integrations/pagerduty/verify-pagerduty-signature.js';
import { incidentEvent, noteEvent, postPagerDuty } from '../support/pagerduty-webhooks.js';
import { signSlackRequest, slashCommandBody } from '../support/slack-signing.js';
import {
  PD_SECRET,
  PD_SECRET_ROTATED,
  SIGNING_SECRET,
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

const CHANNEL = 'C0INCIDENTS';
let bot: AlertBot;

const CONFIG = (corvoUrl: string) => `
targets:
  corvo:
    prod: { url: "${corvoUrl}", apiKey: "\${CORVO_API_KEY}", timeoutMs: 2000 }
channels:
  incidents: { slack: "${CHANNEL}" }
approvals:
  approvers: ["slack:U0BOB"]
alerts:
  pagerduty:
    - match: { service: "Corvo Production", title: "/wrong workflow/i" }
      system: corvo
      target: prod
      channel: incidents
      workflow: sqlite-diverged
    - match: { service: "Corvo Production" }
      system: corvo
      target: prod
      channel: incidents
pacing: { messagesPerSecond: 20, burst: 10 }
`;

const at = (iso: string, plusSeconds: number) => new Date(Date.parse(iso) + plusSeconds * 1000).toISOString();
const T0 = '2026-09-01T08:15:42.311Z';

async function send(body: Record<string, unknown> | string, o: Parameters<typeof postPagerDuty>[2] = {}) {
  return postPagerDuty(bot.baseUrl, body, { secrets: [PD_SECRET], ...o });
}

async function countEvents(): Promise<number> {
  const { rows } = await bot.db.query('select count(*)::int as n from alert_events');
  return rows[0].n;
}

function blocksText(m: { blocks?: unknown; text?: string }): string {
  return `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;
}

beforeAll(async () => {
  bot = await startAlertBot({ config: CONFIG });
}, 90_000);

afterAll(async () => {
  await stopAndCheck(bot);
});

describe('PagerDuty incident threads, end to end', () => {
  const incidentId = 'Q1ABCD2EFGH3IJ';
  let rootTs: string;

  it('opens one thread for a signed incident.triggered: red root, then the routed diagnostics in its thread', async () => {
    bot.corvo.setScenario('sqlite-diverged');
    const res = await send(
      incidentEvent({ type: 'incident.triggered', incidentId, eventId: 'evt-trig-1', occurredAt: T0 }),
      { webhookId: 'wh-trig-1' },
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'accepted' });

    const root = await eventually('the root message', () => rootMentioning(bot.slack, CHANNEL, 'SQLite mirror'));
    rootTs = root.ts;
    const text = blocksText(root);
    expect(text).toContain(':red_circle:');
    expect(root.text).toMatch(/TRIGGERED · P1 · #4812 SQLite mirror dropping updates/);
    for (const fact of ['P1', 'high', 'Corvo Production', 'Dana Oncall', 'https://acme.pagerduty.com/incidents/']) {
      expect(text).toContain(fact);
    }
    expect(text).toContain('Corvo prod: health');

    const report = await eventually('the health report in the thread', () =>
      repliesTo(bot.slack, CHANNEL, rootTs).find((m) => (m.text ?? '').includes('Corvo health')),
    );
    expect(blocksText(report)).toContain('SQLite diverged from Pebble');
    // Posted with thread_ts = the root's ts (a string, as Slack requires).
    const call = bot.slack
      .callsTo('chat.postMessage')
      .find((c) => String(c.args.text ?? '').includes('Corvo health') && c.args.thread_ts === rootTs);
    expect(call).toBeDefined();

    const { rows } = await bot.db.query('select * from incident_threads');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ platform: 'slack', channel_id: CHANNEL, root_message_id: rootTs });
    const inv = await bot.db.query(`select * from invocations where channel_id = $1 and workflow = 'health'`, [
      CHANNEL,
    ]);
    expect(inv.rows[0]).toMatchObject({ user_id: 'pagerduty', system: 'corvo', target: 'prod', status: 'succeeded' });
  });

  it('lets a fix button in the thread open an approval request in that thread', async () => {
    const report = repliesTo(bot.slack, CHANNEL, rootTs).find((m) => (m.text ?? '').includes('Corvo health'))!;
    const buttons = (report.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? []);
    const rebuild = buttons.find((b) => b.action_id.startsWith('runbook-action:'));
    expect(rebuild).toBeDefined();
    const payload = {
      type: 'block_actions',
      user: { id: 'U0ALICE', name: 'alice' },
      team: { id: 'T0FAKE' },
      trigger_id: 'trig-thread-click-1',
      channel: { id: CHANNEL },
      container: { type: 'message', channel_id: CHANNEL, message_ts: report.ts, thread_ts: rootTs },
      message: { ts: report.ts, thread_ts: rootTs },
      actions: [{ action_id: rebuild!.action_id, value: rebuild!.value, action_ts: '1' }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const res = await fetch(`${bot.baseUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000)),
      },
      body,
    });
    expect(res.status).toBe(200);
    const card = await eventually('the approval card in the thread', () =>
      repliesTo(bot.slack, CHANNEL, rootTs).find((m) => /Approval needed/.test(m.text ?? '')),
    );
    expect(card.thread_ts).toBe(rootTs);
  });

  it('turns the root amber on acknowledge (saying who) and adds a one-line note', async () => {
    const res = await send(
      incidentEvent({ type: 'incident.acknowledged', incidentId, occurredAt: at(T0, 120), agent: 'Dana Oncall' }),
    );
    expect(res.status).toBe(202);
    await eventually('the amber root', () => {
      const root = topLevel(bot.slack, CHANNEL).find((m) => m.ts === rootTs);
      return root && blocksText(root).includes(':large_orange_circle:') && root;
    });
    const root = topLevel(bot.slack, CHANNEL).find((m) => m.ts === rootTs)!;
    expect(blocksText(root)).toContain('Acknowledged by Dana Oncall');
    await eventually('the acknowledge note', () =>
      repliesTo(bot.slack, CHANNEL, rootTs).find((m) => (m.text ?? '').includes('Acknowledged by Dana Oncall')),
    );
    // Updated in place: still one root.
    expect(topLevel(bot.slack, CHANNEL)).toHaveLength(1);
  });

  it('ignores a second delivery of the same webhook', async () => {
    const body = incidentEvent({ type: 'incident.triggered', incidentId, eventId: 'evt-trig-1', occurredAt: T0 });
    const before = { events: await countEvents(), calls: bot.slack.calls.length };
    const res = await send(body, { webhookId: 'wh-trig-1' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'duplicate' });
    // Even with another X-Webhook-Id (a replay): the signed event.id decides.
    expect((await send(body, { webhookId: 'wh-replayed' })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await countEvents()).toBe(before.events);
    expect(bot.slack.calls.length).toBe(before.calls);
    const root = topLevel(bot.slack, CHANNEL).find((m) => m.ts === rootTs)!;
    expect(blocksText(root)).toContain(':large_orange_circle:');
  });

  it('turns the root green with the duration on resolve and notes it', async () => {
    const res = await send(
      incidentEvent({
        type: 'incident.resolved',
        incidentId,
        occurredAt: '2026-09-01T08:47:05.902Z',
        assignees: [],
        agent: 'Dana Oncall',
      }),
    );
    expect(res.status).toBe(202);
    const root = await eventually('the green root', () => {
      const r = topLevel(bot.slack, CHANNEL).find((m) => m.ts === rootTs);
      return r && blocksText(r).includes(':large_green_circle:') && r;
    });
    expect(blocksText(root)).toContain('Resolved after 31m 25s by Dana Oncall');
    await eventually('the resolve note', () =>
      repliesTo(bot.slack, CHANNEL, rootTs).find((m) => (m.text ?? '').includes('Resolved by Dana Oncall after 31m')),
    );
    const { rows } = await bot.db.query('select status, resolved_by from incidents');
    expect(rows).toEqual([{ status: 'resolved', resolved_by: 'Dana Oncall' }]);
  });

  it('handles every incident.* type: each change is one note, in order', async () => {
    const id = 'PALLTYPES1';
    const t = '2026-09-02T10:00:00.000Z';
    const ev = (type: string, plus: number, extra: Partial<Parameters<typeof incidentEvent>[0]> = {}) =>
      incidentEvent({ type, incidentId: id, occurredAt: at(t, plus), createdAt: t, title: 'Every type', ...extra });
    const sequence = [
      ev('incident.triggered', 0),
      noteEvent({ incidentId: id, content: 'Looking at <!channel> the leader', occurredAt: at(t, 1) }),
      ev('incident.reassigned', 2, { assignees: ['Sam Second'] }),
      ev('incident.escalated', 3, { assignees: ['Erin Escalation'] }),
      ev('incident.priority_updated', 4, { assignees: ['Erin Escalation'], priority: 'P2' }),
      {
        event: {
          id: 'evt-responder-1',
          event_type: 'incident.responder.added',
          resource_type: 'incident',
          occurred_at: at(t, 5),
          agent: { id: 'PUSR9X1', type: 'user_reference', summary: 'Dana Oncall' },
          client: null,
          data: {
            incident: { id, type: 'incident_reference', summary: 'Every type' },
            user: { id: 'PVMGSML', type: 'user_reference', summary: 'Maeve' },
            escalation_policy: null,
            message: 'Please help with the SQLite mirror',
            state: 'pending',
            type: 'incident_responder',
          },
        },
      },
      ev('incident.acknowledged', 6, { assignees: ['Erin Escalation'], priority: 'P2' }),
      ev('incident.unacknowledged', 7, { assignees: ['Erin Escalation'], priority: 'P2', agent: null }),
      ev('incident.resolved', 8, { assignees: [], priority: 'P2' }),
      ev('incident.reopened', 9, { assignees: ['Erin Escalation'], priority: 'P2' }),
    ];
    for (const body of sequence) expect((await send(body)).status).toBe(202);
    const root = await eventually('the root', () => rootMentioning(bot.slack, CHANNEL, 'Every type'));
    const expected = [
      'Note by Dana Oncall: Looking at &lt;!channel&gt; the leader',
      'Reassigned to Sam Second',
      'Escalated to Erin Escalation',
      'Priority set to P2 by Dana Oncall',
      'Responder requested: Maeve',
      'Acknowledged by Dana Oncall',
      'Unacknowledged',
      'Resolved by Dana Oncall after 8s',
      'Reopened by Dana Oncall',
    ];
    const notes = await eventually('every note', () => {
      const texts = repliesTo(bot.slack, CHANNEL, root.ts)
        .map((m) => m.text ?? '')
        .filter((x) => !x.includes('Corvo health'));
      return texts.length >= expected.length && texts;
    });
    expected.forEach((line, i) => expect(notes[i]).toContain(line));
    // Reopened: red again, and the diagnostics run again (second generation).
    const final = await eventually('the red root after reopen', () => {
      const r = topLevel(bot.slack, CHANNEL).find((m) => m.ts === root.ts);
      return r && blocksText(r).includes(':red_circle:') && r;
    });
    expect(blocksText(final)).toContain('P2');
    await eventually('two health reports in the thread', () => {
      const n = repliesTo(bot.slack, CHANNEL, root.ts).filter((m) => (m.text ?? '').includes('Corvo health')).length;
      return n === 2;
    });
  });

  it('ends in the right state when resolved arrives before triggered', async () => {
    const id = 'POUTOFORDER';
    const t = '2026-09-03T12:00:00.000Z';
    const resolved = incidentEvent({
      type: 'incident.resolved',
      incidentId: id,
      occurredAt: at(t, 600),
      createdAt: t,
      title: 'Out of order',
    });
    const triggered = incidentEvent({
      type: 'incident.triggered',
      incidentId: id,
      occurredAt: t,
      createdAt: t,
      title: 'Out of order',
    });
    expect((await send(resolved)).status).toBe(202);
    const root = await eventually('the root', () => rootMentioning(bot.slack, CHANNEL, 'Out of order'));
    expect((await send(triggered)).status).toBe(202);
    await eventually('the stale event recorded', async () => {
      const { rows } = await bot.db.query(
        `select outcome from alert_events where event_type = 'incident.triggered' and external_id = $1`,
        [id],
      );
      return rows[0]?.outcome === 'stale';
    });
    await new Promise((r) => setTimeout(r, 1000));
    const final = topLevel(bot.slack, CHANNEL).find((m) => m.ts === root.ts)!;
    expect(blocksText(final)).toContain(':large_green_circle:');
    expect(blocksText(final)).toContain('Resolved after 10m');
    expect(blocksText(final)).not.toContain(':red_circle:');
    expect(topLevel(bot.slack, CHANNEL).filter((m) => (m.text ?? '').includes('Out of order'))).toHaveLength(1);
    const { rows } = await bot.db.query('select status from incidents where external_id = $1', [id]);
    expect(rows[0].status).toBe('resolved');
    // First seen resolved: nothing to diagnose.
    expect(repliesTo(bot.slack, CHANNEL, root.ts).filter((m) => (m.text ?? '').includes('Corvo health'))).toHaveLength(
      0,
    );
  });

  it('posts a new root, linked to the incident, when the old one was deleted', async () => {
    const id = 'PDELETED1';
    const t = '2026-09-04T09:00:00.000Z';
    expect(
      (await send(incidentEvent({ type: 'incident.triggered', incidentId: id, occurredAt: t, title: 'Deleted root' })))
        .status,
    ).toBe(202);
    const first = await eventually('the root', () => rootMentioning(bot.slack, CHANNEL, 'Deleted root'));
    const del = await fetch(`${bot.slack.url}chat.delete`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Bearer ${bot.env.SLACK_BOT_TOKEN}`,
      },
      body: new URLSearchParams({ channel: CHANNEL, ts: first.ts }).toString(),
    });
    expect(((await del.json()) as { ok: boolean }).ok).toBe(true);
    expect(
      (
        await send(
          incidentEvent({
            type: 'incident.acknowledged',
            incidentId: id,
            occurredAt: at(t, 60),
            title: 'Deleted root',
          }),
        )
      ).status,
    ).toBe(202);
    const second = await eventually('a new root', () => {
      const r = rootMentioning(bot.slack, CHANNEL, 'Deleted root');
      return r && r.ts !== first.ts && r;
    });
    expect(blocksText(second)).toContain(':large_orange_circle:');
    expect(blocksText(second)).toContain('replaces the incident’s earlier root message');
    // The worker records the new root right after Slack answered the post: the fake can show it a moment earlier.
    const recorded = await eventually('the new root recorded', async () => {
      const { rows } = await bot.db.query(
        `select t.root_message_id, t.replaced_root_ids from incident_threads t join incidents i on i.id = t.incident_id
         where i.external_id = $1`,
        [id],
      );
      return rows[0]?.root_message_id === second.ts && rows[0];
    });
    expect(recorded).toEqual({ root_message_id: second.ts, replaced_root_ids: [first.ts] });
    await eventually('the acknowledge note in the new thread', () =>
      repliesTo(bot.slack, CHANNEL, second.ts).find((m) => (m.text ?? '').includes('Acknowledged')),
    );
  });

  it('picks the workflow from the alert custom details (PagerDuty REST look-up)', async () => {
    const id = 'PDETAILS1';
    bot.pagerdutyApi.setAlerts(id, [{ workflow: 'sqlite-diverged', summary: 'mirror lag' }], { cef: true });
    const res = await send(
      incidentEvent({
        type: 'incident.triggered',
        incidentId: id,
        occurredAt: '2026-09-05T09:00:00Z',
        title: 'Details pick',
      }),
    );
    expect(res.status).toBe(202);
    const root = await eventually('the root', () => rootMentioning(bot.slack, CHANNEL, 'Details pick'));
    expect(blocksText(root)).toContain('Corvo prod: health, sqlite-diverged');
    expect(bot.pagerdutyApi.calls.some((c) => c.path === `/incidents/${id}/alerts` && c.authorized)).toBe(true);
    await eventually('both reports in the thread', () => {
      const texts = repliesTo(bot.slack, CHANNEL, root.ts).map((m) => m.text ?? '');
      return texts.some((x) => x.includes('Corvo health')) && texts.length >= 2;
    });
  });

  it('records and counts an alert no rule matches (no default channel), posting nothing', async () => {
    const before = bot.slack.callsTo('chat.postMessage').length;
    const res = await send(
      incidentEvent({
        type: 'incident.triggered',
        incidentId: 'PUNROUTED1',
        occurredAt: '2026-09-06T09:00:00Z',
        service: 'Billing',
        title: 'Nobody routes this',
      }),
    );
    expect(res.status).toBe(202);
    await eventually('the unrouted incident', async () => {
      const { rows } = await bot.db.query(`select route from incidents where external_id = 'PUNROUTED1'`);
      return rows[0]?.route === 'unrouted';
    });
    const metrics = await (await fetch(`${bot.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^runbook_bot_alerts_unrouted_total 1$/m);
    expect(metrics).toContain('runbook_bot_webhook_deliveries_total{source="pagerduty",outcome="accepted"}');
    await new Promise((r) => setTimeout(r, 500));
    expect(
      bot.slack
        .callsTo('chat.postMessage')
        .slice(before)
        .some((c) => String(c.args.text).includes('Nobody')),
    ).toBe(false);
  });

  it("waits out Slack's 429 Retry-After before posting to the channel again, and posts the root once", async () => {
    const from = bot.slack.calls.length;
    bot.slack.rateLimitNext('chat.postMessage', 1, 2);
    const res = await send(
      incidentEvent({
        type: 'incident.triggered',
        incidentId: 'PRATELIMIT1',
        occurredAt: '2026-09-06T10:00:00Z',
        title: 'Slack said slow down',
      }),
    );
    expect(res.status).toBe(202);
    const root = await eventually('the root after the wait', () => rootMentioning(bot.slack, CHANNEL, 'slow down'));
    await eventually('the report in its thread', () =>
      repliesTo(bot.slack, CHANNEL, root.ts).find((m) => (m.text ?? '').includes('Corvo health')),
    );
    const posts = bot.slack.calls
      .slice(from)
      .filter((c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL);
    const limited = posts[0]!;
    expect(String(limited.args.text)).toContain('slow down');
    // Every later post to the channel waited for Retry-After (2 s; a little slack for the clocks' granularity).
    for (const p of posts.slice(1)) expect(p.at - limited.at).toBeGreaterThanOrEqual(1900);
    expect(topLevel(bot.slack, CHANNEL).filter((m) => (m.text ?? '').includes('slow down'))).toHaveLength(1);
  });
});

describe('PagerDuty webhook verification', () => {
  const body = JSON.stringify(
    incidentEvent({
      type: 'incident.triggered',
      incidentId: 'PSIG1',
      occurredAt: '2026-09-07T09:00:00Z',
      title: 'Sig',
    }),
  );

  it('refuses a wrong secret, a missing header and a body altered by one byte with 401, recording nothing', async () => {
    const before = await countEvents();
    expect((await send(body, { secrets: ['not-the-secret'] })).status).toBe(401);
    expect((await send(body, { signature: null })).status).toBe(401);
    expect((await send(body, { signature: 'v1=' })).status).toBe(401);
    expect((await send(body, { signature: `v0=${'a'.repeat(64)}` })).status).toBe(401);
    const signature = signPagerDutyBody([PD_SECRET], body);
    const altered = body.replace('"Sig"', '"Sih"');
    expect(altered).toHaveLength(body.length);
    expect((await send(altered, { signature })).status).toBe(401);
    expect(await countEvents()).toBe(before);
    const metrics = await (await fetch(`${bot.baseUrl}/metrics`)).text();
    expect(metrics).toContain('runbook_bot_webhook_deliveries_total{source="pagerduty",outcome="unauthorized"}');
  });

  it('accepts the rotated second secret alone, and several v1 entries of which one matches', async () => {
    expect((await send(body, { secrets: [PD_SECRET_ROTATED] })).status).toBe(202);
    const other = JSON.stringify(
      incidentEvent({
        type: 'incident.triggered',
        incidentId: 'PSIG2',
        occurredAt: '2026-09-07T09:00:00Z',
        title: 'Sig2',
      }),
    );
    expect((await send(other, { secrets: ['retired-secret', PD_SECRET_ROTATED] })).status).toBe(202);
  });

  it('answers malformed JSON and non-webhook bodies 400, recording nothing', async () => {
    const before = await countEvents();
    expect((await send('{"event":')).status).toBe(400);
    expect((await send('{"hello":"world"}')).status).toBe(400);
    expect(
      (await send({ event: { id: 'x', event_type: 'incident.triggered', occurred_at: 'now', data: {} } })).status,
    ).toBe(400);
    expect(await countEvents()).toBe(before);
  });

  it('answers pagey.ping and unknown event types 2xx and ignores them', async () => {
    const before = await countEvents();
    const ping = '{"event":{"id":"01ABC","event_type":"pagey.ping"}}';
    const res = await send(ping);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'ignored' });
    expect(
      (
        await send({
          event: { id: 'svc1', event_type: 'service.updated', occurred_at: '2026-09-07T09:00:00Z', data: {} },
        })
      ).status,
    ).toBe(202);
    expect(await countEvents()).toBe(before);
  });

  it('lists incidents with their state and link on /runbook incidents', async () => {
    const body = slashCommandBody({ command: '/runbook', text: 'incidents', channel_id: 'C0CMD' });
    const res = await fetch(`${bot.baseUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000)),
      },
      body,
    });
    expect(res.status).toBe(200);
    const report = await eventually('the incidents list', () => bot.slack.messages('C0CMD')[0]);
    const text = blocksText(report);
    expect(text).toContain('Recent incidents');
    expect(text).toMatch(
      /RESOLVED after 31m 2\ds\] P1 SQLite mirror dropping updates — Corvo Production \(PagerDuty #4812\)/,
    );
    expect(text).toContain('https://acme.pagerduty.com/incidents/Q1ABCD2EFGH3IJ');
    expect(text).toContain('unrouted (no rule matched');
  });
});
