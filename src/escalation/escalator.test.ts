/**
 * The page state machine on a real Postgres against the loopback Events API fake: two workers racing send one
 * trigger; one resolve; a restart after a crash mid-send re-checks instead of sending blindly; a resolved streak is
 * never paged again, a new streak is; a 400 is not retried; the Page on-call button shares the automatic page.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakePagerDutyEvents, type FakePagerDutyEvents } from '../../test/support/fake-pagerduty-events.js';
import { createTestDatabase } from '../../test/support/namespace.js';
import { createPagerDutyEventsClient } from '../../integrations/pagerduty/events-client.js';
import { silentLogger } from '../core/logger.js';
import { Secret } from '../core/secret.js';
import { migrate } from '../store/migrate.js';
import { claimTrigger, getEscalation, listUnresolved } from './escalation-store.js';
import { createEscalator, dedupKeyOf, type PageRequest } from './escalator.js';

const KEY = 'R0UT1NGKEY0123456789abcdefabcdef';
let db: pg.Pool;
let fake: FakePagerDutyEvents;
let nowMs = Date.parse('2026-12-06T10:00:00Z');
const clock = { now: () => nowMs };

const escalator = (o: { attempts?: number } = {}) =>
  createEscalator({
    db,
    client: createPagerDutyEventsClient({
      routingKey: new Secret(KEY),
      eventsUrl: fake.url,
      attempts: o.attempts ?? 2,
      backoffMs: 1,
    }),
    clock,
    logger: silentLogger,
    staleMs: 60_000,
  });

let n = 0;
function request(target: string, over: Partial<PageRequest> = {}): PageRequest {
  return {
    system: 'kyrodb',
    target,
    code: 'kyrodb.wal.circuit-breaker',
    level: 'P0',
    summary: `[P0] KyroDB ${target}: Writes are refused (kyrodb.wal.circuit-breaker)`,
    workflow: 'health',
    streakSince: new Date('2026-12-06T09:00:00Z'),
    details: { evidence: 'inserts failed' },
    requestedBy: 'auto',
    requestId: `run-${++n}`,
    ...over,
  };
}
const key = (target: string) => ({ system: 'kyrodb', target, code: 'kyrodb.wal.circuit-breaker' });

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createTestDatabase(), max: 8 });
  await migrate(db, silentLogger);
  fake = await startFakePagerDutyEvents();
}, 60_000);
afterAll(async () => {
  await fake?.close();
  await db?.end();
});
beforeEach(() => {
  fake.setDelay(0);
});

/** A trigger of `name`'s condition claimed now by a worker that then died (its claim's lease is 60 s). */
function claimedByDeadWorker(name: string) {
  return claimTrigger(db, {
    ...key(name),
    dedupKey: dedupKeyOf(key(name)),
    streakSince: new Date('2026-12-06T09:00:00Z'),
    level: 'P0',
    summary: 's',
    workflow: 'health',
    requestedBy: 'auto',
    claimedBy: 'dead-worker',
    now: new Date(nowMs),
    staleMs: 60_000,
  });
}

describe('escalator', () => {
  it('two workers racing on one condition send one trigger; the rest see it open', async () => {
    fake.setDelay(100);
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => escalator().page(request('race'))));
    expect(outcomes.filter((o) => o.kind === 'sent')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'already')).toHaveLength(3);
    expect(fake.accepted('trigger', dedupKeyOf(key('race')))).toHaveLength(1);
    expect((await getEscalation(db, key('race')))?.state).toBe('open');
    // Later runs of the same streak send nothing.
    expect((await escalator().page(request('race'))).kind).toBe('already');
    expect(fake.accepted('trigger', dedupKeyOf(key('race')))).toHaveLength(1);
  });

  it('resolves once, never pages the same streak again, and pages a new streak', async () => {
    await escalator().page(request('once'));
    const resolves = await Promise.all([
      escalator().resolve(key('once'), 'r1'),
      escalator().resolve(key('once'), 'r2'),
    ]);
    expect(resolves.filter((o) => o.kind === 'sent')).toHaveLength(1);
    expect(fake.accepted('resolve', dedupKeyOf(key('once')))).toHaveLength(1);
    expect(fake.stateOf(dedupKeyOf(key('once')))).toBe('resolved');
    // A late run of the streak that was resolved: nothing sent.
    expect((await escalator().page(request('once'))).kind).toBe('already');
    expect(fake.accepted('trigger', dedupKeyOf(key('once')))).toHaveLength(1);
    // The condition came back: a new streak pages again (a new alert under the same key).
    expect((await escalator().page(request('once', { streakSince: new Date('2026-12-06T11:00:00Z') }))).kind).toBe(
      'sent',
    );
    expect(fake.alerts.filter((a) => a.dedupKey === dedupKeyOf(key('once')))).toHaveLength(2);
  });

  it('after a crash mid-send the claim goes stale: re-checked and sent again with the same key (one alert)', async () => {
    // A worker claimed and sent, then died before recording the 202.
    await claimedByDeadWorker('crash');
    await createPagerDutyEventsClient({ routingKey: new Secret(KEY), eventsUrl: fake.url }).trigger({
      dedupKey: dedupKeyOf(key('crash')),
      payload: { summary: 's', source: 'kyrodb/crash', severity: 'critical' },
    });
    // Within the claim's lease nobody sends again.
    expect((await escalator().page(request('crash'))).kind).toBe('already');
    nowMs += 61_000;
    const again = await escalator().page(request('crash'));
    expect(again).toMatchObject({ kind: 'sent', retry: true });
    expect(fake.accepted('trigger', dedupKeyOf(key('crash')))).toHaveLength(2);
    expect(fake.alerts.filter((a) => a.dedupKey === dedupKeyOf(key('crash')))).toHaveLength(1);
    expect((await getEscalation(db, key('crash')))?.state).toBe('open');
  });

  it('a page sent whose row could not be recorded (Postgres lost) says it paged, and its claim is left to go stale', async () => {
    // The database drops the connection on the update that records the 202; everything else works.
    const flaky = {
      query: (text: string, params?: unknown[]) =>
        text.includes("set state = 'open'") || text.includes("set state = 'resolved'")
          ? Promise.reject(new Error('Connection terminated unexpectedly'))
          : db.query(text, params),
    } as unknown as pg.Pool;
    const e = createEscalator({
      db: flaky,
      client: createPagerDutyEventsClient({ routingKey: new Secret(KEY), eventsUrl: fake.url, backoffMs: 1 }),
      clock,
      logger: silentLogger,
      staleMs: 60_000,
    });
    const outcome = await e.page(request('unrecorded'));
    expect(outcome.kind).toBe('sent');
    expect(fake.accepted('trigger', dedupKeyOf(key('unrecorded')))).toHaveLength(1);
    // Not made stale at once as a failed send would be: no second trigger from the next run.
    expect((await escalator().page(request('unrecorded'))).kind).toBe('already');
    expect(fake.accepted('trigger', dedupKeyOf(key('unrecorded')))).toHaveLength(1);
    nowMs += 61_000;
    expect((await escalator().page(request('unrecorded'))).kind).toBe('sent');
    expect((await e.resolve(key('unrecorded'), 'r-unrecorded')).kind).toBe('sent');
    expect(fake.accepted('resolve', dedupKeyOf(key('unrecorded')))).toHaveLength(1);
  });

  it('a crash mid-send whose condition then cleared is resolved, not re-sent', async () => {
    await claimedByDeadWorker('cleared');
    expect((await escalator().resolve(key('cleared'), 'r')).kind).toBe('already');
    nowMs += 61_000;
    expect((await escalator().resolve(key('cleared'), 'r')).kind).toBe('sent');
    expect(fake.accepted('trigger', dedupKeyOf(key('cleared')))).toHaveLength(0);
    expect((await getEscalation(db, key('cleared')))?.state).toBe('resolved');
  });

  it('429 until the retries run out: retried at the next run; 400: rejected and never retried for the streak', async () => {
    fake.rateLimitNext(2);
    const limited = await escalator({ attempts: 2 }).page(request('limited'));
    expect(limited).toMatchObject({ kind: 'failed', retryable: true });
    expect(await listUnresolved(db, { system: 'kyrodb', target: 'limited' })).toHaveLength(1);
    expect((await escalator().page(request('limited'))).kind).toBe('sent');
    expect(fake.accepted('trigger', dedupKeyOf(key('limited')))).toHaveLength(1);

    const bad = await escalator().page(request('bad', { summary: '' }));
    expect(bad).toMatchObject({ kind: 'failed', retryable: false });
    expect((await getEscalation(db, key('bad')))?.state).toBe('rejected');
    expect((await escalator().page(request('bad', { summary: '' }))).kind).toBe('already');
  });

  it('a person pressing Page on-call pages the same key; the automatic page of that streak then sends nothing', async () => {
    const pressed = await escalator().page(request('button', { requestedBy: 'button', force: true }));
    expect(pressed.kind).toBe('sent');
    expect((await escalator().page(request('button'))).kind).toBe('already');
    expect(fake.accepted('trigger', dedupKeyOf(key('button')))).toHaveLength(1);
    // Pressed again after a resolve of the same streak: a person asked, so it pages.
    await escalator().resolve(key('button'), 'r');
    expect((await escalator().page(request('button', { force: true }))).kind).toBe('sent');
  });
});
