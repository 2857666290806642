// The worker's Teams transport against the fake Bot Connector and a real Postgres: where each kind of message goes
// (channel threads, new threads, chats), incident roots and their updates, refusals that @mention, and what it does
// when Teams refuses, throttles, or the message is gone.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageNotFoundError, PermanentDeliveryError, RateLimitedError } from '../../src/core/chat-transport.js';
import type { Conversation } from '../../src/core/invocation.js';
import { silentLogger } from '../../src/core/logger.js';
import { migrate } from '../../src/store/migrate.js';
import { startFakeBotConnector, type FakeBotConnector } from '../../test/support/fake-bot-connector.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { createConnector } from './teams-connector.js';
import { findCard, saveConversationReference, saveTeamsUser } from './teams-store.js';
import { createTeamsTransport } from './teams-transport.js';

const CHANNEL = '19:incidents00000000000000000000000@thread.tacv2';
const CONFIGURED = '19:configured0000000000000000000000@thread.tacv2';
const CHAT = '19:groupchat@thread.v2';
const TENANT = '72f988bf-0000-4000-8000-00000000c0de';
const ALICE = '00000000-0000-4000-8000-0000000a11ce';

let db: pg.Pool;
let fake: FakeBotConnector;
let transport: ReturnType<typeof createTeamsTransport>;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createTestDatabase(), max: 3 });
  await migrate(db, silentLogger);
  fake = await startFakeBotConnector();
  transport = createTeamsTransport({
    db,
    connector: createConnector({
      authorizationFor: async () => undefined,
      attempts: 2,
      baseDelayMs: 1,
      maxDelayMs: 10,
    }),
    configuredChannels: [{ conversationId: CONFIGURED, serviceUrl: fake.serviceUrl, tenantId: TENANT }],
    botId: '28:runbook-bot',
    logger: silentLogger,
  });
  for (const [key, type] of [
    [CHANNEL, 'channel'],
    [CHAT, 'groupChat'],
  ] as const) {
    await saveConversationReference(db, {
      key,
      conversationId: key,
      serviceUrl: fake.serviceUrl,
      tenantId: TENANT,
      conversationType: type,
      botId: '28:runbook-bot',
      botName: 'runbook-bot',
    });
  }
  await saveTeamsUser(db, { aadObjectId: ALICE, teamsUserId: '29:1alice', name: 'Alice Example', tenantId: TENANT });
}, 60_000);

afterAll(async () => {
  await fake?.close();
  await db?.end();
});

const channel: Conversation = { platform: 'teams', channelId: CHANNEL, teamId: TENANT };

describe('Teams transport: incident threads', () => {
  it('opens a thread with createConversation in the channel, replies in it, and updates the root in place', async () => {
    const root = await transport.postIncidentMessage!(channel, {
      kind: 'root',
      card: { incidentId: 'inc_1', source: 'pagerduty', status: 'triggered', title: 'Corvo down', assignees: [] },
    });
    const create = fake.callsTo('createConversation').at(-1)!;
    expect(create.body).toMatchObject({
      isGroup: true,
      bot: { id: '28:runbook-bot', name: 'runbook-bot' },
      channelData: { channel: { id: CHANNEL }, tenant: { id: TENANT } },
      tenantId: TENANT,
    });
    expect(root).toEqual({ channelId: CHANNEL, messageId: expect.stringMatching(/^\d+$/) });

    const note = await transport.postIncidentMessage!(
      { ...channel, threadId: root.messageId },
      { kind: 'note', note: { status: 'acknowledged', text: 'Acknowledged by Dana Oncall' } },
    );
    expect(note.threadId).toBe(root.messageId);
    expect(fake.callsTo('sendToConversation').at(-1)!.path).toBe(
      `/v3/conversations/${CHANNEL};messageid=${root.messageId}/activities`,
    );
    await transport.updateIncidentMessage!(root, {
      kind: 'root',
      card: {
        incidentId: 'inc_1',
        source: 'pagerduty',
        status: 'resolved',
        title: 'Corvo down',
        assignees: [],
        durationMs: 60_000,
      },
    });
    const thread = fake.thread(CHANNEL, root.messageId);
    expect(thread.map((m) => m.id)).toEqual([root.messageId, note.messageId]);
    expect(thread[0]!.edits).toBe(1);
    expect(JSON.stringify(fake.cardOf(thread[0]!))).toContain('Resolved after 1m');
    expect(fake.callsTo('updateActivity').at(-1)!.path).toBe(
      `/v3/conversations/${CHANNEL};messageid=${root.messageId}/activities/${root.messageId}`,
    );
  });

  it('posts into a configured channel nobody has written in yet (the config gives its service URL)', async () => {
    const root = await transport.postIncidentMessage!(
      { platform: 'teams', channelId: CONFIGURED },
      { kind: 'note', note: { status: 'triggered', text: 'x' } },
    );
    expect(fake.thread(CONFIGURED, root.messageId)).toHaveLength(1);
  });

  it('says MessageNotFoundError when the root was deleted, so the caller posts a new one', async () => {
    const err = await transport.updateIncidentMessage!(
      { channelId: CHANNEL, messageId: '999' },
      { kind: 'note', note: { status: 'triggered', text: 'x' } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessageNotFoundError);
  });
});

describe('Teams transport: replies, cards and refusals', () => {
  it('posts a report card in the thread and remembers it for answering clicks', async () => {
    const root = await transport.postText(channel, 'root');
    const posted = await transport.postReport(
      { ...channel, threadId: root.messageId },
      {
        title: 'Corvo health',
        system: 'corvo',
        target: 'prod',
        workflow: 'health',
        verdict: 'ok',
        summary: 'fine',
        findings: [],
        invocationId: 'inv_1',
        generatedAt: '2025-03-14T09:26:53.000Z',
      },
    );
    expect(posted.threadId).toBe(root.messageId);
    expect(await findCard(db, CHANNEL, posted.messageId)).toEqual(
      fake.cardOf(fake.thread(CHANNEL, root.messageId).find((m) => m.id === posted.messageId)!),
    );
  });

  it('in a group chat (no threads), posts to the chat whatever thread is asked for', async () => {
    const posted = await transport.postText({ platform: 'teams', channelId: CHAT, threadId: '123' }, 'hello & <b>');
    expect(posted.threadId).toBeUndefined();
    const m = fake.messages(CHAT).find((x) => x.id === posted.messageId)!;
    expect(m.activity).toMatchObject({ textFormat: 'xml', text: 'hello &amp; &lt;b&gt;' });
  });

  it('replaces an approval card in place and shows names instead of ids', async () => {
    const card = {
      approvalId: 'apr_1',
      title: 'Rebuild SQLite',
      system: 'corvo',
      target: 'prod',
      level: 'approval' as const,
      destructive: true,
      call: 'POST /api/v1/admin/rebuild-sqlite',
      effect: 'rebuilds',
      requestedBy: ALICE,
      expiresAt: '2025-03-14T09:41:53.000Z',
      state: 'pending' as const,
    };
    const root = await transport.postText(channel, 'root');
    const posted = await transport.postApprovalCard({ ...channel, threadId: root.messageId }, card);
    expect(JSON.stringify(fake.cardOf(fake.thread(CHANNEL, root.messageId).at(-1)!))).toContain('Alice Example');
    await transport.updateApprovalCard(posted, { ...card, state: 'denied', decidedBy: ALICE });
    const updated = fake.thread(CHANNEL, root.messageId).find((m) => m.id === posted.messageId)!;
    expect(updated.edits).toBe(1);
    expect(JSON.stringify(fake.cardOf(updated))).toContain('Denied by Alice Example');
    expect(JSON.stringify(await findCard(db, CHANNEL, posted.messageId))).toContain('Denied by Alice Example');
  });

  it('sends a "private" refusal as a reply that @mentions the user (Teams has no ephemeral bot messages)', async () => {
    const root = await transport.postText(channel, 'root');
    await transport.postEphemeral({ ...channel, threadId: root.messageId }, ALICE, "You can't approve this.");
    const reply = fake.thread(CHANNEL, root.messageId).at(-1)!;
    expect(reply.activity).toMatchObject({
      text: "<at>Alice Example</at> You can't approve this.",
      entities: [{ type: 'mention', mentioned: { id: '29:1alice', name: 'Alice Example' } }],
    });
  });

  it('leaves a long Retry-After to the queue, and refuses for good a conversation it knows nothing about', async () => {
    fake.failNext(2, 429, 3);
    const throttled = await transport.postText(channel, 'x').catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(RateLimitedError);
    expect((throttled as RateLimitedError).retryAfterMs).toBe(3000);
    const unknown = await transport
      .postText({ platform: 'teams', channelId: '19:nowhere@thread.tacv2' }, 'x')
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(PermanentDeliveryError);
    expect((unknown as Error).message).toMatch(/install the bot there/);
  });
});
