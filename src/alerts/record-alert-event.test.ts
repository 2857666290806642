/**
 * The web side of the alert webhooks and the worker's sweep, on real Postgres and Redis: a store that hangs instead
 * of failing still turns into a rejection (a 503 the sender retries) within the deadline, the retried delivery is
 * queued once, and the sweep re-queues threads whose root or note was never posted.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, uniqueName } from '../../test/support/namespace.js';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy.js';
import type { AlertEvent } from '../core/alert.js';
import { silentLogger } from '../core/logger.js';
import { createQueues, type BotQueues } from '../jobs/create-queues.js';
import { migrate } from '../store/migrate.js';
import { alertEventJobId, createAlertIntake } from './record-alert-event.js';
import { sweepAlerts } from './start-alert-workers.js';
import type { ProcessAlertEventDeps } from './process-alert-event.js';

let db: pg.Pool;
let proxy: TcpProxy;
let redis: Redis;
let queues: BotQueues;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await createTestDatabase(), max: 5 });
  await migrate(db, silentLogger);
  proxy = await startTcpProxy(inject('redisUrl'));
  // As the web process connects: requests wait for a reconnect instead of failing, i.e. they hang while it is down.
  redis = new Redis(proxy.rewrite(inject('redisUrl')), { maxRetriesPerRequest: null, retryStrategy: () => 50 });
  queues = createQueues(redis, uniqueName('intake'), silentLogger);
});
afterAll(async () => {
  await proxy?.up();
  await queues?.close();
  redis?.disconnect();
  await proxy?.close();
  await db?.end();
});

function triggered(externalId: string): AlertEvent {
  return {
    source: 'pagerduty',
    eventId: `pd:${uniqueName('ev')}`,
    externalId,
    type: 'incident.triggered',
    occurredAt: '2026-09-01T08:00:00.000Z',
    snapshot: {
      status: 'triggered',
      title: `Incident ${externalId}`,
      service: 'Corvo Production',
      assignees: [],
      startedAt: '2026-09-01T08:00:00.000Z',
    },
    note: 'triggered',
    opens: true,
    labels: { service: 'Corvo Production' },
  };
}

describe('createAlertIntake', () => {
  it('rejects within its deadline while Redis hangs, and queues the retried delivery exactly once', async () => {
    const intake = createAlertIntake({ db, queue: queues.alertEvents, deadlineMs: 300 });
    const event = triggered('PHANG');
    await proxy.down();
    const started = Date.now();
    await expect(intake(event, { deliveryId: 'wh-1' })).rejects.toThrow(/queueing took longer than 200 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Recorded (the dedupe record), its queued mark taken back: the retry must queue it.
    const before = await db.query(`select queued_at from alert_events where id = $1`, [event.eventId]);
    expect(before.rows).toEqual([{ queued_at: null }]);

    await proxy.up();
    expect(await intake(event, { deliveryId: 'wh-1' })).toBe('duplicate');
    expect(await intake(event, { deliveryId: 'wh-1' })).toBe('duplicate');
    const after = await db.query(
      `select count(*)::int as n, count(queued_at)::int as queued from alert_events
      where id = $1`,
      [event.eventId],
    );
    expect(after.rows[0]).toEqual({ n: 1, queued: 1 });
    // One job, whichever of the hung first attempt and the retry reached Redis first.
    const jobs = await queues.alertEvents.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
    expect(jobs.filter((j) => j.id === alertEventJobId(event.eventId))).toHaveLength(1);
    expect(jobs.filter((j) => j.data.kind === 'event' && j.data.eventId === event.eventId)).toHaveLength(1);
  });

  it('answers a new event accepted and its redelivery duplicate', async () => {
    const intake = createAlertIntake({ db, queue: queues.alertEvents });
    const event = triggered('PNEW');
    expect(await intake(event, {})).toBe('accepted');
    expect(await intake(event, {})).toBe('duplicate');
  });
});

describe('sweepAlerts', () => {
  async function incident(id: string): Promise<void> {
    await db.query(
      `insert into incidents (id, source, external_id, status, title, started_at, route)
       values ($1, 'pagerduty', $1, 'triggered', $1, now(), 'rule')`,
      [id],
    );
  }
  async function thread(id: string, o: { root?: string; suppressed?: boolean; age: string }): Promise<void> {
    await db.query(
      `insert into incident_threads (incident_id, platform, channel_id, root_message_id, suppressed, created_at)
       values ($1, 'slack', 'C0SWEEP', $2, $3, now() - $4::interval)`,
      [id, o.root ?? null, o.suppressed ?? false, o.age],
    );
  }

  it('re-queues threads whose root or latest note was never posted, and leaves the rest alone', async () => {
    const ids = {
      noRoot: uniqueName('I-noroot'),
      fresh: uniqueName('I-fresh'),
      suppressed: uniqueName('I-supp'),
      unpostedNote: uniqueName('I-note'),
      postedNote: uniqueName('I-posted'),
    };
    for (const id of Object.values(ids)) await incident(id);
    await thread(ids.noRoot, { age: '5 minutes' });
    await thread(ids.fresh, { age: '5 seconds' });
    await thread(ids.suppressed, { suppressed: true, age: '5 minutes' });
    await thread(ids.unpostedNote, { root: '1700000000.000100', age: '10 minutes' });
    await thread(ids.postedNote, { root: '1700000000.000200', age: '10 minutes' });
    for (const id of [ids.unpostedNote, ids.postedNote]) {
      await db.query(
        `insert into incident_notes (incident_id, status, text, occurred_at, created_at)
         values ($1, 'acknowledged', 'ack', now(), now() - interval '2 minutes')`,
        [id],
      );
    }
    const { rows } = await db.query<{ id: string }>(`select id from incident_notes where incident_id = $1`, [
      ids.postedNote,
    ]);
    await db.query(
      `insert into chat_posts (post_id, platform, channel_id, message_id) values ($1, 'slack', 'C0SWEEP', 'x')`,
      [`note:${rows[0]!.id}:slack`],
    );

    await sweepAlerts({ process: { db } as ProcessAlertEventDeps, queues, logger: silentLogger });
    const queued = (await queues.incidentPosts.getJobs(['waiting', 'delayed', 'prioritized']))
      .map((j) => j.data)
      .filter((d) => d.kind === 'thread')
      .map((d) => (d.kind === 'thread' ? d.incidentId : ''));
    expect(queued.sort()).toEqual([ids.noRoot, ids.unpostedNote].sort());
  });
});
