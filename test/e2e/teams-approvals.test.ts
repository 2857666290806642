/**
 * The Slack stories on Microsoft Teams, through the real `web` and two `worker` processes and the loopback fake Bot
 * Connector: the bot is installed in a channel, `@runbook-bot corvo health` answers with an Adaptive Card of the
 * report in the message's thread, Rebuild SQLite opens an approval card, the requester and a non-approver are
 * refused (a reply that @mentions them), an approver's `Action.Execute` runs the step once against the Corvo
 * simulator and the shared card is replaced for everyone — with the web process restarted in between. Then the
 * edge: unauthenticated requests are refused when an app id is set, and everything is refused while Teams is off.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHelp } from '../../src/core/command.js';
import { corvoCommand } from '../../commands/corvo.js';
import { getFreePort } from '../../src/dev/local-services.js';
import type { FakeBotConnector } from '../support/fake-bot-connector.js';
import { approvalStates, startBotStack, TEAMS_APP_PASSWORD, type BotStack } from './bot-stack.js';
import { ALICE, BOB, BOT, CAROL, TENANT, cardText, executeActions, teamsChannel, textOf } from './teams-activities.js';

const CHANNEL = '19:0b1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e@thread.tacv2';
const TEAM = '19:team0000000000000000000000000000@thread.tacv2';

let stack: BotStack;
let teams: FakeBotConnector;
const { base, mentionPost, invoke } = teamsChannel({
  teams: () => teams,
  channel: CHANNEL,
  team: TEAM,
  firstMessageId: 1_800_000_000_000,
});
const { approvalState, waitForState } = approvalStates(() => stack.db);

beforeAll(async () => {
  stack = await startBotStack({
    scenario: 'sqlite-diverged',
    approvers: [`teams:${BOB.aadObjectId}`, `teams:${ALICE.aadObjectId}`],
    corvoTimeoutMs: 10_000,
    teams: {},
  });
  teams = stack.teams!;
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

const rebuildCalls = () => stack.corvo.calls.filter((c) => c.path === '/api/v1/admin/rebuild-sqlite');

describe('Teams: commands, cards and approvals, end to end', () => {
  it('remembers the conversation on install (conversationUpdate), from Postgres, not from memory', async () => {
    const res = await stack.postTeams({
      ...base(ALICE, CHANNEL),
      type: 'conversationUpdate',
      id: 'install-1',
      membersAdded: [BOT],
    });
    expect(res.status).toBe(200);
    const { rows } = await stack.db.query(`select * from teams_conversations where key = $1`, [CHANNEL]);
    expect(rows[0]).toMatchObject({
      conversation_id: CHANNEL,
      service_url: teams.serviceUrl,
      tenant_id: TENANT,
      conversation_type: 'channel',
      team_id: TEAM,
      bot_id: BOT.id,
    });
  });

  it('answers help and usage errors exactly like Slack, in the message thread', async () => {
    const help = mentionPost(ALICE, 'corvo help');
    expect((await stack.postTeams(help)).status).toBe(200);
    const usage = mentionPost(ALICE, 'corvo frobnicate');
    expect((await stack.postTeams(usage)).status).toBe(200);
    const overview = mentionPost(ALICE, '');
    expect((await stack.postTeams(overview)).status).toBe(200);
    await teams.waitFor(() =>
      [help, usage, overview].every((p) => teams.thread(CHANNEL, p.id).some((m) => m.replyToId === p.id)),
    );
    const replyTo = (p: { id: string }) => textOf(teams.thread(CHANNEL, p.id).find((m) => m.replyToId === p.id)!);
    const escaped = (t: string) =>
      t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br>');
    expect(replyTo(help)).toBe(escaped(renderHelp(corvoCommand)));
    expect(replyTo(usage)).toContain('Unknown subcommand "frobnicate".');
    expect(replyTo(usage)).toContain('/corvo health');
    expect(replyTo(overview)).toContain('corvo help');
  });

  it('health → report card in the thread → approval card → requester and non-approver refused → approver runs it once, across a web restart', async () => {
    const before = rebuildCalls().length;
    const post = mentionPost(ALICE, 'corvo health');
    const thread = post.id;
    const ack = await stack.postTeams(post);
    expect(ack.status).toBe(200);
    // Teams redelivers the same activity: it maps onto the job already queued.
    expect((await stack.postTeams(post)).status).toBe(200);

    await teams.waitFor(() => teams.thread(CHANNEL, thread).some((m) => teams.cardOf(m)), 30_000);
    const replies = teams.thread(CHANNEL, thread);
    expect(replies.filter((m) => m.replyToId === thread).map(textOf)[0]).toMatch(
      /^Running Corvo health on prod… \(inv_[0-9a-f]{20}\)$/,
    );
    const report = replies.find((m) => teams.cardOf(m))!;
    expect(report.activity.summary).toMatch(/^Corvo health on prod: CRITICAL/);
    const button = executeActions(teams.cardOf(report)).find((a) => a.title.includes('Rebuild SQLite'));
    expect(button, cardText(teams.cardOf(report))).toBeDefined();
    expect(button!.verb).toBe('runbook.offer');
    expect(button!.data).toEqual({ id: expect.stringMatching(/^ofr_[A-Za-z0-9_-]+$/) });
    const q = new Queue('diagnostics', { connection: stack.redis, prefix: stack.prefix });
    const jobs = await q.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed']);
    await q.close();
    expect(jobs.filter((j) => j.name === 'corvo.health' && j.data.conversation.threadId === thread)).toHaveLength(1);
    // Job data holds ids only: no service URL, no raw text.
    for (const j of jobs) expect(JSON.stringify(j.data)).not.toContain(teams.serviceUrl);

    // The requester asks for the fix: the invoke is answered with the card as it stands, then the approval card
    // appears in the thread.
    const offer = await stack.postTeams(invoke(ALICE, thread, report.id, 'runbook.offer', button!.data.id));
    expect(offer.status).toBe(200);
    const offerBody = (await offer.json()) as { statusCode: number; type: string; value: unknown };
    expect(offerBody.statusCode).toBe(200);
    expect(offerBody.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(offerBody.value).toEqual(teams.cardOf(report));
    await teams.waitFor(() =>
      teams.thread(CHANNEL, thread).some((m) => String(m.activity.summary ?? '').startsWith('Approval needed')),
    );
    const card = teams.thread(CHANNEL, thread).find((m) => String(m.activity.summary).startsWith('Approval needed'))!;
    expect(cardText(teams.cardOf(card))).toContain('POST /api/v1/admin/rebuild-sqlite');
    expect(cardText(teams.cardOf(card))).toContain('Alice Requester');
    const approve = executeActions(teams.cardOf(card)).find((a) => a.verb === 'approval.approve')!;
    const approvalId = approve.data.id;
    expect(approvalId).toMatch(/^apr_/);

    // The web process restarts between two steps: everything it needs is in Postgres and Redis.
    expect(await stack.web.stop()).toBe(0);
    stack.web = await stack.spawnWeb();

    // The requester cannot approve their own request; told with a reply that @mentions them.
    const selfApprove = await stack.postTeams(invoke(ALICE, thread, card.id, 'approval.approve', approvalId));
    expect(selfApprove.status).toBe(200);
    expect(((await selfApprove.json()) as { value: unknown }).value).toEqual(teams.cardOf(card));
    const mentionReply = (who: typeof ALICE, pattern: RegExp) =>
      teams
        .thread(CHANNEL, thread)
        .find(
          (m) =>
            pattern.test(textOf(m)) &&
            (m.activity.entities as { mentioned?: { id: string } }[] | undefined)?.[0]?.mentioned?.id === who.id,
        );
    await teams.waitFor(() => mentionReply(ALICE, /can't approve your own request/) !== undefined);
    expect(textOf(mentionReply(ALICE, /can't approve your own request/)!)).toMatch(/^<at>Alice Requester<\/at> /);
    expect(await approvalState(approvalId)).toBe('pending');

    // Someone who is not an approver is refused the same way.
    await stack.postTeams(invoke(CAROL, thread, card.id, 'approval.approve', approvalId));
    await teams.waitFor(() => mentionReply(CAROL, /not on this bot's approver list/) !== undefined);
    expect(await approvalState(approvalId)).toBe('pending');

    // The approver approves (and double-clicks): one approval, one call, the shared card replaced for everyone.
    const [first, second] = await Promise.all([
      stack.postTeams(invoke(BOB, thread, card.id, 'approval.approve', approvalId)),
      stack.postTeams(invoke(BOB, thread, card.id, 'approval.approve', approvalId)),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    await waitForState(approvalId, ['succeeded']);
    await teams.waitFor(
      () => teams.thread(CHANNEL, thread).some((m) => /Re-check: .*has cleared/.test(textOf(m))),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(rebuildCalls().length - before).toBe(1);
    const updated = teams.thread(CHANNEL, thread).find((m) => m.id === card.id)!;
    expect(updated.edits).toBeGreaterThanOrEqual(1);
    expect(cardText(teams.cardOf(updated))).toMatch(
      /Approved by Bob Approver at \d\d:\d\d UTC — done: rebuilt in 1,234 ms/,
    );
    expect(executeActions(teams.cardOf(updated))).toEqual([]);
    expect(teams.callsTo('updateActivity').every((c) => c.path.includes(`${CHANNEL};messageid=${thread}`))).toBe(true);
    const texts = teams.thread(CHANNEL, thread).map(textOf).join('\n');
    expect(texts).toMatch(/✅ Rebuild SQLite on prod: rebuilt in 1,234 ms/);
    await teams.waitFor(() => mentionReply(BOB, /already approved/) !== undefined);

    // The audit has the Teams principals.
    const { rows } = await stack.db.query(
      `select from_state, to_state, actor from approval_events where approval_id = $1 order by id`,
      [approvalId],
    );
    expect(rows.map((r) => `${r.from_state ?? '-'}>${r.to_state}`)).toEqual([
      '->pending',
      'pending>approved',
      'approved>executing',
      'executing>succeeded',
    ]);
    expect(rows[1]?.actor).toBe(`teams:${BOB.aadObjectId}`);
    // Every card the bot posted passed the Adaptive Card 1.5 checks of the fake connector.
    expect(teams.refused).toEqual([]);
  });

  it('answers malformed requests with 400 and oversize ones with 413, changing nothing', async () => {
    const count = async () => (await stack.db.query(`select count(*)::int as n from teams_conversations`)).rows[0].n;
    const n = await count();
    expect((await stack.postTeams(undefined, { raw: '{"type": "message",' })).status).toBe(400);
    expect((await stack.postTeams({ type: 'message', text: 'corvo health' })).status).toBe(400);
    expect((await stack.postTeams(mentionPost(ALICE, 'x'.repeat(1_100_000)))).status).toBe(413);
    expect(await count()).toBe(n);
  });
});

describe('Teams: authentication at the edge', () => {
  it('with MICROSOFT_APP_ID set, refuses activities without a valid Bot Framework JWT (401) and runs nothing', async () => {
    const port = await getFreePort();
    await stack.spawnWeb({
      PORT: String(port),
      MICROSOFT_APP_ID: '6a1f3c2e-0000-4000-8000-00000000a991',
      MICROSOFT_APP_TYPE: 'SingleTenant',
      MICROSOFT_APP_TENANT_ID: TENANT,
      MICROSOFT_APP_PASSWORD: TEAMS_APP_PASSWORD,
      // Set, but the app id wins: JWTs are required.
      TEAMS_ALLOW_UNAUTHENTICATED: 'true',
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    const counts = async () =>
      (
        await stack.db.query(
          `select (select count(*) from invocations)::int as inv, (select count(*) from teams_users)::int as users`,
        )
      ).rows[0];
    const before = await counts();
    const post = mentionPost({ ...ALICE, aadObjectId: 'f0f0f0f0-0000-4000-8000-0000000000ff' }, 'corvo health');
    const forged = teams.signChannelToken({
      iss: 'https://evil.example',
      aud: '6a1f3c2e-0000-4000-8000-00000000a991',
      serviceurl: teams.serviceUrl,
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    for (const authorization of [undefined, 'Bearer not-a-jwt', `Bearer ${forged}`]) {
      const res = await stack.postTeams(post, { baseUrl, ...(authorization ? { authorization } : {}) });
      expect(res.status, String(authorization)).toBe(401);
    }
    const click = invoke(BOB, post.id, '1', 'approval.approve', 'apr_whatever');
    expect((await stack.postTeams(click, { baseUrl })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect(teams.thread(CHANNEL, post.id)).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('with no app id and no TEAMS_ALLOW_UNAUTHENTICATED, refuses everything', async () => {
    const port = await getFreePort();
    const web = await stack.spawnWeb({ PORT: String(port), TEAMS_ALLOW_UNAUTHENTICATED: 'false' });
    const baseUrl = `http://127.0.0.1:${port}`;
    expect((await stack.postTeams(mentionPost(ALICE, 'corvo health'), { baseUrl })).status).toBe(401);
    expect((await stack.postTeams(undefined, { baseUrl, raw: 'not json' })).status).toBe(401);
    expect(web.output()).toContain('Teams is off: set MICROSOFT_APP_ID');
  });
});
