// Every kind of message the Teams transport posts, with hostile text from a target and an echoed secret in every
// field, against the fake Bot Connector and a real Postgres: text messages are escaped XML, card text sits only in
// plain TextRuns, and no secret reaches Teams.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalCard } from '../../src/core/approval-card.js';
import type { Conversation } from '../../src/core/invocation.js';
import { silentLogger } from '../../src/core/logger.js';
import { Secret } from '../../src/core/secret.js';
import { migrate } from '../../src/store/migrate.js';
import { startFakeBotConnector, type FakeBotConnector } from '../../test/support/fake-bot-connector.js';
import { found, HOSTILE, TEAMS_ACTIVE } from '../../test/support/hostile-strings.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { report } from '../../test/support/report-fixtures.js';
import { createConnector } from './teams-connector.js';
import { saveConversationReference, saveTeamsUser } from './teams-store.js';
import { createTeamsTransport } from './teams-transport.js';

const CHAT = '19:hostilechat@thread.v2';
const TENANT = '72f988bf-0000-4000-8000-00000000c0de';
const ALICE = '00000000-0000-4000-8000-0000000a11ce';
const TARGET_KEY = 'teams-hostile-target-key-77';
const ECHO = `${HOSTILE} key=${TARGET_KEY} xoxb-1111-2222-abcdefabcdef`;

let db: pg.Pool;
let fake: FakeBotConnector;
let transport: ReturnType<typeof createTeamsTransport>;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createTestDatabase(), max: 3 });
  await migrate(db, silentLogger);
  fake = await startFakeBotConnector();
  new Secret(TARGET_KEY); // as the config does when it reads the target's apiKey
  transport = createTeamsTransport({
    db,
    connector: createConnector({ authorizationFor: async () => undefined, attempts: 1, baseDelayMs: 1, maxDelayMs: 1 }),
    configuredChannels: [],
    botId: '28:runbook-bot',
    logger: silentLogger,
  });
  await saveConversationReference(db, {
    key: CHAT,
    conversationId: CHAT,
    serviceUrl: fake.serviceUrl,
    tenantId: TENANT,
    conversationType: 'groupChat',
    botId: '28:runbook-bot',
    botName: 'runbook-bot',
  });
  await saveTeamsUser(db, { aadObjectId: ALICE, teamsUserId: '29:1alice', name: 'Alice Example', tenantId: TENANT });
}, 60_000);

afterAll(async () => {
  await fake?.close();
  await db?.end();
});

const chat: Conversation = { platform: 'teams', channelId: CHAT };

const card: ApprovalCard = {
  approvalId: 'apr_teams_hostile',
  title: 'Rebuild SQLite',
  system: 'corvo',
  target: 'prod',
  level: 'approval',
  destructive: true,
  call: 'POST /api/v1/admin/rebuild-sqlite',
  effect: 'Rebuilds the mirror',
  reason: ECHO,
  requestedBy: ALICE,
  expiresAt: '2026-01-01T10:15:00.000Z',
  state: 'failed',
  decidedBy: ALICE,
  decidedAt: '2026-01-01T10:01:00.000Z',
  result: `Corvo answered 500: ${ECHO}`,
};

/** Objects in a card that hold target text: each must be a plain TextRun (never markdown), never a TextBlock. */
function carriersOfTargetText(value: unknown): string[] {
  const types: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (n === null || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (typeof o.text === 'string' && o.text.includes('evil.example') && typeof o.type === 'string') types.push(o.type);
    Object.values(o).forEach(walk);
  };
  walk(value);
  return [...new Set(types)];
}

describe('Teams transport: hostile target text and echoed secrets', () => {
  it('text messages and refusals are escaped XML, and redacted', async () => {
    await transport.postText(chat, `Re-check: still warning — Queue ${ECHO}`);
    await transport.postEphemeral(chat, ALICE, `Nothing to do: ${ECHO}`);
    const [text, refusal] = fake.messages(CHAT).slice(-2);
    for (const m of [text!, refusal!]) {
      expect(m.activity.textFormat).toBe('xml');
      expect(found(m.activity, TEAMS_ACTIVE)).toEqual([]);
      expect(String(m.activity.text)).toContain('&lt;!channel&gt; &lt;https://evil.example|click me&gt;');
      expect(found(m.activity, [TARGET_KEY, 'xoxb-1111'])).toEqual([]);
      expect(String(m.activity.text)).toContain('[redacted]');
    }
    // The only mention is the real one of the person refused.
    expect(String(refusal!.activity.text)).toMatch(/^<at>Alice Example<\/at> Nothing to do: Q /);
  });

  it('cards (report, approval, incident) hold target text only in plain TextRuns, and no secret', async () => {
    await transport.postReport(
      chat,
      report({ summary: ECHO, findings: [{ code: 'x.y', severity: 'warning', title: ECHO, evidence: ECHO }] }),
    );
    const posted = await transport.postApprovalCard(chat, { ...card, state: 'pending' });
    await transport.updateApprovalCard(posted, card);
    await transport.postIncidentMessage!(chat, { kind: 'note', note: { status: 'triggered', text: ECHO } });
    const activities = fake.calls
      .filter((c) => ['sendToConversation', 'updateActivity', 'createConversation'].includes(c.operation))
      .map((c) => c.body);
    expect(activities.length).toBeGreaterThanOrEqual(5);
    for (const a of activities) {
      expect(found(a, [TARGET_KEY, 'xoxb-1111'])).toEqual([]);
    }
    const cardActivities = activities.filter((a) => JSON.stringify(a).includes('AdaptiveCard'));
    expect(cardActivities.length).toBeGreaterThanOrEqual(4);
    for (const a of cardActivities) {
      const attachments = (a as { attachments?: { content: unknown }[] }).attachments ?? [];
      expect(carriersOfTargetText(attachments.map((x) => x.content))).toEqual(['TextRun']);
      expect(found(a, ['[redacted]'])).toEqual(['[redacted]']);
    }
  });
});
