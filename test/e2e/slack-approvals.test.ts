/**
 * The headline story through the real processes: `/corvo health` finds the SQLite mirror diverged, the requester
 * clicks Rebuild SQLite, a second engineer approves on the card, one worker runs the step exactly once, the result
 * and the re-check land in the card's thread — and a worker killed mid-step leads to "outcome unknown", never a
 * second call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommandBody } from '../support/slack-signing.js';
import { approvalStates, startBotStack, type BotStack } from './bot-stack.js';

let stack: BotStack;

const rebuildCalls = () => stack.corvo.calls.filter((c) => c.path === '/api/v1/admin/rebuild-sqlite');

beforeAll(async () => {
  stack = await startBotStack({
    scenario: 'sqlite-diverged',
    approvers: ['slack:U0BOB', 'slack:U0CAROL', 'slack:U0ALICE'],
    corvoTimeoutMs: 10_000,
    // Short locks so a killed worker's job is picked up again within the test.
    workerEnv: { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' },
  });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

/** Runs /corvo health in `channel` and returns the report message and its Rebuild SQLite button. */
async function reportWithButton(channel: string) {
  const res = await stack.postSlack(slashCommandBody({ command: '/corvo', text: 'health', channel_id: channel }));
  expect(res.status).toBe(200);
  await stack.slack.waitFor(() => stack.slack.messages(channel).length >= 1, 20_000);
  const report = stack.slack.messages(channel)[0]!;
  const button = (
    report.blocks as { type: string; elements?: { action_id: string; value: string; text: { text: string } }[] }[]
  )
    .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
    .find((e) => e.text.text.includes('Rebuild SQLite'));
  expect(button, JSON.stringify(report.blocks)).toBeDefined();
  expect(button!.value).toMatch(/^ofr_[A-Za-z0-9_-]+$/); // only an opaque id
  return { report, button: button! };
}

async function openCard(channel: string) {
  const { report, button } = await reportWithButton(channel);
  const click = await stack.click({
    userId: 'U0ALICE',
    channelId: channel,
    actionId: button.action_id,
    value: button.value,
    messageTs: report.ts,
  });
  expect(click.status).toBe(200);
  await stack.slack.waitFor(
    () => stack.slack.messages(channel).some((m) => String(m.text).startsWith('Approval needed')),
    20_000,
  );
  const card = stack.slack.messages(channel).find((m) => String(m.text).startsWith('Approval needed'))!;
  const approve = (card.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
    .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
    .find((e) => e.action_id === 'approval:approve')!;
  return { card, approvalId: approve.value };
}

const { approvalState, waitForState } = approvalStates(() => stack.db);

describe('approvals in Slack, end to end', () => {
  it('requester asks, is refused self-approval, a second engineer approves, the step runs once, re-check clears', async () => {
    const channel = 'C0APPROVE';
    const before = rebuildCalls().length;
    const { card, approvalId } = await openCard(channel);
    expect(JSON.stringify(card.blocks)).toContain('POST /api/v1/admin/rebuild-sqlite');

    // The requester cannot approve their own request.
    await stack.click({
      userId: 'U0ALICE',
      channelId: channel,
      actionId: 'approval:approve',
      value: approvalId,
      messageTs: card.ts,
    });
    await stack.slack.waitFor(() => stack.slack.ephemerals(channel).some((e) => e.user === 'U0ALICE'), 20_000);
    expect(stack.slack.ephemerals(channel).find((e) => e.user === 'U0ALICE')!.text).toMatch(
      /can't approve your own request/,
    );
    expect(await approvalState(approvalId)).toBe('pending');

    // Two approvers at the same moment, plus a double click: one approval, one call.
    const clicks = await Promise.all([
      stack.click({
        userId: 'U0BOB',
        channelId: channel,
        actionId: 'approval:approve',
        value: approvalId,
        messageTs: card.ts,
      }),
      stack.click({
        userId: 'U0CAROL',
        channelId: channel,
        actionId: 'approval:approve',
        value: approvalId,
        messageTs: card.ts,
      }),
      stack.click({
        userId: 'U0BOB',
        channelId: channel,
        actionId: 'approval:approve',
        value: approvalId,
        messageTs: card.ts,
      }),
    ]);
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200]);
    await waitForState(approvalId, ['succeeded']);
    await stack.slack.waitFor(
      () => stack.slack.messages(channel).some((m) => m.thread_ts === card.ts && /Re-check/.test(String(m.text))),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(rebuildCalls().length - before).toBe(1);
    const updated = stack.slack.messages(channel).find((m) => m.ts === card.ts)!;
    expect(JSON.stringify(updated.blocks)).toMatch(
      /Approved by <@U0(BOB|CAROL)> at \d\d:\d\d UTC — done: rebuilt in 1,234 ms/,
    );
    const thread = stack.slack
      .messages(channel)
      .filter((m) => m.thread_ts === card.ts)
      .map((m) => String(m.text));
    expect(thread.join('\n')).toMatch(/rebuilt in 1,234 ms/);
    expect(thread.join('\n')).toMatch(/Re-check: .*has cleared/);
    // The loser of the race was told, privately.
    await stack.slack.waitFor(
      () => stack.slack.ephemerals(channel).some((e) => /Nothing to do: this request is already/.test(String(e.text))),
      20_000,
    );

    // The audit shows the whole chain for this run.
    const { rows } = await stack.db.query(
      `select from_state, to_state from approval_events where approval_id = $1 order by id`,
      [approvalId],
    );
    expect(rows.map((r) => `${r.from_state ?? '-'}>${r.to_state}`)).toEqual([
      '->pending',
      'pending>approved',
      'approved>executing',
      'executing>succeeded',
    ]);
    const recheck = await stack.db.query(`select verdict from invocations where id = $1`, [`${approvalId}-recheck`]);
    expect(recheck.rows[0]?.verdict).toBe('ok');

    // `/runbook audit` shows that chain in chat: invocation → request → approval → execution → re-check.
    await stack.postSlack(slashCommandBody({ command: '/runbook', text: 'audit 50', channel_id: 'C0AUDIT' }));
    await stack.slack.waitFor(() => stack.slack.messages('C0AUDIT').length === 1, 20_000);
    const audit = JSON.stringify(stack.slack.messages('C0AUDIT')[0]!.blocks);
    for (const line of [
      '/corvo health --target prod',
      '— → pending by slack:U0ALICE',
      'pending → approved by slack:U0',
      'approved → executing',
      'executing → succeeded (rebuilt in 1,234 ms)',
      `[${approvalId}-recheck]`,
    ]) {
      expect(audit).toContain(line);
    }
  });

  it('a worker killed while the step runs: the step is not run again and the channel hears "outcome unknown"', async () => {
    const channel = 'C0CRASH';
    stack.corvo.setScenario('sqlite-diverged');
    const before = rebuildCalls().length;
    const { card, approvalId } = await openCard(channel);
    // Slow Corvo down so the step is still in flight when the workers die (the re-validation is slowed too).
    stack.corvo.setLatency(3000);
    await stack.click({
      userId: 'U0BOB',
      channelId: channel,
      actionId: 'approval:approve',
      value: approvalId,
      messageTs: card.ts,
    });
    await waitForState(approvalId, ['executing']);
    await Promise.all(stack.workers.map((w) => w.kill()));
    stack.corvo.setLatency(0);
    stack.workers = [await stack.spawnWorker()];
    await waitForState(approvalId, ['outcome-unknown'], 30_000);
    await stack.slack.waitFor(
      () => stack.slack.messages(channel).some((m) => m.thread_ts === card.ts && /unknown/.test(String(m.text))),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 3500)); // the in-flight call completes on the simulator
    expect(rebuildCalls().length - before).toBeLessThanOrEqual(1);
    const thread = stack.slack
      .messages(channel)
      .filter((m) => m.thread_ts === card.ts)
      .map((m) => String(m.text));
    expect(thread.join('\n')).toMatch(/NOT be run again/);
  });
});
