/**
 * The retention prune on a real Postgres: rows older than their window go, in batches; newer rows and rows still
 * needed (open approvals, unresolved incidents, active silences, pending actions, unprocessed events, posts of a
 * live thread) stay whatever their age; children go before their parents; the metric counts what was deleted.
 */
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedTestPool } from '../../test/support/services.js';
import { RetentionSchema } from '../config/config-file.js';
import { fixedClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { pruneExpired } from './prune-expired.js';
import { registerRetentionMetrics } from './retention-metrics.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
const ago = (days: number) => new Date(NOW - days * DAY);

let db: pg.Pool;

beforeAll(async () => {
  db = await createMigratedTestPool(5);
}, 60_000);
afterAll(async () => {
  await db?.end();
});

async function invocation(id: string, days: number, status = 'succeeded'): Promise<void> {
  await db.query(
    `insert into invocations (id, platform, channel_id, user_id, system, workflow, status, requested_at)
     values ($1, 'slack', 'C1', 'U1', 'corvo', 'health', $2, $3)`,
    [id, status, ago(days)],
  );
}
async function report(invocationId: string, days: number): Promise<void> {
  await db.query(`insert into reports (invocation_id, report, created_at) values ($1, '{}', $2)`, [
    invocationId,
    ago(days),
  ]);
}
async function offer(id: string, invocationId: string, days: number): Promise<void> {
  await db.query(
    `insert into action_offers (id, invocation_id, system, target, remediation, params, created_at)
     values ($1, $2, 'corvo', 'prod', 'rebuild-sqlite', '{}', $3)`,
    [id, invocationId, ago(days)],
  );
}
async function approval(id: string, offerId: string | null, state: string, days: number): Promise<void> {
  await db.query(
    `insert into approvals (id, offer_id, system, target, remediation, params, params_hash, level, state, requester,
       conversation, requested_at, expires_at, finished_at)
     values ($1, $2, 'corvo', 'prod', 'rebuild-sqlite', '{}', 'h', 'approval', $3, 'slack:U1', '{}', $4, $4, $4)`,
    [id, offerId, state, ago(days)],
  );
  await db.query(
    `insert into approval_events (approval_id, from_state, to_state, at) values ($1, null, 'pending', $2),
       ($1, 'pending', $3, $2)`,
    [id, ago(days), state],
  );
  await db.query(`insert into approval_votes (approval_id, approver, at) values ($1, 'slack:U2', $2)`, [id, ago(days)]);
}
async function incident(id: string, status: string, days: number): Promise<void> {
  await db.query(
    `insert into incidents (id, source, external_id, status, title, started_at, resolved_at, route, updated_at)
     values ($1, 'pagerduty', $1, $2, $1, $3, $4, 'default', $3)`,
    [id, status, ago(days), status === 'resolved' ? ago(days) : null],
  );
  await db.query(
    `insert into incident_threads (incident_id, platform, channel_id, root_message_id, created_at)
     values ($1, 'slack', 'C1', $2, $3)`,
    [id, `root-${id}`, ago(days)],
  );
  await db.query(
    `insert into incident_notes (incident_id, status, text, occurred_at, created_at) values ($1, $2, 'x', $3, $3)`,
    [id, status, ago(days)],
  );
}
async function chatPost(postId: string, days: number, threadId: string | null = null): Promise<void> {
  await db.query(
    `insert into chat_posts (post_id, platform, channel_id, message_id, thread_id, posted_at)
     values ($1, 'slack', 'C1', $1, $2, $3)`,
    [postId, threadId, ago(days)],
  );
}
const ids = async (sql: string) => (await db.query(sql)).rows.map((r) => Object.values(r)[0]).sort();
const countOf = async (table: string) => Number((await db.query(`select count(*) from ${table}`)).rows[0].count);

describe('pruneExpired', () => {
  it('deletes what is older than its window in batches, keeps newer and still-needed rows, and counts', async () => {
    // 25 old runs with their reports: more than two batches of 10.
    for (let i = 0; i < 25; i++) {
      await invocation(`old-${i}`, 500);
      await report(`old-${i}`, 500);
    }
    // A report past 30 days whose invocation is still inside the audit window: the report goes, the run stays.
    await invocation('mid', 100);
    await report('mid', 100);
    await invocation('new', 1);
    await report('new', 1);
    // A queued run from long ago is still in flight: kept.
    await invocation('stuck', 500, 'queued');

    // Approvals: an old final one goes with its events and votes and its offer and run; an old pending one stays,
    // and so do its offer and run.
    await invocation('inv-done', 500);
    await offer('offer-done', 'inv-done', 500);
    await approval('ap-done', 'offer-done', 'succeeded', 500);
    await invocation('inv-open', 500);
    await offer('offer-open', 'inv-open', 500);
    await approval('ap-open', 'offer-open', 'pending', 500);
    await approval('ap-recent', null, 'denied', 10);

    // Alert events: old processed goes, old unprocessed and recent stay.
    await db.query(
      `insert into alert_events (id, source, external_id, event_type, occurred_at, received_at, event, processed_at)
       values ('ev-old', 'pagerduty', 'x', 't', $1, $1, '{}', $1), ('ev-pending', 'pagerduty', 'x', 't', $1, $1, '{}', null),
              ('ev-new', 'pagerduty', 'x', 't', $2, $2, '{}', $2)`,
      [ago(100), ago(10)],
    );

    // Incidents: resolved long ago goes with its thread and notes; open (however old) stays; resolved long ago
    // but with a live silence stays.
    await incident('inc-old', 'resolved', 500);
    await incident('inc-open', 'triggered', 500);
    await incident('inc-silenced', 'resolved', 500);
    await db.query(
      `insert into incident_silences (id, incident_id, state, matchers, duration_ms, created_by, platform, ends_at,
         created_at)
       values ('sil-active', 'inc-silenced', 'active', '[]', 1, 'slack:U1', 'slack', $1, $1),
              ('sil-expired', 'inc-open', 'expired', '[]', 1, 'slack:U1', 'slack', $1, $1)`,
      [ago(500)],
    );
    await db.query(
      `insert into incident_actions (id, incident_id, action, actor, platform, state, created_at)
       values ('act-old', 'inc-open', 'acknowledge', 'slack:U1', 'slack', 'succeeded', $1),
              ('act-pending', 'inc-open', 'resolve', 'slack:U1', 'slack', 'pending', $1)`,
      [ago(500)],
    );

    // Chat posts: old goes; old in a live incident thread stays; recent stays.
    await chatPost('report:old', 40);
    await chatPost('note:999999:slack', 40, 'root-inc-open');
    await chatPost('report:new', 5);
    await db.query(
      `insert into identities (principal, email, resolved_at) values ('slack:UOLD', 'a@example.com', $1),
         ('slack:UNEW', 'b@example.com', $2)`,
      [ago(40), ago(1)],
    );
    await db.query(
      `insert into storm_windows (platform, channel_id, window_start, window_ms) values ('slack', 'C1', $1, 60000),
         ('slack', 'C1', $2, 60000)`,
      [ago(40), ago(1)],
    );

    const policy = { ...RetentionSchema.parse({}), batchSize: 10 };
    // Batches really are small: the statement log shows the reports went in three statements.
    const statements: string[] = [];
    const query = db.query.bind(db);
    const spy = new Proxy(db, {
      get: (target, prop) =>
        prop === 'query'
          ? (sql: string, params: unknown[]) => {
              statements.push(sql);
              return query(sql, params);
            }
          : Reflect.get(target, prop),
    });
    const counts = await pruneExpired({ db: spy, policy, clock: fixedClock(NOW), logger: silentLogger });

    expect(statements.filter((s) => s.includes('delete from reports')).length).toBe(3);
    expect(counts).toMatchObject({
      reports: 26,
      approvals: 1,
      approval_events: 2,
      approval_votes: 1,
      action_offers: 1,
      invocations: 26,
      alert_events: 1,
      incidents: 1,
      incident_threads: 1,
      incident_notes: 1,
      incident_actions: 1,
      incident_silences: 1,
      chat_posts: 1,
      identities: 1,
      storm_windows: 1,
    });

    expect(await ids(`select invocation_id from reports`)).toEqual(['new']);
    expect(await ids(`select id from invocations`)).toEqual(['inv-open', 'mid', 'new', 'stuck']);
    expect(await ids(`select id from approvals`)).toEqual(['ap-open', 'ap-recent']);
    expect(await ids(`select distinct approval_id from approval_events`)).toEqual(['ap-open', 'ap-recent']);
    expect(await ids(`select id from action_offers`)).toEqual(['offer-open']);
    expect(await ids(`select id from alert_events`)).toEqual(['ev-new', 'ev-pending']);
    expect(await ids(`select id from incidents`)).toEqual(['inc-open', 'inc-silenced']);
    expect(await ids(`select incident_id from incident_threads`)).toEqual(['inc-open', 'inc-silenced']);
    expect(await ids(`select id from incident_silences`)).toEqual(['sil-active']);
    expect(await ids(`select id from incident_actions`)).toEqual(['act-pending']);
    expect(await ids(`select post_id from chat_posts`)).toEqual(['note:999999:slack', 'report:new']);
    expect(await ids(`select principal from identities`)).toEqual(['slack:UNEW']);
    expect(await countOf('storm_windows')).toBe(1);

    // The metric reads the running totals; a second run finds nothing more and changes nothing.
    const registry = new Registry();
    registerRetentionMetrics(registry, db);
    const before = await registry.metrics();
    expect(before).toContain('runbook_bot_retention_rows_pruned_total{table="reports"} 26');
    expect(before).toContain('runbook_bot_retention_rows_pruned_total{table="approval_events"} 2');
    expect(await pruneExpired({ db, policy, clock: fixedClock(NOW), logger: silentLogger })).toEqual({});
    expect(await registry.metrics()).toBe(before);

    // Time passes: the once-recent report is now past its window too, and the counter adds to its total.
    await pruneExpired({ db, policy, clock: fixedClock(NOW + 40 * DAY), logger: silentLogger });
    expect(await ids(`select invocation_id from reports`)).toEqual([]);
    expect(await registry.metrics()).toContain('runbook_bot_retention_rows_pruned_total{table="reports"} 27');
  });
});
