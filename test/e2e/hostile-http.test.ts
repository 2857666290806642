/**
 * Issue 11, classes 4–7 and workspace pinning, through the real `web` and `worker` processes: what an outsider (or
 * an insider with a leaked id) sends at the public URL. Stale clicks are acknowledged at once and the clicker is told;
 * slow connections are closed at their deadlines and the connection cap holds; a decision counts only on the card
 * it was shown on (not from another channel, message or platform — not even a Teams invoke with
 * TEAMS_ALLOW_UNAUTHENTICATED=true); oversize bodies get a readable 413 on every POST route; a 10,000-character
 * argument gets usage in chat; a signed command from an unpinned workspace runs nothing.
 */
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../src/dev/local-services.js';
import { blockActionsBody, slashCommandBody } from '../support/slack-signing.js';
import { approvalStates, startBotStack, type BotStack } from './bot-stack.js';
import { BOB, CAROL, executeActions, teamsChannel, textOf } from './teams-activities.js';

const MiB = 1024 * 1024;
const TEAMS_CHANNEL = '19:ffff2c3e4f5a6b7c8d9e0f1a2b3c4d5e@thread.tacv2';

let stack: BotStack;
const { waitForState, approvalState } = approvalStates(() => stack.db);
const { mentionPost, invoke } = teamsChannel({
  teams: () => stack.teams!,
  channel: TEAMS_CHANNEL,
  team: '19:teamffff000000000000000000000000@thread.tacv2',
  firstMessageId: 1_900_000_000_000,
});

beforeAll(async () => {
  stack = await startBotStack({
    scenario: 'sqlite-diverged',
    approvers: ['slack:U0BOB', `teams:${BOB.aadObjectId}`],
    corvoTimeoutMs: 10_000,
    teams: {},
    extraConfig: 'slack:\n  teamIds: [T0FAKE]\n',
  });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

/** A signed interactivity payload with the stack's defaults; `payload` overrides them. */
function interaction(payload: Record<string, unknown>): Promise<Response> {
  return stack.postSlack(
    blockActionsBody({
      type: 'block_actions',
      team: { id: 'T0FAKE', domain: 'fake' },
      user: { id: 'U0MALLORY', username: 'mallory', team_id: 'T0FAKE' },
      api_app_id: 'A0RUNBOOKBOT',
      token: 'legacy',
      trigger_id: `${Date.now()}.${Math.random().toString(16).slice(2)}`,
      response_url: 'https://hooks.slack.com/actions/T0FAKE/1/x',
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0STALE', is_ephemeral: false },
      channel: { id: 'C0STALE', name: 'ops' },
      message: { ts: '1700000000.000100', type: 'message', text: '' },
      state: { values: {} },
      actions: [],
      ...payload,
    }),
  );
}

async function timed(p: () => Promise<Response>): Promise<{ status: number; ms: number; text: string }> {
  const started = Date.now();
  const res = await p();
  return { status: res.status, ms: Date.now() - started, text: await res.text() };
}

const button = (action_id: string, value = 'ofr_doesnotexist') => ({
  type: 'button',
  action_id,
  block_id: 'b',
  value,
  action_ts: String(Date.now() / 1000),
  text: { type: 'plain_text', text: 'x' },
});

describe('class 4: requests with no handler are acknowledged at once', () => {
  it('a stale button, an empty block_actions, a view_submission, a shortcut and an unknown event: 200 fast, stale clicks told privately', async () => {
    const before = stack.slack.ephemerals('C0STALE').length;
    const results = [
      await timed(() => interaction({ actions: [button('runbook-action-v0:legacy')] })),
      await timed(() => interaction({ actions: [button('approval:force', 'apr_x')] })),
      await timed(() => interaction({ actions: [] })),
      await timed(() =>
        interaction({ type: 'view_submission', view: { id: 'V1', callback_id: 'old' }, actions: undefined }),
      ),
      await timed(() => interaction({ type: 'shortcut', callback_id: 'old', actions: undefined })),
      await timed(() => interaction({ type: 'something_new' })),
      await timed(() =>
        stack.postSlack(JSON.stringify({ type: 'app_rate_limited', team_id: 'T0FAKE', minute_rate_limited: 1 }), {
          contentType: 'application/json',
        }),
      ),
    ];
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(1500); // Bolt's unhandled-request timeout is 3 s
    }
    // The three block_actions name a user and a channel: each clicker hears, privately, that the button is stale.
    await stack.slack.waitFor(() => stack.slack.ephemerals('C0STALE').length >= before + 3, 20_000);
    const told = stack.slack.ephemerals('C0STALE').slice(before);
    expect(told.every((e) => e.user === 'U0MALLORY' && /no longer active.*Nothing changed/.test(String(e.text)))).toBe(
      true,
    );
    expect(stack.web.output()).not.toMatch(/not acknowledged within/);
    const { rows } = await stack.db.query(`select count(*)::int as n from approvals`);
    expect(rows[0].n).toBe(0);
  });
});

describe('class 6: a decision counts only on the card it was shown on', () => {
  it('refuses a click from another channel, another message and a Teams invoke; the card click then runs it once', async () => {
    const channel = 'C0CARD';
    const rebuildCalls = () => stack.corvo.calls.filter((c) => c.path === '/api/v1/admin/rebuild-sqlite').length;
    const callsBefore = rebuildCalls();
    const ask = await stack.postSlack(
      slashCommandBody({ command: '/corvo', text: 'rebuild-sqlite', channel_id: channel, user_id: 'U0ALICE' }),
    );
    expect(ask.status).toBe(200);
    await stack.slack.waitFor(
      () => stack.slack.messages(channel).some((m) => String(m.text).startsWith('Approval needed')),
      20_000,
    );
    const card = stack.slack.messages(channel).find((m) => String(m.text).startsWith('Approval needed'))!;
    const approvalId = (card.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((e) => e.action_id === 'approval:approve')!.value;
    // Recorded right after the card is posted.
    const bindingOf = async () =>
      (
        await stack.db.query(`select card_platform, card_channel_id, card_message_id from approvals where id = $1`, [
          approvalId,
        ])
      ).rows;
    let bound = await bindingOf();
    for (const until = Date.now() + 10_000; !bound[0]?.card_message_id && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 50));
      bound = await bindingOf();
    }
    expect(bound[0]).toEqual({ card_platform: 'slack', card_channel_id: channel, card_message_id: card.ts });

    // A signed click in another channel, on an unrelated message, carrying the pending approval's id.
    const elsewhere = await stack.click({
      userId: 'U0BOB',
      channelId: 'C0ELSEWHERE',
      actionId: 'approval:approve',
      value: approvalId,
      messageTs: '1700000000.000200',
    });
    // The right channel, the wrong message.
    const otherMessage = await stack.click({
      userId: 'U0BOB',
      channelId: channel,
      actionId: 'approval:approve',
      value: approvalId,
      messageTs: '1700000000.000300',
    });
    // Teams without authentication (TEAMS_ALLOW_UNAUTHENTICATED=true), an approver's Entra id: still not the card.
    const post = mentionPost(BOB, 'runbook help');
    expect((await stack.postTeams(post)).status).toBe(200);
    const teamsClick = await stack.postTeams(invoke(BOB, post.id, post.id, 'approval.approve', approvalId));
    expect([elsewhere.status, otherMessage.status, teamsClick.status]).toEqual([200, 200, 200]);

    await stack.slack.waitFor(() => stack.slack.ephemerals('C0ELSEWHERE').length === 1, 20_000);
    expect(String(stack.slack.ephemerals('C0ELSEWHERE')[0]!.text)).toMatch(/not on this request's approval card/);
    await stack.teams!.waitFor(() =>
      stack.teams!.thread(TEAMS_CHANNEL, post.id).some((m) => /approval card/.test(String(m.activity.text))),
    );
    const refused = async () =>
      (
        await stack.db.query(
          `select actor, detail from approval_events where approval_id = $1 and from_state = to_state order by id`,
          [approvalId],
        )
      ).rows.map((r) => `${r.actor} ${r.detail}`);
    const until = Date.now() + 20_000;
    while ((await refused()).length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect((await refused()).sort()).toEqual(
      [
        'slack:U0BOB approve refused: from another channel',
        'slack:U0BOB approve refused: from another message',
        `teams:${BOB.aadObjectId} approve refused: from teams, card in slack`,
      ].sort(),
    );
    expect(await approvalState(approvalId)).toBe('pending');
    expect(rebuildCalls()).toBe(callsBefore);

    // On the card itself the same approver's click counts, and the step runs once.
    await stack.click({
      userId: 'U0BOB',
      channelId: channel,
      actionId: 'approval:approve',
      value: approvalId,
      messageTs: card.ts,
    });
    await waitForState(approvalId, ['succeeded']);
    expect(rebuildCalls() - callsBefore).toBe(1);
  });
});

describe('class 6 on Teams: a Teams request is decided only on its Teams card', () => {
  it('refuses an invoke on another message and a Slack click; the card invoke then decides it', async () => {
    const teams = stack.teams!;
    const ask = mentionPost(CAROL, 'corvo rebuild-sqlite');
    expect((await stack.postTeams(ask)).status).toBe(200);
    const cardMsg = () =>
      teams.thread(TEAMS_CHANNEL, ask.id).find((m) => String(m.activity.summary ?? '').startsWith('Approval needed'));
    await teams.waitFor(() => cardMsg() !== undefined, 30_000);
    const card = cardMsg()!;
    const approvalId = executeActions(teams.cardOf(card)).find((a) => a.verb === 'approval.approve')!.data.id;
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const { rows } = await stack.db.query(`select card_message_id from approvals where id = $1`, [approvalId]);
      if (rows[0]?.card_message_id) break;
      await new Promise((r) => setTimeout(r, 50));
    }

    // An approver's invoke, same conversation, on another message (the request's own post).
    await stack.postTeams(invoke(BOB, ask.id, ask.id, 'approval.deny', approvalId));
    // A signed Slack click carrying the Teams request's id.
    await stack.click({
      userId: 'U0BOB',
      channelId: 'C0CARD',
      actionId: 'approval:deny',
      value: approvalId,
      messageTs: '1700000000.000400',
    });
    await teams.waitFor(() =>
      teams.thread(TEAMS_CHANNEL, ask.id).some((m) => /not on this request/.test(textOf(m).replace(/&#39;/g, "'"))),
    );
    const refusals = async () =>
      (
        await stack.db.query(
          `select detail from approval_events where approval_id = $1 and from_state = to_state order by id`,
          [approvalId],
        )
      ).rows.map((r) => r.detail as string);
    for (const stop = Date.now() + 20_000; (await refusals()).length < 2 && Date.now() < stop;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await refusals()).sort()).toEqual([
      'deny refused: from another message',
      'deny refused: from slack, card in teams',
    ]);
    expect(await approvalState(approvalId)).toBe('pending');

    await stack.postTeams(invoke(BOB, ask.id, card.id, 'approval.deny', approvalId));
    await waitForState(approvalId, ['denied']);
  });
});

describe('class 7: oversize bodies and over-long arguments', () => {
  it('answers a 16 MiB body with a readable 413 on every POST route', async () => {
    const body = Buffer.alloc(16 * MiB, 'x');
    for (const path of ['/slack/events', '/api/messages', '/webhooks/pagerduty', '/webhooks/alertmanager']) {
      const res = await fetch(`${stack.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status, path).toBe(413);
      expect(((await res.json()) as { error: string }).error, path).toMatch(/larger than \d+ bytes/);
    }
  });

  it('lets a sender that writes the whole body before reading (as Alertmanager does) read the 413', async () => {
    const port = Number(new URL(stack.baseUrl).port);
    const s = connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    let text = '';
    const closed = new Promise<string | undefined>((resolve) => {
      s.on('data', (d: Buffer) => (text += d.toString('latin1')));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
      s.on('close', () => resolve(undefined));
    });
    const size = 16 * MiB;
    s.write(
      `POST /webhooks/alertmanager HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`,
    );
    const block = Buffer.alloc(MiB, '{');
    for (let i = 0; i < 16; i++) if (!s.write(block)) await new Promise((r) => s.once('drain', r));
    expect(await closed).toBeUndefined(); // no EPIPE, no reset
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('answers a 10,000-character slash-command argument in chat with usage, and runs nothing', async () => {
    const before = await stack.queuedJobs();
    const res = await stack.postSlack(
      slashCommandBody({ command: '/corvo', text: `health ${'a'.repeat(10_000)}`, channel_id: 'C0LONG' }),
    );
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { response_type: string; text: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toMatch(/too long/);
    expect(ack.text).toContain('/corvo health');
    expect(await stack.queuedJobs()).toBe(before);
  });
});

describe('class 7 on Teams', () => {
  it('answers a 10,000-character argument in the thread with usage, and runs nothing', async () => {
    const before = await stack.queuedJobs();
    const post = mentionPost(BOB, `corvo health ${'a'.repeat(10_000)}`);
    expect((await stack.postTeams(post)).status).toBe(200);
    const reply = () => stack.teams!.thread(TEAMS_CHANNEL, post.id).find((m) => m.replyToId === post.id);
    await stack.teams!.waitFor(() => reply() !== undefined);
    expect(String(reply()!.activity.text)).toMatch(/too long/);
    expect(await stack.queuedJobs()).toBe(before);
  });
});

describe('workspace pinning (slack.teamIds)', () => {
  it('refuses a correctly signed command from another workspace, readably, and runs nothing', async () => {
    const before = await stack.queuedJobs();
    const res = await stack.postSlack(
      slashCommandBody({ command: '/corvo', text: 'health', team_id: 'T0OTHER', channel_id: 'C0FOREIGN' }),
    );
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { response_type: string; text: string };
    expect(ack).toEqual({
      response_type: 'ephemeral',
      text: expect.stringMatching(/not set up for this Slack workspace/),
    });
    // A click from there is acknowledged and ignored.
    const click = await interaction({
      team: { id: 'T0OTHER', domain: 'other' },
      user: { id: 'U0OUT', username: 'out', team_id: 'T0OTHER' },
      actions: [button('approval:approve', 'apr_whatever')],
    });
    expect(click.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(await stack.queuedJobs()).toBe(before);
    const { rows } = await stack.db.query(`select count(*)::int as n from invocations where channel_id = 'C0FOREIGN'`);
    expect(rows[0].n).toBe(0);
    expect(stack.slack.messages('C0FOREIGN')).toEqual([]);
    // Slack's Request URL check names no workspace and still gets its challenge back.
    const check = await stack.postSlack(
      JSON.stringify({ type: 'url_verification', token: 'x', challenge: 'ch4ll3nge' }),
      {
        contentType: 'application/json',
      },
    );
    expect(check.status).toBe(200);
    expect(await check.text()).toContain('ch4ll3nge');
  });
});

describe('class 5: slow connections against the real web process', () => {
  it('closes 30 slow-loris connections at their deadlines, refuses those over the cap, and gives the descriptors back', async () => {
    const port = await getFreePort();
    const web = await stack.spawnWeb({
      PORT: String(port),
      HTTP_HEADERS_TIMEOUT_MS: '800',
      HTTP_REQUEST_TIMEOUT_MS: '1500',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '500',
      HTTP_MAX_CONNECTIONS: '30',
    });
    const fds = () => readdirSync(`/proc/${web.child.pid}/fd`).length;
    const baseline = fds();
    const sockets: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    const started = Date.now();
    const closedAt = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const s = connect(port, '127.0.0.1');
        sockets.push(s);
        s.on('error', () => {});
        await new Promise((r) => s.once('connect', r));
        const closed = new Promise<number>((r) => s.on('close', () => r(Date.now() - started)));
        // Half dribble headers, half a body, one byte every 100 ms.
        const text =
          i % 2 === 0
            ? `POST /webhooks/alertmanager HTTP/1.1\r\nhost: x\r\nx-pad: ${'a'.repeat(500)}`
            : `POST /slack/events HTTP/1.1\r\nhost: x\r\ncontent-length: 500\r\n\r\n${'b'.repeat(500)}`;
        let n = i % 2 === 0 ? 20 : text.indexOf('\r\n\r\n') + 4;
        s.write(text.slice(0, n));
        timers.push(setInterval(() => !s.destroyed && n < text.length && s.write(text[n++]!), 100));
        return closed;
      }),
    );
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    // Every one is gone within a few seconds (the 10 over the cap at once), not after minutes.
    expect(Math.max(...closedAt)).toBeLessThan(6000);
    expect(closedAt.filter((ms) => ms < 500).length).toBeGreaterThanOrEqual(10);
    await new Promise((r) => setTimeout(r, 300));
    expect(fds()).toBeLessThanOrEqual(baseline + 3);
    // The process still serves.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
