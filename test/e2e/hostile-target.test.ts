/**
 * A hostile Corvo, through the real `web` and `worker` processes, on Slack and Teams at once: queue names and error
 * texts carrying broadcasts, mentions and links; error bodies that quote the API key (401, 500, 429); queues named
 * `..`. Every message the bot posts is checked — reports, approval cards and their updates, thread lines, ephemeral
 * and command answers — and every request line the target receives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasDotSegment } from '../../src/core/dot-segment.js';
import type { FakeBotConnector } from '../support/fake-bot-connector.js';
import { found, HOSTILE, SLACK_ACTIVE, SLACK_INERT, TEAMS_ACTIVE } from '../support/hostile-strings.js';
import { slashCommandBody } from '../support/slack-signing.js';
import { approvalStates, BOT_TOKEN, CORVO_KEY, startBotStack, type BotStack } from './bot-stack.js';
import { startHostileCorvoProxy, type HostileCorvoProxy } from './hostile-corvo-proxy.js';
import { ALICE, BOT, cardText, teamsChannel, textOf } from './teams-activities.js';

const CHANNEL = '19:hostile0000000000000000000000000@thread.tacv2';
const TEAM = '19:hostileteam000000000000000000000@thread.tacv2';
const HOSTILE_QUEUES = ['..', '.', '%2e%2e', 'Q <!channel> <https://evil.example|click me>'];

let stack: BotStack;
let proxy: HostileCorvoProxy;
let teams: FakeBotConnector;
const { base, mentionPost } = teamsChannel({
  teams: () => teams,
  channel: CHANNEL,
  team: TEAM,
  firstMessageId: 1_900_000_000_000,
});
const { waitForState } = approvalStates(() => stack.db);

beforeAll(async () => {
  proxy = await startHostileCorvoProxy();
  stack = await startBotStack({
    scenario: 'sqlite-diverged',
    approvers: ['slack:U0BOB', 'slack:U0ALICE'],
    corvoTimeoutMs: 10_000,
    corvoUrl: proxy.url,
    teams: {},
  });
  proxy.upstream = stack.corvo.url;
  proxy.hostileQueues = HOSTILE_QUEUES;
  teams = stack.teams!;
  const install = await stack.postTeams({
    ...base(ALICE, CHANNEL),
    type: 'conversationUpdate',
    id: 'install-h',
    membersAdded: [BOT],
  });
  expect(install.status).toBe(200);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
});

/** The error bodies a hostile Corvo sends: each quotes the key it was given, with markup around it. */
function failWithEchoedKey(): void {
  proxy.failNext('/api/v1/cluster/status', 401, {
    error: `invalid API key ${CORVO_KEY} <!channel>`,
    code: 'UNAUTHORIZED',
  });
  proxy.failNext('/api/v1/workers', 500, {
    error: `internal: key=${CORVO_KEY} <https://evil.example|click me>`,
    code: 'INTERNAL',
  });
  proxy.failNext('/api/v1/debug/runtime', 429, {
    error: `slow down ${CORVO_KEY}`,
    code: 'RATE_LIMITED',
    retry_after_ms: 5,
  });
}

async function slackCommand(channel: string, text: string): Promise<string> {
  const res = await stack.postSlack(slashCommandBody({ command: '/corvo', text, channel_id: channel }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { text: string }).text;
}

async function slackReport(channel: string) {
  await slackCommand(channel, 'health');
  await stack.slack.waitFor(() => stack.slack.messages(channel).length >= 1, 30_000);
  return stack.slack.messages(channel)[0]!;
}

type Button = { action_id: string; value: string; text: { text: string } };
const buttonsOf = (blocks: unknown): Button[] =>
  ((blocks ?? []) as { type: string; elements?: Button[] }[]).flatMap((b) =>
    b.type === 'actions' ? (b.elements ?? []) : [],
  );

describe('a hostile target, end to end', () => {
  it('error bodies quoting the API key (401, 500, 429): the Slack report says what failed, without the key', async () => {
    failWithEchoedKey();
    const report = await slackReport('C0KEYS');
    const all = JSON.stringify(report);
    expect(all).not.toContain(CORVO_KEY);
    // The failures are reported (the text did reach the report), with the key taken out.
    expect(all).toContain('Corvo rejected the API key (401 invalid API key [redacted]');
    expect(found(report, SLACK_ACTIVE)).toEqual([]);
  });

  it('… and the Teams card likewise', async () => {
    failWithEchoedKey();
    const post = mentionPost(ALICE, 'corvo health');
    expect((await stack.postTeams(post)).status).toBe(200);
    await teams.waitFor(() => teams.thread(CHANNEL, post.id).some((m) => teams.cardOf(m)), 30_000);
    const card = teams.cardOf(teams.thread(CHANNEL, post.id).find((m) => teams.cardOf(m))!);
    expect(cardText(card)).not.toContain(CORVO_KEY);
    expect(cardText(card)).toContain('invalid API key [redacted]');
  });

  it('queues named `..` or with markup get no Resume button (the report says why); typed, they are refused', async () => {
    const report = await slackReport('C0QUEUES');
    const labels = buttonsOf(report.blocks).map((b) => b.text.text);
    expect(labels.some((l) => l.includes('Rebuild SQLite'))).toBe(true);
    expect(labels.filter((l) => /\.\.|%2e|<|channel/.test(l))).toEqual([]);
    const { rows } = await stack.db.query(`select params->>'queue' as queue from action_offers where params ? 'queue'`);
    expect(rows.map((r: { queue: string }) => r.queue).filter((q) => HOSTILE_QUEUES.includes(q))).toEqual([]);
    const text = JSON.stringify(report.blocks);
    expect(text).toContain('No \\"Resume queue\\" button');
    expect(text).toContain('queue=\\"..\\"');
    // The hostile name is shown as typed, inert.
    expect(found(report, SLACK_INERT.slice(0, 2))).toEqual(SLACK_INERT.slice(0, 2));
    expect(found(report, SLACK_ACTIVE)).toEqual([]);

    // Typed: answered with usage (escaped), and nothing reaches Corvo.
    const before = proxy.received.length;
    for (const q of ['..', '.', '%2e%2e', '.%2E']) {
      expect(await slackCommand('C0QUEUES', `resume ${q}`)).toMatch(/^Invalid &lt;queue&gt;: "/);
      expect(await slackCommand('C0QUEUES', `jobs-stuck-pending ${q}`)).toMatch(/^Invalid &lt;queue&gt;: "/);
    }
    expect(await slackCommand('C0QUEUES', 'resume <!channel>')).toContain('"&lt;!channel&gt;"');
    expect(proxy.received.length).toBe(before);
  });

  it('a failed fix whose error text is hostile: the card, its status block and the thread lines stay inert', async () => {
    const channel = 'C0FAIL';
    const report = await slackReport(channel);
    const rebuild = buttonsOf(report.blocks).find((b) => b.text.text.includes('Rebuild SQLite'))!;
    await stack.click({
      userId: 'U0ALICE',
      channelId: channel,
      actionId: rebuild.action_id,
      value: rebuild.value,
      messageTs: report.ts,
    });
    await stack.slack.waitFor(
      () => stack.slack.messages(channel).some((m) => String(m.text).startsWith('Approval needed')),
      30_000,
    );
    const card = stack.slack.messages(channel).find((m) => String(m.text).startsWith('Approval needed'))!;
    const approvalId = buttonsOf(card.blocks).find((b) => b.action_id === 'approval:approve')!.value;

    proxy.failNext('/api/v1/admin/rebuild-sqlite', 500, {
      error: `rebuild failed: ${HOSTILE} key ${CORVO_KEY}`,
      code: 'INTERNAL',
    });
    await stack.click({
      userId: 'U0BOB',
      channelId: channel,
      actionId: 'approval:approve',
      value: approvalId,
      messageTs: card.ts,
    });
    await waitForState(approvalId, ['failed']);
    await stack.slack.waitFor(
      () => stack.slack.messages(channel).some((m) => /^Re-check: /.test(String(m.text))),
      30_000,
    );
    const failedLine = stack.slack.messages(channel).find((m) => String(m.text).startsWith(':x: Rebuild SQLite'))!;
    expect(failedLine.text).toContain(
      'rebuild failed: Q &lt;!channel&gt; &lt;https://evil.example|click me&gt; &lt;@U0EVIL&gt;',
    );
    expect(failedLine.text).toContain('key [redacted]');
    const updated = stack.slack.messages(channel).find((m) => m.ts === card.ts)!;
    expect(updated.edits).toBeGreaterThan(0);
    expect(JSON.stringify(updated.blocks)).toContain(
      'FAILED: POST /api/v1/admin/rebuild-sqlite: Corvo answered 500 INTERNAL: rebuild failed: Q &lt;!channel&gt;',
    );
    expect(updated.text).toContain('FAILED:');
    for (const m of stack.slack.messages(channel)) {
      expect(found(m, SLACK_ACTIVE)).toEqual([]);
      expect(JSON.stringify(m)).not.toContain(CORVO_KEY);
    }
  });

  it('Teams: a command answer that repeats hostile input is escaped XML', async () => {
    // Teams sends typed markup as entities (`&lt;at&gt;`); the bot decodes them to read the command.
    const post = mentionPost(ALICE, 'corvo jobs-stuck-pending "&lt;at&gt;Eve&lt;/at&gt;"');
    expect((await stack.postTeams(post)).status).toBe(200);
    await teams.waitFor(() => teams.thread(CHANNEL, post.id).some((m) => /Invalid/.test(textOf(m))), 20_000);
    const answer = teams.thread(CHANNEL, post.id).find((m) => /Invalid/.test(textOf(m)))!;
    expect(textOf(answer)).toContain('&lt;at&gt;Eve&lt;/at&gt;');
  });

  it('across the suite: no message carried live markup or a secret, no log printed one, no request had a dot segment', async () => {
    const slackCalls = stack.slack.calls.filter((c) =>
      ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(c.method),
    );
    expect(slackCalls.length).toBeGreaterThan(8);
    for (const c of slackCalls) {
      expect(found(c.args, SLACK_ACTIVE), JSON.stringify(c.args).slice(0, 300)).toEqual([]);
      expect(found(c.args, [CORVO_KEY, BOT_TOKEN])).toEqual([]);
    }
    const teamsCalls = teams.calls.filter((c) =>
      ['sendToConversation', 'replyToActivity', 'updateActivity', 'createConversation'].includes(c.operation),
    );
    expect(teamsCalls.length).toBeGreaterThan(2);
    for (const c of teamsCalls) {
      const activity = c.body as { textFormat?: string; text?: string } | undefined;
      if (typeof activity?.text === 'string')
        expect(found(activity.text.replace(/^<at>[^<]*<\/at> /, ''), TEAMS_ACTIVE)).toEqual([]);
      expect(found(c.body, [CORVO_KEY])).toEqual([]);
    }
    const logs = [stack.web, ...stack.workers].map((p) => p.output()).join('\n');
    expect(logs).not.toContain(CORVO_KEY);
    // Every request the target received went exactly where it was meant to: no dot segment, no collapsed path.
    expect(proxy.received.length).toBeGreaterThan(10);
    const paths = proxy.received.map((line) => line.split(' ')[1]!.split('?')[0]!);
    expect(paths.filter((p) => p.split('/').some((s) => s !== '' && hasDotSegment(s)))).toEqual([]);
    expect(proxy.received.filter((l) => !l.startsWith('GET ') && !l.startsWith('POST /api/v1/jobs/search'))).toEqual([
      'POST /api/v1/admin/rebuild-sqlite',
    ]);
  });
});
