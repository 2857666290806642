/**
 * The Slack failure stories on Microsoft Teams, through the real `web` and `worker` processes and the loopback fake
 * Bot Connector: an unreachable Corvo gives an inconclusive report card (with the reason, without internals), a 429
 * from the connector is waited out and the report card is posted exactly once, and a worker killed while an approved
 * step runs leads to "outcome unknown" in the thread — never a second call.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FakeBotConnector, FakeTeamsMessage } from '../support/fake-bot-connector.js';
import {
  approvalStates,
  BOT_TOKEN,
  CORVO_KEY,
  SIGNING_SECRET,
  startBotStack,
  TEAMS_APP_PASSWORD,
  type BotStack,
} from './bot-stack.js';
import { ALICE, BOB, cardText, executeActions, teamsChannel, textOf } from './teams-activities.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHANNEL = '19:5e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b@thread.tacv2';
const TEAM = '19:team0000000000000000000000000001@thread.tacv2';

let stack: BotStack;
let teams: FakeBotConnector;
const { mentionPost, invoke } = teamsChannel({
  teams: () => teams,
  channel: CHANNEL,
  team: TEAM,
  firstMessageId: 1_810_000_000_000,
});
const { approvalState, waitForState } = approvalStates(() => stack.db);

beforeAll(async () => {
  stack = await startBotStack({
    scenario: 'sqlite-diverged',
    approvers: [`teams:${BOB.aadObjectId}`, `teams:${ALICE.aadObjectId}`],
    corvoTimeoutMs: 10_000,
    // Short locks so a killed worker's job is picked up again within the test.
    workerEnv: { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' },
    teams: {},
  });
  teams = stack.teams!;
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

const rebuildCalls = () => stack.corvo.calls.filter((c) => c.path === '/api/v1/admin/rebuild-sqlite');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Messages of a thread that carry a card. */
const cardsIn = (thread: string) => teams.thread(CHANNEL, thread).filter((m) => teams.cardOf(m) !== undefined);
/** The "Running Corvo health on prod… (inv_…)" acknowledgements in a thread. */
const acksIn = (thread: string) =>
  teams
    .thread(CHANNEL, thread)
    .filter((m) => m.replyToId === thread && /^Running Corvo health on prod…/.test(textOf(m)));

/** Posts `@runbook-bot corvo health` as Alice and waits for the report card in the post's thread. */
async function healthReport(): Promise<{ thread: string; report: FakeTeamsMessage }> {
  const post = mentionPost(ALICE, 'corvo health');
  expect((await stack.postTeams(post)).status).toBe(200);
  await teams.waitFor(() => cardsIn(post.id).length > 0, 30_000);
  return { thread: post.id, report: cardsIn(post.id)[0]! };
}

/** Health → report card → Alice clicks Rebuild SQLite → the approval card in the thread. */
async function openApprovalCard(): Promise<{ thread: string; card: FakeTeamsMessage; approvalId: string }> {
  const { thread, report } = await healthReport();
  const button = executeActions(teams.cardOf(report)).find((a) => a.title.includes('Rebuild SQLite'));
  expect(button, cardText(teams.cardOf(report))).toBeDefined();
  expect(button!.verb).toBe('runbook.offer');
  const offer = await stack.postTeams(invoke(ALICE, thread, report.id, 'runbook.offer', button!.data.id));
  expect(offer.status).toBe(200);
  const isApprovalCard = (m: FakeTeamsMessage) => String(m.activity.summary ?? '').startsWith('Approval needed');
  await teams.waitFor(() => teams.thread(CHANNEL, thread).some(isApprovalCard), 30_000);
  const card = teams.thread(CHANNEL, thread).find(isApprovalCard)!;
  expect(cardText(teams.cardOf(card))).toContain('POST /api/v1/admin/rebuild-sqlite');
  const approve = executeActions(teams.cardOf(card)).find((a) => a.verb === 'approval.approve');
  expect(approve, cardText(teams.cardOf(card))).toBeDefined();
  expect(approve!.data.id).toMatch(/^apr_/);
  return { thread, card, approvalId: approve!.data.id };
}

describe('Teams: failures, end to end', () => {
  it('reports an unreachable Corvo as one inconclusive line and still posts', async () => {
    stack.corvo.setScenario('unreachable');
    try {
      const { thread, report } = await healthReport();
      const card = cardText(teams.cardOf(report));
      // One finding, inconclusive, with the reason.
      expect(report.activity.summary).toBe('Corvo health on prod: INCONCLUSIVE — 1 inconclusive');
      expect(card).toMatch(/unreachable|reset|refused/i);
      expect(card).toMatch(/connection (reset by the server|refused)/);
      expect(card).not.toMatch(/CRITICAL|🔴/);
      // No internals: no stack trace, no file paths, no connection strings or keys.
      expect(card).not.toMatch(/\bat [^"]*:\d+:\d+/);
      expect(card).not.toMatch(/node:internal|node_modules|file:\/\/|\/src\//);
      expect(card).not.toMatch(/postgres(ql)?:\/\/|redis:\/\//);
      expect(card).not.toContain(stack.corvo.url);
      for (const secret of [CORVO_KEY, BOT_TOKEN, SIGNING_SECRET, TEAMS_APP_PASSWORD, stack.databaseUrl]) {
        expect(card).not.toContain(secret);
      }
      // Still posted: one acknowledgement and one report card in the thread, nothing refused by the connector.
      expect(acksIn(thread)).toHaveLength(1);
      expect(cardsIn(thread)).toHaveLength(1);
      const { rows } = await stack.db.query(`select status, verdict from invocations where id = $1`, [
        /\((inv_[0-9a-f]+)\)/.exec(textOf(acksIn(thread)[0]!))![1],
      ]);
      expect(rows[0]).toMatchObject({ status: 'succeeded', verdict: 'inconclusive' });
      expect(teams.refused).toEqual([]);
    } finally {
      stack.corvo.setScenario('sqlite-diverged');
    }
  });

  it('waits out a 429 and posts exactly one message', async () => {
    // Hold the worker back on Corvo so that the throttled call is the worker's report card, not the web's
    // acknowledgement (which the web has posted before it answers the activity).
    stack.corvo.setLatency(1000);
    const post = mentionPost(ALICE, 'corvo health');
    let seen = 0;
    try {
      expect((await stack.postTeams(post)).status).toBe(200);
      expect(acksIn(post.id)).toHaveLength(1);
      expect(cardsIn(post.id)).toHaveLength(0);
      seen = teams.calls.length;
      teams.failNext(1, 429, 2);
    } finally {
      stack.corvo.setLatency(0);
    }
    await teams.waitFor(() => cardsIn(post.id).length >= 1, 30_000);
    // Give a (wrong) second post every chance to show up.
    await sleep(1500);
    expect(cardsIn(post.id)).toHaveLength(1);
    expect(teams.thread(CHANNEL, post.id)).toHaveLength(2); // the acknowledgement and the report card
    expect(cardsIn(post.id)[0]!.activity.summary).toMatch(/^Corvo health on prod: CRITICAL/);

    const calls = teams.calls.slice(seen);
    const throttled = calls.filter((c) => c.status === 429);
    expect(throttled).toHaveLength(1);
    const [first] = throttled;
    // The throttled call was the report card…
    expect(String((first!.body as { summary?: unknown }).summary)).toMatch(/^Corvo health on prod: CRITICAL/);
    // …tried once more, after Retry-After, and accepted.
    const again = calls.filter((c) => c !== first && c.operation === first!.operation && c.path === first!.path);
    expect(again.map((c) => c.status)).toEqual([201]);
    expect(again[0]!.body).toEqual(first!.body);
    expect(again[0]!.at - first!.at).toBeGreaterThanOrEqual(1900);
    expect(teams.refused).toEqual([]);
  });

  it("a worker killed while the step runs: the step is not run again and the thread hears 'outcome unknown'", async () => {
    stack.corvo.setScenario('sqlite-diverged');
    const before = rebuildCalls().length;
    const { thread, card, approvalId } = await openApprovalCard();
    // Slow Corvo down so the step is still in flight when the workers die (the re-validation is slowed too).
    stack.corvo.setLatency(3000);
    let killed: BotStack['workers'] = [];
    try {
      const approve = await stack.postTeams(invoke(BOB, thread, card.id, 'approval.approve', approvalId));
      expect(approve.status).toBe(200);
      await waitForState(approvalId, ['executing']);
      killed = stack.workers;
      expect(killed).toHaveLength(2);
      await Promise.all(killed.map((w) => w.kill()));
    } finally {
      stack.corvo.setLatency(0);
    }
    stack.workers = [await stack.spawnWorker()];
    await waitForState(approvalId, ['outcome-unknown'], 30_000);
    const unknown = (m: FakeTeamsMessage) => /unknown/.test(textOf(m)) && /NOT be run again/.test(textOf(m));
    await teams.waitFor(() => teams.thread(CHANNEL, thread).some(unknown), 30_000);
    await sleep(3500); // the in-flight call completes on the simulator
    expect(rebuildCalls().length - before).toBeLessThanOrEqual(1);
    expect(await approvalState(approvalId)).toBe('outcome-unknown');
    expect(teams.thread(CHANNEL, thread).filter(unknown)).toHaveLength(1);
    // The workers that were killed never printed a secret either (the stack checks the ones still running).
    const printed = killed.map((w) => w.output()).join('\n');
    for (const secret of [CORVO_KEY, BOT_TOKEN, SIGNING_SECRET, TEAMS_APP_PASSWORD, stack.databaseUrl]) {
      expect(printed).not.toContain(secret);
    }
    expect(teams.refused).toEqual([]);
  });
});
