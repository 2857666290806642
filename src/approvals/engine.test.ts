/**
 * The approval engine on real Postgres and Redis, the Corvo simulator recording every mutating call, and the real
 * Slack transport talking to the loopback fake Slack Web API. The clock is injected; execution jobs are run by
 * calling `execute` directly, as the remediation worker would.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { integrations } from '../../integrations/index.js';
import { startCorvoSimulator, type CorvoSimulator } from '../../integrations/corvo/simulator/index.js';
import { createSlackTransport } from '../../integrations/slack/slack-transport.js';
import { createTerminalTransport } from '../dev/terminal-transport.js';
import { parseConfig } from '../config/config-file.js';
import { Secret } from '../core/secret.js';
import { silentLogger } from '../core/logger.js';
import type { Actor, Conversation, Invocation } from '../core/invocation.js';
import { createClientsCache, systems } from '../main/systems.js';
import { runDiagnostic, runWorkflowQuietly, type RunDiagnosticDeps } from '../runner/run-diagnostic.js';
import { migrate } from '../store/migrate.js';
import { startFakeSlack, type FakeSlack } from '../../test/support/fake-slack.js';
import { createTestDatabase, uniqueName } from '../../test/support/namespace.js';
import { getApproval, listEvents, transition } from './approval-store.js';
import { createApprovalEngine, type ApprovalEngine } from './engine.js';

const T0 = Date.parse('2026-11-23T14:00:00Z');
let now = T0;
const clock = { now: () => now };

let db: pg.Pool;
let redis: Redis;
const keyPrefix = uniqueName('apr');
let corvo: CorvoSimulator;
let slack: FakeSlack;
let engine: ApprovalEngine;
/** The same engine with `approvals.quorum: { rebuild-sqlite: 2 }`. */
let quorumEngine: ApprovalEngine;
let deps: RunDiagnosticDeps;
let executions: string[];
let expiries: { id: string; delayMs: number }[];
let seq = 0;
const terminalOutput: string[] = [];

const channel = 'C0OPS';
const conversation: Conversation = { platform: 'slack', channelId: channel };
const alice: Actor = { platform: 'slack', userId: 'U0ALICE' };
const bob: Actor = { platform: 'slack', userId: 'U0BOB' };
const carol: Actor = { platform: 'slack', userId: 'U0CAROL' };
const dave: Actor = { platform: 'slack', userId: 'U0DAVE' };
const erin: Actor = { platform: 'slack', userId: 'U0ERIN' }; // approver through a Slack user group

const rebuildCalls = () => corvo.calls.filter((c) => c.path === '/api/v1/admin/rebuild-sqlite');
const ephemeralsTo = (user: string) => slack.ephemerals(channel).filter((e) => e.user === user);

beforeAll(async () => {
  const url = await createTestDatabase();
  db = new pg.Pool({ connectionString: url, max: 5 });
  await migrate(db, silentLogger);
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  corvo = await startCorvoSimulator({ scenario: 'sqlite-diverged', clock });
  slack = await startFakeSlack({ token: 'xoxb-test' });
  slack.setUsergroup('S0ONCALL', ['U0ERIN']);
  const config = parseConfig(
    `targets:\n  corvo:\n    prod: { url: "${corvo.url}" }\n` +
      `approvals:\n  approvers: ["slack:U0BOB", "slack:U0CAROL", "slack:U0ALICE", "slack-group:S0ONCALL"]\n  ttl: 15m\n`,
    'test.yaml',
    integrations,
    {},
  );
  const clientsFor = createClientsCache(config, clock);
  deps = {
    db,
    systems,
    clientsFor,
    engineWorkflows: {},
    clock,
    logger: silentLogger,
    timeoutMs: 20_000,
  };
  const engineDeps: Parameters<typeof createApprovalEngine>[0] = {
    db,
    redis,
    keyPrefix,
    systems,
    clientsFor,
    transports: {
      slack: createSlackTransport({ botToken: new Secret('xoxb-test'), apiUrl: slack.url }),
      // The demo's chat: a platform of its own, for decisions typed where no card of a Slack request lives.
      terminal: createTerminalTransport((text) => terminalOutput.push(text)),
    },
    policy: { approvers: config.approvals.approvers, requireDistinctApprover: true },
    levels: {},
    ttlMs: config.approvals.ttl,
    clock,
    logger: silentLogger,
    enqueueExecution: async (id, o) => {
      executions.push(o?.force ? `${id} (forced)` : id);
    },
    enqueueExpiry: async (id, delayMs) => {
      expiries.push({ id, delayMs });
    },
    runRecordedDiagnostic: (inv) => runDiagnostic(inv, deps),
    runQuietDiagnostic: (system, target, workflow, args, signal) =>
      runWorkflowQuietly(deps, system, target, workflow, args, signal),
  };
  engine = createApprovalEngine(engineDeps);
  quorumEngine = createApprovalEngine({ ...engineDeps, quorum: { 'rebuild-sqlite': 2 } });
});

afterAll(async () => {
  await db?.end();
  redis?.disconnect();
  await corvo?.close();
  await slack?.close();
});

beforeEach(() => {
  now = T0;
  executions = [];
  expiries = [];
  corvo.setScenario('sqlite-diverged');
});

/** Runs `/corvo health` and clicks the Rebuild SQLite button as alice; returns the approval id. */
async function requestRebuild(e: ApprovalEngine = engine): Promise<string> {
  const invocation: Invocation = {
    invocationId: `inv_test_${++seq}_${Date.now()}`,
    system: 'corvo',
    workflow: 'health',
    target: 'prod',
    args: {},
    actor: alice,
    conversation,
    requestedAt: new Date(now).toISOString(),
  };
  const report = await runDiagnostic(invocation, deps);
  const action = report.findings.flatMap((f) => f.actions ?? []).find((a) => a.remediation === 'rebuild-sqlite');
  expect(action?.offerId).toMatch(/^ofr_/);
  const deliveryKey = `click${seq}x${Date.now()}`;
  await e.handle({ kind: 'offer', offerId: action!.offerId!, actor: alice, conversation, deliveryKey });
  return `apr_${deliveryKey}`;
}

/** A click on the request's own card (the message it was posted as), as the Slack ingress sends it. */
const decide = async (id: string, actor: Actor, decision: 'approve' | 'deny' = 'approve', e: ApprovalEngine = engine) =>
  e.handle({
    kind: 'decision',
    approvalId: id,
    decision,
    actor,
    conversation,
    messageId: (await getApproval(db, id))?.cardMessageId ?? undefined,
  });

async function runExecutions(): Promise<void> {
  for (const id of executions.splice(0)) await engine.execute(id, new AbortController().signal);
}

describe('quorum approvals (approvals.quorum: { rebuild-sqlite: 2 })', () => {
  it('runs nothing after the first approval, shows 1 of 2 and who, and runs exactly once on the second', async () => {
    const before = rebuildCalls().length;
    const id = await requestRebuild(quorumEngine);
    const cardOf = async () => {
      const ts = (await getApproval(db, id))!.cardMessageId;
      return JSON.stringify(slack.messages(channel).find((m) => m.ts === ts)!.blocks);
    };
    expect(await cardOf()).toContain('0 of 2 approvals');
    await decide(id, bob, 'approve', quorumEngine);
    expect((await getApproval(db, id))!.state).toBe('pending');
    expect(executions).toEqual([]);
    expect(await cardOf()).toContain('1 of 2 approvals (<@U0BOB>)');
    // The same person again does not count twice; the requester cannot be one of the approvers.
    await decide(id, bob, 'approve', quorumEngine);
    expect(ephemeralsTo('U0BOB').at(-1)?.text).toMatch(/already approved this request; it needs 2/);
    await decide(id, alice, 'approve', quorumEngine);
    expect(ephemeralsTo('U0ALICE').at(-1)?.text).toMatch(/can't approve your own request/);
    expect((await getApproval(db, id))!.state).toBe('pending');
    // The second distinct approver, clicking twice at once: approved once, queued once, run once.
    await Promise.all([decide(id, carol, 'approve', quorumEngine), decide(id, carol, 'approve', quorumEngine)]);
    expect((await getApproval(db, id))!.state).toBe('approved');
    expect(executions).toEqual([id]);
    for (const e of executions.splice(0)) await quorumEngine.execute(e, new AbortController().signal);
    await quorumEngine.execute(id, new AbortController().signal);
    expect(rebuildCalls().length - before).toBe(1);
    expect((await getApproval(db, id))!.state).toBe('succeeded');
  });

  it("the Nth voter's job dying after its vote is recorded: the retry approves it, once", async () => {
    const id = await requestRebuild(quorumEngine);
    await decide(id, bob, 'approve', quorumEngine);
    // Carol's vote reached Postgres, then her job died before the transition (as a crashed worker leaves it).
    await db.query(`insert into approval_votes (approval_id, approver, at) values ($1, 'slack:U0CAROL', now())`, [id]);
    expect((await getApproval(db, id))!.state).toBe('pending');
    await decide(id, carol, 'approve', quorumEngine); // the redelivered job
    expect((await getApproval(db, id))!.state).toBe('approved');
    expect(executions).toEqual([id]);
    executions.splice(0);
  });

  it('expiry still applies: an approval after the deadline counts for nothing', async () => {
    const id = await requestRebuild(quorumEngine);
    await decide(id, bob, 'approve', quorumEngine);
    now += 16 * 60_000;
    await decide(id, carol, 'approve', quorumEngine);
    expect((await getApproval(db, id))!.state).toBe('expired');
    expect(executions).toEqual([]);
  });
});

describe('approval engine', () => {
  it('posts an approval card that says what runs, why, what it changes and who asked', async () => {
    const id = await requestRebuild();
    const a = await getApproval(db, id);
    expect(a).toMatchObject({
      state: 'pending',
      remediation: 'rebuild-sqlite',
      target: 'prod',
      requester: 'slack:U0ALICE',
    });
    expect(a!.expiresAt.getTime()).toBe(T0 + 15 * 60_000);
    expect(expiries).toEqual([{ id, delayMs: 15 * 60_000 }]);
    const card = slack.messages(channel).find((m) => m.ts === a!.cardMessageId)!;
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain('POST /api/v1/admin/rebuild-sqlite');
    expect(blocks).toContain('SQLite diverged from Pebble');
    expect(blocks).toContain("LEADER's mirror");
    expect(blocks).toContain('<@U0ALICE>');
    expect(blocks).toContain(`"value":"${id}"`);
  });

  it('refuses self-approval and non-approvers, changing nothing', async () => {
    const id = await requestRebuild();
    await decide(id, alice);
    await decide(id, dave);
    expect(ephemeralsTo('U0ALICE').at(-1)?.text).toMatch(/can't approve your own request/);
    expect(ephemeralsTo('U0DAVE').at(-1)?.text).toMatch(/not on this bot's approver list/);
    expect((await getApproval(db, id))!.state).toBe('pending');
    expect(executions).toEqual([]);
  });

  it('runs an approved step once, updates the card, posts the result and re-checks; a double click does nothing', async () => {
    const before = rebuildCalls().length;
    const id = await requestRebuild();
    await decide(id, bob);
    await decide(id, bob); // double click
    expect(ephemeralsTo('U0BOB').at(-1)?.text).toMatch(/already approved by U0BOB/);
    expect(executions).toEqual([id]);
    await runExecutions();
    await engine.execute(id, new AbortController().signal); // a redelivered job
    expect(rebuildCalls().length - before).toBe(1);
    const a = (await getApproval(db, id))!;
    expect(a).toMatchObject({ state: 'succeeded', decidedBy: 'slack:U0BOB', result: 'rebuilt in 1,234 ms' });
    const card = slack.messages(channel).find((m) => m.ts === a.cardMessageId)!;
    expect(JSON.stringify(card.blocks)).toContain('Approved by <@U0BOB> at 14:00 UTC — done: rebuilt in 1,234 ms');
    expect(JSON.stringify(card.blocks)).not.toContain('approval:approve'); // no buttons left
    const thread = slack.messages(channel).filter((m) => m.thread_ts === a.cardMessageId);
    expect(thread.map((m) => m.text).join('\n')).toMatch(/rebuilt in 1,234 ms/);
    expect(thread.map((m) => m.text).join('\n')).toMatch(/Re-check: .*cleared/);
    // The whole chain is in the audit trail.
    expect((await listEvents(db, id)).map((e) => `${e.fromState ?? '-'}>${e.toState}`)).toEqual([
      '->pending',
      'pending>approved',
      'approved>executing',
      'executing>succeeded',
    ]);
    const recheck = await db.query(`select status, verdict from invocations where id = $1`, [`${id}-recheck`]);
    expect(recheck.rows[0]).toEqual({ status: 'succeeded', verdict: 'ok' });
  });

  it('lets exactly one of two concurrent approvers win, and calls Corvo once', async () => {
    const before = rebuildCalls().length;
    const id = await requestRebuild();
    await Promise.all([decide(id, bob), decide(id, carol), decide(id, bob)]);
    expect(executions).toEqual([id]);
    await Promise.all([
      engine.execute(id, new AbortController().signal),
      engine.execute(id, new AbortController().signal),
    ]);
    executions = [];
    expect(rebuildCalls().length - before).toBe(1);
    const approvals = (await listEvents(db, id)).filter((e) => e.toState === 'approved');
    expect(approvals).toHaveLength(1);
  });

  it('accepts an approver from a Slack user group', async () => {
    const id = await requestRebuild();
    await decide(id, erin);
    expect((await getApproval(db, id))!.state).toBe('approved');
    await decide(id, erin, 'deny');
    expect((await getApproval(db, id))!.state).toBe('approved');
    executions = [];
  });

  it('denies: nothing runs and the card says who denied', async () => {
    const before = rebuildCalls().length;
    const id = await requestRebuild();
    await decide(id, carol, 'deny');
    await engine.execute(id, new AbortController().signal);
    expect(rebuildCalls().length).toBe(before);
    const a = (await getApproval(db, id))!;
    expect(a.state).toBe('denied');
    const card = slack.messages(channel).find((m) => m.ts === a.cardMessageId)!;
    expect(JSON.stringify(card.blocks)).toContain('Denied by <@U0CAROL>');
  });

  it('expires on the server: an expired request cannot be approved and its card says so', async () => {
    const id = await requestRebuild();
    now = T0 + 10 * 60_000;
    await engine.handle({ kind: 'expire', approvalId: id }); // early check: stays pending, re-scheduled
    expect((await getApproval(db, id))!.state).toBe('pending');
    expect(expiries.at(-1)).toEqual({ id, delayMs: 5 * 60_000 });
    now = T0 + 15 * 60_000 + 1;
    await decide(id, bob);
    expect(ephemeralsTo('U0BOB').at(-1)?.text).toMatch(/expired/);
    const a = (await getApproval(db, id))!;
    expect(a.state).toBe('expired');
    expect(executions).toEqual([]);
    const card = slack.messages(channel).find((m) => m.ts === a.cardMessageId)!;
    expect(JSON.stringify(card.blocks)).toContain('Expired');
  });

  it('the expiry job closes a request nobody answered', async () => {
    const id = await requestRebuild();
    now = T0 + 16 * 60_000;
    await engine.handle({ kind: 'expire', approvalId: id });
    expect((await getApproval(db, id))!.state).toBe('expired');
  });

  it('does not run when the finding has cleared by the time it is approved', async () => {
    const before = rebuildCalls().length;
    const id = await requestRebuild();
    corvo.setScenario('healthy');
    await decide(id, bob);
    await runExecutions();
    expect(rebuildCalls().length).toBe(before);
    const a = (await getApproval(db, id))!;
    expect(a.state).toBe('skipped');
    expect(a.result).toMatch(/already cleared/);
  });

  it('reports a failed step and does not retry it blindly', async () => {
    const before = rebuildCalls().length;
    const id = await requestRebuild();
    corvo.failNext('/api/v1/admin/rebuild-sqlite', 500, { error: 'rebuild failed: disk full', code: 'INTERNAL_ERROR' });
    await decide(id, bob);
    await runExecutions();
    await engine.execute(id, new AbortController().signal);
    expect(rebuildCalls().length - before).toBe(1);
    const a = (await getApproval(db, id))!;
    expect(a.state).toBe('failed');
    expect(a.result).toMatch(/500|INTERNAL_ERROR/);
    const thread = slack.messages(channel).filter((m) => m.thread_ts === a.cardMessageId);
    expect(thread.map((m) => m.text).join('\n')).toMatch(/failed: .*It was not retried/);
  });

  it('records a fix refused by its own check before the write as skipped, with the current state, and sends nothing', async () => {
    corvo.setScenario('healthy');
    const key = `typo${Date.now()}`;
    // A typo: Corvo itself would answer 200 and create the queue (real-systems.md, Corvo 1); the fix's own check
    // re-reads the queues first and refuses.
    await engine.handle({
      kind: 'request',
      system: 'corvo',
      target: 'prod',
      remediation: 'unlimit',
      params: { queue: 'emials' },
      actor: dave,
      conversation,
      deliveryKey: key,
    });
    const id = `apr_${key}`;
    await decide(id, dave);
    await runExecutions();
    expect(corvo.calls.filter((c) => c.path.includes('emials'))).toHaveLength(0);
    const a = (await getApproval(db, id))!;
    expect(a.state).toBe('skipped');
    expect(a.result).toMatch(/no queue named "emials"/);
    const thread = slack.messages(channel).filter((m) => m.thread_ts === a.cardMessageId);
    const text = thread.map((m) => m.text).join('\n');
    expect(text).toMatch(/was not run: no queue named/);
    expect(text).not.toMatch(/failed|not retried/);
  });

  it('after a crash mid-step, says the outcome is unknown and re-checks instead of running it again', async () => {
    const before = rebuildCalls().length;
    const id = await requestRebuild();
    await decide(id, bob);
    executions = [];
    // A worker took the step past the point of no return and died.
    await transition(db, id, ['approved'], 'executing', { nowMs: now, start: true });
    await engine.execute(id, new AbortController().signal);
    expect(rebuildCalls().length).toBe(before);
    const a = (await getApproval(db, id))!;
    expect(a.state).toBe('outcome-unknown');
    const thread = slack.messages(channel).filter((m) => m.thread_ts === a.cardMessageId);
    expect(thread.map((m) => m.text).join('\n')).toMatch(/unknown.*NOT be run again/s);
    expect(thread.map((m) => m.text).join('\n')).toMatch(/Re-check: still critical/);
  });

  it("takes over the target's lock from a step that is over (its release was lost), not from one still to run", async () => {
    const lockKey = `${keyPrefix}:lock:remediation:corvo:prod`;
    const done = await requestRebuild();
    await decide(done, bob);
    await runExecutions();
    expect((await getApproval(db, done))!.state).toBe('succeeded');
    corvo.setScenario('sqlite-diverged');
    const before = rebuildCalls().length;
    const next = await requestRebuild();
    await decide(next, bob);
    const other = await requestRebuild();
    await decide(other, carol);
    executions = [];
    // Held by a step that is approved and not yet run: wait.
    await redis.set(lockKey, other, 'PX', 600_000);
    expect(await engine.execute(next, new AbortController().signal)).toBe('locked');
    // Held by a step whose outcome is unknown (it may still run on a slow worker): wait too.
    await db.query(`update approvals set state = 'outcome-unknown' where id = $1`, [other]);
    expect(await engine.execute(next, new AbortController().signal)).toBe('locked');
    // Held by a step that is over, whose worker died before releasing it (or Redis restarted then): take it over.
    await redis.set(lockKey, done, 'PX', 600_000);
    expect(await engine.execute(next, new AbortController().signal)).toBe('done');
    expect((await getApproval(db, next))!.state).toBe('succeeded');
    expect(rebuildCalls().length - before).toBe(1);
    expect(await redis.get(lockKey)).toBeNull();
  });

  it('asks the requester to confirm a reversible step, and lets only them (or an approver) confirm', async () => {
    corvo.setScenario('queue-paused');
    const key = `direct${Date.now()}`;
    await engine.handle({
      kind: 'request',
      system: 'corvo',
      target: 'prod',
      remediation: 'resume',
      params: { queue: 'emails' },
      actor: dave,
      conversation,
      deliveryKey: key,
    });
    const id = `apr_${key}`;
    expect((await getApproval(db, id))!.level).toBe('confirm');
    await decide(id, { platform: 'slack', userId: 'U0MALLORY' });
    expect((await getApproval(db, id))!.state).toBe('pending');
    await decide(id, dave);
    await runExecutions();
    expect(corvo.calls.filter((c) => c.path === '/api/v1/queues/emails/resume')).toHaveLength(1);
    expect((await getApproval(db, id))!.state).toBe('succeeded');
  });

  it('counts a decision only on the card it was shown on: another channel, message or platform changes nothing', async () => {
    const id = await requestRebuild();
    const a = (await getApproval(db, id))!;
    expect(a.card).toEqual({ platform: 'slack', channelId: channel, messageId: a.cardMessageId });
    expect(a.cardMessageId).toMatch(/^\d+\.\d+$/);
    const offCard = [
      // A signed click in another channel, on an unrelated message, carrying the pending approval's id.
      { conversation: { platform: 'slack', channelId: 'C0ELSEWHERE' }, messageId: a.cardMessageId! },
      // Same channel, another message (e.g. the report, or a message the attacker posted).
      { conversation, messageId: '1700000000.000001' },
      // No message at all.
      { conversation, messageId: undefined },
      // Another platform: the demo's terminal cannot decide a Slack request.
      { conversation: { platform: 'terminal', channelId: channel }, messageId: a.cardMessageId! },
    ] as const;
    for (const c of offCard) {
      await engine.handle({
        kind: 'decision',
        approvalId: id,
        decision: 'approve',
        actor: c.conversation.platform === 'terminal' ? { platform: 'terminal', userId: 'U0BOB' } : bob,
        conversation: c.conversation,
        messageId: c.messageId,
      });
    }
    await engine.handle({
      kind: 'decision',
      approvalId: id,
      decision: 'deny',
      actor: carol,
      conversation,
      messageId: '1700000000.000001',
    });
    expect((await getApproval(db, id))!.state).toBe('pending');
    expect(executions).toEqual([]);
    // Each refusal was said privately where the click came from, and recorded.
    expect(slack.ephemerals('C0ELSEWHERE').map((e) => `${e.user}: ${e.text}`)).toEqual([
      expect.stringMatching(/^U0BOB: That button is not on this request's approval card, so nothing changed/),
    ]);
    expect(ephemeralsTo('U0CAROL').at(-1)!.text).toMatch(/not on this request's approval card/);
    expect(terminalOutput.join('')).toMatch(/only U0BOB.*not on this request's approval card/);
    const refusals = (await listEvents(db, id)).filter((e) => e.fromState === 'pending' && e.toState === 'pending');
    expect(refusals.map((e) => `${e.actor} ${e.detail}`)).toEqual([
      'slack:U0BOB approve refused: from another channel',
      'slack:U0BOB approve refused: from another message',
      'slack:U0BOB approve refused: from another message',
      'terminal:U0BOB approve refused: from terminal, card in slack',
      'slack:U0CAROL deny refused: from another message',
    ]);
    // On the card itself, the same approver's click counts.
    await decide(id, bob);
    expect((await getApproval(db, id))!.state).toBe('approved');
    expect(executions).toEqual([id]);
    executions = [];
  });

  it('a click that races the recording of its card is retried by the queue, not refused and not counted', async () => {
    const id = await requestRebuild();
    const ts = (await getApproval(db, id))!.cardMessageId!;
    await db.query(
      `update approvals set card_message_id = null, card_platform = null, card_channel_id = null where id = $1`,
      [id],
    );
    const click = {
      kind: 'decision',
      approvalId: id,
      decision: 'approve',
      actor: bob,
      conversation,
      messageId: ts,
    } as const;
    await expect(engine.handle(click)).rejects.toThrow(/not recorded yet/);
    expect((await getApproval(db, id))!.state).toBe('pending');
    expect((await listEvents(db, id)).map((e) => e.toState)).toEqual(['pending']);
    await db.query(
      `update approvals set card_message_id = $2, card_platform = 'slack', card_channel_id = $3 where id = $1`,
      [id, ts, channel],
    );
    await engine.handle(click); // the retry
    expect((await getApproval(db, id))!.state).toBe('approved');
    executions = [];
  });

  it('the card replaced in place keeps its binding: a decision on the updated card still counts', async () => {
    const id = await requestRebuild();
    const before = (await getApproval(db, id))!;
    await decide(id, alice); // refused (own request), card unchanged
    now = T0 + 16 * 60_000;
    await engine.handle({ kind: 'expire', approvalId: id }); // the card is updated in place to "expired"
    const after = (await getApproval(db, id))!;
    expect(after.state).toBe('expired');
    expect(after.card).toEqual(before.card);
    expect(slack.messages(channel).filter((m) => m.ts === before.cardMessageId)).toHaveLength(1);
  });

  it('tells the clicker of a stale button privately, and changes nothing', async () => {
    await engine.handle({ kind: 'stale', actor: dave, conversation });
    expect(ephemeralsTo('U0DAVE').at(-1)!.text).toMatch(/That button is no longer active.*Nothing changed/);
  });

  it('the sweep re-queues an approved step whose job was lost, and closes overdue requests', async () => {
    const lost = await requestRebuild();
    await decide(lost, bob);
    executions = []; // the execution job vanished (Redis restarted without persistence)
    const forgotten = await requestRebuild();
    now = T0 + 30_000;
    await engine.handle({ kind: 'sweep' });
    expect(executions).toEqual([]); // too early to call it lost
    now = T0 + 16 * 60_000;
    await engine.handle({ kind: 'sweep' });
    expect(executions).toContain(`${lost} (forced)`);
    expect((await getApproval(db, forgotten))!.state).toBe('expired');
    const before = rebuildCalls().length;
    await engine.execute(lost, new AbortController().signal);
    await engine.execute(lost, new AbortController().signal);
    expect(rebuildCalls().length - before).toBe(1);
    executions = [];
  });

  it('the sweep settles a step left executing by a dead worker as outcome unknown, re-checks, and frees the target', async () => {
    const lockKey = `${keyPrefix}:lock:remediation:corvo:prod`;
    const before = rebuildCalls().length;
    const stuck = await requestRebuild();
    await decide(stuck, bob);
    executions = [];
    // Its worker took it past the point of no return and died; its job then failed for good (stalled too often).
    await transition(db, stuck, ['approved'], 'executing', { nowMs: now, start: true });
    await redis.set(lockKey, stuck, 'PX', 600_000);
    now += 60_000;
    await engine.handle({ kind: 'sweep' });
    expect(executions).not.toContain(`${stuck} (forced)`); // it may still be running
    now += 10 * 60_000;
    await engine.handle({ kind: 'sweep' });
    expect(executions).toContain(`${stuck} (forced)`);
    await engine.execute(stuck, new AbortController().signal);
    const a = (await getApproval(db, stuck))!;
    expect(a.state).toBe('outcome-unknown');
    expect(rebuildCalls().length).toBe(before);
    const thread = slack.messages(channel).filter((m) => m.thread_ts === a.cardMessageId);
    expect(thread.map((m) => m.text).join('\n')).toMatch(/unknown.*NOT be run again/s);
    // The target is free for the next step: the lock's holder is over.
    const next = await requestRebuild();
    await decide(next, bob);
    executions = [];
    expect(await engine.execute(next, new AbortController().signal)).toBe('done');
    expect(rebuildCalls().length - before).toBe(1);
  });
});
